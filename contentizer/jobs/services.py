"""The job state machine: submit, claim, progress, finish, retry, cancel, reconcile.

queued --claim--> running --succeed--> succeeded
                     |--fail (permanent)--> failed
                     |--fail (transient, attempts left)--> queued (after a backoff)
                     |--fail (transient, no attempts left)--> dead
                     |--interrupt (its worker stopping)--> queued (at once; the attempt not counted)
                     '--cancel--> cancelled
Operators requeue failed, dead and cancelled jobs. Every transition is a conditional update on
the row, so two workers (or a worker and the reconciler) can never both win one.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from contentizer import storage
from contentizer.errors import ApplicationError, Conflict, TooBusy
from contentizer.jobs import events, fanout, registry
from contentizer.jobs.models import FINISHED, AttemptOutcome, Job, JobAttempt, JobSlot, JobStatus

logger = logging.getLogger(__name__)

RUN_TASK = "contentizer.jobs.tasks.run_job"


class QueueFull(TooBusy):
    default_code = "queue_full"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _log(job: Job, event: str, **extra: Any) -> None:
    trace = (job.payload or {}).get("traceId") or job.request_id
    fields = {"event": event, "jobId": str(job.id), "kind": job.kind, **({"requestId": trace} if trace else {})}
    logger.info(event, extra={**fields, **extra})


# --- submit ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Submitted:
    job: Job
    created: bool


def job_submit(
    *, kind: str, owner, project=None, payload: dict, request_id: str = "", job_id=None,
    queue_max: int | None = None, max_attempts: int | None = None,
) -> Submitted:
    """Create a job, or return the one this jobId/requestId already made (never a second)."""
    if existing := job_find_existing(owner=owner, kind=kind, request_id=request_id, job_id=job_id):
        return Submitted(job=existing, created=False)
    if queue_max is not None:
        waiting = Job.objects.filter(kind=kind, status=JobStatus.QUEUED).count()
        if waiting >= queue_max:
            raise QueueFull(
                f"{waiting} {kind} jobs are already waiting; try again shortly.",
                retry_after=_retry_after(kind), details={"queued": waiting, "limit": queue_max},
            )
    with transaction.atomic():
        job = Job.objects.create(
            **({"id": job_id} if job_id else {}), kind=kind, owner=owner, project=project,
            payload=payload, request_id=request_id, max_attempts=max_attempts or settings.JOB_MAX_ATTEMPTS,
        )
        transaction.on_commit(lambda: job_enqueue(job_id=job.id))
    _log(job, "job.submitted")
    return Submitted(job=job, created=True)


def job_find_existing(*, owner, kind: str, request_id: str, job_id) -> Job | None:
    if job_id:
        found = Job.objects.filter(pk=job_id).first()
        if found and (found.owner_id != owner.pk or found.kind != kind):
            raise Conflict("That jobId is already in use.", code="job_id_in_use")
        if found:
            return found
    if request_id:
        return Job.objects.filter(owner=owner, kind=kind, request_id=request_id).first()
    return None


def _retry_after(kind: str) -> int:
    """A rough wait: how long a finished job of this kind took, at least a few seconds."""
    last = JobAttempt.objects.filter(kind=kind, outcome=AttemptOutcome.SUCCESS).order_by("-id").first()
    return max(5, round(last.duration)) if last and last.duration else 10


def job_enqueue(*, job_id) -> None:
    """Hand the job to the broker now. If the broker is down the job stays queued in our table
    and the reconciler enqueues it later: a submit never fails half-way because of the broker.

    Later starts (a backoff, a wait for a free slot) are never broker schedules: the job keeps
    `not_before`/no `enqueued_at`, and `jobs_wake` hands it over when it is due, oldest first.
    """
    try:
        # No django-q2 timeout (-1): our own limits bound a job (each FFmpeg call's timeout, the
        # heartbeat, cancel), and a long video made of many calls within theirs must not be
        # killed halfway by a per-task wall clock.
        async_task(RUN_TASK, str(job_id), q_options={"task_name": f"job-{job_id}", "timeout": -1})
    except Exception:  # noqa: BLE001 - any broker error; the reconciler is the safety net
        logger.exception("enqueue failed; the reconciler will retry", extra={"jobId": str(job_id)})
        return
    Job.objects.filter(pk=job_id).update(enqueued_at=timezone.now())


def _due(kind: str, now) -> QuerySet[Job]:
    return Job.objects.filter(kind=kind, status=JobStatus.QUEUED).filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now)).order_by("created_at", "id")


def jobs_wake(*, kind: str) -> int:
    """Enqueue the oldest due jobs of `kind` that the broker does not hold, as many as there
    are free slots: called whenever a job leaves "running", and by the reconciler."""
    try:
        limit = registry.get(kind).max_concurrency()
    except LookupError:  # a kind this process does not run
        return 0
    free = limit - Job.objects.filter(kind=kind, status=JobStatus.RUNNING).count()
    waiting = _due(kind, timezone.now()).filter(enqueued_at__isnull=True)
    woken = list(waiting.values_list("pk", flat=True)[: max(0, free)])
    for job_id in woken:
        job_enqueue(job_id=job_id)
    return len(woken)


# --- claim and progress ---------------------------------------------------------------------

WAITING = "waiting for a free slot"


def job_claim(*, job_id, worker: str) -> Job | None:
    """Take a job of this one's kind for this worker, if a slot of the kind is free.

    Slots go first come, first served: whichever job's task the broker delivers, the claim
    takes the kind's oldest due job. A delivered job that does not run now is parked (no
    `enqueued_at`, no broker schedule) and woken when a slot frees. Returns the job to run, or
    None when there is nothing to run (done, running elsewhere, cancelled, every slot busy).
    """
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.status != JobStatus.QUEUED:
        return None
    limit = registry.get(job.kind).max_concurrency()
    now = timezone.now()
    claimed = None
    with transaction.atomic():
        JobSlot.objects.get_or_create(kind=job.kind)
        JobSlot.objects.select_for_update().get(kind=job.kind)  # serialises claims of this kind
        if Job.objects.filter(kind=job.kind, status=JobStatus.RUNNING).count() < limit:
            claimed = _claim_oldest(job.kind, worker, now)
        if claimed is None or claimed.pk != job.pk:
            due = job.not_before is None or job.not_before <= now
            Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
                enqueued_at=None, **({"stage": WAITING} if due else {}))
    if claimed is not None:
        _log(claimed, "job.claimed", attempt=claimed.attempts, worker=worker)
    return claimed


def job_park(*, job_id) -> None:
    """Leave a delivered job queued without the broker holding it (a worker that is stopping
    got its task): the reconciler of any running worker hands it to the broker again."""
    Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(enqueued_at=None)


def _claim_oldest(kind: str, worker: str, now) -> Job | None:
    for pk in _due(kind, now).values_list("pk", flat=True)[:5]:
        if Job.objects.filter(pk=pk, status=JobStatus.QUEUED).update(
            status=JobStatus.RUNNING, attempts=F("attempts") + 1, worker=worker,
            started_at=now, heartbeat_at=now, progress=0.0, stage="starting",
        ):
            job = Job.objects.get(pk=pk)
            JobAttempt.objects.create(job=job, number=job.attempts, kind=job.kind, worker=worker)
            return job
    return None


def job_owned(*, job: Job) -> bool:
    """Whether this attempt of the job is still the one running it."""
    return Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts).exists()


def job_heartbeat(*, job: Job) -> bool:
    """Mark the job alive; returns whether this attempt should stop: a cancel was requested,
    or the job has moved on without it (the reconciler gave it to another attempt)."""
    alive = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts).update(
        heartbeat_at=timezone.now())
    return not alive or Job.objects.filter(pk=job.pk, cancel_requested=True).exists()


def job_progress(*, job: Job, percent: float, stage: str) -> None:
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        progress=round(percent, 1), stage=stage, heartbeat_at=timezone.now()
    )


# --- finishing --------------------------------------------------------------------------------

def _close_attempt(job: Job, outcome: str, error: str = "") -> None:
    now = timezone.now()
    attempt = JobAttempt.objects.filter(job=job, number=job.attempts).first()
    if attempt:
        attempt.outcome, attempt.finished_at, attempt.error = outcome, now, error[:4000]
        attempt.duration = (now - attempt.started_at).total_seconds()
        attempt.save(update_fields=["outcome", "finished_at", "duration", "error"])


def job_succeed(*, job: Job, result: dict[str, Any], log_tail: str = "") -> bool:
    with transaction.atomic():  # the job and its attempt change together, as readers see them
        done = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts).update(
            status=JobStatus.SUCCEEDED, result=result, progress=100.0, stage="done", error="",
            finished_at=timezone.now(), log_tail=log_tail,
        )
        if done:
            _close_attempt(job, AttemptOutcome.SUCCESS)
            events.job_ended(job_id=job.pk)
    if done:
        _log(job, "job.succeeded", attempt=job.attempts)
        jobs_wake(kind=job.kind)
    return bool(done)


def backoff_seconds(attempt: int) -> float:
    """Exponential: base, 2*base, 4*base... capped."""
    return min(settings.JOB_BACKOFF_MAX_SECONDS, settings.JOB_BACKOFF_BASE_SECONDS * 2 ** max(0, attempt - 1))


def job_fail(*, job: Job, error: str, transient: bool, log_tail: str = "", backoff: bool = True,
             failure: dict[str, Any] | None = None) -> str:
    """Record a failed attempt; returns the job's new status.

    `backoff=False` retries at once: for a lost worker, which says nothing about the job.
    `failure` ({code, message, details}) is kept in the result for the job resource to show.
    """
    cancelled = Job.objects.filter(pk=job.pk, cancel_requested=True).exists()
    retry = transient and job.attempts < job.max_attempts and not cancelled
    status = (JobStatus.CANCELLED if cancelled else
              JobStatus.QUEUED if retry else (JobStatus.DEAD if transient else JobStatus.FAILED))
    now = timezone.now()
    fields: dict[str, Any] = {"status": status, "error": error[:8000], "log_tail": log_tail}
    if failure is not None:
        fields["result"] = {**(job.result or {}), "failure": failure}
    if retry:
        delay = (registry.get(job.kind).backoff or backoff_seconds)(job.attempts) if backoff else 0.0
        fields.update(not_before=now + timedelta(seconds=delay), stage="waiting to retry", enqueued_at=None)
    else:
        fields.update(finished_at=now)
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts).update(**fields)
        if updated:
            _close_attempt(job, AttemptOutcome.RETRY if retry else AttemptOutcome.FAILURE, error)
            if not retry:
                events.job_ended(job_id=job.pk)
    if not updated:
        return Job.objects.get(pk=job.pk).status
    _log(job, "job.failed", attempt=job.attempts, next_status=status, transient=transient)
    jobs_wake(kind=job.kind)  # this job once due (now, for a lost worker), or the next in line
    return status


def job_interrupt(*, job: Job, log_tail: str = "") -> str:
    """Queue a running job again at once because its worker is stopping (a deploy, Ctrl-C, a
    service manager's SIGTERM); returns the job's new status. The attempt is recorded, but not
    held against the job: it gets one more attempt in its allowance, so a stop never makes it
    dead. A cancel requested meanwhile wins."""
    if Job.objects.filter(pk=job.pk, cancel_requested=True).exists():
        job_mark_cancelled(job=job, log_tail=log_tail)
        return JobStatus.CANCELLED
    error = f"The worker {job.worker} was stopped during attempt {job.attempts}; the job was queued again."
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts).update(
            status=JobStatus.QUEUED, max_attempts=F("max_attempts") + 1, error=error, log_tail=log_tail,
            stage="waiting to retry", not_before=None, enqueued_at=None,
        )
        if updated:
            _close_attempt(job, AttemptOutcome.RETRY, error)
    if not updated:
        return Job.objects.get(pk=job.pk).status
    _log(job, "job.interrupted", attempt=job.attempts)
    jobs_wake(kind=job.kind)  # to the broker now: another worker, or this one's successor, takes it
    return JobStatus.QUEUED


def job_mark_cancelled(*, job: Job, log_tail: str = "") -> None:
    with transaction.atomic():
        updated = Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING, attempts=job.attempts).update(
            status=JobStatus.CANCELLED, finished_at=timezone.now(), stage="cancelled", log_tail=log_tail,
        )
        _close_attempt(job, AttemptOutcome.CANCELLED)
        if updated:
            events.job_ended(job_id=job.pk)
    _log(job, "job.cancelled")
    jobs_wake(kind=job.kind)


def job_cleanup(*, job: Job) -> str:
    """Remove a failed or cancelled attempt's partial output through its kind's cleanup.

    Returns "" or what went wrong: a cleanup that fails (storage turned read-only, a bucket
    refusing deletes) is logged and reported, never raised, so the job still records its real
    outcome at once instead of staying "running" until the reconciler tries and fails again.
    """
    try:
        registry.get(job.kind).cleanup(job)
    except Exception as exc:  # noqa: BLE001 - any storage backend's error; the outcome must be recorded
        logger.exception("job cleanup failed", extra={"event": "job.cleanup_failed", "jobId": str(job.pk)})
        if cause := storage.fault_cause(exc):  # the system's message names a file on the worker
            return storage.FAULT_TEXT[cause]
        return str(exc) or type(exc).__name__
    return ""


# --- operator actions -----------------------------------------------------------------------

def job_cancel(*, job: Job) -> Job:
    """Cancel a queued job at once; ask a running one to stop (its worker kills FFmpeg)."""
    if job.status in FINISHED:
        raise Conflict(f"The job has already {job.status}.", code="job_finished")
    with transaction.atomic():
        cancelled = Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
            status=JobStatus.CANCELLED, finished_at=timezone.now(), stage="cancelled")
        if cancelled:
            events.job_ended(job_id=job.pk)
    if cancelled:
        job_cleanup(job=job)
    else:
        Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(cancel_requested=True)
    fanout.cancel_children(job)  # a job waiting for its children stops them all
    _log(job, "job.cancel_requested")
    job.refresh_from_db()
    return job


def job_requeue(*, job: Job, resume_from: str | None = None, succeeded_too: bool = False) -> Job:
    """Run a failed, dead or cancelled job again with a fresh allowance of attempts. A staged job
    reuses the stages whose inputs did not change; `resume_from` reruns that stage and those
    after it whatever their inputs. `succeeded_too`: a succeeded job as well (a kind whose inputs
    the author edits after it finished, such as a dub's transcript)."""
    stages = registry.get(job.kind).stages
    if resume_from is not None and resume_from not in stages:
        raise ApplicationError(
            f"{job.kind} jobs have no stage {resume_from!r}." if stages else f"{job.kind} jobs have no stages.",
            code="no_stages" if not stages else "unknown_stage", details={"stages": list(stages)},
        )
    payload = {k: v for k, v in job.payload.items() if k != "resumeFrom"}
    if resume_from:
        payload["resumeFrom"] = resume_from
    updated = Job.objects.filter(
        pk=job.pk, status__in=[JobStatus.FAILED, JobStatus.DEAD, JobStatus.CANCELLED,
                               *([JobStatus.SUCCEEDED] if succeeded_too else [])]
    ).update(
        # attempts keep counting (each has its own row); the job gets a fresh allowance on top
        status=JobStatus.QUEUED, max_attempts=F("attempts") + settings.JOB_MAX_ATTEMPTS, error="", progress=0.0,
        stage="", not_before=None, finished_at=None, cancel_requested=False, result={}, payload=payload,
        # an earlier fan-out is over: a batch with no children closes it, so the job fans out anew
        fan_out=F("fan_out") + 1, fan_in=F("fan_out") + 1,
    )
    if not updated:
        job.refresh_from_db(fields=["status"])
        raise Conflict(f"Only {'finished' if succeeded_too else 'failed, dead or cancelled'} jobs can be requeued; "
                       f"this one is {job.status}.", code="job_not_requeueable", details={"status": job.status})
    transaction.on_commit(lambda: job_enqueue(job_id=job.pk))
    _log(job, "job.requeued")
    job.refresh_from_db()
    return job


# --- reconciliation -------------------------------------------------------------------------

def jobs_reconcile() -> dict[str, int]:
    """Notice lost work: running jobs whose heartbeat stopped (worker killed, machine gone) are
    retried or declared dead; due jobs waiting for the broker are handed to it, oldest first;
    queued jobs the broker never delivered are enqueued again; this machine's work
    directories of attempts that no longer run are removed.

    Every worker process runs this every JOB_RECONCILE_SECONDS (contentizer.jobs.watch), and a
    django-q2 schedule every minute as well; concurrent passes are safe (conditional updates).
    """
    now = timezone.now()
    stale = Job.objects.filter(
        status=JobStatus.RUNNING, heartbeat_at__lt=now - timedelta(seconds=settings.JOB_STALE_SECONDS)
    )
    lost = 0
    for job in stale:
        status = job_fail(
            job=job, error=f"The worker {job.worker} stopped responding.", transient=True, backoff=False
        )
        if status in (JobStatus.QUEUED, JobStatus.DEAD, JobStatus.CANCELLED):
            job_cleanup(job=job)
            lost += 1
    woken = sum(jobs_wake(kind=kind) for kind in
                Job.objects.filter(status=JobStatus.QUEUED).values_list("kind", flat=True).distinct())
    undelivered = Job.objects.filter(
        status=JobStatus.QUEUED, enqueued_at__lt=now - timedelta(seconds=settings.JOB_REQUEUE_SECONDS)
    ).exclude(not_before__gt=now)
    requeued = 0
    for job_id in undelivered.values_list("pk", flat=True):
        job_enqueue(job_id=job_id)
        requeued += 1
    woken += fanout.reconcile_joins()
    swept = work_dirs_sweep()
    if lost or requeued or woken or swept:
        logger.info("jobs reconciled", extra={"event": "jobs.reconciled", "lost": lost, "requeued": requeued,
                                              "woken": woken, "swept": swept})
    return {"lost": lost, "requeued": requeued + woken, "swept": swept}


def work_dirs_sweep() -> int:
    """Remove this machine's work directories (`<job id>-<attempt>`) of attempts that no longer
    run: a killed worker never reached its `finally`, and its job is reclaimed elsewhere."""
    root = Path(settings.JOB_WORK_DIR)
    entries = [e for e in (root.iterdir() if root.is_dir() else ()) if e.is_dir()]
    running = Job.objects.filter(status=JobStatus.RUNNING).values_list("id", "attempts")
    live = {f"{job_id}-{attempt}" for job_id, attempt in running}
    removed = 0
    for entry in entries:
        if entry.name not in live:
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


def jobs_expire_artifacts(*, kind: str, ttl_seconds: float, now=None) -> int:
    """Remove the artifacts of `kind` jobs finished more than `ttl_seconds` ago (through the
    kind's own cleanup) and mark their results expired, so their downloads answer 410."""
    cutoff = (now or timezone.now()) - timedelta(seconds=ttl_seconds)
    expired = 0
    for job in Job.objects.filter(kind=kind, finished_at__lt=cutoff).exclude(result__artifact=None):
        if (job.result or {}).get("artifact") and not job_cleanup(job=job):
            Job.objects.filter(pk=job.pk).update(result={**job.result, "artifact": None, "expired": True})
            expired += 1
    return expired
