"""Text to speech: the offline default engine speaks, refuses what it cannot, and is stable."""

from __future__ import annotations

import wave

import av
import numpy as np
import pytest

from previews import tts


def _wav(path):
    with wave.open(str(path)) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
        return wav.getframerate(), wav.getnchannels(), samples


@pytest.mark.parametrize(("language", "text"), [("en", "Click the Save button."), ("de", "Klicken Sie auf Speichern."),
                                                ("pt-BR", "Clique em salvar.")])
def test_the_default_engine_speaks_offline(tmp_path, language, text):
    out = tmp_path / "speech.wav"
    seconds = tts.engine().synthesize(text, language, out)
    rate, channels, samples = _wav(out)
    assert channels == 1 and rate > 8000
    assert 0.5 < seconds < 10 and abs(len(samples) / rate - seconds) < 1e-6
    assert np.sqrt(np.mean(samples.astype(float) ** 2)) > 300, "speech, not silence"
    with av.open(str(out)) as container:  # FFmpeg reads it
        assert container.streams.audio[0].codec_context.name == "pcm_s16le"


def test_longer_text_takes_longer_to_say(tmp_path):
    short = tts.engine().synthesize("Save.", "en", tmp_path / "a.wav")
    long = tts.engine().synthesize("Save the file, then close the window and open the next one.", "en",
                                   tmp_path / "b.wav")
    assert long > short * 2


def test_it_refuses_a_language_it_cannot_speak(tmp_path):
    with pytest.raises(tts.UnsupportedLanguage, match="cannot speak language 'tlh'"):
        tts.engine().synthesize("Qapla'", "tlh", tmp_path / "x.wav")
    assert not (tmp_path / "x.wav").exists()


def test_the_engine_names_its_version_for_cache_keys():
    assert tts.engine().version.startswith("espeak-ng 1.")


def test_silence_lasts_exactly_what_was_asked(tmp_path):
    assert tts.write_silence(2.5, tmp_path / "s.wav") == 2.5
    rate, _, samples = _wav(tmp_path / "s.wav")
    assert len(samples) == 2.5 * rate and not samples.any()


def test_another_engine_plugs_in_by_name(tmp_path, settings):
    class Beep:
        name, version = "beep", "beep 1"

        def synthesize(self, text, language, out_path):
            return tts.write_silence(len(text) / 10, out_path)

    tts.register("beep", Beep)
    settings.TTS_ENGINE = "beep"
    assert tts.engine().synthesize("0123456789", "en", tmp_path / "b.wav") == 1.0
