"""A recording becomes a chapter, through HTTP and a real worker: POST /api/projects/{id}/chapters/from-recording
with the tests' own screen recording (the English voice reading tutorial sentences, one screen each); every step
is a clip of the recording cut in the pause between two sentences, what was said as its narration and its own
sound as its recorded narration; the chapter previews like any other. Bad requests are refused before any job."""

from __future__ import annotations

import re

import pytest

from contentizer.media import probe
from previews.asr import Segment
from previews.recordings.chapters import Part, parts_of
from tests.conftest import wait_for
from tests.previews.helpers import download, post_preview, upload, wait_finished
from tests.previews.recording import make_recording
from tests.previews.speech import TUTORIAL_SENTENCES
from tests.previews.voice_recordings import spoken_wav

SENTENCES = [TUTORIAL_SENTENCES[0], TUTORIAL_SENTENCES[2], TUTORIAL_SENTENCES[7]]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def _job(api, job_id: str, timeout: float = 240) -> dict:
    def finished():
        body = api.get(f"/api/v1/jobs/{job_id}").json()
        return body if body["status"] not in ("queued", "running") else None

    return wait_for(finished, timeout=timeout, interval=0.3)


def _from_recording(api, project_id: int, **body):
    return api.post(f"/api/projects/{project_id}/chapters/from-recording", body, format="json")


@pytest.fixture(scope="module")
def recording(tmp_path_factory, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return make_recording(tmp_path_factory.mktemp("recording"), SENTENCES, pause=0.8)


def test_a_recording_becomes_a_chapter_of_clips_narrated_by_what_was_said(alice_api, alice_project, worker,
                                                                         recording, tmp_path):
    asset = upload(alice_api, alice_project.pk, "screencast.mp4", recording.path.read_bytes())
    response = _from_recording(alice_api, alice_project.pk, asset=asset["id"])
    assert response.status_code == 202 and response.json()["kind"] == "recording_chapter", response.json()
    job = _job(alice_api, response.json()["id"])
    assert job["status"] == "succeeded", job
    assert job["result"]["steps"] == 3 and job["result"]["sceneChanges"] >= 2, job["result"]

    chapter = alice_api.get(f"/api/chapters/{job['result']['chapterId']}").json()
    assert chapter["title"] == "screencast" and chapter["stepCount"] == 3
    steps = alice_api.get(f"/api/chapters/{chapter['id']}/steps").json()["results"]
    t = 0.0
    for i, (step, (start, end, sentence)) in enumerate(zip(steps, recording.spans, strict=True)):
        said = _words(step["narration"]["en"])
        assert len(said & _words(sentence)) >= 0.7 * len(_words(sentence)), (step["narration"], sentence)
        recorded = step["narrationAudio"]["en"]
        assert recorded["asset"] == step["asset"] and recorded["state"] == "ready"
        assert step["transition"] == "cut"
        # each cut falls in the pause around its sentence: no word is cut
        assert t <= start and t + step["duration"] >= end, (i, t, step["duration"], start, end)
        clip = alice_api.get(f"/api/assets/{step['asset']}").json()
        assert clip["kind"] == "video" and abs(clip["duration"] - step["duration"]) < 0.1, clip
        t += step["duration"]
    assert abs(t - recording.duration) < 0.15

    first = tmp_path / "first.mp4"
    first.write_bytes(download(alice_api, f"/api/media/assets/{steps[0]['asset']}"))
    info = probe.probe(str(first), demuxer="mp4", max_streams=4)
    assert sorted((s.type, s.codec) for s in info.streams) == [("audio", "aac"), ("video", "h264")]

    preview = post_preview(alice_api, alice_project.pk, {"chapterId": chapter["id"]})
    assert preview.status_code == 202, preview.json()
    status = wait_finished(alice_api, preview.json()["jobId"], timeout=180)
    assert status["status"] == "succeeded", status
    assert status["result"]["duration"] >= recording.duration, "each step lasts its clip (and a pause)"


def test_a_recording_without_sound_or_of_another_project_is_refused_before_any_job(
        alice_api, bob_api, alice_project, bob_project, tmp_path):
    from contentizer.media import ffmpeg

    mute = tmp_path / "mute.mp4"
    ffmpeg.run(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=10:duration=2", "-pix_fmt", "yuv420p",
                "-c:v", "libx264", str(mute)], timeout=60)
    silent = upload(alice_api, alice_project.pk, "mute.mp4", mute.read_bytes())
    response = _from_recording(alice_api, alice_project.pk, asset=silent["id"])
    assert response.status_code == 422 and response.json()["error"]["code"] == "no_audio"
    bobs = upload(bob_api, bob_project.pk, "mute.mp4", mute.read_bytes())
    assert _from_recording(alice_api, alice_project.pk, asset=bobs["id"]).json()["error"]["code"] == "invalid_asset"
    assert _from_recording(bob_api, alice_project.pk, asset=silent["id"]).status_code == 404
    assert alice_api.get(f"/api/projects/{alice_project.pk}/chapters").json()["results"] == []


def test_a_recording_longer_than_the_limit_or_in_an_unknown_language_is_refused(
        alice_api, alice_project, tmp_path, settings):
    voice = upload(alice_api, alice_project.pk, "voice.wav", spoken_wav(tmp_path / "voice.wav").read_bytes())
    settings.RECORDING_CHAPTER_MAX_SECONDS = 1.0
    response = _from_recording(alice_api, alice_project.pk, asset=voice["id"])
    assert response.status_code == 422 and response.json()["error"]["code"] == "recording_too_long"
    settings.RECORDING_CHAPTER_MAX_SECONDS = 600.0
    alice_project.languages = ["en", "tlh"]
    alice_project.save()
    response = _from_recording(alice_api, alice_project.pk, asset=voice["id"], language="tlh")
    assert response.status_code == 422 and response.json()["error"]["code"] == "asr_unavailable"
    assert "Klingon" in response.json()["error"]["message"]


def test_a_silent_recording_fails_once_with_a_clear_message(alice_api, alice_project, worker, tmp_path):
    from tests.previews.voice_recordings import silent_wav

    silence = upload(alice_api, alice_project.pk, "silence.wav", silent_wav(tmp_path / "s.wav").read_bytes())
    job = _job(alice_api, _from_recording(alice_api, alice_project.pk, asset=silence["id"]).json()["id"])
    assert job["status"] == "failed" and job["attempts"] == 1 and "Nothing was heard" in job["error"]
    assert alice_api.get(f"/api/projects/{alice_project.pk}/chapters").json()["results"] == []


def _segment(start: float, end: float, text: str) -> Segment:
    return Segment(start=start, end=end, text=text)


def test_parts_cut_at_a_change_of_picture_in_a_pause_else_in_its_middle():
    segments = [_segment(0.5, 2.0, "One."), _segment(3.0, 4.0, "Two."), _segment(5.0, 6.0, "Three.")]
    parts = parts_of(segments, [2.2, 3.5, 8.0], 9.0, limit=100)
    # 2.2 is in the first pause; 3.5 is inside "Two." (never a cut); the second pause has none: its middle;
    # 8.0 is a change of picture in the silence after the speech
    assert parts == [Part(0.0, 2.2, "One."), Part(2.2, 4.5, "Two."), Part(4.5, 8.0, "Three."), Part(8.0, 9.0, "")]


def test_parts_are_joined_to_fit_the_limit():
    segments = [_segment(i * 2 + 0.2, i * 2 + 1.5, f"S{i}.") for i in range(10)]
    parts = parts_of(segments, [], 20.0, limit=4)
    assert len(parts) == 4 and parts[0].start == 0.0 and parts[-1].end == 20.0
    assert " ".join(p.text for p in parts) == " ".join(f"S{i}." for i in range(10))
