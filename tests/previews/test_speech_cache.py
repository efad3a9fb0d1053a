"""The one way a spoken clip reaches the shared speech cache (previews.speech.speak and normalised), which
both the video's narrate stage and the narrated preview use."""

from __future__ import annotations

from pathlib import Path

import pytest

from contentizer.jobs.errors import PermanentJobError
from previews import speech

pytestmark = pytest.mark.django_db

TEXT = "Save your changes."


@pytest.fixture(autouse=True)
def work_dir(settings):
    Path(settings.JOB_WORK_DIR).mkdir(parents=True, exist_ok=True)  # where a worker keeps the small JSON it writes


def _said(project, tmp_path, text: str = TEXT) -> dict:
    return speech.speak(project=project, language="en", text=text, label="step 2", work_dir=tmp_path)


def test_it_normalises_a_clip_said_by_two_steps_once(alice_project, tmp_path):
    said = _said(alice_project, tmp_path)
    found = speech.normalised([said, dict(said)], work_dir=tmp_path, timeout=60)
    assert found.made == 1
    assert found.gains == {speech.clip_id(said): 0.0}  # the gain is in the stored samples


def test_a_clip_in_the_cache_is_not_normalised_again(alice_project, tmp_path):
    said = _said(alice_project, tmp_path)
    first = speech.normalised([said], work_dir=tmp_path, timeout=60)
    again = speech.normalised([_said(alice_project, tmp_path)], work_dir=tmp_path, timeout=60)
    assert (first.made, again.made) == (1, 0) and again.gains == first.gains
    assert speech.cached_speech(speech.clip_id(said))["seconds"] == pytest.approx(said["seconds"], abs=0.001)


def test_a_language_no_voice_speaks_fails_the_job_naming_the_step(alice_project, tmp_path):
    with pytest.raises(PermanentJobError, match="^step 2: .*'tlh'"):
        speech.speak(project=alice_project, language="tlh", text="Qapla'", label="step 2", work_dir=tmp_path)
