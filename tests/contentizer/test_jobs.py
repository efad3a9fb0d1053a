"""The job state machine with a fake job kind: no broker worker, no FFmpeg."""

from __future__ import annotations

import errno
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connections
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import Schedule

from contentizer.api.errors import http_status
from contentizer.errors import Conflict
from contentizer.jobs import registry, runner, services, stopping
from contentizer.jobs.errors import JobCancelled, PermanentJobError, TransientJobError
from contentizer.jobs.models import Job, JobAttempt, JobStatus


class FakeKind:
    """A job kind whose behaviour each test scripts: a list of outcomes, one per attempt."""

    def __init__(self) -> None:
        self.outcomes: list = []
        self.cleaned: list = []
        self.limit = 2
        self.runs = 0

    def run(self, ctx):
        self.runs += 1
        outcome = self.outcomes.pop(0) if self.outcomes else {"ok": True}
        if callable(outcome):
            return outcome(ctx)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def cleanup(self, job) -> None:
        self.cleaned.append(job.pk)


@pytest.fixture
def fake(settings):
    settings.JOB_MAX_ATTEMPTS = 3
    settings.JOB_BACKOFF_BASE_SECONDS = 5
    settings.JOB_BACKOFF_MAX_SECONDS = 60
    kind = FakeKind()
    registry.register(registry.JobKind(
        name="fake", run=kind.run, cleanup=kind.cleanup, max_concurrency=lambda: kind.limit,
    ))
    return kind


def _submit(user, **kwargs) -> Job:
    return services.job_submit(kind="fake", owner=user, payload={"n": 1}, **kwargs).job


def _due_now(job: Job) -> None:
    """Skip a backoff."""
    Job.objects.filter(pk=job.pk).update(not_before=None)


def _broker_size() -> int:
    """Tasks waiting in the configured broker (ORM table or Redis list)."""
    return get_broker().queue_size()


def test_it_queues_a_job_and_hands_it_to_the_broker_after_commit(alice, fake, django_capture_on_commit_callbacks):
    before = _broker_size()
    with django_capture_on_commit_callbacks(execute=True):
        job = _submit(alice)
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.enqueued_at is not None
    assert _broker_size() == before + 1


def test_it_returns_the_same_job_for_the_same_request_id_or_job_id(alice, fake):
    first = _submit(alice, request_id="req-1")
    again = services.job_submit(kind="fake", owner=alice, payload={}, request_id="req-1")
    assert again.job.pk == first.pk and again.created is False
    job_id = uuid.uuid4()
    made = _submit(alice, job_id=job_id)
    assert made.pk == job_id and _submit(alice, job_id=job_id).pk == job_id
    assert Job.objects.count() == 2


def test_it_refuses_a_job_id_owned_by_someone_else(alice, bob, fake):
    job = _submit(alice)
    with pytest.raises(Conflict):
        _submit(bob, job_id=job.pk)


def test_it_answers_429_once_the_queue_is_full(alice, fake):
    _submit(alice, queue_max=2)
    _submit(alice, queue_max=2)
    with pytest.raises(services.QueueFull) as caught:
        _submit(alice, queue_max=2)
    assert http_status(caught.value) == 429 and caught.value.retry_after >= 5
    assert Job.objects.count() == 2


def test_a_run_succeeds_and_records_its_attempt(alice, fake):
    fake.outcomes = [{"artifact": "x"}]
    job = _submit(alice)
    assert runner.run_job(str(job.pk)) == "succeeded"
    job.refresh_from_db()
    assert (job.status, job.result, job.progress, job.attempts) == (JobStatus.SUCCEEDED, {"artifact": "x"}, 100, 1)
    assert list(job.attempt_set.values_list("outcome", flat=True)) == ["success"]


def test_a_task_delivered_twice_does_nothing_the_second_time(alice, fake):
    job = _submit(alice)
    runner.run_job(str(job.pk))
    assert runner.run_job(str(job.pk)) == "skipped"
    assert fake.runs == 1 and JobAttempt.objects.count() == 1


def test_a_claim_is_won_once(alice, fake):
    job = _submit(alice)
    assert services.job_claim(job_id=job.pk, worker="a") is not None
    assert services.job_claim(job_id=job.pk, worker="b") is None
    assert Job.objects.get(pk=job.pk).worker == "a"


def test_it_bounds_running_jobs_of_a_kind_and_parks_the_rest_without_a_schedule_row(alice, fake):
    fake.limit = 1
    first, second = _submit(alice), _submit(alice)
    services.job_claim(job_id=first.pk, worker="a")
    schedules = Schedule.objects.count()
    for _ in range(5):  # a busy claim, delivered again and again
        assert services.job_claim(job_id=second.pk, worker="b") is None
    parked = Job.objects.get(pk=second.pk)
    assert (parked.status, parked.enqueued_at, parked.stage) == (JobStatus.QUEUED, None, services.WAITING)
    assert Schedule.objects.count() == schedules


def test_a_freed_slot_goes_to_the_oldest_waiting_job_whatever_the_delivery_order(alice, fake):
    fake.limit = 1
    running = services.job_claim(job_id=_submit(alice).pk, worker="w")
    waiting = [_submit(alice) for _ in range(3)]
    for job in reversed(waiting):  # the broker delivers the newest first
        assert services.job_claim(job_id=job.pk, worker="w") is None
    order = []
    for _ in waiting:
        services.job_succeed(job=running, result={})
        woken = list(Job.objects.filter(status=JobStatus.QUEUED, enqueued_at__isnull=False))
        assert len(woken) == 1, "one free slot wakes one job"
        # whichever token arrives, the oldest waiting job runs
        running = services.job_claim(job_id=waiting[-1].pk, worker="w") or services.job_claim(
            job_id=woken[0].pk, worker="w")
        order.append(running.pk)
    assert order == [job.pk for job in waiting]


def test_a_backoff_leaves_no_schedule_row_and_the_reconciler_starts_the_job_once_due(alice, fake):
    fake.outcomes = [TransientJobError("hiccup")]
    job = _submit(alice)
    schedules = Schedule.objects.count()
    assert runner.run_job(str(job.pk)) == JobStatus.QUEUED
    job.refresh_from_db()
    assert Schedule.objects.count() == schedules and job.enqueued_at is None and job.not_before > timezone.now()
    assert runner.run_job(str(job.pk)) == "skipped", "an early delivery does not run it before its backoff"
    services.jobs_reconcile()
    assert Job.objects.get(pk=job.pk).enqueued_at is None
    Job.objects.filter(pk=job.pk).update(not_before=timezone.now() - timedelta(seconds=1))
    before = _broker_size()
    services.jobs_reconcile()
    assert Job.objects.get(pk=job.pk).enqueued_at is not None and _broker_size() == before + 1


def test_backoff_grows_exponentially_and_is_capped(fake):
    assert [services.backoff_seconds(n) for n in (1, 2, 3, 4, 5, 6)] == [5, 10, 20, 40, 60, 60]


def test_a_transient_failure_is_retried_after_a_backoff(alice, fake):
    fake.outcomes = [TransientJobError("storage hiccup")]
    job = _submit(alice)
    before = timezone.now()
    assert runner.run_job(str(job.pk)) == JobStatus.QUEUED
    job.refresh_from_db()
    assert job.attempts == 1 and job.error == "storage hiccup"
    assert timedelta(seconds=4) < job.not_before - before < timedelta(seconds=7)
    assert list(job.attempt_set.values_list("outcome", flat=True)) == ["retry"]
    assert fake.cleaned == [job.pk]
    _due_now(job)
    assert runner.run_job(str(job.pk)) == "succeeded"
    assert Job.objects.get(pk=job.pk).attempts == 2


def test_a_job_out_of_attempts_is_dead_and_can_be_requeued(alice, fake, django_capture_on_commit_callbacks):
    fake.outcomes = [TransientJobError("boom")] * 3
    job = _submit(alice)
    statuses = [_due_now(job) or runner.run_job(str(job.pk)) for _ in range(3)]
    assert statuses == [JobStatus.QUEUED, JobStatus.QUEUED, JobStatus.DEAD]
    job.refresh_from_db()
    assert job.finished_at is not None and job.attempts == 3
    with django_capture_on_commit_callbacks(execute=True):
        services.job_requeue(job=job)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.max_attempts, job.error) == (JobStatus.QUEUED, 3, 6, "")
    assert runner.run_job(str(job.pk)) == "succeeded"
    assert list(job.attempt_set.values_list("number", flat=True)) == [1, 2, 3, 4]


def test_a_permanent_failure_fails_at_once(alice, fake):
    fake.outcomes = [PermanentJobError("step 2: asset abc is missing")]
    job = _submit(alice)
    assert runner.run_job(str(job.pk)) == JobStatus.FAILED
    job.refresh_from_db()
    assert job.attempts == 1 and "step 2" in job.error and fake.cleaned == [job.pk]
    with pytest.raises(Conflict):
        services.job_requeue(job=Job.objects.create(kind="fake", owner=alice, status=JobStatus.RUNNING))


def test_cancelling_a_queued_job_is_immediate(alice, fake):
    job = services.job_cancel(job=_submit(alice))
    assert job.status == JobStatus.CANCELLED and fake.cleaned == [job.pk]
    assert runner.run_job(str(job.pk)) == "skipped"


@pytest.mark.django_db(transaction=True)  # the heartbeat thread writes from its own connection
def test_cancelling_a_running_job_stops_its_handler(alice, fake, settings):
    settings.JOB_HEARTBEAT_SECONDS = 0.05
    started = threading.Event()

    def wait_for_cancel(ctx):
        started.set()
        for _ in range(200):
            ctx.check_cancelled()
            threading.Event().wait(0.02)
        return {"never": True}

    fake.outcomes = [wait_for_cancel]
    job = _submit(alice)
    def run() -> None:
        try:
            runner.run_job(str(job.pk))
        finally:
            connections.close_all()  # a thread's connection would keep the test database in use

    thread = threading.Thread(target=run)
    thread.start()
    assert started.wait(5)
    services.job_cancel(job=Job.objects.get(pk=job.pk))
    thread.join(10)
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and fake.cleaned == [job.pk]


def test_the_reconciler_retries_a_job_whose_worker_stopped_beating(alice, fake, settings):
    settings.JOB_STALE_SECONDS = 30
    job = _submit(alice)
    services.job_claim(job_id=job.pk, worker="dead-host:1")
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=31))
    fresh = _submit(alice)
    services.job_claim(job_id=fresh.pk, worker="alive:2")
    assert services.jobs_reconcile()["lost"] == 1
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and "dead-host:1" in job.error
    assert Job.objects.get(pk=fresh.pk).status == JobStatus.RUNNING


def test_the_reconciler_declares_dead_a_lost_job_out_of_attempts(alice, fake, settings):
    job = _submit(alice)
    Job.objects.filter(pk=job.pk).update(attempts=2)
    services.job_claim(job_id=job.pk, worker="w")
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    services.jobs_reconcile()
    assert Job.objects.get(pk=job.pk).status == JobStatus.DEAD


def test_the_reconciler_enqueues_jobs_the_broker_never_got(alice, fake):
    job = _submit(alice)  # on_commit never ran: as if the broker had been down
    assert Job.objects.get(pk=job.pk).enqueued_at is None
    before = _broker_size()
    assert services.jobs_reconcile()["requeued"] == 1
    assert Job.objects.get(pk=job.pk).enqueued_at is not None and _broker_size() == before + 1


def test_a_stale_worker_finishing_late_does_not_overwrite_the_new_attempt(alice, fake):
    job = _submit(alice)
    old = services.job_claim(job_id=job.pk, worker="old")
    services.job_fail(job=old, error="lost", transient=True, backoff=False)
    new = services.job_claim(job_id=job.pk, worker="new")
    assert services.job_succeed(job=old, result={"from": "old"}) is False
    assert services.job_succeed(job=new, result={"from": "new"}) is True
    assert Job.objects.get(pk=job.pk).result == {"from": "new"}


def test_worker_metrics_count_outcomes_from_the_database(alice, fake, scrape):
    registry.register(registry.JobKind(name="fake", run=fake.run, cleanup=fake.cleanup, max_concurrency=lambda: 9))
    from contentizer.metrics import register_job_metrics

    register_job_metrics("fake")
    fake.outcomes = [{"ok": 1}, TransientJobError("x")]
    runner.run_job(str(_submit(alice).pk))
    runner.run_job(str(_submit(alice).pk))
    _submit(alice)
    body = scrape()
    assert 'fake_worker_jobs_total{outcome="success"} 1.0' in body
    assert 'fake_worker_jobs_total{outcome="retry"} 1.0' in body
    assert "fake_worker_queue_size 2.0" in body  # the retried one and the new one
    assert "fake_worker_active_jobs 0.0" in body
    assert "fake_worker_job_duration_seconds_count 1.0" in body


def test_a_stale_attempt_failing_late_does_not_clean_up_the_winners_output(alice, fake):
    job = _submit(alice)
    old = services.job_claim(job_id=job.pk, worker="old")
    services.job_fail(job=old, error="lost", transient=True, backoff=False)
    new = services.job_claim(job_id=job.pk, worker="new")
    services.job_succeed(job=new, result={"artifact": "x"})
    assert runner._settle(runner.JobContext(job=old, work_dir=None), registry.get("fake"), error="late") == "superseded"
    assert fake.cleaned == [] and Job.objects.get(pk=job.pk).status == JobStatus.SUCCEEDED


def test_a_superseded_attempt_is_told_to_stop_by_its_heartbeat(alice, fake):
    job = _submit(alice)
    old = services.job_claim(job_id=job.pk, worker="old")
    assert services.job_heartbeat(job=old) is False
    services.job_fail(job=old, error="lost", transient=True, backoff=False)
    services.job_claim(job_id=job.pk, worker="new")
    assert services.job_heartbeat(job=old) is True


def test_a_cancel_requested_before_a_failure_is_not_lost(alice, fake):
    fake.outcomes = [TransientJobError("boom")]
    job = _submit(alice)
    claimed = services.job_claim(job_id=job.pk, worker="w")
    services.job_cancel(job=Job.objects.get(pk=job.pk))
    assert services.job_fail(job=claimed, error="boom", transient=True) == JobStatus.CANCELLED
    assert runner.run_job(str(job.pk)) == "skipped"


def test_deep_json_is_a_400(alice_api):
    response = alice_api.post("/api/v1/jobs", "[" * 50000, content_type="application/json")
    assert response.status_code in (400, 405)
    response = alice_api.post("/api/projects", "[" * 50000, content_type="application/json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "parse_error"


def test_a_huge_project_filter_is_a_400(alice_api):
    assert alice_api.get(f"/api/v1/jobs?project={2**70}").status_code == 400


def _broken_cleanup(job) -> None:
    raise OSError(errno.EROFS, "Read-only file system")


def test_a_failing_cleanup_is_recorded_and_the_job_fails_at_once_with_the_real_cause(alice, fake):
    registry.register(registry.JobKind(name="fake", run=fake.run, cleanup=_broken_cleanup, max_concurrency=lambda: 2))
    fake.outcomes = [OSError(errno.ENOSPC, "No space left on device: 'previews/1/preview.mp4'")]
    job = _submit(alice)
    assert runner.run_job(str(job.pk)) == JobStatus.QUEUED
    job.refresh_from_db()
    assert job.error.startswith("Stopped: the server's disk is full")
    assert "Removing its partial output also failed: the server's storage is read-only" in job.error
    assert "preview.mp4" not in job.error
    assert list(job.attempt_set.values_list("outcome", flat=True)) == ["retry"]


def test_the_reconciler_survives_cleanups_that_fail(alice, fake):
    registry.register(registry.JobKind(name="fake", run=fake.run, cleanup=_broken_cleanup, max_concurrency=lambda: 2))
    jobs = [_submit(alice), _submit(alice)]
    for job in jobs:
        services.job_claim(job_id=job.pk, worker="dead:1")
    Job.objects.update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert services.jobs_reconcile()["lost"] == 2
    assert set(Job.objects.values_list("status", flat=True)) == {JobStatus.QUEUED}


def test_the_reconciler_removes_work_dirs_of_attempts_that_no_longer_run(alice, fake, settings):
    job = services.job_claim(job_id=_submit(alice).pk, worker="here:1")
    root = Path(settings.JOB_WORK_DIR)
    live, dead, foreign = root / f"{job.pk}-{job.attempts}", root / f"{job.pk}-0", root / f"{uuid.uuid4()}-1"
    for directory in (live, dead, foreign):
        (directory / "in").mkdir(parents=True)
    assert services.jobs_reconcile()["swept"] == 2
    assert live.exists() and not dead.exists() and not foreign.exists()


def test_every_registered_kind_has_worker_metrics(alice, scrape):
    registry.register(registry.JobKind(name="latecomer", run=lambda ctx: {}, cleanup=lambda job: None,
                                       max_concurrency=lambda: 1))
    body = scrape()
    for kind in ("preview", "video", "export", "latecomer"):
        assert f'{kind}_worker_jobs_total{{outcome="success"}}' in body, kind
        assert f"{kind}_worker_queue_size" in body and f"{kind}_worker_active_jobs" in body
        assert f"{kind}_worker_job_duration_seconds_count" in body


def test_a_job_cut_short_by_its_workers_stop_is_queued_again_at_once_even_on_its_last_attempt(
    alice, fake, monkeypatch
):
    def stopped_mid_run(ctx):
        monkeypatch.setattr(stopping, "_requested", True)  # what the worker's SIGTERM handler does
        raise JobCancelled  # what the heartbeat's cancel makes the handler raise
    fake.outcomes = [stopped_mid_run]
    job = _submit(alice)
    Job.objects.filter(pk=job.pk).update(attempts=2)  # the next attempt is its last
    assert runner.run_job(str(job.pk)) == JobStatus.QUEUED
    job.refresh_from_db()
    assert (job.attempts, job.max_attempts, job.not_before, job.enqueued_at is not None) == (3, 4, None, True)
    attempt = job.attempt_set.get()
    assert attempt.outcome == "retry" and "was stopped during attempt 3" in attempt.error
    assert fake.cleaned == [job.pk]


def test_a_task_delivered_to_a_stopping_worker_leaves_its_job_queued_for_the_next(alice, fake, monkeypatch):
    job = _submit(alice)
    Job.objects.filter(pk=job.pk).update(enqueued_at=timezone.now())
    monkeypatch.setattr(stopping, "_requested", True)
    assert runner.run_job(str(job.pk)) == "parked"
    job.refresh_from_db()
    assert (job.status, job.attempts, job.enqueued_at) == (JobStatus.QUEUED, 0, None)
    monkeypatch.setattr(stopping, "_requested", False)
    assert services.jobs_reconcile()["requeued"] == 1  # any running worker's reconciler hands it over


def test_a_cancel_asked_for_before_a_workers_stop_wins(alice, fake, monkeypatch):
    def cancelled_then_stopped(ctx):
        Job.objects.filter(pk=ctx.job.pk).update(cancel_requested=True)
        monkeypatch.setattr(stopping, "_requested", True)
        raise JobCancelled
    fake.outcomes = [cancelled_then_stopped]
    job = _submit(alice)
    assert runner.run_job(str(job.pk)) == JobStatus.CANCELLED
    assert Job.objects.get(pk=job.pk).status == JobStatus.CANCELLED
