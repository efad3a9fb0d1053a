"""One video, two workers: the render stage of a 10-minute chapter on one worker process against two,
and against one hand-written FFmpeg graph (issue 21).

Standalone script, not a test: `.venv/bin/python bench/render_pieces.py [--pairs 3] [--steps 120] [--pin]` from
the repo root (`--steps 12 --pairs 1` for a quick check; 12 steps make 23 pieces, not more than
VIDEO_PIECE_JOBS_OVER, so no piece jobs: the quick check runs the video job alone).

The chapter: 120 steps of 5.5 s with 0.5 s cross-fades (600.5 s, 18015 frames at 30 fps), 720p, each step
a photographic 1920x1080 JPEG still made at run time (render_preview.photo) with a caption, no narration
and no music: the render stage is about the picture (the sound is the product's silent AAC track).
A video is asked for through the product's service (`video_request`) and runs through the real broker
(the embedded defaults: SQLite and django-q2's ORM broker, in a throwaway DATA_DIR) on real workers:
`manage.py qcluster` subprocesses with Q_WORKERS=1 each, started for the run and stopped after it. Two
clusters share the one DATA_DIR and SQLite file: on local storage that is where the files are (separate
DATA_DIRs need S3, as .ci/run's S3 pass has), so the two workers are two processes of one machine. The
video's 239 pieces are more than VIDEO_PIECE_JOBS_OVER (24): its render stage hands them to piece jobs
(PIECE_JOB_SCENES scenes each) that either worker takes, parks, and joins them when the last
one ends. Every run starts with the piece cache and track cache emptied (Segment rows and their stored
files, and videos/cache/), so every piece is rendered.

Each round runs, in this order:
  setting 1, FFmpeg held to one thread per worker (FFMPEG_THREADS=1, VIDEO_RENDER_THREADS=1: two
  one-core machines on this 2-core machine):
    A1  one worker process (one cluster),  B1  two worker processes (two clusters);
  setting 2, default threads (FFMPEG_THREADS unset, VIDEO_RENDER_THREADS unset):
    A2  one worker process,  B2  two worker processes;
  H   the best hand-written single FFmpeg command for the same chapter (render_video.baseline_argv):
      every still decoded and fitted once, its caption drawn once on the frame its body loops, xfade
      `fade` fed only the transition frames, concat, x264 veryfast CRF 23 (the product's video
      settings), yuv420p 30 fps, and a silent mono 22.05 kHz AAC track as the product's MP4 carries
      (placed from a 0.1 s silent WAV); the captions are drawn inside its time, as the product's are.
      FFmpeg's default threads. The product's MP4 also carries an empty subtitle track; H has none.
There is no warm-up round. Measured: Video.render_seconds (the render stage's wall time, piece jobs
included) and the job's wall time (created to finished, all five stages), from submitting to the
finished job; H's wall time. Printed per round: the times, each product run's parts (handing out,
pieces, wake, join), which worker took which piece jobs and how long each was busy; then the median,
min and max of the paired ratios B1/A1 (want <= 1/1.7 = 0.588), B2/A2 (want <= 1.0), B2/H and A2/H
(want <= 1.0). Every MP4 is probed (frame count, duration, streams) and each round's two-worker video's
framemd5 is compared with the one-worker video's of the same setting (the piece key holds
FFMPEG_THREADS, so settings 1 and 2 make different pieces). Stopping it (Ctrl-C) between runs prints
the rounds that finished.

`--pin` runs setting 1's clusters under `taskset`, each on a core of its own (one worker: core 0; two:
cores 0 and 1), so they really are one-core machines. Without it FFMPEG_THREADS=1 does not hold a worker
to one core: a piece job's FFmpeg process writes one MP4 per piece (23 for 12 scenes), each with its own
x264 (`-threads 1` each) on its own thread in FFmpeg 7 and later, and uses about 1.8 cores of this
machine (measured: 6.5 s wall, 11.8 s CPU; pinned to one core, 10.2 s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import av
from render_preview import CAPTIONS, FPS, REPO, cpu_seconds, ingest, photo, setup_django
from render_video import HEIGHT, STEP_SECONDS, TRANSITION, baseline_argv, ratios

QUEUE = "render-pieces-bench"
ONE_THREAD = {"FFMPEG_THREADS": "1", "VIDEO_RENDER_THREADS": "1"}
DEFAULT_THREADS: dict[str, str] = {}
SETTINGS = {1: ("one thread per worker", ONE_THREAD), 2: ("default threads", DEFAULT_THREADS)}
RUN_TIMEOUT = 3600.0


def make_chapter(work: Path, steps: int):
    from django.contrib.auth import get_user_model

    from contentizer import services

    user = get_user_model().objects.create_user("bench", password="bench-only")  # noqa: S106
    project = services.project_create(owner=user, title="Render pieces bench")
    chapter = services.chapter_create(project=project, title="Ten minutes")
    for i in range(steps):
        asset = ingest(project, photo(i, work / f"step-{i + 1}.jpg"), "image/jpeg")
        services.step_create(chapter=chapter, caption={"en": f"{i + 1}. {CAPTIONS[i % len(CAPTIONS)]}"},
                             narration={}, asset=asset, duration=STEP_SECONDS,
                             transition="crossfade" if i < steps - 1 else "cut", transition_duration=TRANSITION)
    return user, project, chapter


def worker_env(threads: dict[str, str]) -> dict[str, str]:
    """What a worker process needs (tests/conftest.py service_env): this DATA_DIR, its SQLite and
    secret, the bench's queue; one worker per cluster and the setting's threads (others unset)."""
    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if k not in ("FFMPEG_THREADS", "VIDEO_RENDER_THREADS")}
    return {**env, "DJANGO_SETTINGS_MODULE": "contentizer.settings", "DATA_DIR": str(settings.DATA_DIR),
            "SQLITE_PATH": str(settings.SQLITE_PATH), "SECRET_KEY": settings.SECRET_KEY, "Q_CLUSTER_NAME": QUEUE,
            "Q_WORKERS": "1", **threads}


@contextmanager
def clusters(count: int, env: dict[str, str], logs: Path, *, pin: bool = False) -> Iterator[list[subprocess.Popen]]:
    """`count` clusters (`manage.py qcluster`), each its own session, running once this yields;
    stopped as an operator stops one (SIGTERM), killed if that takes over 30 s. `pin`: cluster n
    and everything it starts (its worker, their FFmpeg) may run on core n only (taskset)."""
    procs, files = [], []
    try:
        for n in range(count):
            files.append(logs / f"cluster-{time.monotonic_ns()}-{n}.log")
            pinned = ["taskset", "-c", str(n % (os.cpu_count() or 1))] if pin else []
            procs.append(subprocess.Popen([*pinned, sys.executable, "manage.py", "qcluster"], cwd=REPO, env=env,
                                          stdout=subprocess.DEVNULL, stderr=open(files[-1], "w"),  # noqa: SIM115
                                          start_new_session=True))
        deadline = time.monotonic() + 120
        while not all("running." in f.read_text() for f in files):
            if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
                raise RuntimeError(f"a cluster did not start: {[f.read_text()[-2000:] for f in files]}")
            time.sleep(0.2)
        yield procs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def forget_pieces() -> None:
    """Empty the piece cache and the track cache: every piece and the sound are made anew."""
    from contentizer.storage import delete_tree, remove
    from previews.models import Segment

    for key in Segment.objects.values_list("storage_key", flat=True):
        remove(key)
    Segment.objects.all().delete()
    delete_tree("videos/cache")


def wait_finished(job_id) -> None:
    from contentizer.jobs.models import Job

    deadline = time.monotonic() + RUN_TIMEOUT
    while (job := Job.objects.get(pk=job_id)).status in ("queued", "running"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"job {job_id} still {job.status} ({job.stage}) after {RUN_TIMEOUT:.0f} s")
        time.sleep(0.25)
    if job.status != "succeeded":
        raise RuntimeError(f"job {job_id} {job.status}: {job.error}")


def product_run(chapter_of: tuple, workers: int, threads: dict[str, str], tmp: Path, *, pin: bool = False) -> dict:
    """Submit the chapter's video to `workers` fresh clusters and wait for it; what it took."""
    from contentizer.jobs.models import Job
    from previews.compile import Format
    from previews.videos.services import video_request

    user, project, chapter = chapter_of
    forget_pieces()
    load, cpu = os.getloadavg()[0], cpu_seconds()
    with clusters(workers, worker_env(threads), tmp / "logs", pin=pin):
        video = video_request(owner=user, project=project, chapter=chapter, fmt=Format(resolution=HEIGHT),
                              languages=["en"], music=None)
        wait_finished(video.job_id)
    video.refresh_from_db()
    job = Job.objects.get(pk=video.job_id)
    return {"render": video.render_seconds, "job": (job.finished_at - job.created_at).total_seconds(),
            "cpu": cpu_seconds() - cpu, "load": load, "video": video, "parts": parts(job)}


def parts(job) -> dict:
    """Where the render stage's time went: handing the pieces out (the first attempt's render stage),
    the piece jobs (first start to last end; each worker's jobs and busy seconds), waking the video
    (last piece ended to the video's next attempt started), joining (the last render stage)."""
    from contentizer.jobs.models import JobAttempt, StageRun

    renders = list(StageRun.objects.filter(job=job, stage="render").order_by("id"))
    pieces = list(JobAttempt.objects.filter(job__parent=job).order_by("started_at"))
    found = {"join": renders[-1].duration, "pieceJobs": len(pieces)}
    if not pieces:
        return found
    resumed = JobAttempt.objects.filter(job=job).order_by("number").last()
    first, last = pieces[0].started_at, max(a.finished_at for a in pieces)
    workers: dict[str, list[float]] = {}
    for attempt in pieces:
        workers.setdefault(attempt.worker.rsplit(":", 1)[1], []).append(attempt.duration or 0.0)
    return {**found, "handOut": renders[0].duration,
            "pickUp": (first - renders[0].finished_at).total_seconds(),
            "pieces": (last - first).total_seconds(), "wake": (resumed.started_at - last).total_seconds(),
            "workers": {pid: (len(d), sum(d)) for pid, d in workers.items()}}


def describe(run: dict) -> str:
    p = run["parts"]
    text = f"render {run['render']:.3f} s, job {run['job']:.3f} s, cpu {run['cpu']:.1f} s, load {run['load']:.2f}"
    if not p["pieceJobs"]:
        return f"{text}; no piece jobs (render stage in the video job)"
    busy = ", ".join(f"pid {pid}: {n} jobs, busy {s:.1f} s" for pid, (n, s) in sorted(p["workers"].items()))
    return (f"{text}; {p['pieceJobs']} piece jobs [{busy}]; hand-out {p['handOut']:.1f} s, first piece after "
            f"{p['pickUp']:.1f} s, pieces {p['pieces']:.1f} s, wake {p['wake']:.1f} s, join {p['join']:.1f} s")


def mp4_problems(path: Path, frames: int, audio: int, label: str) -> list[str]:
    """One H.264 stream of exactly `frames` frames and `audio` AAC tracks, lasting its picture."""
    with av.open(str(path)) as container:
        video = container.streams.video[0]
        codecs = [video.codec_context.name] + [s.codec_context.name for s in container.streams.audio]
        count = sum(1 for packet in container.demux(video) if packet.size)
        duration = container.duration / av.time_base
    problems = [] if codecs == ["h264"] + ["aac"] * audio else [f"{label}: streams {codecs}"]
    if count != frames or abs(duration - frames / FPS) > 0.1:
        problems.append(f"{label}: {count} frames instead of {frames}, {duration:.3f} s")
    print(f"  {label}: {count} frames (expected {frames}), {duration:.3f} s, {'+'.join(codecs)}", flush=True)
    return problems


def framemd5(path: Path, work: Path) -> list[str]:
    from contentizer.media import ffmpeg

    out = work / "frames.framemd5"
    subprocess.run([ffmpeg.binary(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(path),
                    "-map", "0:v:0", "-f", "framemd5", str(out)], check=True)
    return [line.rsplit(",", 1)[-1].strip() for line in out.read_text().splitlines() if not line.startswith("#")]


def checked(run: dict, frames: int, label: str, work: Path, problems: list[str]) -> list[str]:
    """Probe the run's MP4 and return its framemd5; then its files go (600 s of 720p, twice)."""
    from django.core.files.storage import default_storage

    from contentizer.storage import delete_tree

    mp4 = Path(default_storage.path(run["video"].mp4_key))  # the bench reads the local store directly
    problems += mp4_problems(mp4, frames, 1, label)
    hashes = framemd5(mp4, work)
    delete_tree(f"videos/{run['video'].id}")
    return hashes


def timeline_of(video):
    from contentizer.jobs.models import StageRun
    from previews.timeline import Timeline

    run = StageRun.objects.filter(job_id=video.job_id, stage="captions").exclude(outputs={}).first()
    return Timeline.parse(run.outputs["timelines"]["en"])


def silence(path: Path) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(22050)
        out.writeframes(b"\0\0" * 2205)
    return path


def hand_written(timeline, work: Path) -> float:
    """Wall time of H: its captions drawn, then the one command."""
    from django.core.files.storage import default_storage

    from assets.models import Blob
    from contentizer.media import ffmpeg
    from previews import cards

    stills = [default_storage.path(Blob.objects.get(sha256=s.asset).storage_key) for s in timeline.scenes]
    started = time.perf_counter()
    captions = [cards.caption_overlay(s.caption, timeline.output, work / f"caption-{i}.png")
                for i, s in enumerate(timeline.scenes)]
    argv = baseline_argv(ffmpeg.binary(), stills, captions, timeline, {"en": [(str(work / "silence.wav"), 0.0)]},
                         {}, work / "hand-written.mp4")
    subprocess.run(argv, check=True)
    return time.perf_counter() - started


def one_round(n: int, chapter_of: tuple, frames: int, tmp: Path, problems: list[str], *, pin: bool = False) -> dict:
    work = tmp / "work"
    runs, same = {}, {}
    for setting, (name, threads) in SETTINGS.items():
        hashes = {}
        for workers in (1, 2):
            label = f"round {n} setting {setting} ({name}), {'one worker' if workers == 1 else 'two workers'}"
            runs[setting, workers] = product_run(chapter_of, workers, threads, tmp, pin=pin and setting == 1)
            print(f"{label}: {describe(runs[setting, workers])}", flush=True)
            hashes[workers] = checked(runs[setting, workers], frames, label, work, problems)
        same[setting] = hashes[1] == hashes[2]
        print(f"  setting {setting}: two-worker framemd5 {'==' if same[setting] else '!='} one-worker framemd5 "
              f"({len(hashes[2])} and {len(hashes[1])} frames)", flush=True)
        if not same[setting]:
            problems.append(f"round {n} setting {setting}: the two-worker video's frames differ from the one-worker's")
    timeline = timeline_of(runs[2, 2]["video"])
    load = os.getloadavg()[0]
    hand = hand_written(timeline, work)
    print(f"round {n} hand-written graph: {hand:.3f} s, load {load:.2f}", flush=True)
    problems += mp4_problems(work / "hand-written.mp4", frames, 1, f"round {n} hand-written")
    return {"runs": runs, "hand": hand, "same": same}


def report(rounds: list[dict]) -> None:
    def times(setting: int, workers: int, what: str) -> list[float]:
        return [r["runs"][setting, workers][what] for r in rounds]

    hand = [r["hand"] for r in rounds]
    print(f"\n{len(rounds)} rounds; A = one worker process, B = two worker processes")
    for setting, (name, _) in SETTINGS.items():
        for what in ("render", "job"):
            a, b = times(setting, 1, what), times(setting, 2, what)
            print(f"setting {setting} ({name}) {what}: A {', '.join(f'{t:.3f}' for t in a)}; "
                  f"B {', '.join(f'{t:.3f}' for t in b)}")
            print(f"  B/A {what} wall: {ratios(b, a)}")
        print(f"  framemd5 two workers == one worker: {[r['same'][setting] for r in rounds]}")
    print(f"hand-written graph H: {', '.join(f'{t:.3f}' for t in hand)}")
    for workers, what in ((2, "render"), (1, "render"), (2, "job")):
        print(f"  setting 2 {'AB'[workers - 1]} {what} / H: {ratios(times(2, workers, what), hand)}")
    b1a1 = statistics.median(b / a for b, a in zip(times(1, 2, "render"), times(1, 1, "render"), strict=True))
    b2a2 = statistics.median(b / a for b, a in zip(times(2, 2, "render"), times(2, 1, "render"), strict=True))
    b2h = statistics.median(b / h for b, h in zip(times(2, 2, "render"), hand, strict=True))
    print(f"bars: setting 1 B/A {b1a1:.3f} <= {1 / 1.7:.3f} (1.7x): {'met' if b1a1 <= 1 / 1.7 else 'NOT met'}; "
          f"setting 2 B/A {b2a2:.3f} <= 1.0: {'met' if b2a2 <= 1.0 else 'NOT met'}; "
          f"setting 2 B/H {b2h:.3f} <= 1.0: {'met' if b2h <= 1.0 else 'NOT met'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--pin", action="store_true", help="setting 1: each cluster on a core of its own (taskset)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="render-pieces-bench-"))
    problems: list[str] = []
    rounds: list[dict] = []
    os.environ["Q_CLUSTER_NAME"] = QUEUE  # this process enqueues where the clusters listen
    try:
        setup_django(tmp / "data")
        from django.conf import settings

        from contentizer.media import ffmpeg

        for folder in ("work", "logs", "stills"):
            (tmp / folder).mkdir()
        silence(tmp / "work" / "silence.wav")
        chapter_of = make_chapter(tmp / "stills", args.steps)
        frames = round((args.steps * STEP_SECONDS - (args.steps - 1) * TRANSITION) * FPS)
        print(f"ffmpeg: {ffmpeg.binary()} {ffmpeg.version()}\ncpus: {os.cpu_count()}  load: "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}  steps: {args.steps} x {STEP_SECONDS} s, crossfade "
              f"{TRANSITION} s, {frames / FPS:.1f} s ({frames} frames), {HEIGHT}p; pieces {2 * args.steps - 1}, "
              f"piece jobs over {settings.VIDEO_PIECE_JOBS_OVER}, {settings.PIECE_JOB_SCENES} scenes each; "
              f"x264 {settings.VIDEO_PRESET} CRF {settings.VIDEO_CRF}"
              + ("; setting 1 pinned: each cluster on a core of its own" if args.pin else ""), flush=True)
        try:
            for n in range(1, args.pairs + 1):
                rounds.append(one_round(n, chapter_of, frames, tmp, problems, pin=args.pin))
        except KeyboardInterrupt:
            print(f"\nstopped: {len(rounds)} rounds finished", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if rounds:
        report(rounds)
    print(f"load at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"checks: {'OK' if not problems else 'FAILED: ' + '; '.join(problems)}")
    return 1 if problems or not rounds else 0


if __name__ == "__main__":
    sys.exit(main())
