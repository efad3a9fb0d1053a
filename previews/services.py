"""Previews: requesting them, rendering them in a worker, and expiring them."""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from contentizer import logs
from contentizer.jobs import events
from contentizer.jobs import services as jobs
from contentizer.jobs.models import AttemptOutcome, Job, JobAttempt, JobStatus
from contentizer.jobs.runner import JobContext
from contentizer.models import Project
from contentizer.storage import delete_tree, publish_bytes, publish_file
from previews.compile import Format, StepSpec, branded, requested_timeline
from previews.render import Output, render
from previews.timeline import Timeline

logger = logging.getLogger(__name__)

KIND = "preview"
DEFAULT_SECONDS_PER_SECOND = 0.1  # render time per second of video until real renders are measured


def artifact_prefix(job: Job) -> str:
    return f"previews/{job.payload.get('projectId', job.project_id)}/{job.id}"


def preview_request(
    *, owner, project: Project, steps: list[StepSpec], dry_run: bool, request_id: str = "",
    job_id=None, music: dict | None = None, declared_assets: list | None = None, chapter_id: int | None = None,
    fmt: Format | None = None, cards: bool = True,
) -> jobs.Submitted:
    """Validate and compile now (bad input is the client's 4xx, not a failed job), then queue.
    `cards`: with the brand's intro and outro (not for a step previewed alone)."""
    timeline, labels = requested_timeline(
        what="preview", project=project, steps=steps, fmt=fmt or Format(resolution=settings.PREVIEW_HEIGHT),
        music=music, declared_assets=declared_assets, cards=cards,
    )
    payload = {
        # the HTTP request's id, so the worker's log lines join the request's
        "traceId": logs.log_context().get("requestId"),
        "projectId": project.pk, "chapterId": chapter_id, "dryRun": dry_run,
        "timeline": timeline.to_dict(), "steps": labels, "cacheKey": timeline.cache_key(),
    }
    if any(step.said for step in steps):  # narrated as the video is: the first language's voice and timing
        payload["narration"] = {"language": project.languages[0],
                                "texts": branded([step.said for step in steps], labels, "")}
    if dry_run:
        if narration := payload.get("narration"):  # timed as the video will be: by what the voice takes to say it
            payload["timeline"] = _timed_by_speech(project, timeline, narration).to_dict()
        return _dry_run(owner=owner, project=project, payload=payload, request_id=request_id, job_id=job_id)
    return jobs.job_submit(
        kind=KIND, owner=owner, project=project, payload=payload, request_id=request_id, job_id=job_id,
        queue_max=settings.PREVIEW_QUEUE_MAX,
    )


def _timed_by_speech(project: Project, timeline: Timeline, narration: dict) -> Timeline:
    """A dry run's timing: each narrated step as long as the project's voice takes to say its text (the
    clip from the speech cache the video uses, said now when it is not there yet), by the one timing rule."""
    import tempfile

    from previews import tts
    from previews.timeline import NARRATION_PAUSE, Speech

    language, speeches = narration["language"], []
    with tempfile.TemporaryDirectory(prefix="dry-run-") as work:
        for text in narration["texts"]:
            if not text:
                speeches.append(())
                continue
            try:
                clip = tts.speech_clip(project=project, language=language, text=text, work_dir=Path(work))
            except tts.UnsupportedLanguage:
                speeches.append(())  # the video refuses it, naming the step; a manifest shows the typed length
                continue
            speeches.append((Speech(language=language, clip=Path(clip["key"]).stem, seconds=clip["seconds"]),))
    narrated = timeline.narrated(speeches, pause=NARRATION_PAUSE, gains={})
    return narrated if narrated.languages else replace(narrated, languages=(language,))


def _dry_run(*, owner, project: Project, payload: dict, request_id: str, job_id) -> jobs.Submitted:
    """A manifest needs no FFmpeg and no worker: it is written here and the job is done."""
    if existing := jobs.job_find_existing(owner=owner, kind=KIND, request_id=request_id, job_id=job_id):
        return jobs.Submitted(job=existing, created=False)
    with transaction.atomic():
        job = Job.objects.create(
            **({"id": job_id} if job_id else {}), kind=KIND, owner=owner, project=project, payload=payload,
            request_id=request_id, status=JobStatus.SUCCEEDED, progress=100.0, stage="done",
            started_at=timezone.now(), finished_at=timezone.now(),
        )
        manifest = preview_manifest(Timeline.parse(payload["timeline"]), labels=payload["steps"])
        key = f"{artifact_prefix(job)}/preview.json"
        body = json.dumps(manifest, indent=2).encode()
        publish_bytes(key=key, data=body)
        job.result = {"artifact": key, "mime": "application/json", "size": len(body)}
        job.save(update_fields=["result"])
        events.job_ended(job_id=job.pk)  # made finished: its end is told like any other job's
    return jobs.Submitted(job=job, created=True)


def estimate_render_seconds(timeline: Timeline) -> float:
    """From the last real renders: their run time per second of video, times this duration."""
    ratios = []
    for attempt in JobAttempt.objects.filter(kind=KIND, outcome=AttemptOutcome.SUCCESS).select_related("job")[:20]:
        seconds = (attempt.job.result or {}).get("duration")
        if seconds and attempt.duration:
            ratios.append(attempt.duration / seconds)
    per_second = sum(ratios) / len(ratios) if ratios else DEFAULT_SECONDS_PER_SECOND
    return round(per_second * timeline.duration, 2)


def preview_manifest(timeline: Timeline, *, labels: list[str]) -> dict[str, Any]:
    starts = timeline.starts()
    return {
        "version": timeline.version,
        "cacheKey": timeline.cache_key(),
        "output": {**timeline.to_dict()["output"], "format": "mp4", "video": "h264", "audio": "aac"},
        "duration": timeline.duration,
        "frames": timeline.frames(),
        "estimatedRenderSeconds": estimate_render_seconds(timeline),
        "scenes": [
            {
                "index": i, "step": labels[i] if i < len(labels) else None, "type": scene.type,
                "start": start, "end": round(start + scene.duration, 6), "duration": scene.duration,
                "asset": scene.asset, "narration": scene.narration, "caption": scene.caption,
                "title": scene.title or None,
                "transition": {"type": scene.transition.type, "duration": scene.transition.duration},
            }
            for i, (scene, start) in enumerate(zip(timeline.scenes, starts, strict=True))
        ],
        "music": timeline.to_dict().get("audio", {}).get("music"),
    }


# --- rendering in the worker ----------------------------------------------------------------

def preview_render(ctx: JobContext) -> dict[str, Any]:
    """The worker side of a preview: fetch, draw cards, render, verify, publish. A preview of at
    most RENDER_CHUNK_SCENES scenes is one FFmpeg process; a longer one is rendered in chunks of
    that many scenes (cached by content like a video's pieces) and joined with its sound."""
    job = ctx.job
    timeline = Timeline.parse(job.payload["timeline"])
    if narration := job.payload.get("narration"):
        ctx.progress(1, "narrate")
        timeline = _narrated(ctx, timeline, narration, labels=job.payload.get("steps", []))
    ctx.progress(5, "render")
    piecing = "single" if len(timeline.scenes) <= settings.RENDER_CHUNK_SCENES else "chunks"
    [report] = render(ctx, [(timeline, Output(path=ctx.work_dir / "preview.mp4", piecing=piecing))],
                      labels=job.payload.get("steps", []), timeout=settings.PREVIEW_TIMEOUT_SECONDS,
                      on_progress=lambda fraction: ctx.progress(5 + fraction * 90, "render"))
    ctx.progress(98, "publish")
    key = f"{artifact_prefix(job)}/preview.mp4"
    size = publish_file(key=key, path=report.path)
    return {
        "artifact": key, "mime": "video/mp4", "size": size, "duration": report.duration,
        "renderSeconds": report.seconds, "cacheKey": timeline.cache_key(),
        "pieces": {"rendered": report.rendered, "reused": report.reused},
    }


def _narrated(ctx: JobContext, timeline: Timeline, narration: dict, *, labels: list[str]) -> Timeline:
    """The timeline with each step's narration said by the project's voice for the language, as a video
    says it (the same speech cache, the same loudness, the one timing rule `Timeline.narrated`), so the
    preview lasts what the video will and is heard."""
    from previews import speech
    from previews.timeline import NARRATION_PAUSE, Speech

    language, said = narration["language"], []
    for i, text in enumerate(narration["texts"]):
        ctx.check_cancelled()
        label = labels[i] if i < len(labels) else f"step {i + 1}"
        said.append(speech.speak(project=ctx.job.project, language=language, text=text, label=label,
                                 work_dir=ctx.work_dir) if text else None)
    gains = speech.normalised([clip for clip in said if clip], work_dir=ctx.work_dir,
                              timeout=settings.PREVIEW_TIMEOUT_SECONDS, should_cancel=ctx.cancelled).gains
    speeches = [(Speech(language=language, clip=speech.clip_id(clip), seconds=clip["seconds"],
                        gain=gains[speech.clip_id(clip)]),) if clip else () for clip in said]
    narrated = timeline.narrated(speeches, pause=NARRATION_PAUSE, gains={})
    return narrated if narrated.languages else replace(narrated, languages=(language,))


def preview_cleanup(job: Job) -> None:
    """A failed or cancelled attempt leaves nothing under the job's prefix."""
    delete_tree(artifact_prefix(job))


def previews_expire(*, now=None) -> int:
    """Delete artifacts of previews older than PREVIEW_TTL and stale work directories."""
    now = now or timezone.now()
    expired = jobs.jobs_expire_artifacts(kind=KIND, ttl_seconds=settings.PREVIEW_TTL_SECONDS, now=now)
    return expired + _sweep_work_dirs(now=now)


def _sweep_work_dirs(*, now) -> int:
    """Work dirs of attempts that ended without their finally block (a killed worker)."""
    root = Path(settings.JOB_WORK_DIR)
    running = {str(j) for j in Job.objects.filter(status=JobStatus.RUNNING).values_list("id", flat=True)}
    removed = 0
    for entry in root.iterdir() if root.exists() else ():
        job_id = entry.name.rsplit("-", 1)[0]
        old = entry.stat().st_mtime < (now - timedelta(seconds=settings.JOB_STALE_SECONDS)).timestamp()
        if entry.is_dir() and job_id not in running and old:
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed
