"""A worker (`manage.py qcluster`) told to stop ends within 10 s and gives its running job back.

What a service manager, a container runtime or `kill` sends: SIGTERM to the whole process group
(django-q2's own handler deadlocked there), or to the main process alone; Ctrl-C's SIGINT.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import subprocess
import time

import psutil
import pytest
from PIL import Image

from contentizer.jobs.models import Job
from contentizer.storage import walk
from tests.conftest import wait_for
from tests.previews.helpers import post_preview, upload, wait_finished

pytestmark = pytest.mark.django_db(transaction=True)
STOP_SECONDS = 10


def _encoding(proc: subprocess.Popen) -> bool:
    """Whether an FFmpeg runs under the worker's cluster."""
    for child in psutil.Process(proc.pid).children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            if "ffmpeg" in child.name():
                return True
    return False


def _long_render(alice_api, alice_project, worker: subprocess.Popen) -> str:
    """A preview of noise pictures at 720p, eight minutes long: far more than 10 s of encoding (a
    worker that finished its job before stopping would not stop in time), caught as it renders."""
    steps = []
    for i in range(8):
        buffer = io.BytesIO()
        Image.effect_noise((1280, 720), 90 + i).convert("RGB").save(buffer, format="PNG")
        asset = upload(alice_api, alice_project.id, f"noise{i}.png", buffer.getvalue())
        steps.append({"caption": f"Step {i}", "asset": str(asset["id"]), "duration": 60.0, "transition": "cut"})
    job_id = post_preview(alice_api, alice_project.id, {"steps": steps}).json()["jobId"]
    wait_for(lambda: Job.objects.filter(pk=job_id, status="running", stage="render").exists() and _encoding(worker),
             timeout=120, interval=0.1)
    return job_id


def _stop(proc: subprocess.Popen, how: str) -> list[str]:
    """Send the signal; returns what is still running STOP_SECONDS after it, of the cluster's main
    process and everything under it (sentinel, pusher, monitor, workers, the job's FFmpeg)."""
    under = psutil.Process(proc.pid).children(recursive=True)
    sent = time.monotonic()
    if how == "SIGTERM to the process group":
        os.killpg(proc.pid, signal.SIGTERM)  # the workers fixture starts each cluster in a session of its own
    else:
        proc.send_signal(signal.SIGTERM if how == "SIGTERM to the main process" else signal.SIGINT)
    try:
        proc.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        pass
    _, alive = psutil.wait_procs(under, timeout=max(0.0, STOP_SECONDS - (time.monotonic() - sent)))
    print(f"\n{how}: stopped in {time.monotonic() - sent:.1f} s")  # noqa: T201 - the figure
    return [f"pid {p.pid}" for p in alive] + (["the main process"] if proc.poll() is None else [])


def _assert_queued_again(job_id: str) -> Job:
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.attempts) == ("queued", 1), (job.status, job.error)
    assert job.max_attempts == 4, "the interrupted attempt is not held against the job"
    attempt = job.attempt_set.get()
    assert attempt.outcome == "retry" and "was stopped" in attempt.error, (attempt.outcome, attempt.error)
    return job


def test_sigterm_to_a_workers_process_group_stops_it_within_10_s_and_the_job_finishes_on_the_next(
    alice_api, alice_project, workers
):
    first = workers.start()
    job_id = _long_render(alice_api, alice_project, first)
    assert _stop(first, "SIGTERM to the process group") == []
    _assert_queued_again(job_id)

    workers.start()
    status = wait_finished(alice_api, job_id, timeout=300)
    job = Job.objects.get(pk=job_id)
    assert status["status"] == "succeeded" and job.attempts == 2, status
    assert list(job.attempt_set.values_list("outcome", flat=True)) == ["retry", "success"]
    assert sorted(key.rsplit("/", 1)[-1] for key in walk(f"previews/{job.project_id}/{job.id}")) == ["preview.mp4"]


@pytest.mark.parametrize("how", ["SIGTERM to the main process", "SIGINT to the main process"])
def test_a_signal_to_a_workers_main_process_stops_it_within_10_s_and_queues_its_running_job_again(
    how, alice_api, alice_project, workers
):
    first = workers.start()
    job_id = _long_render(alice_api, alice_project, first)
    assert _stop(first, how) == []
    assert first.returncode == 0
    _assert_queued_again(job_id)
