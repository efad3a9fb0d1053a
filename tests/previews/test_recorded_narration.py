"""A step's narration in the author's own voice, through HTTP and a real worker: PUT a recording, a job
transcribes it into the narration (never over the author's own text), renders say it instead of the voice
and the step lasts as long as it; silence, no sound, hours, odd sample rates, a language no recogniser
hears and other users' objects each get a clear answer."""

from __future__ import annotations

import re

import pytest

from contentizer.media import ffmpeg, probe
from previews.models import Video
from tests.conftest import wait_for
from tests.previews.helpers import chapter_with_steps, download, post_preview, upload, wait_finished
from tests.previews.speech import transcribe
from tests.previews.voice_recordings import SENTENCE, converted, silent_wav, spoken_wav


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def _wait_job(api, job_id: str, timeout: float = 180) -> dict:
    def finished():
        job = api.get(f"/api/v1/jobs/{job_id}").json()
        return job if job["status"] not in ("queued", "running") else None

    return wait_for(finished, timeout=timeout, interval=0.25)


def _record(api, step_id: int, asset_id: int, language: str = "en"):
    return api.put(f"/api/steps/{step_id}/narration/{language}/recording", {"asset": asset_id}, format="json")


def _step(api, project_id: int, **fields) -> dict:
    chapter = chapter_with_steps(api, project_id, [{"caption": "Backups", "duration": 1.0, **fields}])
    return {"chapter": chapter, "step": api.get(f"/api/chapters/{chapter['id']}/steps").json()["results"][0]}


@pytest.fixture(scope="module")
def voice_wav(tmp_path_factory, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():  # the voice catalogue reads the uploaded voices' table
        return spoken_wav(tmp_path_factory.mktemp("voice") / "voice.wav")


def test_a_recording_fills_an_empty_narration_with_what_was_said(alice_api, alice_project, worker, voice_wav):
    made = _step(alice_api, alice_project.pk)
    asset = upload(alice_api, alice_project.pk, "voice.wav", voice_wav.read_bytes())
    response = _record(alice_api, made["step"]["id"], asset["id"])
    assert response.status_code == 202, response.json()
    assert response.json()["recording"]["state"] == "transcribing"
    job = _wait_job(alice_api, response.json()["job"]["id"])
    assert job["status"] == "succeeded", job
    assert job["result"]["narration"] == "filled"
    step = alice_api.get(f"/api/steps/{made['step']['id']}").json()
    heard = _words(step["narration"]["en"])
    assert len(heard & _words(SENTENCE)) >= len(_words(SENTENCE)) - 1, step["narration"]
    assert step["narrationAudio"]["en"]["asset"] == asset["id"]
    assert step["narrationAudio"]["en"]["state"] == "ready"


def test_the_authors_own_text_is_kept(alice_api, alice_project, worker, voice_wav):
    made = _step(alice_api, alice_project.pk, narration={"en": "My own words."})
    asset = upload(alice_api, alice_project.pk, "voice.wav", voice_wav.read_bytes())
    job = _wait_job(alice_api, _record(alice_api, made["step"]["id"], asset["id"]).json()["job"]["id"])
    assert job["status"] == "succeeded" and job["result"]["narration"] == "kept"
    assert "backups" in job["result"]["text"].lower()
    step = alice_api.get(f"/api/steps/{made['step']['id']}").json()
    assert step["narration"]["en"] == "My own words."
    assert "backups" in step["narrationAudio"]["en"]["transcript"].lower()


@pytest.mark.parametrize("rate", [8000, 192000])
def test_recordings_at_8_and_192_khz_are_transcribed(alice_api, alice_project, worker, voice_wav, tmp_path, rate):
    wav = converted(voice_wav, tmp_path / f"{rate}.wav", "-ar", str(rate), "-c:a", "pcm_s16le")
    made = _step(alice_api, alice_project.pk)
    asset = upload(alice_api, alice_project.pk, f"{rate}.wav", wav.read_bytes())
    job = _wait_job(alice_api, _record(alice_api, made["step"]["id"], asset["id"]).json()["job"]["id"])
    assert job["status"] == "succeeded", job
    assert {"settings", "backups"} <= _words(job["result"]["text"])


def test_a_browser_recording_webm_opus_without_a_duration_is_accepted(alice_api, alice_project, worker, voice_wav,
                                                                     tmp_path):
    webm = converted(voice_wav, tmp_path / "take.webm", "-c:a", "libopus", "-live", "1", "-f", "webm")
    assert probe.probe(str(webm), demuxer="webm", max_streams=4).duration is None, "written live, as Chromium does"
    asset = upload(alice_api, alice_project.pk, "take.webm", webm.read_bytes())
    assert asset["kind"] == "audio" and asset["duration"] > 2, asset
    made = _step(alice_api, alice_project.pk)
    job = _wait_job(alice_api, _record(alice_api, made["step"]["id"], asset["id"]).json()["job"]["id"])
    assert job["status"] == "succeeded" and "backups" in job["result"]["text"].lower(), job


def test_a_silent_recording_is_refused_and_leaves_the_narration_empty(alice_api, alice_project, worker, tmp_path):
    made = _step(alice_api, alice_project.pk)
    asset = upload(alice_api, alice_project.pk, "silence.wav", silent_wav(tmp_path / "silence.wav").read_bytes())
    job = _wait_job(alice_api, _record(alice_api, made["step"]["id"], asset["id"]).json()["job"]["id"])
    assert job["status"] == "failed" and job["attempts"] == 1, job
    assert "Nothing was heard" in job["error"]
    step = alice_api.get(f"/api/steps/{made['step']['id']}").json()
    assert step["narration"].get("en", "") == ""
    assert step["narrationAudio"]["en"]["state"] == "refused"
    assert "silent" in step["narrationAudio"]["en"]["problem"]


def test_a_video_without_sound_is_refused_before_any_job(alice_api, alice_project, tmp_path):
    video = tmp_path / "mute.mp4"
    ffmpeg.run(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=10:duration=2", "-pix_fmt", "yuv420p",
                "-c:v", "libx264", str(video)], timeout=60)
    asset = upload(alice_api, alice_project.pk, "mute.mp4", video.read_bytes())
    made = _step(alice_api, alice_project.pk)
    response = _record(alice_api, made["step"]["id"], asset["id"])
    assert response.status_code == 422 and response.json()["error"]["code"] == "no_audio", response.json()
    assert alice_api.get(f"/api/steps/{made['step']['id']}").json()["narrationAudio"] == {}


def test_a_recording_longer_than_the_limit_is_refused(alice_api, alice_project, voice_wav, settings):
    settings.RECORDING_MAX_SECONDS = 2.0
    asset = upload(alice_api, alice_project.pk, "voice.wav", voice_wav.read_bytes())
    made = _step(alice_api, alice_project.pk)
    response = _record(alice_api, made["step"]["id"], asset["id"])
    assert response.status_code == 422 and response.json()["error"]["code"] == "recording_too_long"
    assert "at most 2s" in response.json()["error"]["message"]


def test_a_language_no_recogniser_hears_is_said_and_left_to_type(alice_api, alice_project, voice_wav):
    alice_project.languages = ["en", "tlh"]
    alice_project.save()
    asset = upload(alice_api, alice_project.pk, "voice.wav", voice_wav.read_bytes())
    made = _step(alice_api, alice_project.pk)
    response = _record(alice_api, made["step"]["id"], asset["id"], language="tlh")
    assert response.status_code == 202 and response.json()["job"] is None, response.json()
    recording = response.json()["recording"]
    assert recording["state"] == "ready" and "Klingon" in recording["problem"] and "type" in recording["problem"]


def test_a_language_the_project_lacks_is_refused(alice_api, alice_project, voice_wav):
    asset = upload(alice_api, alice_project.pk, "voice.wav", voice_wav.read_bytes())
    made = _step(alice_api, alice_project.pk)
    response = _record(alice_api, made["step"]["id"], asset["id"], language="de")
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_languages"


def test_other_users_steps_and_assets_are_out_of_reach(alice_api, bob_api, alice_project, bob_project, voice_wav):
    alices = upload(alice_api, alice_project.pk, "voice.wav", voice_wav.read_bytes())
    bobs = upload(bob_api, bob_project.pk, "voice.wav", voice_wav.read_bytes())
    made = _step(alice_api, alice_project.pk)
    assert _record(bob_api, made["step"]["id"], bobs["id"]).status_code == 404
    assert bob_api.delete(f"/api/steps/{made['step']['id']}/narration/en/recording").status_code == 404
    response = _record(alice_api, made["step"]["id"], bobs["id"])
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_asset"
    assert alices["id"] != bobs["id"]


def test_a_recorded_asset_cannot_be_deleted_while_a_step_says_it(alice_api, alice_project, voice_wav):
    asset = upload(alice_api, alice_project.pk, "voice.wav", voice_wav.read_bytes())
    made = _step(alice_api, alice_project.pk, narration={"en": "Typed."})
    assert _record(alice_api, made["step"]["id"], asset["id"]).status_code == 202
    assert alice_api.delete(f"/api/projects/{alice_project.pk}/assets/{asset['id']}").status_code == 409
    assert alice_api.delete(f"/api/steps/{made['step']['id']}/narration/en/recording").status_code == 204
    assert alice_api.get(f"/api/steps/{made['step']['id']}").json()["narrationAudio"] == {}
    assert alice_api.delete(f"/api/projects/{alice_project.pk}/assets/{asset['id']}").status_code == 204


def test_a_preview_plays_the_recording_and_lasts_as_long_as_it(alice_api, alice_project, worker, voice_wav):
    asset = upload(alice_api, alice_project.pk, "voice.wav", voice_wav.read_bytes())
    made = _step(alice_api, alice_project.pk, narration={"en": "Typed."})
    _record(alice_api, made["step"]["id"], asset["id"])
    response = post_preview(alice_api, alice_project.pk, {"chapterId": made["chapter"]["id"]})
    assert response.status_code == 202, response.json()
    status = wait_finished(alice_api, response.json()["jobId"])
    assert status["status"] == "succeeded", status
    assert status["result"]["duration"] >= asset["duration"] + 0.5, (status["result"], asset["duration"])


def test_a_video_says_the_recording_times_the_step_to_it_and_subtitles_its_text(
        alice_api, alice_project, worker, voice_wav, tmp_path):
    asset = upload(alice_api, alice_project.pk, "voice.wav", voice_wav.read_bytes())
    chapter = chapter_with_steps(alice_api, alice_project.pk, [
        {"caption": "Backups", "duration": 1.0}, {"caption": "Done", "duration": 1.0, "narration": {"en": "Done."}}])
    first = alice_api.get(f"/api/chapters/{chapter['id']}/steps").json()["results"][0]
    job = _wait_job(alice_api, _record(alice_api, first["id"], asset["id"]).json()["job"]["id"])
    assert job["status"] == "succeeded", job
    response = alice_api.post("/api/videos/generate", {"projectId": alice_project.pk, "chapterId": chapter["id"]},
                              format="json")
    assert response.status_code == 202, response.json()
    def finished():
        found = alice_api.get(f"/api/videos/jobs/{response.json()['jobId']}/status").json()
        return found if found["status"] not in ("queued", "running") else None

    status = wait_for(finished, timeout=300, interval=0.5)
    assert status["status"] == "succeeded", status
    row = Video.objects.get(pk=response.json()["videoId"])
    second_starts = row.picture("en")["starts"][1]
    # 1 s typed, lengthened to the recording and its pause (the transition into the next step overlaps its end)
    assert second_starts + first["transitionDuration"] >= asset["duration"] + 0.5, (second_starts, asset["duration"])

    mp4 = tmp_path / "video.mp4"
    video = alice_api.get(f"/api/videos/{response.json()['videoId']}").json()
    mp4.write_bytes(download(alice_api, video["urls"]["download"]))
    said = tmp_path / "first-step.wav"
    ffmpeg.run(["-i", str(mp4), "-map", "0:a:0", "-t", f"{second_starts:.3f}", "-ac", "1", "-ar", "16000",
                str(said)], timeout=60)
    assert {"settings", "backups"} <= _words(transcribe(said)), "the author's voice, not the synthetic one"
    vtt = download(alice_api, f"/api/videos/{response.json()['videoId']}/subtitles/en.vtt").decode()
    assert "backups" in vtt.lower()
