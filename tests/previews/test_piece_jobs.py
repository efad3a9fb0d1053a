"""One video, many workers (issue 21): a long video's missing pieces become piece jobs that any
worker takes; the last one to end wakes the video once, which joins them.

On the S3 pass (.ci/run) every worker has a DATA_DIR of its own: nothing passes by sharing a
disk. On the embedded defaults they share the one DATA_DIR, as one machine's workers do.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from contentizer.jobs.models import Job, JobAttempt, JobStatus, StageRun
from contentizer.media import ffmpeg
from previews.models import Segment, Video
from tests.conftest import Workers, wait_for
from tests.previews.helpers import chapter_with_steps, upload

pytestmark = pytest.mark.django_db(transaction=True)

STEPS = 6
SECONDS = 2.0
PIECES = 2 * STEPS - 1
# piece jobs for any chapter of more than two missing pieces, at most one scene each: six steps
# make eleven pieces (six bodies, five cross-fades), each a piece job of its own
FAN_OUT = {"VIDEO_PIECE_JOBS_OVER": "2", "PIECE_JOB_SCENES": "1", "Q_WORKERS": "1"}
# a lost piece job is noticed in seconds here (the production bar, 45 s, is shown by the preview's
# killed-worker test with the default settings); the reconciler runs in every worker
QUICK = {"JOB_HEARTBEAT_SECONDS": "0.5", "JOB_STALE_SECONDS": "4", "JOB_RECONCILE_SECONDS": "1"}


def _noise(seed: int) -> bytes:
    """A photograph-like still (noise over a gradient): pieces take real encoding work."""
    rng = np.random.default_rng(seed)
    base = np.linspace(0, 255, 1280, dtype=np.float32)[None, :, None].repeat(720, 0).repeat(3, 2)
    pixels = np.clip(base * 0.5 + rng.normal(100, 60, (720, 1280, 3)), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def _chapter(api, project_id: int) -> dict:
    assets = [upload(api, project_id, f"shot-{i}.jpg", _noise(i)) for i in range(STEPS)]
    return chapter_with_steps(api, project_id, [
        {"caption": f"Step {i + 1}", "asset": asset["id"], "duration": SECONDS,
         "transition": "dissolve" if i < STEPS - 1 else "cut", "transitionDuration": 0.5}
        for i, asset in enumerate(assets)])


def _generate(api, project_id: int, chapter_id: int) -> str:
    response = api.post("/api/videos/generate", {"projectId": project_id, "chapterId": chapter_id,
                                                 "resolution": "480p"}, format="json")
    assert response.status_code == 202, response.json()
    return response.json()["jobId"]


def _finished(api, job_id: str, timeout: float = 240) -> dict:
    def done():
        status = api.get(f"/api/v1/jobs/{job_id}").json()
        return status if status["status"] not in ("queued", "running") else None

    return wait_for(done, timeout=timeout, interval=0.3)


def _framemd5(api, job_id: str, tmp_path: Path, name: str) -> list[str]:
    """The picture's decoded frames, one MD5 each (FFmpeg's framemd5), of the video's MP4."""
    video = Video.objects.get(job_id=job_id)
    mp4 = tmp_path / f"{name}.mp4"
    with default_storage.open(video.mp4_key, "rb") as source:
        mp4.write_bytes(source.read())
    out = tmp_path / f"{name}.framemd5"
    ffmpeg.run(["-i", str(mp4), "-map", "0:v:0", "-f", "framemd5", str(out)], timeout=120,
               log_path=str(tmp_path / f"{name}.log"))
    return [line.rsplit(",", 1)[-1].strip() for line in out.read_text().splitlines() if not line.startswith("#")]


def _forget_pieces() -> None:
    """Empty the piece cache, so the next render makes every piece again."""
    for row in Segment.objects.all():
        default_storage.delete(row.storage_key)
    Segment.objects.all().delete()


def _cluster_of(worker: str, procs: list[subprocess.Popen]) -> subprocess.Popen | None:
    """The started cluster a job's worker ("host:pid") belongs to (each cluster is a session)."""
    pid = int(worker.rsplit(":", 1)[1])
    try:
        group = os.getpgid(pid)
    except ProcessLookupError:
        return None
    return next((proc for proc in procs if proc.pid == group), None)


def _metric(body: str, name: str) -> float:
    return float(next(line.split()[-1] for line in body.splitlines() if line.startswith(name + " ")))


def test_two_workers_render_one_video_together_frame_identical_to_one_and_survive_a_kill(
    alice_api, alice_project, workers, tmp_path, record_property, scrape, client, alice
):
    chapter = _chapter(alice_api, alice_project.id)
    first = workers.start(own_data_dir=True, **FAN_OUT, **QUICK)
    second = workers.start(own_data_dir=True, **FAN_OUT, **QUICK)
    job_id = _generate(alice_api, alice_project.id, chapter["id"])

    # the video hands its pieces out and waits without holding a worker
    wait_for(lambda: Job.objects.filter(parent_id=job_id, kind="piece").exists(), timeout=120)
    parent = Job.objects.get(pk=job_id)
    assert parent.status == JobStatus.QUEUED and parent.stage.startswith("render: "), parent.stage
    shown = alice_api.get(f"/api/v1/jobs/{job_id}").json()
    assert Job.objects.filter(parent_id=job_id, kind="piece").count() == PIECES
    assert shown["pieces"]["total"] == PIECES, shown
    client.force_login(alice)
    page = client.get(f"/jobs/{job_id}/").content.decode()
    assert re.search(rf"render: \d+ of {PIECES} pieces done", page), "the job page shows pieces done and total"

    # kill a worker while it renders a piece: the reconciler of the other hands the piece on
    running = wait_for(lambda: Job.objects.filter(parent_id=job_id, status=JobStatus.RUNNING).exclude(
        worker="").first(), timeout=120, interval=0.05)
    victim = _cluster_of(running.worker, [first, second])
    assert victim is not None, running.worker
    killed = timezone.now()
    Workers.kill(victim)

    status = _finished(alice_api, job_id)
    assert status["status"] == "succeeded", status
    assert status["pieces"] == {"done": PIECES, "total": PIECES, "failed": 0}
    retried = Job.objects.get(pk=running.pk)
    assert retried.status == JobStatus.SUCCEEDED and retried.attempts >= 2
    second_try = JobAttempt.objects.get(job=retried, number=2)
    recovered = (second_try.started_at - killed).total_seconds()
    record_property("lost_piece_recovery_seconds", round(recovered, 1))
    assert recovered < 45, f"the lost piece was taken again {recovered:.1f} s after the kill"
    # both workers took pieces: every piece job records the worker of each of its attempts
    workers_used = set(JobAttempt.objects.filter(job__parent_id=job_id).values_list("worker", flat=True))
    assert len({w.rsplit(":", 1)[1] for w in workers_used}) >= 2, workers_used
    # the video finished exactly once: one successful attempt, one waiting attempt before it
    outcomes = list(JobAttempt.objects.filter(job_id=job_id).order_by("number").values_list("outcome", flat=True))
    assert outcomes.count("success") == 1 and outcomes[-1] == "success" and "waiting" in outcomes, outcomes
    assert list(StageRun.objects.filter(job_id=job_id, stage="render").values_list("status", flat=True)) == [
        "waiting", "succeeded"]
    assert Video.objects.filter(chapter_id=chapter["id"], superseded_at__isnull=True).count() == 1
    # operators see the pieces and the render cost per second of video
    body = scrape()
    assert _metric(body, "video_pieces_rendered_total") == PIECES
    assert _metric(body, 'video_pieces{state="queued"}') == 0
    video = Video.objects.get(job_id=job_id)
    assert video.render_seconds > 0
    assert _metric(body, "video_render_seconds_per_output_second") == pytest.approx(
        video.render_seconds / video.duration, rel=1e-3)
    together = _framemd5(alice_api, job_id, tmp_path, "two-workers")
    frames = round((STEPS * SECONDS - (STEPS - 1) * 0.5) * 30)
    assert len(together) == frames

    # the same video rendered by one worker alone, every piece made anew, has the same frames
    Workers.kill(second if victim is first else first)
    _forget_pieces()
    workers.start(own_data_dir=True, VIDEO_PIECE_JOBS_OVER="100000")
    alone = _generate(alice_api, alice_project.id, chapter["id"])
    assert _finished(alice_api, alone)["status"] == "succeeded"
    assert not Job.objects.filter(parent_id=alone).exists()
    assert _framemd5(alice_api, alone, tmp_path, "one-worker") == together


def test_cancelling_a_video_waiting_for_its_pieces_cancels_every_piece(alice_api, alice_project, workers):
    chapter = _chapter(alice_api, alice_project.id)
    workers.start(**FAN_OUT, JOB_HEARTBEAT_SECONDS="0.3")
    job_id = _generate(alice_api, alice_project.id, chapter["id"])
    wait_for(lambda: Job.objects.filter(parent_id=job_id, status=JobStatus.RUNNING).exists(), timeout=120,
             interval=0.05)
    assert alice_api.post(f"/api/videos/jobs/{job_id}/cancel").status_code == 200
    assert _finished(alice_api, job_id, timeout=30)["status"] == "cancelled"
    wait_for(lambda: not Job.objects.filter(parent_id=job_id).exclude(
        status__in=[JobStatus.CANCELLED, JobStatus.SUCCEEDED]).exists(), timeout=15)
    assert Job.objects.filter(parent_id=job_id, status=JobStatus.CANCELLED).count() >= 1
    time.sleep(1)
    assert not Video.objects.get(job_id=job_id).mp4_key
