"""Peak memory of a worker writing a large export (the zip streams; it must not grow with size).

Standalone: `.venv/bin/python bench/export_memory.py [--mib 1024]`. Builds a throwaway DATA_DIR, a
project whose chapter uses one large video asset (incompressible MP4 made by FFmpeg, ingested
through the asset service) and a small image, then runs the export job in this process while a
thread samples this process's RSS every 20 ms. It does the same with an export of about a tenth
of the size and prints both peaks and their ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
DATA = Path(tempfile.mkdtemp(prefix="export-memory-"))
os.environ.update(DJANGO_SETTINGS_MODULE="contentizer.settings", DATA_DIR=str(DATA),
                  ASSET_MAX_VIDEO_BYTES=str(8 * 1024**3))
MIB = 1024 * 1024


def sampled(fn):
    """Run fn() while sampling RSS; returns (result, baseline MiB, peak MiB, seconds)."""
    process, peak, stop = psutil.Process(), [0], threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.02)

    baseline = process.memory_info().rss
    thread = threading.Thread(target=sample)
    thread.start()
    started = time.monotonic()
    try:
        result = fn()
    finally:
        stop.set()
        thread.join()
    return result, baseline / MIB, max(peak[0], baseline) / MIB, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=1024, help="size of the large asset")
    args = parser.parse_args()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import TemporaryUploadedFile
    from django.core.management import call_command

    from assets.services import asset_ingest
    from contentizer import services as core
    from contentizer.jobs.runner import run_job
    from contentizer.media import ffmpeg
    from exports.services import Include, export_request
    from tests import media

    call_command("migrate", verbosity=0)
    owner = get_user_model().objects.create_user("bench")

    def video(mib: int) -> Path:
        out = DATA / f"big-{mib}.mp4"
        seconds = max(1, round(mib / 24))  # ~24 MiB per second with this recipe
        ffmpeg.run(["-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=25:duration={seconds}",
                    "-vf", "noise=alls=80:allf=t+u", "-c:v", "mpeg4", "-q:v", "1", str(out)], timeout=900)
        return out

    def upload(path: Path) -> TemporaryUploadedFile:
        tmp = TemporaryUploadedFile(path.name, "application/octet-stream", path.stat().st_size, None)
        with open(path, "rb") as src:
            shutil.copyfileobj(src, tmp, MIB)
        tmp.flush()
        return tmp

    def export_of(mib: int):
        project = core.project_create(owner=owner, title=f"Bench {mib}")
        chapter = core.chapter_create(project=project, title="Chapter")
        big = asset_ingest(project=project, upload=upload(video(mib))).asset
        small = asset_ingest(project=project, upload=upload(_png(media))).asset
        core.step_create(chapter=chapter, caption="Big", asset=big, duration=5)
        core.step_create(chapter=chapter, caption="Small", asset=small, duration=5)
        job = export_request(owner=owner, project=project, chapter_ids=None, include=Include(subtitles=False))
        (status), base, peak, seconds = sampled(lambda: run_job(str(job.pk)))
        job.refresh_from_db()
        with default_storage.open(job.result["artifact"], "rb") as fh, zipfile.ZipFile(fh) as zf:
            ok = zf.testzip() is None
        return {"status": status, "size": job.result["size"], "base": base, "peak": peak, "seconds": seconds, "ok": ok}

    small, large = export_of(max(16, args.mib // 10)), export_of(args.mib)
    for label, r in (("small", small), ("large", large)):
        print(f"{label:5s} export: {r['size'] / MIB:8.1f} MiB zip, status {r['status']}, testzip ok={r['ok']}, "
              f"{r['seconds']:.1f} s, RSS {r['base']:.1f} -> peak {r['peak']:.1f} MiB (+{r['peak'] - r['base']:.1f})")
    print(f"peak RSS ratio large/small: {large['peak'] / small['peak']:.3f} for a size ratio of "
          f"{large['size'] / small['size']:.1f}")
    return 0 if small["ok"] and large["ok"] and small["status"] == large["status"] == "succeeded" else 1


def _png(media) -> Path:
    path = DATA / "small.png"
    path.write_bytes(media.image_bytes("PNG", (800, 600)))
    return path


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        shutil.rmtree(DATA, ignore_errors=True)
