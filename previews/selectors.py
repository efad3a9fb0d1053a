"""Reads of preview jobs and videos, scoped to their owner."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404

from contentizer.jobs.models import Job, JobStatus
from contentizer.jobs.selectors import seconds_between
from contentizer.models import Chapter
from previews.models import Video
from previews.pipeline import chapter_state_hash
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


# --- videos -------------------------------------------------------------------------------------

def video_get(*, user, video_id) -> Video:
    return get_object_or_404(Video.objects.select_related("job", "chapter", "project"), pk=video_id, owner=user)


def video_ready(video: Video) -> bool:
    return video.job.status == JobStatus.SUCCEEDED and bool(video.mp4_key)


def chapter_latest_video(chapter: Chapter) -> Video | None:
    """The chapter's newest finished, still stored video, whether or not it matches the steps."""
    return (Video.objects.filter(chapter=chapter, job__status=JobStatus.SUCCEEDED, superseded_at__isnull=True)
            .exclude(mp4_key="").select_related("job").order_by("-finished_at").first())


def video_up_to_date(video: Video) -> bool:
    return video.chapter_state == chapter_state_hash(video.chapter)


def chapter_latest_job(chapter: Chapter, *, kind: str, dry_run: bool | None = None) -> Job | None:
    """The newest job of `kind` made for this chapter (previews and videos name it in their payload)."""
    jobs = Job.objects.filter(owner=chapter.project.owner, kind=kind, payload__chapterId=chapter.pk)
    if dry_run is not None:
        jobs = jobs.filter(payload__dryRun=dry_run)
    return jobs.order_by("-created_at").first()
