"""Fan-out in the job framework (contentizer/jobs/fanout.py): a job parks while child jobs any
worker takes do its parts, and is woken exactly once when the last of them ends. The workers'
side (real clusters, a killed one) is tests/previews/test_piece_jobs.py."""

from __future__ import annotations

import pytest

from contentizer.jobs import fanout, registry, runner, services
from contentizer.jobs.models import FINISHED, Job, JobAttempt, JobStatus

pytestmark = pytest.mark.django_db(transaction=True)  # a child's end acts after its commit


@pytest.fixture
def kinds():
    """A parent kind that fans out three parts, and a part kind whose handler each test gives."""
    parts = {"run": lambda ctx: {"part": ctx.job.payload["n"]}}

    def parent(ctx):
        if (ended := fanout.joined(ctx.job)) is not None:
            return {"joined": ended.succeeded, "failed": ended.failed, "error": ended.error}
        fanout.fan_out(parent=ctx.job, kind="part", payloads=[{"n": n} for n in range(3)], stage="work",
                       noun="parts", progress=(10.0, 90.0))
        return {}

    registry.register(registry.JobKind(name="whole", run=parent, cleanup=lambda job: None,
                                       max_concurrency=lambda: 1))
    registry.register(registry.JobKind(name="part", run=lambda ctx: parts["run"](ctx), cleanup=lambda job: None,
                                       max_concurrency=lambda: 4, listed=False))
    return parts


def _parent(user) -> Job:
    job = services.job_submit(kind="whole", owner=user, payload={}).job
    assert runner.run_job(str(job.pk)) == "waiting"
    job.refresh_from_db()
    return job


def _children(job: Job) -> list[Job]:
    return list(Job.objects.filter(parent=job).order_by("payload__n"))


def test_a_fanned_out_job_waits_without_holding_a_worker_and_is_woken_once_by_its_last_child(alice, kinds):
    job = _parent(alice)
    assert (job.status, job.fan_out, job.fan_in, job.stage) == (JobStatus.QUEUED, 1, 0, "work: 0 of 3 parts done")
    assert job.not_before is not None  # not due: only its children wake it
    assert list(JobAttempt.objects.filter(job=job).values_list("outcome", flat=True)) == ["waiting"]
    assert job.max_attempts == 4  # the parked attempt is not held against it
    children = _children(job)
    assert [(c.kind, c.batch, c.status) for c in children] == [("part", 1, JobStatus.QUEUED)] * 3

    assert runner.run_job(str(children[0].pk)) == "succeeded"
    job.refresh_from_db()
    assert (job.status, job.fan_in, job.stage, job.progress) == (
        JobStatus.QUEUED, 0, "work: 1 of 3 parts done", pytest.approx(36.7, abs=0.1))
    for child in children[1:]:
        assert runner.run_job(str(child.pk)) == "succeeded"
    job.refresh_from_db()
    assert (job.fan_in, job.not_before, job.stage) == (1, None, "work: joining")
    assert fanout.pieces(job) == {"done": 3, "total": 3, "failed": 0}
    # another end reported for the same batch (a lost wake repeated) wakes nobody a second time
    assert fanout._wake(job, 1, stage="work", progress=90) is False
    assert fanout.reconcile_joins() == 0

    assert runner.run_job(str(job.pk)) == "succeeded"
    job.refresh_from_db()
    assert job.result == {"joined": 3, "failed": 0, "error": ""}
    assert list(JobAttempt.objects.filter(job=job).values_list("outcome", flat=True)) == ["waiting", "success"]


def test_a_child_that_fails_for_good_ends_the_batch_and_its_error_reaches_the_parent(alice, kinds):
    def broken(ctx):
        if ctx.job.payload["n"] == 1:
            raise services.ApplicationError("part 1 is broken")  # a bug: retried, then dead
        return {}

    kinds["run"] = broken
    job = _parent(alice)
    for _ in range(12):  # every child to its end, each retry at once
        pending = Job.objects.filter(parent=job).exclude(status__in=FINISHED)
        if not pending.update(not_before=None):
            break
        runner.run_job(str(pending.first().pk))
    assert sorted(Job.objects.filter(parent=job).values_list("status", flat=True)) == ["dead", "succeeded",
                                                                                      "succeeded"]
    job.refresh_from_db()
    assert job.fan_in == 1
    assert runner.run_job(str(job.pk)) == "succeeded"
    job.refresh_from_db()
    assert job.result["failed"] == 1 and "part 1 is broken" in job.result["error"]


def test_a_wake_lost_with_its_process_is_repeated_by_the_reconciler(alice, kinds):
    job = _parent(alice)
    Job.objects.filter(parent=job).update(status=JobStatus.SUCCEEDED)  # ended without telling the parent
    assert services.jobs_reconcile()["requeued"] >= 1
    job.refresh_from_db()
    assert job.fan_in == 1 and job.not_before is None


def test_cancelling_a_waiting_job_cancels_its_children_and_a_requeue_fans_out_anew(alice, kinds):
    job = _parent(alice)
    running = _children(job)[0]
    Job.objects.filter(pk=running.pk).update(status=JobStatus.RUNNING, attempts=1)
    services.job_cancel(job=job)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    statuses = dict(Job.objects.filter(parent=job).values_list("pk", "status"))
    assert statuses.pop(running.pk) == JobStatus.RUNNING and set(statuses.values()) == {JobStatus.CANCELLED}
    assert Job.objects.get(pk=running.pk).cancel_requested  # its worker stops it at the next heartbeat

    services.job_requeue(job=job)
    job.refresh_from_db()
    assert fanout.joined(job) is None  # the old batch is closed: nothing to join
    assert runner.run_job(str(job.pk)) == "waiting"
    job.refresh_from_db()
    assert job.fan_out == 3 and Job.objects.filter(parent=job, batch=3).count() == 3
