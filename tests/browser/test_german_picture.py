"""A German viewer of a two-language video (issue 18.2): the watch page switches picture, audio and
subtitles together, stays on the step, and the picture shows the German caption."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import numpy as np
import pytest
from django.conf import settings as django_settings
from PIL import Image

from previews import cards, shares
from previews.models import Video
from previews.timeline import Output
from tests import media
from tests.browser.conftest import log_in
from tests.conftest import ON_S3
from tests.previews.helpers import chapter_with_steps, upload
from tests.previews.test_videos import _generate, _wait

pytestmark = pytest.mark.django_db(transaction=True)

COLOURS = [(200, 60, 40), (40, 90, 200), (40, 160, 70)]
STEPS = [
    ({"en": "Open the menu", "de": "Öffnen Sie das Menü"},
     {"en": "Open the menu.", "de": "Öffnen Sie das Menü."}),
    ({"en": "Choose Settings", "de": "Wählen Sie Einstellungen"},
     {"en": "Choose settings from the list.", "de": "Wählen Sie Einstellungen aus der Liste."}),
    ({"en": "Save your changes", "de": "Speichern Sie"},
     {"en": "Save your changes.", "de": "Speichern Sie Ihre Änderungen."}),
]
WIDTH, HEIGHT, FADE = 854, 480, 0.3


def _two_language_video(api, project) -> Video:
    project.languages = ["en", "de"]
    project.save()
    assets = [upload(api, project.id, f"{i}.png", media.image_bytes("PNG", (960, 540), colour))
              for i, colour in enumerate(COLOURS)]
    chapter = chapter_with_steps(api, project.id, [
        {"caption": caption, "narration": narration, "asset": asset["id"], "duration": 1.5,
         "transition": "crossfade", "transitionDuration": FADE}
        for asset, (caption, narration) in zip(assets, STEPS, strict=True)])
    accepted = _generate(api, project.id, chapter["id"], languages=["en", "de"], resolution="480p")
    assert _wait(api, accepted["jobId"])["status"] == "succeeded"
    return Video.objects.get(pk=accepted["videoId"])


def _rendered_caption(text: str, colour: tuple[int, int, int], tmp_path) -> tuple[np.ndarray, tuple]:
    """The frame a step with a flat picture and this caption should show, drawn here with the
    product's caption layout, and the caption band's box."""
    overlay, (x, y) = cards.caption_overlay(text, Output(WIDTH, HEIGHT, 30), tmp_path / f"{abs(hash(text))}.png")
    frame = Image.new("RGB", (WIDTH, HEIGHT), colour)
    band = Image.open(overlay)
    frame.paste(band, (x, y), band)
    return np.asarray(frame).astype(float), (x, y, x + band.width, y + band.height)


def _band(page, box) -> np.ndarray:
    """The caption band of the frame the player shows, read back from a canvas."""
    pixels = page.evaluate("""([x0, y0, x1, y1]) => {
        const video = document.querySelector('video');
        const canvas = document.createElement('canvas');
        canvas.width = video.videoWidth; canvas.height = video.videoHeight;
        const context = canvas.getContext('2d');
        context.drawImage(video, 0, 0);
        return Array.from(context.getImageData(x0, y0, x1 - x0, y1 - y0).data);
    }""", list(box))
    x0, y0, x1, y1 = box
    return np.array(pixels, dtype=float).reshape(y1 - y0, x1 - x0, 4)[:, :, :3]


def _settled(page, language: str, start: float, end: float) -> float:
    page.wait_for_function("""([lang, start, end]) => {
        const v = document.querySelector('video'), p = window.contentizerPlayer;
        const audio = p.hls && p.hls.audioTracks[p.hls.audioTrack];
        return document.querySelector('figure[data-player]').dataset.language === lang && audio &&
          audio.lang === lang && v.readyState >= 2 && !v.seeking && v.currentTime >= start && v.currentTime < end;
    }""", arg=[language, start, end], timeout=30_000)
    return page.evaluate("() => document.querySelector('video').currentTime")


def test_a_german_viewer_sees_the_german_caption_hears_german_and_stays_on_the_step(
        open_context, live_server, worker, alice, alice_api, alice_project, tmp_path):
    video = _two_language_video(alice_api, alice_project)
    en, de = video.picture("en")["starts"], video.picture("de")["starts"]
    context = open_context()
    log_in(context, alice, live_server.url)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    audio_requests = []
    page.on("request", lambda r: audio_requests.append(r.url) if "/hls/de/audio_de/" in r.url else None)
    page.goto(f"/videos/{video.id}/")
    page.wait_for_function("() => window.contentizerPlayer && window.contentizerPlayer.hls && "
                           "window.contentizerPlayer.hls.levels.length > 0")
    page.locator("video").evaluate("v => { v.muted = true; v.pause(); }")
    page.get_by_label("Subtitles").select_option(label="English")

    # step 2, settled (past its incoming cross-fade): the English picture
    at = en[1] + FADE + 0.15
    page.locator("video").evaluate(f"v => {{ v.currentTime = {at}; }}")
    _settled(page, "en", en[1] + FADE, en[2])
    english_frame = _band(page, _rendered_caption(STEPS[1][0]["en"], COLOURS[1], tmp_path)[1])
    page.wait_for_function("() => document.querySelector('[data-captions]').textContent.includes('Choose settings')")

    # the viewer picks German: picture, audio and subtitles switch together, on the same step
    page.get_by_label("Language", exact=True).select_option(label="German")
    now = _settled(page, "de", de[1] + FADE, de[2])
    assert abs((now - de[1]) - (at - en[1])) < 0.1, "as far into the step as before"
    assert page.get_by_label("Subtitles").evaluate("s => s.value") == "de"
    page.wait_for_function("() => document.querySelector('[data-captions]').textContent.includes("
                           "'Wählen Sie Einstellungen aus der Liste')")
    assert page.get_by_role("status").filter(has_text="Playing German audio, German subtitles.").is_visible()
    assert any(url.endswith(".ts") for url in audio_requests), "German audio segments were fetched"

    # the frame shows the German caption: unlike the English frame, and like a render of the German text
    expected_de, box = _rendered_caption(STEPS[1][0]["de"], COLOURS[1], tmp_path)
    expected_en, _ = _rendered_caption(STEPS[1][0]["en"], COLOURS[1], tmp_path)
    x0, y0, x1, y1 = box
    german_frame = _band(page, box)
    rendered_de, rendered_en = expected_de[y0:y1, x0:x1], expected_en[y0:y1, x0:x1]

    def distance(a, b) -> float:
        return float(np.abs(a - b).mean())

    assert distance(german_frame, rendered_de) < 6, distance(german_frame, rendered_de)  # about 3 measured
    assert distance(german_frame, english_frame) > 2 * distance(german_frame, rendered_de)
    assert distance(german_frame, rendered_de) < 0.5 * distance(german_frame, rendered_en)
    assert distance(english_frame, rendered_en) < 0.5 * distance(english_frame, rendered_de)

    # the step list now seeks in the German picture
    steps = [float(s) for s in page.locator("[data-seek]").evaluate_all("bs => bs.map(b => b.dataset.seek)")]
    assert steps == pytest.approx(de, abs=0.001)
    page.get_by_role("button", name=re.compile("Speichern Sie")).click()  # the steps are named in German too
    page.wait_for_function("() => document.querySelector('[data-captions]').textContent.includes('Speichern Sie')")
    assert errors == []


def test_the_share_page_switches_to_the_german_picture_on_the_same_step(open_context, worker, alice, alice_api,
                                                                        alice_project):
    video = _two_language_video(alice_api, alice_project)
    en, de = video.picture("en")["starts"], video.picture("de")["starts"]
    link = shares.share_path(shares.share_create(video=video, lifetime="1h"))
    page = open_context().new_page()  # logged out
    requests, storage = [], []
    # on S3 the media come from the bucket through presigned URLs the link's routes redirect to
    endpoint = urlsplit(django_settings.STORAGES["default"].get("OPTIONS", {}).get("endpoint_url") or "").netloc
    page.on("request", lambda r: (storage if ON_S3 and urlsplit(r.url).netloc == endpoint else requests).append(
        urlsplit(r.url)) if r.url.startswith("http") else None)
    page.goto(link)
    page.wait_for_function("() => window.contentizerPlayer && window.contentizerPlayer.hls && "
                           "window.contentizerPlayer.hls.levels.length > 0")
    page.locator("video").evaluate(f"v => {{ v.muted = true; v.pause(); v.currentTime = {en[2] + FADE + 0.1}; }}")
    _settled(page, "en", en[2] + FADE, video.picture("en")["duration"])
    page.get_by_label("Language", exact=True).select_option(label="German")
    _settled(page, "de", de[2] + FADE, video.picture("de")["duration"])
    page.get_by_label("Subtitles").select_option(label="English")  # subtitles stay a choice of their own
    page.wait_for_function("() => document.querySelector('[data-captions]').textContent.includes('Save your changes')")
    assert all("X-Amz-Signature=" in url.query for url in storage), storage
    requests = [url.path for url in requests]
    assert any(path.startswith(f"{link}hls/de/") for path in requests), requests
    assert all(path.startswith((link, "/static/")) for path in requests), requests
