"""The scaled-out deployment for real: a web process and a worker on separate DATA_DIRs, both
on S3 (moto's server), producing a video and serving it through presigned redirects."""

from __future__ import annotations

import io
import uuid

import av
import m3u8
import pytest
import requests
from rest_framework.authtoken.models import Token

from tests import media
from tests.conftest import s3_env, stored_files, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _api(base: str, user) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Token {Token.objects.create(user=user).key}"
    session.base = base
    return session


def _post(session: requests.Session, path: str, expected: int = 201, **kwargs) -> dict:
    response = session.post(f"{session.base}{path}", timeout=60, **kwargs)
    assert response.status_code == expected, response.text
    return response.json()


def test_a_video_made_on_another_disk_is_served_from_s3_by_presigned_redirects(
    alice, bob, web_servers, workers, moto_s3, isolated_storage
):
    env = s3_env(moto_s3, bucket=f"scale-{uuid.uuid4().hex[:12]}", location="media")
    web = web_servers.start(**env)
    workers.start(**env, JOB_HEARTBEAT_SECONDS="0.3")
    api, other = _api(web, alice), _api(web, bob)
    project = _post(api, "/api/projects", json={"title": "On S3"})
    image = _post(api, f"/api/projects/{project['id']}/assets",
                  files={"file": ("shot.png", media.image_bytes("PNG", (640, 360), (20, 120, 200)))})
    chapter = _post(api, f"/api/projects/{project['id']}/chapters", json={"title": "One"})
    _post(api, f"/api/chapters/{chapter['id']}/steps", json={
        "caption": "Hello", "asset": image["id"], "duration": 1.5, "narration": {"en": "Hello there."}})
    accepted = _post(api, "/api/videos/generate", 202, json={"projectId": project["id"], "chapterId": chapter["id"]})
    status = wait_for(lambda: (s := api.get(f"{web}/api/videos/jobs/{accepted['jobId']}/status").json())["status"]
                      not in ("queued", "running") and s, timeout=240, interval=0.5)
    assert status["status"] == "succeeded", status
    video = api.get(f"{web}/api/videos/{accepted['videoId']}").json()

    redirect = api.get(f"{web}{video['urls']['download']}", allow_redirects=False)
    assert redirect.status_code == 302 and redirect.headers["Location"].startswith(moto_s3)
    assert "X-Amz-Signature=" in redirect.headers["Location"] and "X-Amz-Expires=300" in redirect.headers["Location"]
    whole = requests.get(redirect.headers["Location"], timeout=60)  # no credentials: the URL is the grant
    assert whole.status_code == 200 and len(whole.content) == video["size"]
    assert whole.headers["Content-Disposition"].startswith("attachment")
    with av.open(io.BytesIO(whole.content)) as container:
        assert [s.type for s in container.streams][:2] == ["video", "audio"]
        assert abs(container.duration / 1e6 - video["duration"]) < 0.1

    ranged = api.get(f"{web}{video['urls']['stream']}", headers={"Range": "bytes=100-199"})  # follows the redirect
    assert ranged.status_code == 206 and ranged.content == whole.content[100:200]
    assert api.get(f"{web}{video['urls']['stream']}", headers={"Range": f"bytes={video['size']}-"}).status_code == 416

    master = api.get(f"{web}{video['urls']['hls']}", allow_redirects=False)
    assert master.status_code == 200, "playlists come from the web process: their references are relative"
    playlist_uri = m3u8.loads(master.text).playlists[0].uri
    base = video["urls"]["hls"].rsplit("/", 1)[0]
    playlist = api.get(f"{web}{base}/{playlist_uri}")
    segment_url = f"{web}{base}/{playlist_uri.rsplit('/', 1)[0]}/{m3u8.loads(playlist.text).segments[0].uri}"
    segment = api.get(segment_url, allow_redirects=False)
    assert segment.status_code == 302 and requests.get(segment.headers["Location"], timeout=60).content

    assert other.get(f"{web}{video['urls']['download']}", allow_redirects=False).status_code == 404
    assert other.get(segment_url, allow_redirects=False).status_code == 404
    # nothing was kept on either machine's disk: the storage is the only place media lives
    assert stored_files(isolated_storage / "web-0" / "media") == [] and stored_files(workers.data_dir / "media") == []
