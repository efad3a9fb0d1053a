"""Runs one attempt of a job in a worker: claim, heartbeat, call the kind's handler, record.

The heartbeat runs in a thread of its own, so a job is seen alive however long one FFmpeg call
takes, and a cancel requested through the API reaches the handler within a heartbeat. So does a
stop of the worker (contentizer.jobs.stopping): the attempt is cancelled and the job queued again.

Kinds registered `threaded` (webhook deliveries: they wait on other people's servers) run on a
thread pool of the worker process instead of in the django-q2 task itself: the task claims the
job, hands it over and returns, so the worker process is free for the next render at once.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from contentizer import logs, storage
from contentizer.jobs import registry, services, stopping
from contentizer.jobs.errors import JobCancelled, JobWaiting, PermanentJobError, TransientJobError
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
    """Claim the job and run this attempt here and now; returns the status it ended in (or
    "skipped" when there was nothing to run). Tests and benchmarks call it directly.

    (django-q2 closes stale database connections before each task itself.)
    """
    if stopping.requested():  # delivered as this worker stops: leave the job to the next worker
        services.job_park(job_id=job_id)
        return "parked"
    job = services.job_claim(job_id=job_id, worker=services.worker_name())
    if job is None:
        return "skipped"
    return run_claimed(job)


def dispatch(job_id: str) -> str:
    """Entry point of the django-q2 task: claim the job, then run it in this task, or, for a
    threaded kind, on this process's pool of the kind and return at once."""
    if stopping.requested():
        services.job_park(job_id=job_id)
        return "parked"
    job = services.job_claim(job_id=job_id, worker=services.worker_name())
    if job is None:
        return "skipped"
    kind = registry.get(job.kind)
    if not kind.threaded:
        return run_claimed(job)
    _pool(kind).submit(_run_on_thread, job)
    return "running on a thread"


_pools: dict[str, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _forget_pools() -> None:
    global _pools_lock
    _pools.clear()  # a forked child has none of its parent's threads, nor its lock's holder
    _pools_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_pools)


def _pool(kind: registry.JobKind) -> ThreadPoolExecutor:
    """The kind's threads in this process. The claim bounds how many jobs of the kind run across
    all workers; twice as many threads cover the moment between a job leaving "running" and its
    thread returning, so a claimed job never waits here without a heartbeat. The threads are not
    daemons: a worker process that stops or recycles lets its attempts end first (each threaded
    kind bounds an attempt's time itself), and one that is killed leaves them to the reconciler."""
    with _pools_lock:
        if kind.name not in _pools:
            _pools[kind.name] = ThreadPoolExecutor(max_workers=2 * max(1, kind.max_concurrency()),
                                                   thread_name_prefix=f"job-{kind.name}")
        return _pools[kind.name]


def _run_on_thread(job: Job) -> None:
    try:
        run_claimed(job)
    except Exception:  # noqa: BLE001 - a pool keeps a thread's error to itself: log it; the reconciler retries
        logger.exception("job attempt crashed on its thread", extra={"event": "job.crash", "jobId": str(job.pk)})
    finally:
        connection.close()


def run_claimed(job: Job) -> str:
    """Run one attempt of a job this worker claimed: heartbeat, the kind's handler, the outcome."""
    token = logs.bind(
        jobId=str(job.id), kind=job.kind, requestId=job.payload.get("traceId") or job.request_id or None
    )
    work_dir = Path(settings.JOB_WORK_DIR) / f"{job.id}-{job.attempts}"
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
    """Run the kind's handler once and record how it ended. Whatever it raises, the job leaves
    "running" here (the reconciler is for workers that died, not for errors)."""
    job, kind = ctx.job, registry.get(ctx.job.kind)
    try:
        ctx.work_dir.mkdir(parents=True, exist_ok=True)  # a read-only disk refuses even this
        result = kind.run(ctx)
    except JobWaiting:  # parked by fanout.fan_out, its attempt closed there: its children run now
        _clear(ctx)
        return "waiting"
    except (JobCancelled, FFmpegCancelled):
        return _settle(ctx, kind, cancelled=True)
    except Exception as exc:  # noqa: BLE001 - a bug must fail the attempt, not leave the job "running"
        return _settle(ctx, kind, **_failure(exc))
    tail = ctx.log_tail()
    _clear(ctx)
    if not services.job_succeed(job=job, result=result, log_tail=tail):
        # The reconciler took us for dead and another attempt owns the job now. Its output
        # lives under the same deterministic keys, so ours is left for it rather than deleted.
        return "superseded"
    return "succeeded"


def _failure(exc: Exception) -> dict:
    """What the job records of an error, and whether another attempt may help. Storage that
    turned read-only fails the job at once, a full disk is retried (space may be freed), each
    named as such: the system's message would name a file on the worker instead."""
    cause = storage.fault_cause(exc) or (storage.fault_in_text(str(exc)) if isinstance(exc, FFmpegError) else None)
    if cause:
        logger.exception("job attempt failed: storage refused a write", extra={"event": "job.storage_fault"})
        return {"error": f"Stopped: {storage.FAULT_TEXT[cause]}, so the job could not write its files. "
                         "An operator must fix the storage; then retry the job.",
                "transient": cause != storage.READ_ONLY}
    if isinstance(exc, PermanentJobError):
        return {"error": str(exc), "transient": False, "failure": exc.failure}
    if isinstance(exc, (TransientJobError, FFmpegError, OSError)):
        logger.exception("job attempt failed", extra={"event": "job.error"})
        return {"error": str(exc), "transient": True}
    logger.exception("job attempt crashed", extra={"event": "job.crash"})
    return {"error": f"Internal error: {exc}", "transient": True}


def _settle(ctx: JobContext, kind: registry.JobKind, *, cancelled: bool = False, error: str = "",
            transient: bool = True, failure: dict | None = None) -> str:
    """Remove this attempt's partial output, then record the outcome, but only while this
    attempt still owns the job: a newer attempt may have finished and published meanwhile.
    Nothing on the way out may keep the outcome from being recorded: a cleanup or a job log
    that cannot be written (the very storage that failed) is logged and noted, never raised."""
    if not services.job_owned(job=ctx.job):
        return "superseded"
    if problem := services.job_cleanup(job=ctx.job):
        _note(ctx, f"cleanup failed: {problem}")
        error = f"{error}\n(Removing its partial output also failed: {problem})" if error else error
    tail = _tail(ctx)
    _clear(ctx)
    if stopping.requested():
        # Whatever ended the attempt (its FFmpeg killed, a cancel, an error of the cut-short
        # work), the worker is stopping: that says nothing about the job.
        return services.job_interrupt(job=ctx.job, log_tail=tail)
    if cancelled:
        services.job_mark_cancelled(job=ctx.job, log_tail=tail)
        return "cancelled"
    return services.job_fail(job=ctx.job, error=error, transient=transient, log_tail=tail, failure=failure)


def _clear(ctx: JobContext) -> None:
    """Remove the attempt's work directory before its outcome is recorded, so whoever sees the
    job finished (an API client, a test, an operator) finds nothing of it left on the worker."""
    shutil.rmtree(ctx.work_dir, ignore_errors=True)


def _note(ctx: JobContext, line: str) -> None:
    try:
        ctx.log(line)
    except OSError:
        logger.warning("the job log could not be written", exc_info=True, extra={"event": "job.log_failed"})


def _tail(ctx: JobContext) -> str:
    try:
        return ctx.log_tail()
    except OSError:
        logger.warning("the job log could not be read", exc_info=True, extra={"event": "job.log_failed"})
        return ""
