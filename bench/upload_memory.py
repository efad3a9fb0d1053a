"""Peak memory of the web worker while it takes a large video upload.

Standalone script, not a test: `.venv/bin/python bench/upload_memory.py` from the repo root.

It builds a throwaway DATA_DIR (SQLite, local storage), makes a user, token and project,
encodes incompressible MP4 videos with FFmpeg (a ~1 GiB one and a ~100 MiB one), starts
gunicorn with one sync worker and uploads them with curl, which streams from disk, while
sampling the worker's RSS every 50 ms. The 1 GiB file is then uploaded a second time, which
must be answered as a duplicate. If uploads are streamed as designed, the peak RSS does not
depend on the upload size: the script prints peak_1GiB / peak_100MiB.

Everything it writes goes to a temporary directory that is removed at the end, on failure too.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import imageio_ffmpeg
import psutil

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MIB = 1024 * 1024
GIB = 1024 * MIB
LARGE_TARGET = 1 * GIB
SMALL_TARGET = 100 * MIB
SAMPLE_SECONDS = 0.05
CALIBRATION_SECONDS = 1.0
# Incompressible video, cheap to make: random noise on every frame, MPEG-4 Part 2 at the best
# quantiser, so each second of video is tens of MB and the encoder runs faster than real time.
VIDEO_ARGS = [
    "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25",
    "-vf", "noise=alls=80:allf=t+u",
    "-c:v", "mpeg4", "-q:v", "1", "-pix_fmt", "yuv420p",
]
SETUP_SNIPPET = """
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from contentizer.models import Project
user = get_user_model().objects.create_user("bench", password=None)
token = Token.objects.create(user=user)
project = Project.objects.create(owner=user, title="upload memory bench")
print("BENCH", token.key, project.pk)
"""


class BenchError(Exception):
    pass


def _sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # so the finally blocks below still clean up


def run(cmd: list[str], *, env: dict[str, str], what: str) -> str:
    proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BenchError(f"{what} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(4 * MIB):
            digest.update(chunk)
    return digest.hexdigest()


# --- setup ------------------------------------------------------------------------------------


def make_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The embedded deployment only: no external database, broker or bucket.
    for name in ("DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME", "SQLITE_PATH", "SECRET_KEY"):
        env.pop(name, None)
    env.update(
        DATA_DIR=str(data_dir),
        ASSET_MAX_VIDEO_BYTES=str(2 * GIB),
        DJANGO_SETTINGS_MODULE="contentizer.settings",
        DEBUG="false",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    return env


def setup_app(env: dict[str, str]) -> tuple[str, int]:
    manage = [sys.executable, str(REPO / "manage.py")]
    run([*manage, "migrate", "--noinput", "-v", "0"], env=env, what="migrate")
    out = run([*manage, "shell", "-c", SETUP_SNIPPET], env=env, what="user/token/project setup")
    for line in out.splitlines():
        if line.startswith("BENCH "):
            _, key, project_id = line.split()
            return key, int(project_id)
    raise BenchError(f"setup printed no BENCH line:\n{out}")


def encode(ffmpeg: str, out: Path, seconds: float) -> float:
    started = time.monotonic()
    cmd = [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *VIDEO_ARGS,
           "-t", f"{seconds:.2f}", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not out.exists():
        raise BenchError(f"ffmpeg failed ({proc.returncode}): {proc.stderr}")
    return time.monotonic() - started


def make_videos(work: Path) -> tuple[Path, Path, Path]:
    """A short calibration clip (used as the warm-up upload), then ~100 MiB and ~1 GiB clips."""
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    warmup = work / "warmup.mp4"
    took = encode(ffmpeg, warmup, CALIBRATION_SECONDS)
    rate = warmup.stat().st_size / CALIBRATION_SECONDS
    print(f"ffmpeg: {ffmpeg}")
    print(f"calibration: {CALIBRATION_SECONDS:.0f}s of video = {warmup.stat().st_size / MIB:.1f} MiB "
          f"(encoded in {took:.2f}s)")
    videos = []
    for name, target in (("small.mp4", SMALL_TARGET), ("large.mp4", LARGE_TARGET)):
        path = work / name
        seconds = target / rate
        took = encode(ffmpeg, path, seconds)
        size = path.stat().st_size
        print(f"generated {name}: {seconds:.2f}s of video, {size} bytes ({size / MIB:.1f} MiB) in {took:.1f}s")
        videos.append(path)
    return warmup, videos[0], videos[1]


# --- gunicorn and sampling --------------------------------------------------------------------


class Server:
    def __init__(self, env: dict[str, str], port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        self._log = open(log_path, "wb")  # closed in stop()
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "contentizer.wsgi", "--workers", "1", "--worker-class", "sync",
             "--timeout", "900", "--bind", f"127.0.0.1:{port}", "--chdir", str(REPO)],
            env=env, cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C on the script does not reach it; stop() ends it
        )
        self.master = psutil.Process(self.proc.pid)

    def worker(self) -> psutil.Process:
        children = self.master.children()
        if len(children) != 1:
            raise BenchError(f"expected one gunicorn worker, found {len(children)}")
        return children[0]

    def wait_ready(self, path: str, token: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"gunicorn exited ({self.proc.returncode}):\n{self.tail()}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", path, headers={"Authorization": f"Token {token}"})
                if conn.getresponse().status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
            time.sleep(0.2)
        raise BenchError(f"gunicorn not ready after {timeout}s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                children = self.master.children(recursive=True)
            except psutil.NoSuchProcess:
                children = []
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
            for child in children:
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
        self._log.close()


@dataclass
class Sampler:
    """Samples a process's RSS every SAMPLE_SECONDS in a thread, until stopped."""

    process: psutil.Process
    samples: list[tuple[float, int]] = field(default_factory=list)
    descendants: int = 0
    error: str = ""

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic(), self.process.memory_info().rss))
                self.descendants = max(self.descendants, len(self.process.children(recursive=True)))
            except psutil.NoSuchProcess:
                self.error = f"worker {self.process.pid} disappeared (killed or restarted)"
                return
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Result:
    label: str
    size: int
    status: int
    body: dict
    wall: float
    baseline: int
    peak: int
    peak_at: float
    peak_receiving: int
    after: int
    samples: int
    server_seconds: float | None

    @property
    def delta(self) -> int:
        return self.peak - self.baseline


def baseline_rss(worker: psutil.Process) -> int:
    readings = []
    for _ in range(5):
        readings.append(worker.memory_info().rss)
        time.sleep(SAMPLE_SECONDS)
    return int(statistics.median(readings))


def server_duration(log_path: Path, sha256: str) -> float | None:
    """The ingest duration the app logs for this sha256 (its last 'asset.ingested' line)."""
    found = None
    for line in log_path.read_text(errors="replace").splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict) and entry.get("event") == "asset.ingested" and entry.get("sha256") == sha256:
                found = entry.get("duration")
    return found


def server_complaints(log_path: Path) -> list[str]:
    """Log lines at WARNING or above, from the app (JSON) or gunicorn itself (plain text)."""
    bad = ("WARNING", "ERROR", "CRITICAL", "Traceback")
    return [line for line in log_path.read_text(errors="replace").splitlines() if any(b in line for b in bad)]


def upload(server: Server, url: str, token: str, path: Path, label: str, work: Path) -> Result:
    worker = server.worker()
    baseline = baseline_rss(worker)
    response_path = work / "response.json"
    cmd = ["curl", "-sS", "--max-time", "1800", "-o", str(response_path), "-w", "%{http_code}",
           "-H", f"Authorization: Token {token}", "-F", f"file=@{path}", url]
    with Sampler(worker) as sampler:
        started = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        wall = time.monotonic() - started
        time.sleep(0.3)  # anything still settling in the worker after the response
    if sampler.error:
        raise BenchError(f"{label}: {sampler.error}\n{server.tail()}")
    if proc.returncode != 0:
        raise BenchError(f"{label}: curl failed ({proc.returncode}): {proc.stderr}\n{server.tail()}")
    status = int(proc.stdout.strip() or 0)
    raw = response_path.read_text(errors="replace")
    try:
        body = json.loads(raw)
    except ValueError:
        body = {"unparsed_response": raw[:2000]}
    response_path.unlink()
    during = [(t, rss) for t, rss in sampler.samples if started <= t <= started + wall]
    peak_at, peak = max(during, key=lambda s: s[1]) if during else (started, baseline)
    server_seconds = server_duration(server.log_path, body.get("sha256", ""))
    # Until the app starts ingesting (its logged duration, counted back from the response), the
    # worker is only receiving: parsing the multipart body into the hashed temporary file.
    receiving_end = started + wall - (server_seconds or 0.0)
    peak_receiving = max((rss for t, rss in during if t <= receiving_end), default=baseline)
    if sampler.descendants:
        print(f"  note: the worker had up to {sampler.descendants} child process(es) during {label}")
    return Result(
        label=label, size=path.stat().st_size, status=status, body=body, wall=wall,
        baseline=baseline, peak=peak, peak_at=peak_at - started, peak_receiving=peak_receiving,
        after=worker.memory_info().rss, samples=len(during), server_seconds=server_seconds,
    )


def report(result: Result) -> None:
    keys = ("id", "kind", "mime", "size", "sha256", "width", "height", "duration", "codecs", "deduplicated")
    shown = {k: result.body[k] for k in keys if k in result.body} or result.body
    throughput = result.size / MIB / result.wall if result.wall else 0.0
    server = f"{result.server_seconds:.2f}s" if result.server_seconds is not None else "n/a"
    print(f"[{result.label}]")
    print(f"  upload size     : {result.size} bytes ({result.size / MIB:.1f} MiB)")
    print(f"  HTTP status     : {result.status}")
    print(f"  response        : {json.dumps(shown)}")
    print(f"  wall time       : {result.wall:.2f}s (app-logged ingest after parse: {server})")
    print(f"  throughput      : {throughput:.1f} MiB/s ({result.size / 1e6 / result.wall:.1f} MB/s)")
    print(f"  RSS baseline    : {result.baseline / MIB:.1f} MiB")
    print(f"  RSS peak        : {result.peak / MIB:.1f} MiB (at +{result.peak_at:.2f}s, {result.samples} samples)")
    print(f"  RSS delta       : {result.delta / MIB:+.1f} MiB")
    print(f"  RSS peak while receiving the body (before ingest): {result.peak_receiving / MIB:.1f} MiB "
          f"(delta {(result.peak_receiving - result.baseline) / MIB:+.1f} MiB)")
    print(f"  RSS after       : {result.after / MIB:.1f} MiB")


def check(result: Result, *, status: int, deduplicated: bool, sha256: str) -> list[str]:
    problems = []
    if result.status != status:
        problems.append(f"{result.label}: HTTP {result.status}, expected {status}")
    if result.body.get("deduplicated") is not deduplicated:
        problems.append(f"{result.label}: deduplicated={result.body.get('deduplicated')}, expected {deduplicated}")
    if result.body.get("sha256") != sha256:
        problems.append(f"{result.label}: sha256 {result.body.get('sha256')} != local {sha256}")
    if result.body.get("size") != result.size:
        problems.append(f"{result.label}: size {result.body.get('size')} != local {result.size}")
    return problems


# --- main -------------------------------------------------------------------------------------


def main() -> int:
    signal.signal(signal.SIGTERM, _sigterm)
    if not shutil.which("curl"):
        raise BenchError("curl is required")
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="upload-memory-"))
    server = None
    try:
        data_dir = work / "data"
        data_dir.mkdir()
        env = make_env(data_dir)
        print(f"temp dir: {work}")
        token, project_id = setup_app(env)
        warmup, small, large = make_videos(work)
        hashes = {p: sha256_file(p) for p in (warmup, small, large)}

        port = free_port()
        server = Server(env, port, work / "gunicorn.log")
        api_path = f"/api/projects/{project_id}/assets"
        url = f"http://127.0.0.1:{port}{api_path}"
        server.wait_ready(api_path, token)
        print(f"gunicorn master {server.proc.pid}, worker {server.worker().pid}, port {port}")

        # The first upload imports PyAV, Pillow & co. in the worker: keep that out of the figures.
        warm = upload(server, url, token, warmup, "warm-up (calibration clip)", work)
        report(warm)
        problems = check(warm, status=201, deduplicated=False, sha256=hashes[warmup])

        runs = [
            (small, "~100 MiB upload", 201, False),
            (large, "~1 GiB upload", 201, False),
            (large, "~1 GiB upload again (duplicate)", 200, True),
        ]
        results = []
        for path, label, status, dedup in runs:
            result = upload(server, url, token, path, label, work)
            report(result)
            problems += check(result, status=status, deduplicated=dedup, sha256=hashes[path])
            results.append(result)

        small_run, large_run, dup_run = results
        leftovers = list((data_dir / "tmp" / "uploads").iterdir())
        stored = [p for p in (data_dir / "media" / "assets").rglob("*") if p.is_file()]
        complaints = server_complaints(server.log_path)
        print("[summary]")
        rows = [
            ("peak RSS ratio 1GiB/100MiB", f"{large_run.peak / small_run.peak:.3f} "
             f"({large_run.peak / MIB:.1f} / {small_run.peak / MIB:.1f} MiB)"),
            ("delta RSS 1GiB / 100MiB", f"{large_run.delta / MIB:+.1f} / {small_run.delta / MIB:+.1f} MiB"),
            ("peak RSS receiving 1GiB / 100MiB", f"{large_run.peak_receiving / MIB:.1f} / "
             f"{small_run.peak_receiving / MIB:.1f} MiB"),
            ("peak RSS duplicate 1GiB", f"{dup_run.peak / MIB:.1f} MiB (delta {dup_run.delta / MIB:+.1f} MiB)"),
            ("upload size ratio 1GiB/100MiB", f"{large_run.size / small_run.size:.2f}"),
            ("temp upload files left", str(len(leftovers))),
            ("blobs stored", f"{len(stored)} ({sum(p.stat().st_size for p in stored)} bytes)"),
            ("server log warnings/errors", str(len(complaints))),
            ("total bench time", f"{time.monotonic() - started:.1f}s"),
        ]
        for name, value in rows:
            print(f"  {name:<34}: {value}")
        for line in complaints[:10]:
            print(f"    {line[:300]}")
        if leftovers:
            problems.append(f"temporary upload files left behind: {[p.name for p in leftovers]}")
        if problems:
            print("PROBLEMS:")
            for problem in problems:
                print(f"  - {problem}")
            return 1
        print("OK")
        return 0
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
        print(f"cleaned up {work}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        sys.exit(2)
