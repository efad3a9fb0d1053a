"""Resumable (tus) uploads: the web worker's peak memory, and time against a plain upload.

Standalone script, not a test: `.venv/bin/python bench/tus_memory.py` from the repo root
(TUS_BENCH_SMALL_MIB / TUS_BENCH_LARGE_MIB change the sizes; 64 and 512 by default).

It reuses bench/upload_memory.py's setup: a throwaway DATA_DIR, one gunicorn sync worker,
incompressible MP4 files made with FFmpeg. Each file is sent with tuspy in 8 MiB PATCHes while
the worker's RSS is sampled every 50 ms. If chunks stream to disk as designed, the peak does not
depend on the file's size: the script prints peak(large) / peak(small). Then the large file is
sent again, alternately as one multipart POST (curl) and through tus, in A B A B pairs (both are
duplicates by then, so both go through the same ingest): the ratio of their medians is the cost
of the protocol.
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import upload_memory as base  # noqa: E402 - the sibling bench script, for its setup

MIB = base.MIB
CHUNK = 8 * MIB


def tus_upload(server: base.Server, port: int, token: str, project_id: int, path: Path, label: str):
    from tusclient.client import TusClient

    worker = server.worker()
    baseline = base.baseline_rss(worker)
    client = TusClient(f"http://127.0.0.1:{port}/api/uploads/", headers={"Authorization": f"Token {token}"})
    uploader = client.uploader(str(path), chunk_size=CHUNK,
                               metadata={"filename": path.name, "projectId": str(project_id)})
    with base.Sampler(worker) as sampler:
        started = time.monotonic()
        uploader.upload()
        wall = time.monotonic() - started
        time.sleep(0.3)
    if sampler.error:
        raise base.BenchError(f"{label}: {sampler.error}\n{server.tail()}")
    peak = max((rss for t, rss in sampler.samples if started <= t <= started + wall), default=baseline)
    size = path.stat().st_size
    print(f"[{label}] {size / MIB:.1f} MiB in {wall:.2f}s ({size / MIB / wall:.1f} MiB/s); RSS baseline "
          f"{baseline / MIB:.1f} MiB, peak {peak / MIB:.1f} MiB (delta {(peak - baseline) / MIB:+.1f} MiB)")
    return wall, peak, baseline


def make_files(work: Path) -> tuple[Path, Path, Path]:
    base.SMALL_TARGET = int(os.environ.get("TUS_BENCH_SMALL_MIB", "64")) * MIB
    base.LARGE_TARGET = int(os.environ.get("TUS_BENCH_LARGE_MIB", "512")) * MIB
    return base.make_videos(work)


def main() -> int:
    signal.signal(signal.SIGTERM, base._sigterm)
    work = Path(tempfile.mkdtemp(prefix="tus-memory-"))
    server = None
    try:
        data_dir = work / "data"
        data_dir.mkdir()
        env = base.make_env(data_dir)
        token, project_id = base.setup_app(env)
        warmup, small, large = make_files(work)
        port = base.free_port()
        server = base.Server(env, port, work / "gunicorn.log")
        api_path = f"/api/projects/{project_id}/assets"
        server.wait_ready(api_path, token)
        tus_upload(server, port, token, project_id, warmup, "warm-up")
        _, small_peak, _ = tus_upload(server, port, token, project_id, small, "small, new")
        _, large_peak, _ = tus_upload(server, port, token, project_id, large, "large, new")
        url = f"http://127.0.0.1:{port}{api_path}"
        plain, resumable = [], []
        for round_ in range(2):  # interleaved: A B A B
            plain.append(base.upload(server, url, token, large, f"multipart {round_ + 1}", work).wall)
            resumable.append(tus_upload(server, port, token, project_id, large, f"tus {round_ + 1}")[0])
        left = list((data_dir / "tmp" / "uploads" / "tus").iterdir())
        print("[summary]")
        print(f"  peak RSS ratio large/small (tus)   : {large_peak / small_peak:.3f} "
              f"({large_peak / MIB:.1f} / {small_peak / MIB:.1f} MiB; sizes {large.stat().st_size / MIB:.0f} / "
              f"{small.stat().st_size / MIB:.0f} MiB)")
        print(f"  duplicate upload time tus/multipart : {statistics.median(resumable) / statistics.median(plain):.2f} "
              f"(medians {statistics.median(resumable):.2f}s / {statistics.median(plain):.2f}s)")
        print(f"  chunk files left under tus/         : {len(left)}")
        return 0 if not left else 1
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except base.BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(2)
