"""A share link in the browser (issue 20.5): made before a fix, it plays the fixed video; its embed plays
inside an iframe on a page of another origin, and the plays are counted on the link."""

from __future__ import annotations

import http.server
import threading
from functools import partial
from urllib.parse import urlsplit

import pytest

from previews import shares
from previews.models import Share, Video
from tests.browser.conftest import text_of
from tests.previews.helpers import chapter_with_steps
from tests.previews.test_videos import _generate, _wait

pytestmark = pytest.mark.django_db(transaction=True)


def _video(api, project_id: int, chapter_id: int) -> Video:
    accepted = _generate(api, project_id, chapter_id, resolution="480p")
    assert _wait(api, accepted["jobId"])["status"] == "succeeded"
    return Video.objects.get(pk=accepted["videoId"])


@pytest.fixture
def other_origin(tmp_path):
    """A plain web server on another port (and host name): another origin, as a blog embedding the video."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_link_follows_the_fix_and_its_embed_plays_on_another_site(open_context, live_server, worker, alice_api,
                                                                   alice_project, other_origin):
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": "Open the setings", "duration": 1.5}, {"caption": "Save", "duration": 1.5}])
    first = _video(alice_api, alice_project.id, chapter["id"])
    link = shares.share_path(shares.share_create(video=first, lifetime="never"))
    step = alice_api.get(f"/api/chapters/{chapter['id']}/steps").json()["results"][0]
    alice_api.patch(f"/api/steps/{step['id']}", {"caption": "Open the settings"}, format="json")
    _video(alice_api, alice_project.id, chapter["id"])

    page = open_context().new_page()  # logged out
    page.goto(link)
    steps = text_of(page.get_by_role("list").filter(has_text="Open the"))
    assert "Open the settings" in steps and "setings" not in steps

    folder, origin = other_origin
    assert urlsplit(origin).netloc != urlsplit(live_server.url).netloc
    (folder / "blog.html").write_text(
        f'<!doctype html><title>A blog</title><h1>My post</h1>'
        f'<iframe id="player" src="{live_server.url}{link}embed" width="640" height="400"></iframe>')
    blog = open_context().new_page()
    blog.goto(f"{origin}/blog.html")
    frame = blog.frame_locator("#player")
    video = frame.locator("video")
    video.evaluate("v => { v.muted = true; return v.play(); }")
    frame_handle = blog.frame(url=lambda url: url.endswith(f"{link}embed"))
    assert frame_handle is not None, "the iframe loaded the embed"
    frame_handle.wait_for_function("() => document.querySelector('video').currentTime > 0.5")
    assert frame_handle.evaluate("() => document.querySelector('video').videoWidth") == 854
    page_text = frame_handle.evaluate("() => document.body.innerText")
    assert "Open the settings" in page_text
    frame_handle.wait_for_function("() => document.querySelector('video').ended", timeout=20_000)
    share = Share.objects.get()
    for _ in range(50):
        share.refresh_from_db()
        if share.plays_finished:
            break
        blog.wait_for_timeout(100)
    assert (share.plays_started, share.plays_finished) == (1, 1)
