"""Reads of dubs, scoped to their owner, and the dub's part of the job resource."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from contentizer.jobs.models import Job
from contentizer.jobs.selectors import stage_summary
from previews.dubs.services import STAGES
from previews.models import Dub


def dub_get(*, user, dub_id) -> Dub:
    return get_object_or_404(Dub.objects.select_related("job", "video__job"), pk=dub_id, owner=user)


def dub_list(*, user, project: int | None = None) -> QuerySet[Dub]:
    dubs = Dub.objects.filter(owner=user).select_related("job", "video__job")
    return dubs.filter(project_id=project) if project else dubs


def dub_segments(dub: Dub) -> list[dict[str, Any]]:
    """The segments as the API shows them: each translation's text and whether the author wrote it."""
    return [{"index": s["index"], "start": s["start"], "end": s["end"], "text": s["text"],
             "edited": bool(s.get("edited")), "words": s.get("words", []),
             "translations": {lang: {"text": t.get("text", ""), "edited": bool(t.get("edited"))}
                              for lang, t in (s.get("translations") or {}).items()}}
            for s in dub.segments]


def _video_id(dub: Dub) -> str | None:
    """The dubbed video once it can be watched (also while a resume makes it again: Video.playable)."""
    return str(dub.video_id) if dub.video is not None and dub.video.playable() else None


def dub_fields(dub: Dub, *, segments: bool = True) -> dict[str, Any]:
    """A dub for the API: its request, its job's progress and stages, counts, and (in full) its segments."""
    job = dub.job
    return {
        "dubId": dub.id, "jobId": job.id, "projectId": dub.project_id, "assetId": dub.asset_id, "title": dub.title,
        "status": job.status, "progress": job.progress, "stage": job.stage,
        "sourceLanguage": dub.source_language or None, "targetLanguages": dub.target_languages,
        "voices": dub.voices, "segmentCount": len(dub.segments), "segmentsSpedUp": dub.segments_sped_up,
        "grownSeconds": dub.grown_seconds, "languages": dub.fits, "videoId": _video_id(dub),
        "editedFrom": dub.edited_from or None, "stages": stage_summary(job, STAGES),
        "createdAt": dub.created_at, "updatedAt": dub.updated_at,
        **({"segments": dub_segments(dub)} if segments else {}),
    }


def dub_job_fields(job: Job) -> dict[str, Any]:
    """A dub job's part of /api/v1/jobs/{id} (and of its webhook events)."""
    dub = Dub.objects.filter(job=job).select_related("job", "video__job").first()
    stages = stage_summary(job, STAGES)
    result = job.result or {}
    video_id = _video_id(dub) if dub else None
    return {
        # `status` stays the job resource (an alias answers the same body); the dub is at /api/v1/dubs/{dubId}
        "links": {"artifact": f"/api/videos/{video_id}/download" if video_id else None},
        "result": {"dubId": dub and dub.id, "videoId": video_id,
                   "sourceLanguage": (dub and dub.source_language) or result.get("sourceLanguage"),
                   "targetLanguages": dub.target_languages if dub else [],
                   "segments": result.get("segments"), "segmentsSpedUp": result.get("segmentsSpedUp"),
                   "grownSeconds": result.get("grownSeconds"), "synthesized": result.get("synthesized"),
                   "reused": result.get("reused"), "stages": stages},
        "stages": stages,
    }
