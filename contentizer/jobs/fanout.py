"""Fan-out: a running job hands parts of its work to child jobs that any worker on any machine
takes, and waits for them without holding a worker.

    parent running --job_fan_out--> parent queued ("waiting for N pieces"), its attempt ended
                                    children queued --> taken by any workers
    last child ends --> parent woken once (fan_in = fan_out) --> parent runs again, its handler
                        asks `joined()` how the batch ended and carries on (the join)

- The parent parks in the same transaction that creates its children, so no child can end
  before its parent waits for it.
- "The last child ended" is decided by one conditional update of the parent's row
  (`fan_in < fan_out` → `fan_in = fan_out`), taken after each child's final status committed: of
  children ending at once, each sees the others' commits or commits after them, and exactly one
  wins the update. The reconciler repeats the check for a wake lost with its process.
- A child lost with its worker is an ordinary job to the reconciler (stale heartbeat → retried);
  a child that fails for good ends the batch like the others do, and the parent's handler
  decides (a video fails naming the piece's error).
- Cancelling the parent cancels its children (services.job_cancel).
- A parked attempt does not count against the parent's attempts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from contentizer.jobs.errors import JobCancelled, JobWaiting
from contentizer.jobs.models import FINISHED, AttemptOutcome, Job, JobAttempt, JobStatus

logger = logging.getLogger(__name__)

# A parked parent is not due before this (its children wake it long before); past it, the
# reconciler's ordinary wake runs it again, and its handler fans out what is still missing.
PARKED_FOR = timedelta(days=1)


@dataclass(frozen=True)
class Batch:
    """How the children of one batch stand."""

    total: int
    succeeded: int
    failed: int  # failed or dead
    cancelled: int
    error: str = ""  # the first failed child's error

    @property
    def done(self) -> int:
        return self.succeeded + self.failed + self.cancelled


def fan_out(*, parent: Job, kind: str, payloads: Sequence[dict[str, Any]], stage: str, noun: str = "parts",
            progress: tuple[float, float] = (0.0, 100.0)) -> int:
    """Create one `kind` child job per payload, park `parent` until they have all ended and end
    its attempt (raises JobWaiting). `progress` is the span of the parent's progress bar the
    children fill as they end; `stage` and `noun` name what the parent waits for."""
    from contentizer.jobs import services

    batch = parent.fan_out + 1
    with transaction.atomic():
        parked = Job.objects.filter(pk=parent.pk, status=JobStatus.RUNNING, attempts=parent.attempts,
                                    cancel_requested=False).update(
            status=JobStatus.QUEUED, fan_out=batch, max_attempts=F("max_attempts") + 1, enqueued_at=None,
            not_before=timezone.now() + PARKED_FOR, progress=round(progress[0], 1),
            stage=_waiting(stage, noun, 0, len(payloads)))
        if not parked:  # cancelled, or taken over by another attempt: nothing to wait for
            if Job.objects.filter(pk=parent.pk, cancel_requested=True).exists():
                raise JobCancelled
            raise JobWaiting
        children = Job.objects.bulk_create([
            Job(kind=kind, owner_id=parent.owner_id, project_id=parent.project_id, parent=parent, batch=batch,
                request_id="", max_attempts=settings.JOB_MAX_ATTEMPTS,
                payload={**payload, "fanOut": {"stage": stage, "noun": noun, "progress": list(progress)},
                         **({"traceId": parent.payload["traceId"]} if parent.payload.get("traceId") else {})})
            for payload in payloads])
        attempt = JobAttempt.objects.filter(job=parent, number=parent.attempts)
        attempt.update(outcome=AttemptOutcome.WAITING, finished_at=timezone.now())
        ids = [child.pk for child in children]
        transaction.on_commit(lambda: [services.job_enqueue(job_id=pk) for pk in ids])
    logger.info("job fanned out", extra={"event": "job.fan_out", "jobId": str(parent.pk), "kind": parent.kind,
                                         "children": len(ids), "batch": batch})
    raise JobWaiting


def _waiting(stage: str, noun: str, done: int, total: int) -> str:
    return f"{stage}: {done} of {total} {noun} done"


def batch_state(parent: Job, batch: int) -> Batch:
    counts = dict(Job.objects.filter(parent=parent, batch=batch).values_list("status").annotate(n=Count("id")))
    failed = counts.get(JobStatus.FAILED, 0) + counts.get(JobStatus.DEAD, 0)
    error = ""
    if failed:
        child = Job.objects.filter(parent=parent, batch=batch, status__in=[JobStatus.FAILED, JobStatus.DEAD]).first()
        error = child.error if child else ""
    return Batch(total=sum(counts.values()), succeeded=counts.get(JobStatus.SUCCEEDED, 0), failed=failed,
                 cancelled=counts.get(JobStatus.CANCELLED, 0), error=error)


def joined(parent: Job) -> Batch | None:
    """How the latest batch ended, when the parent runs because it did (else None: nothing was
    fanned out since the job was last requeued, or the batch has not ended)."""
    if not parent.fan_out or parent.fan_in != parent.fan_out:
        return None
    state = batch_state(parent, parent.fan_out)
    return state if state.total else None  # a requeue closes the batch with no children


def child_ended(child: Job) -> None:
    """After a child's final status committed: move the parent's progress, and wake it once
    when this was the last child of its batch."""
    if not child.parent_id:
        return
    parent = Job.objects.filter(pk=child.parent_id).only("pk", "kind", "status", "fan_out", "fan_in").first()
    if parent is None or parent.status != JobStatus.QUEUED or parent.fan_out != child.batch:
        return
    state = batch_state(parent, child.batch)
    spec = child.payload.get("fanOut", {})
    low, high = spec.get("progress", [0.0, 100.0])
    if state.done < state.total:
        Job.objects.filter(pk=parent.pk, status=JobStatus.QUEUED, fan_out=child.batch).update(
            progress=round(low + (high - low) * state.done / state.total, 1),
            stage=_waiting(spec.get("stage", ""), spec.get("noun", "parts"), state.done, state.total))
        return
    _wake(parent, child.batch, stage=spec.get("stage", ""), progress=high)


def _wake(parent: Job, batch: int, *, stage: str, progress: float) -> bool:
    from contentizer.jobs import services

    woken = Job.objects.filter(pk=parent.pk, status=JobStatus.QUEUED, fan_out=batch, fan_in__lt=batch).update(
        fan_in=batch, not_before=None, progress=round(progress, 1), stage=f"{stage}: joining" if stage else "joining")
    if woken:
        logger.info("job fanned in", extra={"event": "job.fan_in", "jobId": str(parent.pk), "batch": batch})
        services.jobs_wake(kind=parent.kind)
    return bool(woken)


def cancel_children(parent: Job) -> int:
    """Cancel every child of `parent` that has not ended (services.job_cancel, one by one)."""
    from contentizer.jobs import services

    cancelled = 0
    for child in Job.objects.filter(parent=parent).exclude(status__in=FINISHED):
        try:
            services.job_cancel(job=child)
            cancelled += 1
        except services.Conflict:  # it ended meanwhile
            pass
    return cancelled


def reconcile_joins() -> int:
    """Wake parents whose latest batch has ended but whose wake was lost (the process of the
    last child died between its commit and the wake). Returns how many were woken."""
    woken = 0
    waiting = Job.objects.filter(status=JobStatus.QUEUED, fan_out__gt=F("fan_in"))
    for parent in waiting.only("pk", "kind", "status", "fan_out", "fan_in"):
        pending = Job.objects.filter(parent=parent, batch=parent.fan_out).filter(
            ~Q(status__in=FINISHED)).exists()
        if not pending:
            woken += _wake(parent, parent.fan_out, stage="", progress=parent.progress)
    return woken


def pieces(job: Job) -> dict[str, int] | None:
    """The latest batch's children done and total, for the job's pages and resource."""
    if not job.fan_out:
        return None
    state = batch_state(job, job.fan_out)
    return {"done": state.done, "total": state.total, "failed": state.failed}
