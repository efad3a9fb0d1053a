"""Runs one attempt of a job in a worker: claim, heartbeat, call the kind's handler, record.

The heartbeat runs in a thread of its own, so a job is seen alive however long one FFmpeg call
takes, and a cancel requested through the API reaches the handler within a heartbeat. So does a
stop of the worker (contentizer.jobs.stopping): the attempt is cancelled and the job queued again.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from contentizer import logs
from contentizer.jobs import registry, services, stopping
from contentizer.jobs.errors import JobCancelled, PermanentJobError, TransientJobError
from contentizer.jobs.models import Job
from contentizer.media.ffmpeg import FFmpegCancelled, FFmpegError

logger = logging.getLogger(__name__)

LOG_TAIL_CHARS = 8000


@dataclass
class JobContext:
    """What a handler gets: its job, a private work directory, progress and cancel hooks."""

    job: Job
    work_dir: Path
    cancel: threading.Event = field(default_factory=threading.Event)
    _stage: str = ""
    _stage_started: float = 0.0

    @property
    def log_path(self) -> Path:
        return self.work_dir / "job.log"

    def progress(self, percent: float, stage: str) -> None:
        if stage != self._stage:
            now = time.monotonic()
            if self._stage:
                logger.info("stage finished", extra={"event": "job.stage", "stage": self._stage,
                                                     "duration": round(now - self._stage_started, 3)})
            self._stage, self._stage_started = stage, now
        services.job_progress(job=self.job, percent=percent, stage=stage)

    def cancelled(self) -> bool:
        return self.cancel.is_set()

    def check_cancelled(self) -> None:
        if self.cancel.is_set():
            raise JobCancelled

    def log(self, line: str) -> None:
        with open(self.log_path, "a", encoding="utf-8") as fh:
            fh.write(line.rstrip("\n") + "\n")

    def log_tail(self) -> str:
        if not self.log_path.exists():
            return ""
        with open(self.log_path, "rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - LOG_TAIL_CHARS))
            return fh.read().decode("utf-8", "replace")


def _heartbeat(ctx: JobContext, stop: threading.Event) -> None:
    try:
        while not stop.wait(settings.JOB_HEARTBEAT_SECONDS):
            if services.job_heartbeat(job=ctx.job) or stopping.requested():
                ctx.cancel.set()
    finally:
        connection.close()


def run_job(job_id: str) -> str:
    """Entry point of the django-q2 task: returns the status the job ended this attempt in.

    (django-q2 closes stale database connections before each task itself.)
    """
    if stopping.requested():  # delivered as this worker stops: leave the job to the next worker
        services.job_park(job_id=job_id)
        return "parked"
    worker = services.worker_name()
    job = services.job_claim(job_id=job_id, worker=worker)
    if job is None:
        return "skipped"
    token = logs.bind(
        jobId=str(job.id), kind=job.kind, requestId=job.payload.get("traceId") or job.request_id or None
    )
    work_dir = Path(settings.JOB_WORK_DIR) / f"{job.id}-{job.attempts}"
    work_dir.mkdir(parents=True, exist_ok=True)
    ctx = JobContext(job=job, work_dir=work_dir)
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(ctx, stop), daemon=True)
    beat.start()
    started = time.monotonic()
    try:
        return _attempt(ctx)
    finally:
        stop.set()
        beat.join(timeout=10)
        shutil.rmtree(work_dir, ignore_errors=True)
        elapsed = round(time.monotonic() - started, 3)
        logger.info("attempt finished", extra={"event": "job.attempt", "duration": elapsed})
        logs.unbind(token)


def _attempt(ctx: JobContext) -> str:
    job, kind = ctx.job, registry.get(ctx.job.kind)
    try:
        result = kind.run(ctx)
    except (JobCancelled, FFmpegCancelled):
        return _settle(ctx, kind, cancelled=True)
    except PermanentJobError as exc:
        return _settle(ctx, kind, error=str(exc), transient=False, failure=exc.failure)
    except (TransientJobError, FFmpegError, OSError) as exc:
        logger.exception("job attempt failed", extra={"event": "job.error"})
        return _settle(ctx, kind, error=str(exc), transient=True)
    except Exception as exc:  # noqa: BLE001 - a bug must fail the attempt, not leave the job "running"
        logger.exception("job attempt crashed", extra={"event": "job.crash"})
        return _settle(ctx, kind, error=f"Internal error: {exc}", transient=True)
    if not services.job_succeed(job=job, result=result, log_tail=ctx.log_tail()):
        # The reconciler took us for dead and another attempt owns the job now. Its output
        # lives under the same deterministic keys, so ours is left for it rather than deleted.
        return "superseded"
    return "succeeded"


def _settle(ctx: JobContext, kind: registry.JobKind, *, cancelled: bool = False, error: str = "",
            transient: bool = True, failure: dict | None = None) -> str:
    """Remove this attempt's partial output, then record the outcome, but only while this
    attempt still owns the job: a newer attempt may have finished and published meanwhile."""
    if not services.job_owned(job=ctx.job):
        return "superseded"
    if problem := services.job_cleanup(job=ctx.job):
        ctx.log(f"cleanup failed: {problem}")
        error = f"{error}\n(Removing its partial output also failed: {problem})" if error else error
    if stopping.requested():
        # Whatever ended the attempt (its FFmpeg killed, a cancel, an error of the cut-short
        # work), the worker is stopping: that says nothing about the job.
        return services.job_interrupt(job=ctx.job, log_tail=ctx.log_tail())
    if cancelled:
        services.job_mark_cancelled(job=ctx.job, log_tail=ctx.log_tail())
        return "cancelled"
    return services.job_fail(job=ctx.job, error=error, transient=transient, log_tail=ctx.log_tail(),
                             failure=failure)
