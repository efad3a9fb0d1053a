"""Every page at 390 × 844 (a phone): no horizontal scrolling, every control labelled, reachable by
keyboard with a visible focus, nothing from another origin, and a sensible empty state."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from contentizer import services
from contentizer.jobs.models import JobStatus
from contentizer.models import Project
from previews import shares
from previews.models import Video
from tests import media
from tests.browser.conftest import log_in, text_of
from tests.conftest import wait_for
from tests.previews.helpers import post_preview, upload

pytestmark = pytest.mark.django_db(transaction=True)
WIDTH, HEIGHT = 390, 844

CHECKS = (Path(__file__).with_name("page_checks.js")).read_text()


def _check(page, path: str, shots: Path | None) -> str:
    problems = page.evaluate(CHECKS)
    assert problems["scroll"] <= WIDTH, (path, problems["scroll"], problems["wide"])
    assert problems["unlabelled"] == [], (path, problems["unlabelled"])
    assert problems["nameless"] == [], (path, problems["nameless"])
    assert problems["foreign"] == [] and problems["resources"] == [], (path, problems)
    assert problems["small"] == [], (path, "tap targets under 44 px", problems["small"])
    assert problems["navLines"] == 1, (path, "the navigation takes more than one line")
    page.keyboard.press("Tab")
    first = page.evaluate("() => [document.activeElement.textContent.trim(), "
                          "getComputedStyle(document.activeElement).outlineStyle]")
    assert first[0] in ("Skip to content", ""), (path, first)
    for _ in range(6):  # the next stops are real controls, each with a visible focus ring
        page.keyboard.press("Tab")
        focus = page.evaluate("() => { const el = document.activeElement; const r = el.getBoundingClientRect(); "
                              "return [el.tagName, getComputedStyle(el).outlineStyle, r.width > 0 && r.height > 0]; }")
        if focus[0] == "BODY":
            break
        assert focus[1] != "none" and focus[2], (path, focus)
    if shots:
        page.screenshot(path=str(shots / (path.strip("/").replace("/", "_").replace("?", "_") or "home")) + ".png",
                        full_page=True)
    return text_of(page.locator("main"))


@pytest.fixture
def studio(alice, alice_api, worker):
    project = Project.objects.create(owner=alice, title="Phone-sized tutorial", languages=["en", "de"])
    picture = upload(alice_api, project.pk, "a-very-long-file-name-of-a-screenshot-taken-on-a-phone.png",
                     media.image_bytes("PNG", (640, 360)))
    chapter = services.chapter_create(project=project, title="A chapter whose title is rather long for a phone")
    services.step_create(chapter=chapter, caption={"en": "Tap Settings", "de": "Einstellungen"},
                         narration={"en": "Tap Settings.", "de": "Tippen."},
                         asset_id=picture["id"], duration=1.0)
    dry = post_preview(alice_api, project.pk, {"chapterId": chapter.pk}, dryRun=True).json()["jobId"]
    generated = alice_api.post("/api/videos/generate", {"projectId": project.pk, "chapterId": chapter.pk},
                               format="json").json()
    video = wait_for(lambda: Video.objects.filter(pk=generated["videoId"], job__status=JobStatus.SUCCEEDED)
                     .exclude(mp4_key="").first(), timeout=180)
    export = alice_api.post("/api/export", {"projectId": project.pk}, format="json").json()["exportId"]
    share = shares.share_create(video=video, lifetime="1h")
    return {"project": project, "chapter": chapter, "dry": dry, "video": video, "export": export, "share": share}


def test_every_page_fits_a_phone_and_works_with_a_keyboard(open_context, live_server, alice, bob, studio):
    shots = Path(os.environ["STUDIO_SHOTS"]) if os.environ.get("STUDIO_SHOTS") else None
    if shots:
        shots.mkdir(parents=True, exist_ok=True)
    project, chapter, video = studio["project"], studio["chapter"], studio["video"]
    author = open_context(WIDTH, HEIGHT)
    log_in(author, alice, live_server.url)
    page = author.new_page()
    pages = [
        "/", f"/projects/{project.pk}/", f"/projects/{project.pk}/delete", f"/projects/{project.pk}/assets/",
        f"/projects/{project.pk}/assets/?kind=video", f"/chapters/{chapter.pk}/", f"/chapters/{chapter.pk}/delete",
        f"/chapters/{chapter.pk}/video/", "/jobs/", f"/jobs/{studio['dry']}/", f"/jobs/{video.job_id}/",
        f"/jobs/{studio['export']}/", f"/videos/{video.id}/", "/no-such-page/",
    ]
    texts = {}
    for path in pages:
        page.goto(path)
        if path.startswith("/videos/"):
            page.wait_for_function("() => window.contentizerPlayer && window.contentizerPlayer.mode")
        texts[path] = _check(page, path, shots)
    assert "No video files in this project." in texts[f"/projects/{project.pk}/assets/?kind=video"]
    # the picture picker shows which picture is chosen, its whole name, none of it clipped
    page.goto(f"/chapters/{chapter.pk}/")
    chosen = page.locator("li.step label.thumb:has(input:checked)")
    assert chosen.locator(".thumb-name").inner_text() == "a-very-long-file-name-of-a-screenshot-taken-on-a-phone.png"
    clipped = chosen.evaluate("(label) => [label, label.querySelector('.thumb-name')].some((el) => "
                              "el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1)")
    assert clipped is False
    assert chosen.evaluate("(label) => getComputedStyle(label).boxShadow") != "none", "the chosen one is marked"
    # the navigation is one line: a Menu that opens the same links
    page.locator(".menu summary").click()
    for name in ("Projects", "Jobs", "Webhooks", "API docs"):
        assert page.get_by_role("navigation", name="Main menu").get_by_role("link", name=name).is_visible()
    assert "There is nothing here" in texts["/no-such-page/"]

    page.goto("/")
    page.get_by_role("button", name="Create project").click()  # a form with its errors shown
    assert "problem" in _check(page, "/projects/new", shots)

    empty = open_context(WIDTH, HEIGHT)
    log_in(empty, bob, live_server.url)
    blank = empty.new_page()
    for path, expected in (("/", "No projects yet."), ("/jobs/", "No jobs yet.")):
        blank.goto(path)
        assert expected in _check(blank, f"{path}-empty", shots)

    stranger = open_context(WIDTH, HEIGHT).new_page()
    link = shares.share_path(studio["share"])
    for path in ("/accounts/login/", link, "/s/tampered:nonsense/"):
        stranger.goto(path)
        text = _check(stranger, urlsplit(path).path.replace(":", "_"), shots)
    assert "This link does not work" in text
