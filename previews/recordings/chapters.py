"""A recording with speech becomes a chapter: one step per part, each a clip of the recording (an asset of
its own, so the render path is the one every chapter takes) with what was said in it as its narration and
its own sound as that step's recorded narration, so the chapter is edited like any other.

Parts are cut between spoken segments (never inside one: words are not cut), at a change of picture in the
pause between them when there is one (FFmpeg's scene score), else in the middle of the pause; changes of
picture in silence before, between or after the speech are cuts too. A "recording_chapter" job does it:
recognise, find the picture's changes, cut and ingest each clip, then create the chapter and its steps in
one transaction (recorded on the job first, so a second delivery finds it made)."""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db import transaction

from assets.models import Asset
from assets.services import asset_ingest, asset_unlink
from assets.sniffing import demuxer_for
from contentizer import logs, services
from contentizer.errors import ApplicationError, UnprocessableEntity
from contentizer.jobs import services as jobs
from contentizer.jobs.errors import PermanentJobError
from contentizer.jobs.models import Job, JobStatus
from contentizer.jobs.runner import JobContext
from contentizer.media import compose, ffmpeg
from contentizer.media.compose import Media
from contentizer.models import Chapter, Project, RecordingStatus, StepRecording
from contentizer.storage import fetch
from previews import asr
from previews.recordings.narration import check_recording, heard_language, project_language

logger = logging.getLogger(__name__)

KIND = "recording_chapter"
# FFmpeg's scene score (0–1) above which the picture counts as changed. Far below the 0.3 of camera footage:
# a screen recording changes a part of the frame (a sidebar, a dialog, a slide's text), and the tests'
# recording scores 0.058 from one screen to the next against under 0.0001 within one. A false change costs
# little: only changes in a pause or in silence cut (inside speech they never do), and in a pause it only
# moves the cut that is made there anyway.
SCENE_THRESHOLD = 0.03
MIN_PART_SECONDS = 0.5  # a part shorter than this joins its neighbour


@dataclass(frozen=True)
class Part:
    start: float
    end: float
    text: str


def parts_of(segments: list[asr.Segment], changes: list[float], duration: float, *, limit: int) -> list[Part]:
    """The recording's parts, at most `limit` (the shortest joined to a neighbour until it fits)."""
    speech = sorted((s for s in segments if s.text.strip()), key=lambda s: s.start)
    edges = [0.0, *(t for s in speech for t in (s.start, s.end)), duration]
    pauses = list(zip(edges[0::2], edges[1::2], strict=True))  # before, between and after the segments
    cuts: set[float] = set()
    for i, (start, end) in enumerate(pauses):
        inside = [t for t in changes if start <= t <= end]
        cuts.update(inside or ([(start + end) / 2] if 0 < i < len(pauses) - 1 else []))
    kept: list[float] = []
    for cut in sorted(c for c in cuts if MIN_PART_SECONDS <= c <= duration - MIN_PART_SECONDS):
        if not kept or cut - kept[-1] >= MIN_PART_SECONDS:
            kept.append(cut)
    bounds = [0.0, *kept, duration]
    while len(bounds) - 1 > max(1, limit):  # join the shortest part to the next (or the previous, last)
        shortest = min(range(len(bounds) - 1), key=lambda i: bounds[i + 1] - bounds[i])
        del bounds[min(shortest + 1, len(bounds) - 2)]
    return [Part(start=round(a, 3), end=round(b, 3),
                 text=" ".join(s.text.strip() for s in speech if a <= (s.start + s.end) / 2 < b))
            for a, b in zip(bounds, bounds[1:], strict=False)]


_SHOWINFO = re.compile(r"Parsed_showinfo_\d+ @ \S+\] .*?pts_time:\s*(-?[\d.]+)")


def parse_scene_changes(log: str) -> list[float]:
    return sorted(float(m.group(1)) for m in _SHOWINFO.finditer(log))


# --- the request ---------------------------------------------------------------------------------

def chapter_from_recording_request(*, owner, project: Project, asset: Asset, language: str | None = None,
                                   title: str = "", request_id: str = "") -> jobs.Submitted:
    if asset.project_id != project.pk:
        raise UnprocessableEntity("asset is not an asset of this project.", code="invalid_asset",
                                  details={"fields": {"asset": "not an asset of this project"}})
    language = project_language(project, language or project.languages[0])
    check_recording(asset, limit=settings.RECORDING_CHAPTER_MAX_SECONDS, what="recording")
    try:
        asr.model_for(heard_language(language))
    except asr.AsrUnavailable as exc:
        raise UnprocessableEntity(str(exc), code="asr_unavailable", details={"language": language}) from exc
    title = (title or PurePosixPath(asset.original_name).stem or "Recording").strip()[:200]
    payload = {"traceId": logs.log_context().get("requestId"), "projectId": project.pk, "assetId": asset.pk,
               "language": language, "title": title}
    return jobs.job_submit(kind=KIND, owner=owner, project=project, payload=payload, request_id=request_id)


# --- the worker ----------------------------------------------------------------------------------

def recording_chapter_run(ctx: JobContext) -> dict[str, Any]:
    payload = ctx.job.payload
    if (made := Chapter.objects.filter(pk=payload.get("chapterId")).first()) is not None:
        return _result(made, payload)  # delivered again after it was made
    asset = Asset.objects.select_related("blob", "project").filter(pk=payload["assetId"]).first()
    if asset is None:
        raise PermanentJobError("The recording was deleted before it could become a chapter.", code="not_found")
    blob = asset.blob
    ctx.progress(1, "fetch")
    media = Media(fetch(blob.storage_key, ctx.work_dir / f"recording.{blob.ext}", size=blob.size,
                        sha256=blob.sha256), demuxer_for(blob.ext))
    segments = _recognise(ctx, media, payload["language"])
    picture = blob.kind == "video"
    changes = _scene_changes(ctx, media) if picture else []
    parts = parts_of(list(segments), changes, blob.duration or max(s.end for s in segments),
                     limit=settings.PREVIEW_MAX_SCENES)
    ctx.log(f"{len(segments)} spoken segment(s), {len(changes)} change(s) of picture: {len(parts)} step(s)")
    clips = [_clip(ctx, media, asset, part, n, len(parts), picture) for n, part in enumerate(parts)]
    chapter = _create(ctx.job, asset.project, payload, parts, clips)
    ctx.progress(100, "done")
    return _result(chapter, {**payload, "sceneChanges": len(changes)})


def _recognise(ctx: JobContext, media: Media, language: str) -> tuple[asr.Segment, ...]:
    try:
        transcript = asr.transcribe(media, language=heard_language(language), work_dir=ctx.work_dir,
                                    should_cancel=ctx.cancelled,
                                    progress=lambda fraction: ctx.progress(2 + 48 * fraction, "recognise"))
    except ffmpeg.FFmpegCancelled:
        raise
    except asr.AsrUnavailable as exc:
        raise PermanentJobError(str(exc), code="asr_unavailable") from exc
    except ffmpeg.FFmpegError as exc:
        raise PermanentJobError("The recording's sound cannot be decoded.", code="undecodable") from exc
    segments = tuple(s for s in transcript.segments if s.text.strip())
    if not segments:
        raise PermanentJobError("Nothing was heard in the recording: it is silent or too quiet, so there is "
                                "nothing to cut it at.", code="silent")
    return segments


def _scene_changes(ctx: JobContext, media: Media) -> list[float]:
    ctx.progress(52, "scenes")
    log = ctx.work_dir / "scenes.log"
    ffmpeg.run(compose.scene_changes_args(media, threshold=SCENE_THRESHOLD), timeout=settings.VIDEO_TIMEOUT_SECONDS,
               log_path=str(log), should_cancel=ctx.cancelled)
    return parse_scene_changes(log.read_text(encoding="utf-8", errors="replace"))


def _clip(ctx: JobContext, media: Media, source: Asset, part: Part, n: int, count: int, picture: bool) -> Asset:
    """The part cut into an MP4 and ingested as an asset of the project (dedup makes a retry's the same)."""
    ctx.check_cancelled()
    out = ctx.work_dir / f"part-{n + 1}.mp4"
    ffmpeg.run(compose.clip_args(media, out, start=part.start, end=part.end, picture=picture),
               timeout=settings.VIDEO_TIMEOUT_SECONDS, log_path=str(ctx.log_path), should_cancel=ctx.cancelled)
    name = f"{PurePosixPath(source.original_name).stem[:180]} – part {n + 1}.mp4"
    upload = TemporaryUploadedFile(name, "video/mp4", out.stat().st_size, None)
    with open(out, "rb") as src:
        shutil.copyfileobj(src, upload)
    upload.flush()
    try:
        asset = asset_ingest(project=source.project, upload=upload).asset
    except ApplicationError as exc:
        raise PermanentJobError(f"Step {n + 1}'s clip was refused: {exc.message}") from exc
    _remember_clip(ctx.job, asset.pk)
    ctx.progress(55 + 40 * (n + 1) / count, "cut")
    return asset


def _remember_clip(job: Job, asset_id: int) -> None:
    """Each clip's asset, on the job: a failed attempt's cleanup unlinks those no step uses."""
    with transaction.atomic():
        row = Job.objects.select_for_update().get(pk=job.pk)
        row.payload = {**row.payload, "clips": sorted({*row.payload.get("clips", []), asset_id})}
        row.save(update_fields=["payload"])
        job.payload = row.payload


def _create(job: Job, project: Project, payload: dict, parts: list[Part], clips: list[Asset]) -> Chapter:
    """The chapter and its steps at once: nothing half made is ever seen."""
    language = payload["language"]
    with transaction.atomic():
        row = Job.objects.select_for_update().get(pk=job.pk)
        if (made := Chapter.objects.filter(pk=row.payload.get("chapterId")).first()) is not None:
            return made
        chapter = services.chapter_create(project=project, title=payload["title"])
        for part, clip in zip(parts, clips, strict=True):
            step = services.step_create(chapter=chapter, asset=clip, duration=max(0.1, round(part.end - part.start, 3)),
                                        transition="cut", transition_duration=0.0,
                                        narration={language: part.text} if part.text else {})
            StepRecording.objects.create(step=step, language=language, asset=clip, status=RecordingStatus.READY,
                                         transcript=part.text)
        row.payload = {**row.payload, "chapterId": chapter.pk}
        row.save(update_fields=["payload"])
        job.payload = row.payload
    logger.info("chapter made from a recording", extra={"event": "recording.chapter", "chapterId": chapter.pk,
                                                         "steps": len(parts)})
    return chapter


def _result(chapter: Chapter, payload: dict) -> dict[str, Any]:
    steps = list(chapter.steps.order_by("position").values("id", "duration", "narration"))
    return {"chapterId": chapter.pk, "title": chapter.title, "language": payload["language"],
            "steps": len(steps), "sceneChanges": payload.get("sceneChanges"),
            "parts": [{"stepId": s["id"], "duration": s["duration"],
                       "text": s["narration"].get(payload["language"], "")} for s in steps]}


def recording_chapter_cleanup(job: Job) -> None:
    """A failed or cancelled attempt's clips go again, unless a step uses them (a retry cuts them anew)."""
    for asset in Asset.objects.filter(pk__in=(job.payload or {}).get("clips", [])):
        try:
            asset_unlink(asset=asset)
        except ApplicationError:  # a step of the made chapter uses it: it stays
            continue


def recording_chapter_max_concurrency() -> int:
    return settings.TRANSCRIBE_MAX_CONCURRENCY


def recording_chapter_job_fields(job: Job) -> dict[str, Any]:
    result = (job.result or {}) if job.status == JobStatus.SUCCEEDED else {}
    payload = job.payload or {}
    return {"result": {"chapterId": result.get("chapterId"), "title": payload.get("title", ""),
                       "language": payload.get("language", ""), "steps": result.get("steps"),
                       "sceneChanges": result.get("sceneChanges"), "parts": result.get("parts", [])}}



def recording_chapter_section(job: Job) -> tuple[str, dict[str, Any]]:
    return "previews/job_recording_chapter.html", recording_chapter_job_fields(job)
