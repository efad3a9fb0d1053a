"""Reads of jobs, always scoped to their owner; internal kinds (webhook deliveries) stay out."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from contentizer.jobs import registry
from contentizer.jobs.messages import public_error
from contentizer.jobs.models import Job, JobStatus, StageRun


def _visible(user) -> QuerySet[Job]:
    return Job.objects.filter(owner=user).exclude(kind__in=registry.unlisted())


def job_list(*, user, kind: str | None = None, status: str | None = None, project: int | None = None) -> QuerySet[Job]:
    qs = _visible(user)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if project:
        qs = qs.filter(project_id=project)
    return qs


def job_get(*, user, job_id, kind: str | None = None) -> Job:
    """The user's job (of that kind, for the kinds' own routes); anything else is a 404."""
    return get_object_or_404(_visible(user).filter(**({"kind": kind} if kind else {})), pk=job_id)


def seconds_between(later, earlier) -> float | None:
    return round((later - earlier).total_seconds(), 3) if later and earlier else None


def job_failure(job: Job) -> dict[str, Any] | None:
    """Why a failed or dead job ended: what its handler said (code, message, details), or a
    generic code around the last error; the message as authors read it (no server paths)."""
    if job.status not in (JobStatus.FAILED, JobStatus.DEAD):
        return None
    if stored := (job.result or {}).get("failure"):
        return {**stored, "message": public_error(stored.get("message", "")) or "The job failed."}
    code = "job_dead" if job.status == JobStatus.DEAD else "job_failed"
    return {"code": code, "message": public_error(job.error) or "The job failed.", "details": {}}


STAGE_COUNTERS = ("rendered", "reused", "pieces", "encoded", "measured", "synthesized")


def stage_summary(job: Job, stages: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each stage of a staged job as its latest run left it ("pending" before it ran)."""
    runs = {run.stage: run for run in StageRun.objects.filter(job=job).order_by("id")}  # latest per stage
    out = []
    for stage in stages:
        run = runs.get(stage)
        out.append({
            "stage": stage, "status": run.status if run else "pending", "attempt": run.attempt if run else None,
            "startedAt": run.started_at if run else None,
            "finishedAt": run.finished_at if run else None,
            "duration": run.duration if run else None, "error": public_error(run.error) if run else "",
            "outputs": {k: v for k, v in run.outputs.items() if k in STAGE_COUNTERS} if run else {},
        })
    return out
