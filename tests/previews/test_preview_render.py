"""Real previews end to end: HTTP, the broker, a qcluster worker, FFmpeg, and probing the MP4."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import av
import numpy as np
import psutil
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from contentizer.jobs.models import Job, JobAttempt
from contentizer.storage import walk
from tests import media
from tests.conftest import Workers, wait_for
from tests.previews.helpers import (
    BLUE,
    GREEN,
    RED,
    download,
    post_preview,
    three_colour_chapter,
    upload,
    wait_finished,
)

pytestmark = pytest.mark.django_db(transaction=True)
FAST_BEAT = {"JOB_HEARTBEAT_SECONDS": "0.3"}


def _frame_at(container: av.container.InputContainer, seconds: float) -> np.ndarray:
    stream = container.streams.video[0]
    container.seek(0)
    for frame in container.decode(stream):
        if frame.time >= seconds - 1e-3:
            return frame.to_ndarray(format="rgb24").astype(int)
    raise AssertionError(f"no frame at {seconds}s")


def _mean(pixels: np.ndarray) -> tuple[int, int, int]:
    return tuple(int(v) for v in pixels.reshape(-1, 3).mean(axis=0))


def _close(colour, expected, tolerance=30) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


def _audio_rms(container: av.container.InputContainer, start: float, end: float) -> float:
    container.seek(0)
    samples = [f.to_ndarray() for f in container.decode(container.streams.audio[0]) if start <= f.time < end]
    return float(np.sqrt(np.mean(np.concatenate(samples, axis=1) ** 2)))


def test_a_preview_renders_with_captions_transitions_and_audio(
    alice_api, alice_project, workers, worker, av_dir, scrape
):
    chapter = three_colour_chapter(alice_api, alice_project.id)
    steps = alice_api.get(f"/api/chapters/{chapter['id']}/steps").json()["results"]
    voice = upload(alice_api, alice_project.id, "voice.wav", (av_dir / "tone.wav").read_bytes())
    music = upload(alice_api, alice_project.id, "music.flac", (av_dir / "tone.flac").read_bytes())
    request = {
        "steps": [{"caption": s["caption"], "asset": str(s["asset"]), "duration": s["duration"],
                   "transition": s["transition"], "transitionDuration": s["transitionDuration"]} for s in steps],
        "audio": {"music": {"asset": music["sha256"], "volume": 0.05}},
    }
    request["steps"][0]["narration"] = voice["sha256"]
    accepted = post_preview(alice_api, alice_project.id, request, HTTP_X_REQUEST_ID="trace-e2e-1")
    assert accepted.status_code == 202, accepted.json()
    status = wait_finished(alice_api, accepted.json()["jobId"])
    assert status["status"] == "succeeded", status
    assert status["progress"] == 100 and status["timings"]["runSeconds"] > 0

    mp4 = download(alice_api, status["artifactUrl"])
    with av.open(io.BytesIO(mp4)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, audio.codec_context.name) == ("h264", "aac")
        assert (video.codec_context.width, video.codec_context.height) == (854, 480)
        assert abs(container.duration / 1e6 - 5.0) <= 1 / 30
        red = _frame_at(container, 0.5)
        assert _close(_mean(red[:300, 300:550]), RED), "the red slide, letterboxed to 16:9"
        assert _mean(red[400:440, 300:550])[0] < 120, "the caption's dark box is burned in at the bottom"
        middle = _mean(_frame_at(container, 1.75)[:300, 300:550])
        assert 60 < middle[0] < 190 and 60 < middle[2] < 190, f"halfway through the dissolve: {middle}"
        assert _close(_mean(_frame_at(container, 2.5)[:300, 300:550]), BLUE)
        assert sum(_mean(_frame_at(container, 3.25)[:300, 300:550])) < 120, "fading through black"
        assert _close(_mean(_frame_at(container, 4.5)[:300, 300:550]), GREEN)
        narrated, after = _audio_rms(container, 0.1, 0.9), _audio_rms(container, 2.0, 4.5)
        assert narrated > 0.04 and 0 < after < narrated / 3, (narrated, after)
    metrics = scrape()
    assert 'preview_worker_jobs_total{outcome="success"} 1.0' in metrics
    lines = [json.loads(line) for line in workers.log(0).read_text().splitlines()
             if line.startswith("{")]
    ours = [line for line in lines if line.get("requestId") == "trace-e2e-1"]
    assert {"job.claimed", "job.stage", "job.succeeded", "job.attempt"} <= {line.get("event") for line in ours}
    assert all(line["jobId"] == accepted.json()["jobId"] for line in ours)
    assert any(line.get("stage") == "render" and line["duration"] > 0 for line in ours)
    assert "preview_worker_queue_size 0.0" in metrics and "preview_worker_active_jobs 0.0" in metrics


def test_a_chapter_with_video_and_title_cards_renders_to_the_frame(alice_api, alice_project, worker, av_dir):
    clip = upload(alice_api, alice_project.id, "clip.webm", (av_dir / "clip.webm").read_bytes())
    accepted = post_preview(alice_api, alice_project.id, {"steps": [
        {"caption": "Intro", "duration": 1.2, "transition": "wipeleft", "transitionDuration": 0.4},
        {"caption": "A clip held past its end", "asset": str(clip["id"]), "duration": 3.0,
         "transition": "slideright", "transitionDuration": 0.3},
        {"caption": "", "duration": 1.0},
    ]})
    status = wait_finished(alice_api, accepted.json()["jobId"])
    assert status["status"] == "succeeded", status
    with av.open(io.BytesIO(download(alice_api, status["artifactUrl"]))) as container:
        expected = 1.2 + 3.0 + 1.0 - 0.4 - 0.3
        assert abs(container.duration / 1e6 - expected) <= 1 / 30
        assert container.streams.video[0].frames == round(expected * 30)


def _render_heavy_chapter(alice_api, alice_project) -> dict:
    """Noise pictures at 720p: seconds of encoding, long enough to interrupt."""
    steps = []
    for i in range(4):
        noise = Image.effect_noise((1280, 720), 90 + i).convert("RGB")
        buffer = io.BytesIO()
        noise.save(buffer, format="PNG")
        asset = upload(alice_api, alice_project.id, f"noise{i}.png", buffer.getvalue())
        steps.append({"caption": f"Step {i}", "asset": str(asset["id"]), "duration": 15.0, "transition": "cut"})
    return {"steps": steps}


def _running_with_progress(job_id) -> bool:
    job = Job.objects.get(pk=job_id)
    return job.status == "running" and job.stage == "render" and job.progress > 10


def _artifacts(job: Job) -> list[str]:
    prefix = f"previews/{job.project_id}/{job.id}"
    return sorted(key.rsplit("/", 1)[-1] for key in walk(prefix))


def _encoders_of(work_dir: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        if "ffmpeg" in (proc.info["name"] or "") and str(work_dir) in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return [p for p in found if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


def test_a_worker_killed_mid_render_takes_its_ffmpeg_along_and_the_job_finishes_once(
    alice_api, alice_project, workers, settings, record_property
):
    """The fault-injection test of issue 10, on whichever broker the run uses (ORM or Redis),
    with the production defaults for heartbeat, staleness and reconciling."""
    settings.PREVIEW_HEIGHT = 720
    first = workers.start()
    job_id = post_preview(alice_api, alice_project.id, _render_heavy_chapter(alice_api, alice_project)).json()["jobId"]
    wait_for(lambda: _running_with_progress(job_id), timeout=90, interval=0.1)
    dead_dir = workers.work_dir / f"{job_id}-1"
    assert dead_dir.is_dir() and _encoders_of(dead_dir), "the first attempt is encoding"
    killed = timezone.now()
    Workers.kill(first)  # the worker's whole process group: FFmpeg has a session of its own
    workers.start()
    time.sleep(max(0.0, 5 - (timezone.now() - killed).total_seconds()))
    assert _encoders_of(dead_dir) == [], "no FFmpeg of the dead attempt 5 s after the kill"

    retry = wait_for(lambda: JobAttempt.objects.filter(job_id=job_id, number=2).first(), timeout=120)
    recovered = (retry.started_at - killed).total_seconds()
    record_property("dead_worker_recovery_seconds", round(recovered, 1))
    print(f"\ndead-worker recovery: {recovered:.1f} s from SIGKILL to the retry's start")  # noqa: T201 - the figure
    status = wait_finished(alice_api, job_id, timeout=300)
    job = Job.objects.get(pk=job_id)
    assert status["status"] == "succeeded" and job.attempts == 2, status
    assert list(job.attempt_set.values_list("outcome", flat=True)) == ["retry", "success"]
    assert "stopped responding" in job.attempt_set.first().error
    assert _artifacts(job) == ["preview.mp4"]
    with av.open(io.BytesIO(download(alice_api, status["artifactUrl"]))) as container:
        assert abs(container.duration / 1e6 - 60.0) <= 1 / 30
    wait_for(lambda: not list(workers.work_dir.glob(f"{job_id}-*")), timeout=30)


def test_cancelling_a_running_render_stops_ffmpeg_and_leaves_nothing(alice_api, alice_project, workers, settings):
    settings.PREVIEW_HEIGHT = 720
    workers.start(**FAST_BEAT)
    job_id = post_preview(alice_api, alice_project.id, _render_heavy_chapter(alice_api, alice_project)).json()["jobId"]
    wait_for(lambda: _running_with_progress(job_id), timeout=60, interval=0.1)
    asked = timezone.now()
    assert alice_api.post(f"/api/preview/{job_id}/cancel").status_code == 200
    status = wait_finished(alice_api, job_id, timeout=15)
    job = Job.objects.get(pk=job_id)
    assert status["status"] == "cancelled"
    assert (job.finished_at - asked).total_seconds() < 3
    assert _artifacts(job) == []
    ffmpegs = [p for p in psutil.process_iter(["cmdline"]) if str(job_id) in " ".join(p.info["cmdline"] or [])]
    assert ffmpegs == []
    assert not list(workers.work_dir.glob(f"{job_id}-*"))


def test_a_missing_asset_fails_the_job_at_once_naming_the_step(alice_api, alice_project, worker):
    from assets.models import Blob

    image = upload(alice_api, alice_project.id, "gone.png", media.image_bytes("PNG", color=(9, 9, 9)))
    accepted = post_preview(alice_api, alice_project.id, {"steps": [
        {"duration": 1}, {"caption": "uses it", "asset": str(image["id"]), "duration": 1}]})
    default_storage.delete(Blob.objects.get(sha256=image["sha256"]).storage_key)
    status = wait_finished(alice_api, accepted.json()["jobId"])
    assert status["status"] == "failed" and status["attempts"] == 1
    assert "step 2" in status["error"] and "missing from storage" in status["error"]
