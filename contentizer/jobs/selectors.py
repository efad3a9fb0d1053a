"""Reads of jobs, always scoped to their owner."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from contentizer.jobs.models import Job, StageRun


def job_list(*, user, kind: str | None = None, status: str | None = None, project: int | None = None) -> QuerySet[Job]:
    qs = Job.objects.filter(owner=user)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if project:
        qs = qs.filter(project_id=project)
    return qs


def job_get(*, user, job_id) -> Job:
    return get_object_or_404(Job, pk=job_id, owner=user)


def seconds_between(later, earlier) -> float | None:
    return round((later - earlier).total_seconds(), 3) if later and earlier else None


def job_summary(job: Job) -> dict[str, Any]:
    """The state of a job as the API and the event stream report it."""
    return {
        "id": str(job.id), "kind": job.kind, "status": job.status, "progress": job.progress,
        "stage": job.stage, "attempts": job.attempts, "maxAttempts": job.max_attempts, "error": job.error,
        "projectId": job.project_id, "requestId": job.request_id,
        "createdAt": job.created_at.isoformat(), "startedAt": job.started_at and job.started_at.isoformat(),
        "finishedAt": job.finished_at and job.finished_at.isoformat(),
        "queuedSeconds": seconds_between(job.started_at, job.created_at),
        "runSeconds": seconds_between(job.finished_at, job.started_at),
    }


STAGE_COUNTERS = ("rendered", "reused", "pieces", "encoded", "measured", "synthesized")


def stage_summary(job: Job, stages: tuple[str, ...]) -> list[dict[str, Any]]:
    """Each stage of a staged job as its latest run left it ("pending" before it ran)."""
    runs = {run.stage: run for run in StageRun.objects.filter(job=job).order_by("id")}  # latest per stage
    out = []
    for stage in stages:
        run = runs.get(stage)
        out.append({
            "stage": stage, "status": run.status if run else "pending", "attempt": run.attempt if run else None,
            "startedAt": run.started_at.isoformat() if run else None,
            "finishedAt": run.finished_at.isoformat() if run and run.finished_at else None,
            "duration": run.duration if run else None, "error": run.error if run else "",
            "outputs": {k: v for k, v in run.outputs.items() if k in STAGE_COUNTERS} if run else {},
        })
    return out
