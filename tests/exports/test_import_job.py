"""Imports run as jobs: POST /api/import stores the zip and answers 202; a worker imports it."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from assets.models import Asset, Blob
from contentizer.errors import ApplicationError
from contentizer.jobs import runner
from contentizer.jobs import services as jobs
from contentizer.jobs.models import Job, JobStatus
from contentizer.models import Chapter, Project, Step
from exports.importing import import_project, import_validate
from exports.services import imports_expire
from tests.conftest import left_behind, stored_keys, wait_for
from tests.exports.builders import asset_record, step

NOTHING = {"media": [], "tmp": []}


def _post(api, path: Path):
    with open(path, "rb") as fh:
        return api.post("/api/import", {"file": fh}, format="multipart")


def _finished(api, job_id: str, timeout: float = 60) -> dict:
    return wait_for(lambda: (b := api.get(f"/api/v1/jobs/{job_id}").json())["status"] not in ("queued", "running")
                    and b, timeout=timeout, interval=0.25)


def _uploads() -> list[str]:
    return stored_keys("imports")


def _import_folders() -> list[str]:
    """The folders under imports/ as the storage lists them (local disk keeps empty ones)."""
    try:
        return default_storage.listdir("imports")[0]
    except FileNotFoundError:
        return []


def test_the_request_stores_the_zip_and_answers_202_without_importing(alice_api, zips, export):
    path = export.write(zips / "ok.zip")
    response = _post(alice_api, path)
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["kind"], body["status"], body["attempts"]) == ("import", "queued", 0)
    assert body["result"] == {"projectId": None, "title": None, "chapters": None, "assets": None, "videos": None,
                              "warnings": [], "uploadSize": path.stat().st_size}
    assert body == alice_api.get(f"/api/v1/jobs/{body['id']}").json()
    assert Project.objects.count() == 0 and Blob.objects.count() == 0
    assert _uploads() == [f"imports/{body['id']}/upload.zip"]
    with default_storage.open(f"imports/{body['id']}/upload.zip") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
    assert left_behind()["tmp"] == []


@pytest.mark.django_db(transaction=True)
def test_a_worker_imports_the_zip_and_the_upload_goes(alice_api, alice, zips, export, worker):
    job_id = _post(alice_api, export.write(zips / "ok.zip")).json()["id"]
    body = _finished(alice_api, job_id)
    assert body["status"] == "succeeded" and body["progress"] == 100 and body["failure"] is None, body
    project = Project.objects.get(pk=body["result"]["projectId"])
    assert body["result"] | {"title": "Getting started", "chapters": 1, "assets": 2} == body["result"]
    assert body["links"]["artifact"] == f"/api/projects/{project.pk}"
    assert project.owner == alice and project.title == "Getting started"
    steps = list(Step.objects.filter(chapter__project=project).order_by("position"))
    assert [(s.caption, s.asset.blob.sha256) for s in steps] == [
        ({"en": s["caption"]}, s["asset"][7:71]) for s in export.container["chapters"][0]["steps"]]
    for blob in Blob.objects.all():
        with default_storage.open(blob.storage_key) as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == blob.sha256
    wait_for(lambda: _uploads() == [], timeout=10)
    assert left_behind()["tmp"] == []


@pytest.mark.django_db(transaction=True)
def test_a_refused_zip_fails_the_job_with_the_error_a_request_would_have_had(alice_api, zips, export, worker):
    bad = export.write(zips / "bad.zip", extra=[("../evil.png", b"/etc/passwd")])
    with pytest.raises(ApplicationError) as refused:
        import_validate(bad)  # what the synchronous import answered (400) before it became a job
    job_id = _post(alice_api, bad).json()["id"]
    body = _finished(alice_api, job_id)
    assert (body["status"], body["attempts"]) == ("failed", 1), body
    assert body["failure"] == {"code": "unsafe_entry", "message": "The zip entry '../evil.png' is refused: "
                               "it contains '..'.", "details": {"entry": "../evil.png", "reason": "it contains '..'"}}
    assert body["failure"] == {"code": refused.value.code, "message": refused.value.message,
                               "details": refused.value.details}
    assert body["error"] == body["failure"]["message"] and body["result"]["projectId"] is None
    assert Project.objects.count() == Chapter.objects.count() == Asset.objects.count() == Blob.objects.count() == 0
    wait_for(lambda: left_behind() == NOTHING, timeout=10)


@pytest.mark.django_db(transaction=True)
def test_an_asset_refused_midway_fails_the_job_and_undoes_everything(alice_api, zips, export, worker):
    html = b"<!DOCTYPE html><html><body>not a picture</body></html>"
    record = asset_record(html, "png", "image", "image/png", "page.png")
    export.container["files"].insert(2, record)  # after both good images, which are ingested first
    export.files[record["path"]] = html
    export.container["chapters"][0]["steps"].append(step("Oops", record["path"]))
    body = _finished(alice_api, _post(alice_api, export.write(zips / "html.zip")).json()["id"])
    assert body["status"] == "failed" and body["failure"]["code"] == "unsupported_media_type", body
    assert body["failure"]["details"] == {"detected": "text/html"}
    assert Project.objects.count() == Blob.objects.count() == 0
    wait_for(lambda: left_behind() == NOTHING, timeout=10)


@pytest.mark.django_db(transaction=True)
def test_cancelling_a_queued_import_removes_its_upload(alice_api, zips, export):
    job_id = _post(alice_api, export.write(zips / "ok.zip")).json()["id"]
    assert _uploads() == [f"imports/{job_id}/upload.zip"]
    cancelled = alice_api.delete(f"/api/v1/jobs/{job_id}")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert left_behind() == NOTHING
    assert _import_folders() == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("extra", "status"), [([], "succeeded"), ([("../evil.png", b"x")], "failed")])
def test_an_import_that_ended_leaves_no_folder_behind(alice_api, zips, export, extra, status):
    job_id = _post(alice_api, export.write(zips / "in.zip", extra=extra)).json()["id"]
    assert _import_folders() == [job_id]
    assert runner.run_job(job_id) == status
    assert _uploads() == [] and _import_folders() == []


def test_an_upload_over_the_import_limit_is_a_413_and_nothing_is_kept(alice_api, zips, export, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    response = _post(alice_api, export.write(zips / "ok.zip"))
    assert response.status_code == 413 and response.json()["error"]["details"]["maxBytes"] == 1000
    assert Job.objects.count() == 0 and left_behind() == NOTHING


def test_the_upload_limit_is_the_imports_not_the_largest_assets(alice_api, zips, export, settings):
    settings.ASSET_MAX_BYTES = {kind: 100 for kind in settings.ASSET_MAX_BYTES}
    assert _post(alice_api, export.write(zips / "ok.zip")).status_code == 202


def test_a_request_without_a_file_is_a_400(alice_api):
    response = alice_api.post("/api/import", {}, format="multipart")
    assert response.status_code == 400 and response.json()["error"]["code"] == "missing_file"
    assert Job.objects.count() == 0


def test_imports_waiting_per_user_are_capped(alice_api, bob_api, zips, export, settings):
    settings.IMPORT_MAX_CONCURRENT = 1
    path = export.write(zips / "ok.zip")
    assert _post(alice_api, path).status_code == 202
    capped = _post(alice_api, path)
    assert capped.status_code == 429 and capped["Retry-After"] and capped.json()["error"]["code"] == "queue_full"
    assert _post(bob_api, path).status_code == 202
    assert len(_uploads()) == 2


def test_expiry_removes_uploads_that_ended_lost_their_job_or_waited_too_long(alice, settings):
    settings.IMPORT_UPLOAD_TTL_SECONDS = 3 * 3600

    def stored(job_id) -> str:
        return default_storage.save(f"imports/{job_id}/upload.zip", ContentFile(b"PK\x05\x06" + b"\x00" * 18))

    def job(status: str) -> Job:
        return Job.objects.create(kind="import", owner=alice, status=status, payload={})

    waiting, finished, old = job(JobStatus.QUEUED), job(JobStatus.FAILED), job(JobStatus.QUEUED)
    for made in (waiting, finished, old):
        stored(made.pk)
    stored("6c3b8a52-0a2e-4d5e-9d3b-3c1f0e9a7b11")  # its job never got created
    now = timezone.now()
    assert imports_expire(now=now) == 1  # the finished one; the orphan is still within its grace
    assert imports_expire(now=now + timedelta(hours=2)) == 1  # the orphan
    assert imports_expire(now=now + timedelta(hours=4)) == 2  # both waiting past the TTL
    assert _uploads() == [] and _import_folders() == []


def test_an_import_whose_upload_expired_fails_with_a_clear_error(alice):
    job = jobs.job_submit(kind="import", owner=alice, payload={"upload": "imports/gone/upload.zip"}).job
    assert runner.run_job(str(job.pk)) == JobStatus.FAILED
    job.refresh_from_db()
    assert job.result["failure"]["code"] == "upload_missing" and "upload it again" in job.error


def test_progress_is_reported_stage_by_stage_up_to_the_end(alice, zips, export):
    heard: list[tuple[str, float]] = []
    import_project(owner=alice, source=export.write(zips / "ok.zip"), progress=lambda s, f: heard.append((s, f)))
    stages = [stage for stage, _ in heard]
    assert stages == sorted(stages, key=["validate", "extract", "import"].index)
    for stage in ("validate", "extract"):
        fractions = [f for s, f in heard if s == stage]
        assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions), (stage, fractions)
        assert len(fractions) > 2
    assert ("import", 0.0) in heard


def test_an_import_reads_a_stored_upload_through_the_storage_api(alice, zips, export):
    key = default_storage.save("imports/x/upload.zip", ContentFile(export.write(zips / "ok.zip").read_bytes()))
    with default_storage.open(key, "rb") as source:
        project = import_project(owner=alice, source=source)
    assert project.chapters.count() == 1 and Blob.objects.count() == 2
