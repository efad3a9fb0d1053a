"""The Content-Security-Policy in Chromium: the studio, a shared video playing, the API docs and the
admin all work under it (the `open_context` fixture fails a test on any violation), and it does
block what it is there to block."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from contentizer.jobs.models import JobStatus
from previews import shares
from previews.models import Video
from tests import media
from tests.browser.conftest import csp_violations, log_in
from tests.conftest import wait_for
from tests.previews.helpers import chapter_with_steps, upload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def video(alice_api, alice_project, worker) -> Video:
    picture = upload(alice_api, alice_project.id, "slide.png", media.image_bytes("PNG", (640, 360)))
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": "Open the menu", "asset": picture["id"], "duration": 2, "narration": {"en": "Open the menu."}}])
    accepted = alice_api.post("/api/videos/generate", {"projectId": alice_project.id, "chapterId": chapter["id"],
                                                       "resolution": "480p"}, format="json")
    assert accepted.status_code == 202, accepted.json()
    return wait_for(lambda: Video.objects.filter(pk=accepted.json()["videoId"], job__status=JobStatus.SUCCEEDED)
                    .exclude(mp4_key="").first(), timeout=180)


def _visit(page, path: str) -> str:
    response = page.goto(path)
    assert response.status == 200, path
    return response.headers["content-security-policy"]


def _plays(page) -> None:
    page.wait_for_function("() => window.contentizerPlayer && window.contentizerPlayer.mode === 'hls.js' && "
                           "window.contentizerPlayer.hls.levels.length > 0")
    page.locator("video").evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.querySelector('video').currentTime > 1")


def test_the_studio_a_shared_video_the_api_docs_and_the_admin_work_under_the_policy(
        open_context, live_server, alice, alice_project, admin_user, video):
    author = open_context().new_page()
    log_in(author.context, alice, live_server.url)
    for path in ("/", f"/projects/{alice_project.id}/", f"/chapters/{video.chapter_id}/", f"/jobs/{video.job_id}/"):
        assert "script-src 'self';" in _visit(author, path), path
    assert "frame-ancestors 'none'" in _visit(author, f"/videos/{video.id}/")
    _plays(author)

    stranger = open_context().new_page()
    policy = _visit(stranger, shares.share_path(shares.share_create(video=video, lifetime="1h")))
    assert policy.startswith("default-src 'none';") and "form-action 'none'" in policy
    _plays(stranger)

    assert "script-src 'self';" in _visit(stranger, "/api/docs/")
    stranger.get_by_role("heading", name=re.compile("Contentizer API")).wait_for()
    stranger.get_by_text("/api/projects/{projectId}/chapters", exact=True).first.wait_for()

    operator = open_context().new_page()
    log_in(operator.context, admin_user, live_server.url)
    for path, heading in (("/admin/", "Site administration"), ("/admin/contentizer/job/", "Select job to change"),
                          (f"/admin/contentizer/job/{video.job_id}/change/", "Change job"),
                          ("/admin/auth/user/add/", "Add user")):
        assert "script-src 'self';" in _visit(operator, path), path
        assert operator.get_by_role("heading", name=heading).is_visible(), path
    operator.get_by_role("link", name="Jobs", exact=True).first.click()  # the admin's own scripts run
    operator.get_by_role("heading", name="Select job to change").wait_for()


def test_the_policy_refuses_inline_scripts_and_other_origins(browser, live_server, alice):
    context = browser.new_context(base_url=live_server.url)
    violations = csp_violations(context)
    page = context.new_page()
    log_in(context, alice, live_server.url)
    _visit(page, "/")
    with pytest.raises(Exception, match="Content Security Policy|Refused"):
        page.add_script_tag(content="window.injected = true;")
    page.evaluate("() => { const i = document.createElement('img'); i.src = 'https://tracker.example/p.gif';"
                  " document.body.append(i); }")
    wait_for(lambda: len(violations) >= 2, timeout=10)
    assert page.evaluate("() => window.injected") is None
    assert any("tracker.example" in v for v in violations), violations
    context.close()


def test_redoc_renders_with_nothing_from_another_site(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    violations = csp_violations(context)
    page = context.new_page()
    fetched = []
    page.on("requestfinished", lambda r: fetched.append(r.url) if r.url.startswith("http") else None)
    policy = _visit(page, "/api/redoc/")
    page.get_by_role("heading", name=re.compile("Contentizer API")).wait_for()
    page.get_by_text("API docs by Redocly").wait_for()
    assert "style-src 'self' 'unsafe-inline'" in policy and "script-src 'self';" in policy
    # Redoc's footer always asks for its maker's logo from their CDN: refused, so nothing leaves
    assert {urlsplit(url).netloc for url in fetched} == {urlsplit(live_server.url).netloc}, fetched
    assert all("cdn.redoc.ly/redoc/logo-mini.svg" in v for v in violations), violations
    context.close()
