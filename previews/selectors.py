"""Reads of preview and video jobs, scoped to their owner, and their part of the job resource."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404

from contentizer.jobs import fanout
from contentizer.jobs.models import Job, JobStatus
from contentizer.jobs.selectors import seconds_between, stage_summary
from contentizer.models import Chapter
from previews.models import Video
from previews.services import KIND
from previews.videos.services import chapter_state_hash


def preview_get(*, user, job_id) -> Job:
    return get_object_or_404(Job, pk=job_id, owner=user, kind=KIND)


def preview_job_fields(job: Job) -> dict[str, Any]:
    """A preview's part of /api/v1/jobs/{id}: its result, links, and the fields
    /api/preview/{id}/status had before it became an alias (clients read them)."""
    result = job.result or {}
    ready = job.status == JobStatus.SUCCEEDED and bool(result.get("artifact"))
    artifact_url = f"/api/preview/{job.id}/artifact" if ready else None
    dry_run = bool(job.payload.get("dryRun"))
    return {
        "links": {"status": f"/api/preview/{job.id}/status", "artifact": artifact_url},
        "result": {"dryRun": dry_run, "artifactUrl": artifact_url, "mime": result.get("mime") if ready else None,
                   "size": result.get("size") if ready else None,
                   "duration": result.get("duration") if ready else None, "expired": bool(result.get("expired"))},
        "jobId": job.id, "dryRun": dry_run, "artifactUrl": artifact_url,
        "timings": {
            "createdAt": job.created_at, "startedAt": job.started_at, "finishedAt": job.finished_at,
            "queuedSeconds": seconds_between(job.started_at, job.created_at),
            "runSeconds": seconds_between(job.finished_at, job.started_at),
        },
    }


def video_urls(video: Video) -> dict[str, str] | None:
    if not video.playable():
        return None
    base = f"/api/videos/{video.id}"
    return {"download": f"{base}/download", "stream": f"{base}/stream", "hls": f"{base}/hls/master.m3u8",
            "poster": f"{base}/poster",
            "subtitles": {lang: {fmt: f"{base}/subtitles/{lang}.{fmt}" for fmt in ("vtt", "srt")}
                          for lang in video.languages},
            "pictures": {lang: picture_urls(video, base, lang, hls="hls/", mp4={"download": "download",
                                                                                 "stream": "stream"})
                         for lang in video.languages}}


def picture_master(video: Video, language: str) -> str:
    """The master playlist of a language's picture, under the video's `hls/` folder."""
    tree = (video.picture(language) or {}).get("tree", "")
    return f"{tree}/master.m3u8" if tree else "master.m3u8"


def picture_urls(video: Video, base: str, language: str, *, hls: str, mp4: dict[str, str]) -> dict[str, str]:
    """A language's MP4 (each name in `mp4`, under `base`) and HLS master URLs: the first language's
    MP4 URLs name no language (as they always have), another's adds `?language=` (unless one
    picture serves every language: a video made before each had its own)."""
    shared = (video.picture(language) or {}).get("shared")
    query = "" if shared or language == (video.languages or [""])[0] else f"?language={language}"
    return {**{name: f"{base}/{path}{query}" for name, path in mp4.items()},
            "hls": f"{base}/{hls}{picture_master(video, language)}"}


def video_job_fields(job: Job, stages: tuple[str, ...]) -> dict[str, Any]:
    """A video job's part of /api/v1/jobs/{id}, with what /api/videos/jobs/{id}/status had."""
    video = Video.objects.filter(job=job).select_related("job").first()
    urls = video_urls(video) if video else None
    stage_list = stage_summary(job, stages)
    return {
        "links": {"status": f"/api/videos/jobs/{job.id}/status", "artifact": urls and urls["download"]},
        "result": {
            "videoId": video and video.id, "chapterId": video and video.chapter_id,
            "resolution": f"{video.height}p" if video else None, "languages": video.languages if video else [],
            "duration": video and video.duration, "size": video and video.size, "urls": urls,
            "stages": stage_list,
        },
        "percent": job.progress, "currentStage": job.stage, "stages": stage_list, "pieces": fanout.pieces(job),
    }


# --- videos -------------------------------------------------------------------------------------

def video_get(*, user, video_id) -> Video:
    return get_object_or_404(Video.objects.select_related("job", "chapter", "project"), pk=video_id, owner=user)


def video_ready(video: Video) -> bool:
    return video.playable()


SHAPE_NAMES = {"16:9": "landscape", "9:16": "portrait", "1:1": "square"}  # in the order pages list them


def variant_name(video: Video) -> str:
    """"16:9 landscape · 720p": what tells a chapter's videos apart."""
    shape = SHAPE_NAMES.get(video.aspect, "")
    return f"{video.aspect} {shape} · {video.height}p".replace("  ", " ")


def chapter_variants(chapter: Chapter) -> list[Video]:
    """The chapter's current video of each shape and resolution (newest finished, still stored), landscape
    first, then portrait and square, larger first."""
    found: dict[tuple[str, int], Video] = {}
    for video in (Video.objects.filter(chapter=chapter, job__status=JobStatus.SUCCEEDED, superseded_at__isnull=True)
                  .exclude(mp4_key="").select_related("job").order_by("-finished_at")):
        found.setdefault((video.aspect, video.height), video)
    order = list(SHAPE_NAMES)
    return sorted(found.values(), key=lambda v: (order.index(v.aspect) if v.aspect in order else len(order),
                                                 -v.height))


def chapter_latest_video(chapter: Chapter) -> Video | None:
    """The chapter's newest finished, still stored video, whether or not it matches the steps."""
    return (Video.objects.filter(chapter=chapter, job__status=JobStatus.SUCCEEDED, superseded_at__isnull=True)
            .exclude(mp4_key="").select_related("job").order_by("-finished_at").first())


def video_up_to_date(video: Video) -> bool:
    """Whether the video shows its chapter's current steps; a dubbed recording (no chapter) always does."""
    return video.chapter_id is None or video.chapter_state == chapter_state_hash(video.chapter)


def chapter_latest_job(chapter: Chapter, *, kind: str, dry_run: bool | None = None) -> Job | None:
    """The newest job of `kind` made for this chapter (previews and videos name it in their payload)."""
    jobs = Job.objects.filter(owner=chapter.project.owner, kind=kind, payload__chapterId=chapter.pk)
    if dry_run is not None:
        jobs = jobs.filter(payload__dryRun=dry_run)
    return jobs.order_by("-created_at").first()
