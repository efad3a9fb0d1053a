"""Storage that turns read-only or full under a running job: the job ends at once with that
cause, whatever else fails on the way out (issue 17.13)."""

from __future__ import annotations

import errno

import pytest

from contentizer.jobs import registry, runner, services
from contentizer.jobs.models import Job, JobStatus
from tests.conftest import ON_S3
from tests.faults import DiskFault
from tests.previews.helpers import post_preview, wait_finished

READ_ONLY = "Stopped: the server's storage is read-only"


@pytest.fixture
def kind():
    """A job kind whose handler and cleanup each test gives."""
    made = {}

    def register(run, cleanup=lambda job: None) -> None:
        made["kind"] = registry.JobKind(name="faulty", run=run, cleanup=cleanup, max_concurrency=lambda: 2)
        registry.register(made["kind"])

    return register


def _submit(user) -> Job:
    return services.job_submit(kind="faulty", owner=user, payload={}, max_attempts=3).job


def _read_only_cleanup(job) -> None:
    raise OSError(errno.EROFS, "Read-only file system", "/srv/data/media/previews/1/preview.mp4")


def test_a_work_dir_turning_read_only_mid_job_fails_it_at_once_though_its_log_cannot_be_written(
        alice, kind, monkeypatch, settings):
    def run(ctx):
        ctx.log("rendering")
        DiskFault(settings.JOB_WORK_DIR).install(monkeypatch.setattr)
        (ctx.work_dir / "out.mp4").write_bytes(b"frames")

    kind(run, cleanup=_read_only_cleanup)
    job = _submit(alice)
    assert runner.run_job(str(job.pk)) == JobStatus.FAILED
    job.refresh_from_db()
    assert job.error.startswith(READ_ONLY) and "/srv/data" not in job.error
    assert "Removing its partial output also failed: the server's storage is read-only" in job.error
    assert list(job.attempt_set.values_list("outcome", flat=True)) == ["failure"]


def test_an_attempt_on_a_disk_already_read_only_fails_at_once(alice, kind, monkeypatch, settings):
    kind(lambda ctx: {"ran": True})
    job = _submit(alice)
    DiskFault(settings.JOB_WORK_DIR).install(monkeypatch.setattr)  # not even its work directory can be made
    assert runner.run_job(str(job.pk)) == JobStatus.FAILED
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error.startswith(READ_ONLY)


def test_a_full_disk_is_retried_with_that_cause(alice, kind):
    kind(lambda ctx: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left on device", "/srv/data/x")))
    job = _submit(alice)
    assert runner.run_job(str(job.pk)) == JobStatus.QUEUED
    job.refresh_from_db()
    assert job.error.startswith("Stopped: the server's disk is full") and "/srv/data" not in job.error


@pytest.mark.skipif(ON_S3, reason="the fault is a local disk's; on S3 the worker's DATA_DIR holds only its work")
@pytest.mark.django_db(transaction=True)
def test_storage_turning_read_only_mid_render_fails_the_job_at_once_naming_the_cause(alice_api, alice_project, workers):
    # The reconciler would only notice a job left "running" after five minutes.
    workers.start(DJANGO_SETTINGS_MODULE="tests.fault_settings", DISK_FAULT="EROFS:media", JOB_STALE_SECONDS="300")
    accepted = post_preview(alice_api, alice_project.id, {"steps": [
        {"caption": "One", "duration": 1}, {"caption": "Two", "duration": 1}]})
    assert accepted.status_code == 202, accepted.json()
    status = wait_finished(alice_api, accepted.json()["jobId"], timeout=60)
    job = Job.objects.get(pk=accepted.json()["jobId"])
    assert DiskFault(workers.data_dir, after="media").active(), "the render reached storage"
    assert (status["status"], job.attempts) == ("failed", 1), status
    assert "storage is read-only" in status["error"] and "stopped responding" not in job.error
    assert str(workers.data_dir) not in job.error
    assert (job.finished_at - job.started_at).total_seconds() < 30
