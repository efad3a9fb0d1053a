"""Piece jobs: the missing pieces of a long video, rendered by whichever workers are free.

A video whose render stage finds more missing pieces than VIDEO_PIECE_JOBS_OVER hands them out
(`fan_out`): one piece job per run of pieces one render process makes (at most
RENDER_CHUNK_SCENES scenes), each carrying the picture's Timeline, the steps' labels and the
content keys the video asked for. A worker renders its run through the one render path and
publishes every piece under its key only once it is verified (`Render.render_missing`): a piece
rendered twice, by a retry or by two workers, is the same file under the same key. Pieces are
video only, every stream parameter set explicitly (`compose.video_codec`), so pieces from any
worker join without re-encoding; the sound is encoded once over the whole timeline by the video
itself (`Render.encoded_tracks`), never per piece. The last piece job to end wakes the video
once (contentizer.jobs.fanout), which then joins what they made.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

from contentizer.jobs import fanout
from contentizer.jobs.errors import JobCancelled, PermanentJobError
from contentizer.jobs.models import Job
from contentizer.jobs.runner import JobContext
from contentizer.media.compose import Segment
from previews.render import Piece, Render
from previews.timeline import Timeline

KIND = "piece"
NOUN = "pieces"


def fan_out(job: Job, renders: dict[str, Render], pieces: dict[str, list[Piece]], *,
            progress: tuple[float, float]) -> None:
    """Hand the video's missing pieces to piece jobs and park the video (raises JobWaiting), when
    there are more than VIDEO_PIECE_JOBS_OVER of them and the job is not running because its
    pieces just ended. A batch that ended with a failed piece fails the video with its error."""
    ended = fanout.joined(job)
    if ended is not None:
        if ended.failed:
            raise PermanentJobError(f"A piece of the video could not be rendered: {ended.error}")
        if ended.cancelled:
            raise JobCancelled
        return  # rendered: anything still missing (a piece storage lost since) is made here
    payloads, seen = [], set()
    for lang, render in renders.items():
        missing = [p for p in render.missing(pieces[lang]) if p.key not in seen]  # pictures share pieces
        seen |= {p.key for p in missing}
        payloads += [_payload(job, render, group) for group in render.groups(missing)]
    if len(seen) > settings.VIDEO_PIECE_JOBS_OVER:
        fanout.fan_out(parent=job, kind=KIND, payloads=payloads, stage="render", noun=NOUN, progress=progress)


def _payload(job: Job, render: Render, group: list[Piece]) -> dict[str, Any]:
    return {"videoJob": str(job.pk), "timeline": render.timeline.to_dict(), "labels": render.labels,
            "pieces": [{"key": p.key, "segments": [[s.kind, s.index] for s in p.segments]} for p in group]}


def piece_run(ctx: JobContext) -> dict[str, Any]:
    payload = ctx.job.payload
    timeline = Timeline.parse(payload["timeline"])
    render = Render(ctx, timeline, payload["labels"], timeout=settings.VIDEO_TIMEOUT_SECONDS, workspace="piece")
    wanted = [Piece(segments=tuple(Segment(kind, index) for kind, index in p["segments"]), key=p["key"])
              for p in payload["pieces"]]
    missing = render.missing(wanted)  # another worker may have made some meanwhile
    started = time.monotonic()
    render.render_missing(missing)
    return {"pieces": len(wanted), "rendered": len(missing), "worker": ctx.job.worker,
            "frames": sum(render.picture.frames(s) for p in wanted for s in p.segments),
            "seconds": round(time.monotonic() - started, 3)}


def piece_cleanup(job: Job) -> None:
    """Nothing to remove: a piece is published only once complete, and a cancelled or failed
    attempt's partial files live in its work directory, which the runner removes."""
