"""Exports through HTTP and a worker: the zip, its container.json, limits, signed URLs, round trip."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from assets.models import Blob
from contentizer.jobs.models import Job
from tests import media
from tests.conftest import clear_cache, wait_for
from tests.previews.helpers import chapter_with_steps, upload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_throttle():
    clear_cache()


def _export(api, project_id: int, **body):
    return api.post("/api/export", {"projectId": project_id, **body}, format="json")


def _wait(api, export_id: str, timeout: float = 120) -> dict:
    return wait_for(lambda: (s := api.get(f"/api/export/{export_id}").json())["status"] not in ("queued", "running")
                    and s, timeout=timeout, interval=0.3)


def _tutorial(api, project_id: int, av_dir: Path) -> dict:
    image = upload(api, project_id, "screen.png", media.image_bytes("PNG", (640, 360), (20, 120, 200)))
    sound = upload(api, project_id, "tone.wav", (av_dir / "tone.wav").read_bytes())
    clip = upload(api, project_id, "clip.mp4", (av_dir / "clip.mp4").read_bytes())
    return chapter_with_steps(api, project_id, [
        {"caption": {"en": "Open it", "de": "Öffnen"}, "asset": image["id"], "duration": 1.5,
         "narration": {"en": "Open it.", "de": "Öffnen."}},
        {"caption": {"en": "Listen", "de": "Hören"}, "asset": sound["id"], "duration": 1.2,
         "narration": {"en": "Listen.", "de": "Hören."}},
        {"caption": {"en": "Watch", "de": "Schauen"}, "asset": clip["id"], "duration": 1.5,
         "narration": {"en": "Watch.", "de": "Schauen."}},
    ])


def test_a_tutorial_makes_the_round_trip_intact(alice_api, bob_api, alice_project, worker, av_dir, tmp_path, scrape):
    chapter = _tutorial(alice_api, alice_project.id, av_dir)
    video = alice_api.post("/api/videos/generate", {"projectId": alice_project.id, "chapterId": chapter["id"],
                                                    "languages": ["en", "de"]}, format="json").json()
    wait_for(lambda: alice_api.get(f"/api/videos/jobs/{video['jobId']}/status").json()["status"] == "succeeded",
             timeout=180, interval=0.3)
    accepted = _export(alice_api, alice_project.id, include={"assets": True, "subtitles": True, "renders": True})
    assert accepted.status_code == 202, accepted.json()
    status = _wait(alice_api, accepted.json()["exportId"])
    assert status["status"] == "succeeded" and status["bytesWritten"] == status["size"] > 0, status
    # the worker metrics of every kind are read from the job tables, whichever process ran them
    metrics = scrape()
    assert 'video_worker_jobs_total{outcome="success"} 1.0' in metrics
    assert 'export_worker_jobs_total{outcome="success"} 1.0' in metrics and "export_worker_active_jobs 0.0" in metrics
    # the signed URL works without the API token
    anonymous = alice_api.__class__()
    response = anonymous.get(status["signedUrl"])
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    data = b"".join(response.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    container = json.loads(archive.read("container.json"))
    slug = container["chapters"][0]["slug"]
    names = set(archive.namelist())
    assert {f"subtitles/{slug}/{lang}.{fmt}" for lang in ("en", "de") for fmt in ("srt", "vtt")} <= names
    assert f"renders/{slug}.mp4" in names and sum(n.startswith("assets/") for n in names) == 3
    for entry in container["files"]:
        body = archive.read(entry["path"])
        assert len(body) == entry["size"] and hashlib.sha256(body).hexdigest() == entry["sha256"]
        info = archive.getinfo(entry["path"])
        expected = zipfile.ZIP_DEFLATED if entry["kind"] == "subtitle" else zipfile.ZIP_STORED
        assert info.compress_type == expected, entry["path"]
    used = {f["path"]: f["usedBy"] for f in container["files"] if f["path"].startswith("assets/")}
    assert sorted(u[0]["step"] for u in used.values()) == [0, 1, 2]

    zip_path = tmp_path / "tutorial.zip"
    zip_path.write_bytes(data)
    with open(zip_path, "rb") as fh:
        imported = bob_api.post("/api/import", {"file": fh}, format="multipart")
    assert imported.status_code == 202, imported.json()
    job = wait_for(lambda: (b := bob_api.get(f"/api/v1/jobs/{imported.json()['id']}").json())["status"]
                   not in ("queued", "running") and b, timeout=60, interval=0.3)
    assert job["status"] == "succeeded", job
    project_id = job["result"]["projectId"]
    theirs = bob_api.get(f"/api/projects/{project_id}/chapters").json()["results"]
    mine = alice_api.get(f"/api/projects/{alice_project.id}/chapters").json()["results"]
    assert [c["title"] for c in theirs] == [c["title"] for c in mine]
    their_steps = bob_api.get(f"/api/chapters/{theirs[0]['id']}/steps").json()["results"]
    my_steps = alice_api.get(f"/api/chapters/{mine[0]['id']}/steps").json()["results"]
    fields = ("caption", "narration", "duration", "transition", "transitionDuration")
    assert [[s[f] for f in fields] for s in their_steps] == [[s[f] for f in fields] for s in my_steps]
    for theirs_step, mine_step in zip(their_steps, my_steps, strict=True):
        a = bob_api.get(f"/api/assets/{theirs_step['asset']}").json()
        b = alice_api.get(f"/api/assets/{mine_step['asset']}").json()
        assert a["sha256"] == b["sha256"] and a["id"] != b["id"]


def test_missing_components_are_all_listed_before_anything_is_written(alice_api, alice_project, av_dir):
    chapter = _tutorial(alice_api, alice_project.id, av_dir)
    blob = Blob.objects.get(kind="image")
    default_storage.delete(blob.storage_key)
    response = _export(alice_api, alice_project.id, include={"renders": True})
    assert response.status_code == 422
    missing = response.json()["error"]["details"]["missing"]
    assert len(missing) == 2 and "screen.png" in missing[0] and "no finished render" in missing[1]
    assert Job.objects.count() == 0 and not default_storage.exists(f"exports/{chapter['id']}")


def test_exports_are_throttled_and_capped_per_user(alice_api, alice_project, settings):
    settings.EXPORT_MAX_CONCURRENT = 1
    assert _export(alice_api, alice_project.id).status_code == 202
    capped = _export(alice_api, alice_project.id)
    assert capped.status_code == 429 and capped["Retry-After"] and capped.json()["error"]["code"] == "queue_full"
    Job.objects.update(status="succeeded")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "exports": "2/hour"}}
    from rest_framework.throttling import ScopedRateThrottle

    ScopedRateThrottle.THROTTLE_RATES = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    try:
        clear_cache()
        codes = []
        for _ in range(2):
            codes.append(_export(alice_api, alice_project.id).status_code)
            Job.objects.update(status="succeeded")  # so the concurrency cap is not what answers
        throttled = _export(alice_api, alice_project.id)
    finally:
        from rest_framework.settings import api_settings

        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert codes == [202, 202] and throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0 and throttled.json()["error"]["code"] == "throttled"


def test_signed_urls_refuse_tampering_other_exports_and_expiry(alice_api, bob_api, alice_project, worker, settings):
    first = _wait(alice_api, _export(alice_api, alice_project.id).json()["exportId"])
    second = _wait(alice_api, _export(alice_api, alice_project.id).json()["exportId"])
    anonymous = alice_api.__class__()
    url = first["signedUrl"]
    assert anonymous.get(url).status_code == 200
    assert anonymous.get(url[:-2] + ("aa" if not url.endswith("aa") else "bb")).status_code == 403
    other = second["signedUrl"].replace(second["exportId"], first["exportId"], 1)
    assert anonymous.get(other).status_code == 403
    assert anonymous.get(f"/api/export/{first['exportId']}/download").status_code == 401
    assert bob_api.get(f"/api/export/{first['exportId']}/download").status_code == 404
    assert bob_api.get(f"/api/export/{first['exportId']}").status_code == 404
    settings.EXPORT_URL_SECONDS = -1
    assert anonymous.get(url).status_code == 403
    ranged = alice_api.get(f"/api/export/{first['exportId']}/download", headers={"Range": "bytes=0-3"})
    assert ranged.status_code == 206 and b"".join(ranged.streaming_content) == b"PK\x03\x04"


def test_chapter_titles_become_safe_unique_entry_names():
    from exports.services import slugify

    titles = ["../../etc/passwd", "a\\b/c", "Intro", "Intro", "\x00", "Über uns — ça va?", "x" * 200]
    slugs = [slugify(t, i) for i, t in enumerate(titles)]
    assert len(set(slugs)) == len(slugs)
    assert all("/" not in s and "\\" not in s and ".." not in s and "\x00" not in s for s in slugs)
    assert slugs[0] == "01-etc-passwd" and slugs[4] == "05-chapter" and len(slugs[6]) <= 63


def test_the_dashboard_links_a_finished_export(client, alice, alice_api, alice_project, worker):
    status = _wait(alice_api, _export(alice_api, alice_project.id).json()["exportId"])
    client.force_login(alice)
    page = client.get(f"/jobs/{status['exportId']}/").content.decode()
    assert f"/api/export/{status['exportId']}/download" in page and ".zip" in page
    assert client.get(f"/api/export/{status['exportId']}/download").status_code == 200
