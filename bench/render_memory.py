"""Peak memory of a preview render as chapters grow: 6 steps (30 s) against 120 steps (10 minutes).

Standalone script, not a test: `.venv/bin/python bench/render_memory.py [--steps 6,120]` from the repo root.

For each size, a chapter of distinct photographic 1920x1080 JPEG stills (5.42 s each, captions,
0.5 s cross-fades, narration on three steps) is rendered at 480p twice:
  product   `previews.services.preview_render`, as a worker runs it (chunks of RENDER_CHUNK_SCENES
            scenes per FFmpeg process, at most VIDEO_RENDER_THREADS processes at once);
  baseline  the hand-written single command of bench/render_preview.py (one input per still).
A thread samples every 50 ms the resident memory of this process and of every FFmpeg process it
started; printed are the peak of the FFmpeg processes taken together (what the worker's machine
must hold), the peak of the largest single one, this Python process's peak, and the wall time.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from render_preview import (
    FPS,
    SCENE,
    TRANSITION,
    baseline_argv,
    draw_captions,
    make_preview_job,
    setup_django,
    storage_path,
)

MIB = 1024 * 1024


def sampled(fn) -> dict:
    me, peaks, stop = psutil.Process(), {"ffmpeg": 0, "largest": 0, "python": 0}, threading.Event()

    def sample() -> None:
        while not stop.is_set():
            sizes = []
            for child in me.children(recursive=True):
                try:
                    sizes.append(child.memory_info().rss)
                except psutil.NoSuchProcess:
                    pass
            peaks["ffmpeg"] = max(peaks["ffmpeg"], sum(sizes))
            peaks["largest"] = max(peaks["largest"], max(sizes, default=0))
            peaks["python"] = max(peaks["python"], me.memory_info().rss)
            time.sleep(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    started = time.monotonic()
    try:
        fn()
    finally:
        stop.set()
        thread.join()
    return {**{k: v / MIB for k, v in peaks.items()}, "seconds": time.monotonic() - started}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="6,120")
    parser.add_argument("--height", type=int, default=480)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="render-memory-bench-"))
    rows = []
    try:
        setup_django(tmp / "data")
        from django.conf import settings

        from contentizer.jobs.runner import JobContext
        from contentizer.media import ffmpeg
        from previews.services import preview_render

        print(f"ffmpeg: {ffmpeg.binary()}\nRENDER_CHUNK_SCENES={settings.RENDER_CHUNK_SCENES} "
              f"VIDEO_RENDER_THREADS={settings.VIDEO_RENDER_THREADS}, {args.height}p, {FPS} fps, "
              f"x264 {settings.PREVIEW_PRESET} CRF {settings.PREVIEW_CRF}")
        for steps in (int(n) for n in args.steps.split(",")):
            work = tmp / f"work-{steps}"
            work.mkdir()
            job, stills, voices = make_preview_job(work, args.height, scenes=steps)
            width = job.payload["timeline"]["output"]["width"]
            ctx = JobContext(job=job, work_dir=work / "product")
            ctx.work_dir.mkdir()
            product = sampled(lambda ctx=ctx: preview_render(ctx))
            shutil.rmtree(ctx.work_dir)
            captions = draw_captions(work, width, args.height)
            captions = [captions[i % len(captions)] for i in range(steps)]
            argv = baseline_argv(ffmpeg.binary(), [storage_path(s) for s in stills], captions,
                                 {i: (storage_path(a), a.blob.duration) for i, a in voices.items()}, width,
                                 args.height, settings.PREVIEW_PRESET, settings.PREVIEW_CRF, work / "baseline.mp4")
            baseline = sampled(lambda argv=argv: subprocess.run(argv, check=True))
            seconds = steps * SCENE - (steps - 1) * TRANSITION
            rows.append((steps, seconds, product, baseline))
            print(f"{steps} steps ({seconds:.0f} s): product ffmpeg peak {product['ffmpeg']:.0f} MiB "
                  f"(largest process {product['largest']:.0f}), python {product['python']:.0f} MiB, "
                  f"{product['seconds']:.1f} s; baseline ffmpeg peak {baseline['ffmpeg']:.0f} MiB, "
                  f"{baseline['seconds']:.1f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("\n| steps | video s | product FFmpeg peak MiB | product largest MiB | product python MiB | product s "
          "| baseline FFmpeg peak MiB | baseline s |")
    print("|---|---|---|---|---|---|---|---|")
    for steps, seconds, p, b in rows:
        print(f"| {steps} | {seconds:.0f} | {p['ffmpeg']:.0f} | {p['largest']:.0f} | {p['python']:.0f} "
              f"| {p['seconds']:.1f} | {b['ffmpeg']:.0f} | {b['seconds']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
