"""Reads of preview jobs, scoped to their owner."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404

from contentizer.jobs.models import Job, JobStatus
from contentizer.jobs.selectors import seconds_between
from previews.services import KIND


def preview_get(*, user, job_id) -> Job:
    return get_object_or_404(Job, pk=job_id, owner=user, kind=KIND)


def preview_status(job: Job) -> dict[str, Any]:
    ready = job.status == JobStatus.SUCCEEDED and (job.result or {}).get("artifact")
    return {
        "jobId": job.id, "status": job.status, "progress": job.progress, "stage": job.stage,
        "attempts": job.attempts, "maxAttempts": job.max_attempts,
        "dryRun": bool(job.payload.get("dryRun")), "error": job.error, "requestId": job.request_id,
        "timings": {
            "createdAt": job.created_at, "startedAt": job.started_at, "finishedAt": job.finished_at,
            "queuedSeconds": seconds_between(job.started_at, job.created_at),
            "runSeconds": seconds_between(job.finished_at, job.started_at),
        },
        "artifactUrl": f"/api/preview/{job.id}/artifact" if ready else None,
    }
