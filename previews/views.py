"""What preview, video and translation jobs add to the job page (registered as their kinds' `section`)."""

from __future__ import annotations

import logging
from typing import Any

from contentizer.jobs.models import Job, JobStatus, StageRun
from contentizer.jobs.views import RETRYABLE
from previews.models import Video
from previews.timeline import Timeline, TimelineError

logger = logging.getLogger(__name__)


def preview_section(job: Job) -> tuple[str, dict[str, Any]]:
    try:
        timeline = Timeline.parse(job.payload["timeline"]) if job.payload.get("timeline") else None
    except TimelineError:
        timeline = None
    labels = job.payload.get("steps", [])
    scenes = list(zip(timeline.scenes, timeline.starts(), labels, strict=False)) if timeline else []
    result = job.result or {}
    return "previews/job_preview.html", {
        "timeline": timeline, "scenes": scenes, "dry_run": bool(job.payload.get("dryRun")),
        "chapter_id": job.payload.get("chapterId"), "expired": bool(result.get("expired")),
        "ready": job.status == JobStatus.SUCCEEDED and bool(result.get("artifact")),
        "artifact_url": f"/api/preview/{job.pk}/artifact", "mime": result.get("mime", ""),
    }


def video_section(job: Job) -> tuple[str, dict[str, Any]]:
    video = Video.objects.filter(job=job).select_related("chapter").first()
    return "previews/job_video.html", {
        "video": video, "ready": bool(video and video.mp4_key and job.status == JobStatus.SUCCEEDED),
        "stage_runs": StageRun.objects.filter(job=job).order_by("attempt", "id"),
        "can_retry": job.status in RETRYABLE,
    }


def dub_section(job: Job) -> tuple[str, dict[str, Any]]:
    """A dub's job page: the stages (as a video's), its recording and the dubbed video once made."""
    video = Video.objects.filter(job=job).first()
    return "previews/job_video.html", {
        "video": video, "ready": bool(video and video.mp4_key and job.status == JobStatus.SUCCEEDED),
        "stage_runs": StageRun.objects.filter(job=job).order_by("attempt", "id"),
        "can_retry": job.status in RETRYABLE, "dub": getattr(job, "dub", None),
    }


def translate_section(job: Job) -> tuple[str, dict[str, Any]]:
    from previews.translation.jobs import translate_job_fields

    return "previews/job_translate.html", {"result": translate_job_fields(job)["result"],
                                           "done": job.status == JobStatus.SUCCEEDED}
