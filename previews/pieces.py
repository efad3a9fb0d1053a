"""Piece jobs: the missing pieces of a long video, rendered by whichever workers are free.

A video whose render stage finds more missing pieces than VIDEO_PIECE_JOBS_OVER hands them out
(`previews.render.render` with a `FanOut`): one piece job per run of pieces one render process makes (at most
PIECE_JOB_SCENES scenes), each carrying the picture's Timeline, the steps' labels and the
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

from contentizer.jobs.models import Job
from contentizer.jobs.runner import JobContext
from contentizer.media.compose import Segment
from previews.render import PIECE_KIND, Piece, Render
from previews.timeline import Timeline

KIND = PIECE_KIND


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
