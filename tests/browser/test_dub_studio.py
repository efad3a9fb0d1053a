"""Dubbing from the studio (issue 19, done when): a 30-second narrated recording is dubbed into Portuguese
from the project page; the dub page shows the transcript beside the video and the job's stages; a
corrected translation is saved and the dub continues from "speak"; the video plays on the share page
with its tracks switching between English and Portuguese."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from contentizer.jobs.models import Job
from previews.models import Dub
from tests import media
from tests.browser.conftest import log_in
from tests.conftest import wait_for
from tests.previews.helpers import upload
from tests.previews.recording import make_recording
from tests.previews.speech import TUTORIAL_SENTENCES

pytestmark = pytest.mark.django_db(transaction=True)


def _finished(dub_id) -> Dub:
    return wait_for(lambda: (d := Dub.objects.select_related("job").get(pk=dub_id)).job.finished and d,
                    timeout=300, interval=0.5)


def test_a_recording_is_dubbed_from_the_studio_and_its_share_page_switches_tracks(
        open_context, live_server, worker, alice, alice_api, alice_project, tmp_path):
    recording = make_recording(tmp_path / "rec", TUTORIAL_SENTENCES[:7], pause=0.9)
    assert 28 <= recording.duration <= 40
    upload(alice_api, alice_project.id, "screencast.mp4", recording.path.read_bytes())
    context = open_context(1400, 1000)
    log_in(context, alice, live_server.url)
    page = context.new_page()
    page.goto(f"/projects/{alice_project.id}/")
    section = page.get_by_role("region", name="Dub a recording")
    section.get_by_label("Recording").select_option(label=page.locator("#dub-asset option").first.inner_text())
    section.get_by_label("Spoken in").select_option("en")
    section.get_by_label("Other languages").fill("Portuguese (Brazil)")
    section.get_by_role("button", name="Dub it").click()
    expect(page.get_by_role("heading", name="Dub of screencast.mp4")).to_be_visible()
    dub = Dub.objects.get()
    assert (dub.source_language, dub.target_languages) == ("en", ["pt-BR"])
    dub = _finished(dub.pk)
    assert dub.job.status == "succeeded", dub.job.error
    page.wait_for_load_state()  # the job script reloads the page when the job ends
    page.reload()
    stages = page.locator("ol.stages").inner_text()
    for stage in ("asr", "translate", "speak", "mix", "package"):
        assert stage in stages
    segments = page.locator("li.segment")
    assert segments.count() == len(dub.segments) >= 6
    first = segments.first
    assert "save the project" in first.get_by_label("English").input_value().lower()
    box = first.get_by_label("Portuguese (Brazil)")
    assert box.input_value() == dub.segments[0]["translations"]["pt-BR"]["text"] != ""
    # the transcript sits beside the video
    video_box = page.locator(".dub-video").bounding_box()
    transcript_box = page.locator(".dub-transcript").bounding_box()
    assert transcript_box["x"] >= video_box["x"] + video_box["width"] - 1

    box.fill("Pressione Ctrl+S para salvar o projeto.")
    page.get_by_role("button", name="Save and continue the dub").click()
    expect(page.get_by_role("status").filter(has_text="1 segment corrected")).to_be_visible()
    job = Job.objects.get(pk=dub.job_id)
    dub = _finished(dub.pk)
    assert dub.job.status == "succeeded" and dub.job.attempts > job.attempts - 1
    assert dub.segments[0]["translations"]["pt-BR"] == {**dub.segments[0]["translations"]["pt-BR"],
                                                      "text": "Pressione Ctrl+S para salvar o projeto.",
                                                      "edited": True}
    page.reload()
    assert "corrected" in page.locator("li.segment").first.inner_text()

    page.get_by_role("link", name="Downloads and share links").click()
    page.get_by_role("button", name="Share", exact=True).click()
    link = page.locator("[data-share-url]").first.input_value()
    viewer = open_context(1280, 900).new_page()  # logged out
    requests = []
    viewer.on("request", lambda r: requests.append(urlsplit(r.url).path))
    viewer.goto(link)
    viewer.wait_for_function("() => window.contentizerPlayer && window.contentizerPlayer.hls && "
                             "window.contentizerPlayer.hls.levels.length > 0")
    viewer.locator("video").evaluate("v => { v.muted = true; return v.play(); }")
    viewer.wait_for_function("() => document.querySelector('video').currentTime > 1")
    viewer.get_by_label("Language", exact=True).select_option(label="Portuguese (Brazil)")
    viewer.wait_for_function("() => window.contentizerPlayer.audio === 'pt-BR'")
    viewer.wait_for_function("() => document.querySelector('video').currentTime > 0.5 && "
                             "!document.querySelector('video').paused")
    path = urlsplit(link).path
    assert any(p.startswith(f"{path}hls/pt-BR/") for p in requests), requests
    viewer.get_by_label("Language", exact=True).select_option(label="English")
    viewer.wait_for_function("() => window.contentizerPlayer.audio === 'en'")


@pytest.mark.parametrize("width", [390, 1280])
def test_the_dub_page_fits_the_screen_and_works_with_a_keyboard(open_context, live_server, alice, alice_api,
                                                                alice_project, tmp_path, width):
    from tests.browser.test_every_page_at_390 import CHECKS

    asset = upload(alice_api, alice_project.id, "tone.wav", media.make_av(tmp_path, "tone.wav").read_bytes())
    dub_id = alice_api.post("/api/v1/dubs", {"projectId": alice_project.id, "asset": asset["id"],
                                             "sourceLanguage": "en", "targetLanguages": ["pt-BR"]},
                            format="json").json()["dubId"]
    dub = Dub.objects.get(pk=dub_id)
    dub.segments = [{"index": 0, "start": 0.1, "end": 0.9, "text": "Hello.", "edited": False, "words": [],
                     "translations": {"pt-BR": {"text": "Olá.", "edited": False, "source": "Hello.", "pair": "x"}}}]
    dub.save()
    Job.objects.filter(pk=dub.job_id).update(status="succeeded")
    context = open_context(width, 900)
    log_in(context, alice, live_server.url)
    page = context.new_page()
    page.goto(f"/dubs/{dub_id}/")
    problems = page.evaluate(CHECKS)
    assert problems["scroll"] <= width and problems["unlabelled"] == [] and problems["nameless"] == []
    assert problems["small"] == [], problems["small"]
    page.get_by_label("Portuguese (Brazil)").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("Olá a todos.")
    page.keyboard.press("Tab")  # to the seek button of nothing more, then the save buttons
    page.get_by_role("button", name="Save corrections").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="1 segment corrected")).to_be_visible()
    assert Dub.objects.get(pk=dub_id).segments[0]["translations"]["pt-BR"]["text"] == "Olá a todos."
    if width > 390:  # the bar's "Log out alice" reads as words: a space drawn between "out" and the name
        gap = page.locator(".wide-nav button.link").evaluate(
            "b => { const r = document.createRange(); r.selectNodeContents(b.firstChild); "
            "return b.querySelector('.who').getBoundingClientRect().left - r.getBoundingClientRect().right; }")
        assert gap >= 3, gap
    page.screenshot(path=str(tmp_path / f"dub-{width}.png"), full_page=True)
