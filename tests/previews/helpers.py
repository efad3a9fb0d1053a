"""Building a real chapter through the API for preview tests."""

from __future__ import annotations

import time

from tests import media
from tests.conftest import upload_file

RED, BLUE, GREEN = (220, 30, 30), (30, 30, 220), (30, 200, 30)


def upload(client, project_id: int, name: str, content: bytes) -> dict:
    response = upload_file(client, project_id, name, content)
    assert response.status_code in (200, 201), response.json()
    return response.json()


def chapter_with_steps(client, project_id: int, steps: list[dict]) -> dict:
    chapter = client.post(f"/api/projects/{project_id}/chapters", {"title": "Chapter"}, format="json").json()
    for step in steps:
        response = client.post(f"/api/chapters/{chapter['id']}/steps", step, format="json")
        assert response.status_code == 201, response.json()
    return chapter


def three_colour_chapter(client, project_id: int, *, duration: float = 2.0, narration: dict | None = None) -> dict:
    """Red, blue, green slides; dissolve between the first two, fade into the third."""
    red = upload(client, project_id, "red.png", media.image_bytes("PNG", (640, 360), RED))
    blue = upload(client, project_id, "blue.jpg", media.image_bytes("JPEG", (1280, 720), BLUE))
    green = upload(client, project_id, "green.png", media.image_bytes("PNG", (400, 400), GREEN))
    return chapter_with_steps(client, project_id, [
        {"caption": "Open the menu", "asset": red["id"], "duration": duration, "transition": "dissolve",
         "transitionDuration": 0.5},
        {"caption": "", "asset": blue["id"], "duration": duration, "transition": "fade", "transitionDuration": 0.5},
        {"caption": "Done", "asset": green["id"], "duration": duration},
    ])


def post_preview(client, project_id: int, request: dict, HTTP_X_REQUEST_ID: str | None = None, **body):
    headers = {"HTTP_X_REQUEST_ID": HTTP_X_REQUEST_ID} if HTTP_X_REQUEST_ID else {}
    return client.post(
        "/api/preview", {"projectId": project_id, "previewRequest": request, **body}, format="json", **headers
    )


def wait_finished(client, job_id: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.get(f"/api/preview/{job_id}/status").json()
        if status["status"] not in ("queued", "running"):
            return status
        time.sleep(0.25)
    raise AssertionError(f"job {job_id} still {status['status']} after {timeout}s")


def download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)
