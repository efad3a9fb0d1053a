"""Narration in real videos: a worker, real speech from each engine, the project's voices, rate and
lexicon, the speech cache, and timing from the real synthesised durations."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
import webvtt
from django.core.files.storage import default_storage

from contentizer.jobs.models import StageRun
from contentizer.media import probe
from contentizer.models import Project
from previews import tts
from previews.timeline import Timeline
from previews.videos.stages import PAUSE
from tests.conftest import wait_for
from tests.previews.helpers import chapter_with_steps, download
from tests.previews.speech import PIPER_VOICE, copy_piper_voice, read_wav, rms

JOE = f"piper:{PIPER_VOICE}"
OFFLINE_SITE = Path(__file__).resolve().parent / "offline"


def _generate(api, project_id: int, chapter_id: int, **extra) -> dict:
    response = api.post("/api/videos/generate", {"projectId": project_id, "chapterId": chapter_id, **extra},
                        format="json")
    assert response.status_code == 202, response.json()
    return response.json()


def _finished(api, accepted: dict, timeout: float = 240) -> dict:
    def done():
        status = api.get(f"/api/videos/jobs/{accepted['jobId']}/status").json()
        return status if status["status"] not in ("queued", "running") else None

    status = wait_for(done, timeout=timeout, interval=0.3)
    assert status["status"] == "succeeded", status
    return status


def _stage(job_id: str, stage: str) -> dict:
    return StageRun.objects.filter(job_id=job_id, stage=stage).order_by("-id").first().outputs


def _seconds(stamp: str) -> float:
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def _stored_wav(key: str, tmp_path: Path) -> tuple[int, int, object]:
    tmp_path.mkdir(exist_ok=True)
    local = tmp_path / Path(key).name
    with default_storage.open(key, "rb") as src:
        local.write_bytes(src.read())
    return read_wav(local)


@pytest.mark.django_db(transaction=True)
def test_a_new_english_tutorial_is_narrated_by_the_neural_voice_offline(alice_api, alice_project, workers, tmp_path):
    guard_log = tmp_path / "network-attempts.log"
    workers.start(PYTHONPATH=str(OFFLINE_SITE), OFFLINE_GUARD_LOG=str(guard_log))
    alice_api.post(f"/api/projects/{alice_project.id}/lexicon",
                   {"language": "en", "written": "Contentizer", "spoken": "content eyes er"}, format="json")
    texts = ["Open Contentizer and upload the 15 MB recording.", "Press Ctrl+S to save."]
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": f"Step {i + 1}", "duration": 1.0, "narration": {"en": text}} for i, text in enumerate(texts)])
    accepted = _generate(alice_api, alice_project.id, chapter["id"])
    _finished(alice_api, accepted)
    assert not guard_log.exists(), guard_log.read_text()
    assert Path(f"{guard_log}.armed").read_text().strip(), "the worker ran with the network guard"

    clips = _stage(accepted["jobId"], "narrate")["speech"]["en"]
    assert [c["voice"] for c in clips] == ["hibari:heart", "hibari:heart"]
    assert clips[0]["spoken"] == "Open content eyes er and upload the fifteen megabytes recording."
    assert clips[1]["spoken"] == "Press control S to save."
    assert clips[0]["lexicon"] == [["Contentizer", "content eyes er"]] and clips[1]["lexicon"] == []
    for clip in clips:
        rate, channels, samples = _stored_wav(clip["key"], tmp_path)
        assert (rate, channels) == (24000, 1) and rms(samples) > 300
        assert abs(len(samples) / rate - clip["seconds"]) < 0.002, "the recorded duration is the real one"

    # subtitles keep the written form, and are timed by the real speech
    video = alice_api.get(f"/api/videos/{accepted['videoId']}").json()
    base = video["urls"]["hls"].rsplit("/", 1)[0]
    cues = webvtt.from_buffer(io.StringIO(download(alice_api, f"{base}/subs_en/subtitles.vtt").decode())).captions
    text = " ".join(c.text.replace("\n", " ") for c in cues)
    assert "Contentizer" in text and "15 MB" in text and "Ctrl+S" in text and "content eyes er" not in text
    timeline = Timeline.parse(_stage(accepted["jobId"], "captions")["timeline"])
    starts, durations = timeline.starts(), [scene.duration for scene in timeline.scenes]
    assert durations == [round(c["seconds"] + PAUSE, 3) for c in clips], "speech sets the scene length"
    assert abs(_seconds(cues[-1].end) - (starts[1] + clips[1]["seconds"])) < 0.002
    assert _seconds(cues[-1].start) == starts[1]
    assert abs(video["duration"] - timeline.duration) < 0.05


@pytest.mark.django_db(transaction=True)
def test_changing_one_languages_voice_re_narrates_only_it_and_reuses_the_render(alice_api, alice_project, worker):
    steps = [("Open the settings menu.", "Öffnen Sie die Einstellungen."), ("Choose a language.", "Wählen Sie.")]
    chapter = chapter_with_steps(alice_api, alice_project.id, [
        {"caption": {"en": f"Step {i}", "de": f"Schritt {i}"}, "duration": 6.0, "narration": {"en": en, "de": de}}
        for i, (en, de) in enumerate(steps)])
    first = _generate(alice_api, alice_project.id, chapter["id"], languages=["en", "de"])
    _finished(alice_api, first)
    before = _stage(first["jobId"], "narrate")["speech"]
    assert {c["voice"] for c in before["en"]} == {"hibari:heart"}
    assert {c["voice"] for c in before["de"]} == {"espeak:de"}

    chosen = alice_api.put(f"/api/projects/{alice_project.id}/voices/en", {"voice": "espeak:en-us", "rate": 1.1},
                           format="json")
    assert chosen.status_code == 200
    second = _generate(alice_api, alice_project.id, chapter["id"], languages=["en", "de"])
    status = _finished(alice_api, second)
    after = _stage(second["jobId"], "narrate")["speech"]
    assert [(c["voice"], c["rate"], c["cached"]) for c in after["en"]] == [("espeak:en-us", 1.1, False)] * 2
    assert [c["key"] for c in after["de"]] == [c["key"] for c in before["de"]]
    assert all(c["cached"] for c in after["de"]), "German is not said again"
    stages = {s["stage"]: s["outputs"] for s in status["stages"]}
    render = stages["render"]
    assert render["rendered"] == 0 and render["reused"] == render["pieces"] > 0, "the picture is reused"
    assert render["encoded"] == 1, "only the English track is encoded again"


@pytest.mark.django_db(transaction=True)
def test_an_operator_voice_narrates_and_a_vanished_one_falls_back(alice_api, alice_project, workers, settings,
                                                                 tmp_path):
    voices = copy_piper_voice(tmp_path / "voices")
    settings.TTS_VOICES_DIR = str(voices)
    workers.start(TTS_VOICES_DIR=str(voices))
    assert alice_api.put(f"/api/projects/{alice_project.id}/voices/en", {"voice": JOE},
                         format="json").status_code == 200
    chapter = chapter_with_steps(alice_api, alice_project.id, [{"duration": 1.0, "narration": {"en": "Click Save."}}])
    first = _generate(alice_api, alice_project.id, chapter["id"])
    _finished(alice_api, first)
    clip = _stage(first["jobId"], "narrate")["speech"]["en"][0]
    assert (clip["voice"], clip["engine"], clip["fallbackFrom"]) == (JOE, "piper", None)
    assert clip["modelSha256"] == tts.voice_get(JOE).model_sha256
    assert _stored_wav(clip["key"], tmp_path)[0] == 22050

    for path in voices.iterdir():
        os.unlink(path)  # the operator removes the voice
    second = _generate(alice_api, alice_project.id, chapter["id"])
    _finished(alice_api, second)
    clip = _stage(second["jobId"], "narrate")["speech"]["en"][0]
    assert (clip["voice"], clip["fallbackFrom"]) == ("hibari:heart", JOE)


# --- the speech cache, on its own --------------------------------------------------------------------

@pytest.fixture
def project(alice) -> Project:
    return Project.objects.create(owner=alice, title="Cache")


def test_the_same_text_and_settings_are_said_once(project, tmp_path):
    first = tts.speech_clip(project=project, language="en", text="Save the file.", work_dir=tmp_path)
    again = tts.speech_clip(project=project, language="en", text="Save the file.", work_dir=tmp_path)
    assert (first["cached"], again["cached"]) == (False, True)
    assert first["key"] == again["key"] and first["seconds"] == again["seconds"]
    local = tmp_path / f"tts-{Path(first['key']).stem}.wav"
    assert probe.probe(str(local), demuxer="wav", max_streams=1).duration == pytest.approx(first["seconds"], abs=0.002)


def test_a_narration_the_voice_makes_no_sound_for_becomes_a_short_silence(project, tmp_path):
    clip = tts.speech_clip(project=project, language="en", text="*", work_dir=tmp_path)  # hibari: no phonemes
    assert clip["voice"] == "hibari:heart" and clip["seconds"] == 0.25
    assert not _stored_wav(clip["key"], tmp_path / "x")[2].any()


def test_the_cache_key_changes_with_voice_rate_and_used_lexicon_only(project, tmp_path):
    from previews.tts import services

    def key() -> str:
        return tts.speech_clip(project=project, language="en", text="Open Contentizer.", work_dir=tmp_path)["key"]

    keys = [key()]
    services.lexicon_entry_create(project=project, language="en", written="Unused", spoken="never said")
    keys.append(key())
    services.lexicon_entry_create(project=project, language="en", written="Contentizer", spoken="content eyes er")
    keys.append(key())
    services.project_voice_set(project=project, language="en", voice=None, rate=1.2)
    keys.append(key())
    services.project_voice_set(project=project, language="en", voice="espeak:en-us", rate=None)
    keys.append(key())
    assert keys[0] == keys[1], "an entry the text does not use changes nothing"
    assert len(set(keys[1:])) == 4


def test_the_narrate_stage_input_follows_the_projects_choices(project):
    from previews.tts import services

    states = [tts.narration_state(project=project, languages=["en", "de"])]
    services.project_voice_set(project=project, language="de", voice=None, rate=0.9)
    states.append(tts.narration_state(project=project, languages=["en", "de"]))
    services.lexicon_entry_create(project=project, language="en", written="UI", spoken="user interface")
    states.append(tts.narration_state(project=project, languages=["en", "de"]))
    assert states[0]["en"]["voice"] == "hibari:heart" and len(states[0]["en"]["modelSha256"]) == 64
    assert states[0]["en"] == states[1]["en"] and states[0]["de"] != states[1]["de"]
    assert states[2]["en"]["lexicon"] == [("UI", "user interface")] and states[1]["de"] == states[2]["de"]
