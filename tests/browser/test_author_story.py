"""The whole author story in Chromium: from logged out to a shared, two-language video."""

from __future__ import annotations

import contextlib
import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError

from assets.models import Asset, Upload
from contentizer.models import Project, Step
from previews.models import Share, Video
from tests import media
from tests.browser.conftest import text_of
from tests.conftest import ON_S3

pytestmark = pytest.mark.django_db(transaction=True)

STEPS = [
    ("Take the wheel off", "Open the brake and take the wheel off.", "Öffnen Sie die Bremse und nehmen Sie das Rad ab.",
     "wheel.png"),
    ("Find the hole", "Pump the tyre up and listen for the hole.", "Pumpen Sie den Reifen auf und suchen Sie das Loch.",
     "tube.png"),
    ("Patch it", "Glue the patch over the hole.", "Kleben Sie den Flicken auf das Loch.", "patch.png"),
]
GERMAN_CAPTIONS = {"Take the wheel off": "Rad abnehmen", "Find the hole": "Loch finden", "Patch it": "Flicken"}
STAGES = {"plan", "narrate", "captions", "render", "mix", "package"}


def _pictures(directory) -> dict[str, str]:
    """Files on disk: choosing one again after a reload is the same file (name, size, mtime)."""
    paths = {}
    for i, (*_, name) in enumerate(STEPS):
        (directory / name).write_bytes(media.noise_png((200, 200), seed=i))
        paths[name] = str(directory / name)
    return paths


def test_an_author_makes_watches_and_shares_a_two_language_tutorial(page, open_context, live_server, worker,
                                                                    settings, tmp_path):
    settings.TUS_CHUNK_BYTES = 64 * 1024  # each 120 kB picture goes in two chunks
    get_user_model().objects.create_user("alice", "alice@example.org", "correct horse battery")

    # logged out: the studio sends a person to the login page
    page.goto("/")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("heading", name="Your projects").is_visible()

    # a project in English and German
    page.get_by_label("Title").fill("Fix a flat tyre")
    page.get_by_label("Languages").fill("en, de")
    page.get_by_role("button", name="Create project").click()
    assert page.get_by_text("Languages: English (default), German").is_visible()
    project = Project.objects.get()
    assert project.languages == ["en", "de"]

    _upload_three_pictures_one_resumed_after_a_reload(page, project, _pictures(tmp_path))

    # a chapter with three steps written in both languages
    page.goto(f"/projects/{project.pk}/")
    page.get_by_label("New chapter title").fill("Front wheel")
    page.get_by_role("button", name="Add chapter").click()
    for caption, english, german, picture in STEPS:
        card = page.get_by_role("form", name="New step")
        card.get_by_label("Caption (English)").fill(caption)
        card.get_by_label("Caption (German)").fill(GERMAN_CAPTIONS[caption])
        card.get_by_label("Narration (English)").fill(english)
        card.get_by_label("Narration (German)").fill(german)
        card.get_by_label("Duration (seconds)", exact=True).fill("1.5")
        card.get_by_label("Transition to the next step").select_option(label="Cross-fade")
        card.get_by_label("Transition duration (seconds)").fill("0.3")
        card.get_by_role("radio", name=picture).check()
        card.get_by_role("button", name="Add step").click()
        assert page.get_by_role("status").filter(has_text="added.").is_visible()
    saved = list(Step.objects.order_by("position").values_list("caption", "narration", "asset__original_name"))
    assert saved == [({"en": c, "de": GERMAN_CAPTIONS[c]}, {"en": en, "de": de}, pic) for c, en, de, pic in STEPS]

    # preview: it plays inline once ready
    page.get_by_role("button", name="Preview", exact=True).click()
    preview = page.get_by_role("region", name="Preview and video").locator("video")
    preview.wait_for(timeout=90_000)
    page.wait_for_function("() => document.querySelector('video.player').readyState >= 1", timeout=30_000)
    # narrated, so longer than the typed 1.5 s steps: as long as the video's English picture (checked below)
    previewed = preview.evaluate("v => v.duration")
    assert previewed > 3 * 1.5 - 2 * 0.3 + 1

    # generate: languages in project order; the job page follows it live, stage by stage
    page.get_by_role("link", name="Generate video…").click()
    boxes = page.get_by_role("group", name="Languages").get_by_role("checkbox")
    assert [boxes.nth(i).evaluate("b => [b.value, b.checked]") for i in range(boxes.count())] == [
        ["en", True], ["de", True]]
    page.get_by_role("button", name="Generate video").click()
    seen = _follow_live_progress(page)
    # the page changed by itself while the job ran: it showed a running stage and something else (waiting,
    # another stage, done); which stages a fast job passes through between two looks is the machine's business
    assert seen & STAGES and len(seen) >= 2, seen
    page.get_by_role("link", name="Watch the video").click()
    english = Video.objects.get().picture("en")["duration"]
    assert abs(previewed - english) <= 1 / 30 + 0.03, (previewed, english)  # the preview told the truth

    _watch_switching_audio_and_subtitles(page)
    _watch_where_hls_cannot_play(open_context, page.context, page.url)

    # share for an hour; the link plays in a fresh, logged-out browser
    page.get_by_label("Link works for").select_option(label="1 hour")
    page.get_by_role("button", name="Share", exact=True).click()
    link = page.get_by_label(re.compile(r"^Share link, expires")).input_value()
    share = Share.objects.get()
    assert timedelta(minutes=59) < share.expires_at - timezone.now() <= timedelta(hours=1)
    _stranger_plays(open_context, link)

    # a tampered link and an expired link are pages a person understands, with a 404
    stranger = open_context().new_page()
    tampered = link[:-2] + ("xy" if not link.endswith("xy/") else "zz") + "/"
    response = stranger.goto(tampered)
    assert response.status == 404 and stranger.get_by_role("heading", name="This link does not work").is_visible()
    Share.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = stranger.goto(link)
    assert response.status == 404 and "may have expired" in text_of(stranger.locator("main"))


def _upload_three_pictures_one_resumed_after_a_reload(page, project: Project, files: dict[str, str]) -> None:
    sent: list[tuple[str, str, str]] = []
    page.on("request", lambda r: sent.append((r.method, urlsplit(r.url).path, r.headers.get("upload-offset", "")))
            if "/api/uploads" in r.url else None)
    held, holding = [], [True]

    def hold_the_second_half_of_the_patch_picture(route) -> None:
        request = route.request
        upload = Upload.objects.filter(pk=request.url.rsplit("/", 1)[-1]).first() if request.method == "PATCH" else None
        if holding[0] and upload and upload.filename == "patch.png" and request.headers.get("upload-offset") != "0":
            held.append(route)  # never answered: the connection hangs half-way
        else:
            route.continue_()

    page.get_by_role("link", name="Open the asset library").click()
    page.route("**/api/uploads/*", hold_the_second_half_of_the_patch_picture)
    # the library's script has taken over the form (many files at once, each with its progress bar)
    page.wait_for_function("() => document.getElementById('library-files').multiple")
    page.get_by_label("Choose files").set_input_files(list(files.values()))
    uploads = page.get_by_role("list", name="Uploads")
    for name in ("wheel.png", "tube.png"):
        uploads.get_by_role("listitem").filter(has_text=name).get_by_text("Uploaded").wait_for()
    page.wait_for_function("() => !!document.querySelector('progress[aria-label=\"Upload of patch.png\"]') && "
                           "document.querySelector('progress[aria-label=\"Upload of patch.png\"]').value >= 50")
    half = Upload.objects.get(filename="patch.png")
    assert 0 < half.offset < half.length and half.asset is None
    assert held, "the second half never left the browser"
    holding[0] = False
    page.reload()  # the person reloads; the hanging request dies with the page that sent it
    for route in held:
        with contextlib.suppress(PlaywrightError):  # the browser may have dropped it already
            route.abort()
    sent.clear()
    page.get_by_label("Choose files").set_input_files(files["patch.png"])
    page.wait_for_load_state()
    page.get_by_role("heading", name="Files").wait_for()
    page.wait_for_function("() => document.querySelectorAll('.asset-grid li').length === 3", timeout=20_000)
    assert sorted(Asset.objects.filter(project=project).values_list("original_name", flat=True)) == [
        "patch.png", "tube.png", "wheel.png"]
    methods = [(method, offset) for method, path, offset in sent if path.endswith(str(half.id))]
    assert ("POST", "") not in [(m, o) for m, _, o in sent], sent  # resumed: no new upload was created
    assert methods[0][0] == "HEAD" and ("PATCH", str(half.offset)) in methods, methods
    assert Upload.objects.get(pk=half.pk).asset.original_name == "patch.png"
    page.unroute("**/api/uploads/*")


def _follow_live_progress(page) -> set[str]:
    status = page.get_by_role("status").filter(has=page.locator("[data-job-field=status]")).first
    stage = page.locator("[data-job-field=stage]").first
    seen: set[str] = set()
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            seen.add(stage.inner_text(timeout=2000))
            if page.get_by_role("link", name="Watch the video").count():
                return seen
        except PlaywrightError:  # the page reloads itself when the job ends
            continue
        finally:
            time.sleep(0.2)
    raise AssertionError(f"the video did not finish; saw stages {seen}, status {status.inner_text()}")


def _watch_switching_audio_and_subtitles(page) -> None:
    player = page.locator("figure[data-player]")
    page.wait_for_function("() => window.contentizerPlayer && window.contentizerPlayer.hls && "
                           "window.contentizerPlayer.hls.audioTracks.length === 1")  # each language its own picture
    assert player.get_attribute("data-mode") == "hls.js"
    assert page.get_by_label("Language", exact=True).evaluate("s => s.selectedOptions[0].text") == "English"
    audio_requests = []
    page.on("request", lambda r: audio_requests.append(r.url) if "/audio_de/" in r.url else None)
    page.locator("video").evaluate("v => { v.muted = true; }")

    page.get_by_label("Subtitles").select_option(label="English")
    page.get_by_role("button", name=re.compile(r"Take the wheel off")).click()  # seeks to step 1 and plays
    page.wait_for_function("() => document.querySelector('[data-captions]').textContent.includes('Open the brake')")

    page.get_by_label("Language", exact=True).select_option(label="German")  # picture, audio and subtitles
    page.wait_for_selector("figure[data-language=de]")
    page.get_by_label("Subtitles").select_option(label="German")
    page.wait_for_selector("figure[data-audio-language=de][data-subtitle-language=de]")
    assert page.evaluate("() => { const h = window.contentizerPlayer.hls; return h.audioTracks[h.audioTrack].lang; }") \
        == "de"
    assert page.get_by_role("status").filter(has_text="Playing German audio, German subtitles.").is_visible()
    # cues sit where the steps are (HLS subtitles mapped to the segments' timestamps)
    page.wait_for_function("() => [...document.querySelector('video').textTracks]"
                           ".some((t) => t.language === 'de' && t.cues && t.cues.length === 3)")
    starts = page.evaluate("() => [...[...document.querySelector('video').textTracks]"
                           ".find((t) => t.language === 'de' && t.cues).cues].map((c) => c.startTime)")
    steps = [float(s) for s in page.locator("[data-seek]").evaluate_all("bs => bs.map((b) => b.dataset.seek)")]
    assert all(abs(cue - step) < 0.1 for cue, step in zip(starts, steps, strict=True)), (starts, steps)
    page.get_by_role("button", name=re.compile(r"Loch finden")).click()  # step 2, named and timed in German
    page.wait_for_function("() => document.querySelector('[data-captions]').textContent.includes('Pumpen Sie')")
    assert "Pump the tyre" not in page.locator("[data-captions]").inner_text()
    page.wait_for_function("() => document.querySelector('video').currentTime > 2.5")
    assert any("/audio_de/" in url and url.endswith(".ts") for url in audio_requests), audio_requests


def _watch_where_hls_cannot_play(open_context, author, url: str) -> None:
    """A browser with neither Media Source Extensions nor native HLS gets the MP4 with its WebVTT
    tracks; the subtitle menu still works."""
    context = open_context()
    context.add_cookies(author.cookies())
    context.add_init_script("""delete window.MediaSource; delete window.ManagedMediaSource;
        const canPlay = HTMLMediaElement.prototype.canPlayType;
        HTMLMediaElement.prototype.canPlayType = function (type) {
          return /mpegurl/i.test(type) ? "" : canPlay.call(this, type);
        };""")
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("figure[data-mode=mp4]")
    assert page.locator("video").evaluate("v => v.currentSrc").endswith("/stream")
    page.locator("video").evaluate("v => { v.muted = true; }")
    page.get_by_label("Language", exact=True).select_option(label="German")  # the German MP4, its own picture
    page.wait_for_function("() => document.querySelector('video').currentSrc.endsWith('/stream?language=de')")
    page.get_by_label("Subtitles").select_option(label="German")
    page.get_by_role("button", name=re.compile(r"Flicken")).click()
    page.wait_for_function("() => document.querySelector('[data-captions]').textContent.includes('Kleben Sie')")
    context.close()


def _stranger_plays(open_context, link: str) -> None:
    stranger = open_context().new_page()
    requests, storage = [], []
    app = urlsplit(link).netloc
    # blob: URLs are the player's own buffers, not requests to a server; on S3 the segments come
    # from the bucket through presigned URLs the link's routes redirected to
    stranger.on("request", lambda r: (requests if urlsplit(r.url).netloc == app else storage).append(
        urlsplit(r.url)) if r.url.startswith("http") else None)
    response = stranger.goto(link)
    assert response.status == 200 and stranger.get_by_role("heading", name="Front wheel").is_visible()
    stranger.wait_for_function("() => window.contentizerPlayer && window.contentizerPlayer.mode === 'hls.js' && "
                               "window.contentizerPlayer.hls.levels.length > 0")
    stranger.locator("video").evaluate("v => { v.muted = true; return v.play(); }")
    stranger.wait_for_function("() => document.querySelector('video').currentTime > 1")
    prefix = urlsplit(link).path
    endpoint = urlsplit(django_settings.STORAGES["default"].get("OPTIONS", {}).get("endpoint_url") or "").netloc
    assert all(ON_S3 and url.netloc == endpoint and "X-Amz-Signature=" in url.query for url in storage), storage
    requests = [url.path for url in requests]
    media_requests = [p for p in requests if not p.startswith("/static/")]
    assert media_requests and all(p.startswith(prefix) for p in media_requests), media_requests
    assert not any(p.startswith("/api/") for p in requests)
