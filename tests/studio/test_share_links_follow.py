"""Links that follow the latest version (issue 20.5): a share link plays the newest finished video of its
chapter in its shape and resolution, lives from an hour to until revoked, counts plays started and
finished, and has an embeddable player that is the only page other sites may frame."""

from __future__ import annotations

import hashlib

import pytest

from previews.models import Share
from tests.previews.helpers import chapter_with_steps
from tests.previews.test_videos import _generate, _wait
from tests.studio.test_projects import _text

pytestmark = pytest.mark.django_db(transaction=True)


def _made(api, project_id: int, chapter_id: int, **shape) -> str:
    accepted = _generate(api, project_id, chapter_id, resolution="480p", **shape)
    assert _wait(api, accepted["jobId"])["status"] == "succeeded"
    return accepted["videoId"]


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_link_made_before_a_fix_plays_the_new_video_of_its_shape(alice_api, alice_project, worker, client):
    chapter = chapter_with_steps(alice_api, alice_project.id, [{"caption": "Open the setings", "duration": 1}])
    first = _made(alice_api, alice_project.id, chapter["id"])
    portrait = _made(alice_api, alice_project.id, chapter["id"], aspect="9:16")
    link = alice_api.post(f"/api/videos/{first}/shares", {"expiresIn": "never"}, format="json").json()
    assert link["expiresAt"] is None and link["active"] and link["embedUrl"] == link["url"] + "embed"
    path = link["url"].split("testserver", 1)[1]
    before = _sha(_body(client.get(f"{path}video.mp4")))
    assert before == _sha(_body(alice_api.get(f"/api/videos/{first}/download")))

    step = alice_api.get(f"/api/chapters/{chapter['id']}/steps").json()["results"][0]
    alice_api.patch(f"/api/steps/{step['id']}", {"caption": "Open the settings"}, format="json")
    fixed = _made(alice_api, alice_project.id, chapter["id"])
    now = _sha(_body(client.get(f"{path}video.mp4")))
    assert now == _sha(_body(alice_api.get(f"/api/videos/{fixed}/download"))) and now != before
    page = _text(client.get(path))
    assert "Open the settings" in page and "Open the setings" not in page and "Shared with you · 0:0" in page
    # the portrait video is another variant: the link did not switch to it, and a link of it plays it
    assert now != _sha(_body(alice_api.get(f"/api/videos/{portrait}/download")))
    portrait_link = alice_api.post(f"/api/videos/{portrait}/shares", {"expiresIn": "30d"}, format="json").json()
    assert portrait_link["expiresAt"] is not None
    portrait_path = portrait_link["url"].split("testserver", 1)[1]
    assert _sha(_body(client.get(f"{portrait_path}video.mp4"))) == _sha(
        _body(alice_api.get(f"/api/videos/{portrait}/download")))

    # revoked: the link and everything under it stop at once
    assert alice_api.delete(f"/api/videos/{first}/shares/{link['id']}").status_code == 204
    assert client.get(path).status_code == 404 and client.get(f"{path}video.mp4").status_code == 404


def test_plays_are_counted_on_the_link_and_shown_to_the_author(alice_api, alice_project, worker, client, alice):
    chapter = chapter_with_steps(alice_api, alice_project.id, [{"caption": "Counted", "duration": 1}])
    video = _made(alice_api, alice_project.id, chapter["id"])
    link = alice_api.post(f"/api/videos/{video}/shares", {}, format="json").json()
    path = link["url"].split("testserver", 1)[1]
    for event in ("started", "started", "finished"):
        assert client.post(f"{path}plays", {"event": event}, content_type="application/json").status_code == 204
    refused = client.post(f"{path}plays", {"event": "liked"}, content_type="application/json")
    assert refused.status_code == 400 and b"started or finished" in refused.content
    assert client.post("/s/forged:token/plays", {"event": "started"}, content_type="application/json"
                       ).status_code == 404
    listed = alice_api.get(f"/api/videos/{video}/shares").json()["results"][0]
    assert (listed["playsStarted"], listed["playsFinished"]) == (2, 1)
    client.force_login(alice)
    chapter_page = _text(client.get(f"/chapters/{chapter['id']}/"))
    assert "Share links" in chapter_page and "2 plays started · 1 watched to the end" in chapter_page
    assert "16:9 landscape · 480p" in chapter_page and "expires" in chapter_page
    # revoking from the chapter page comes back to it
    share = Share.objects.get()
    response = client.post(f"/videos/{video}/shares/{share.id}/revoke", {"return_to": "chapter"})
    assert response.status_code == 302 and response["Location"].startswith(f"/chapters/{chapter['id']}/")
    assert Share.objects.get().revoked_at is not None


def test_only_the_embed_may_be_framed(alice_api, alice_project, worker, client):
    chapter = chapter_with_steps(alice_api, alice_project.id, [{"caption": "Embedded", "duration": 1}])
    video = _made(alice_api, alice_project.id, chapter["id"])
    link = alice_api.post(f"/api/videos/{video}/shares", {"expiresIn": "1h"}, format="json").json()
    path = link["url"].split("testserver", 1)[1]
    embed = client.get(f"{path}embed")
    assert embed.status_code == 200 and "X-Frame-Options" not in embed
    assert "frame-ancestors *" in embed["Content-Security-Policy"]
    assert 'data-plays="' in embed.content.decode() and "<nav" not in embed.content.decode()
    page = client.get(path)
    assert page["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert client.get("/").get("X-Frame-Options") == "DENY"
