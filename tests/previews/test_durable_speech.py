"""A speech WAV cut by a full disk is never reused: the retry narrates the whole text."""

from __future__ import annotations

import io
import wave

import av
import pytest
from django.db import connections

from contentizer.jobs import runner
from contentizer.jobs.models import Job
from contentizer.models import StoredObject
from previews import tts
from tests.faults import FailingStorage
from tests.previews.helpers import chapter_with_steps, download

pytestmark = pytest.mark.django_db(transaction=True)  # the runner's heartbeat has its own connection

TEXT = "Open the settings menu, choose the language you speak, then press save and wait a moment."


@pytest.fixture
def failing(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "tests.faults.FailingStorage"}}
    FailingStorage.heal()
    yield FailingStorage
    FailingStorage.heal()


def _run(job_id: str) -> str:
    try:
        return runner.run_job(job_id)
    finally:
        connections["default"].close_if_unusable_or_obsolete()


def test_a_speech_wav_cut_at_64_kib_is_not_reused_by_the_retry(alice_api, alice_project, failing, tmp_path):
    reference = tts.voice_sample(voice=tts.default_voice("en"), text=TEXT, rate=1.0, language="en", entries=[])
    with wave.open(io.BytesIO(reference)) as wav:
        spoken = wav.getnframes() / wav.getframerate()
    assert len(reference) > 3 * 64 * 1024, "long enough to be cut"
    chapter = chapter_with_steps(alice_api, alice_project.id, [{"caption": "Settings", "duration": 1,
                                                                 "narration": {"en": TEXT}}])
    accepted = alice_api.post("/api/videos/generate", {"projectId": alice_project.id, "chapterId": chapter["id"]},
                              format="json").json()
    failing.cut_after = {".wav": 64 * 1024}
    assert _run(accepted["jobId"]) == "queued"  # the disk filled up while narrating: retried
    assert failing.cuts and not StoredObject.objects.filter(key__endswith=".wav").exists()
    failing.heal()
    Job.objects.filter(pk=accepted["jobId"]).update(not_before=None)  # skip the backoff
    assert _run(accepted["jobId"]) == "succeeded"

    video = alice_api.get(f"/api/videos/{accepted['videoId']}").json()
    with av.open(io.BytesIO(download(alice_api, video["urls"]["download"]))) as container:
        seconds = container.duration / 1e6
        audio = container.streams.audio[0]
        heard = sum(frame.samples for frame in container.decode(audio)) / audio.sample_rate
    assert seconds >= spoken and heard >= spoken, (seconds, heard, spoken)
