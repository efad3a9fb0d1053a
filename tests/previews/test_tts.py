"""Text to speech engines: each one really speaks, at the rate asked, deterministically, offline."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import av
import pytest

from previews import tts
from previews.tts import catalogue
from tests.offline import NETWORK_GUARD
from tests.previews.speech import PIPER_VOICE, copy_piper_voice, read_wav, rms

REPO = Path(__file__).resolve().parents[2]
# The catalogue lists the voices operators uploaded in the admin, which live in the database.
pytestmark = pytest.mark.django_db
SENTENCE = "Click the Save button, then close the window."


def _say(voice_id: str, out: Path, text: str = SENTENCE, rate: float = 1.0) -> float:
    voice = tts.voice_get(voice_id)
    assert voice is not None and voice.available, voice
    return catalogue.engines()[voice.engine].synthesize(voice, text, rate, out)


@pytest.fixture(scope="session")
def piper_dir(tmp_path_factory) -> Path:
    return copy_piper_voice(tmp_path_factory.mktemp("voices"))


@pytest.fixture
def with_piper(settings, piper_dir) -> Path:
    settings.TTS_VOICES_DIR = str(piper_dir)
    return piper_dir


def _assert_speech(path: Path, seconds: float, rate: int) -> None:
    sample_rate, channels, samples = read_wav(path)
    assert (sample_rate, channels) == (rate, 1)
    assert 1.0 < seconds < 10 and abs(len(samples) / sample_rate - seconds) < 1e-6
    assert rms(samples) > 300, "speech, not silence"
    with av.open(str(path)) as container:  # FFmpeg reads it
        assert container.streams.audio[0].codec_context.name == "pcm_s16le"


@pytest.mark.parametrize(("language", "text"), [("en", "Click the Save button."), ("de", "Klicken Sie auf Speichern."),
                                                ("pt-BR", "Clique em salvar.")])
def test_espeak_speaks_every_language_offline(tmp_path, language, text):
    voice = catalogue.candidates(language)[-1]  # eSpeak NG is last: neural voices come first
    assert voice.engine == "espeak"
    seconds = catalogue.engines()["espeak"].synthesize(voice, text, 1.0, tmp_path / "speech.wav")
    sample_rate, _, samples = read_wav(tmp_path / "speech.wav")
    assert 0.5 < seconds < 10 and rms(samples) > 300 and sample_rate == 22050


def test_the_bundled_neural_voice_speaks_english(tmp_path):
    seconds = _say("hibari:heart", tmp_path / "heart.wav")
    _assert_speech(tmp_path / "heart.wav", seconds, 24000)


def test_an_operator_piper_voice_speaks(tmp_path, with_piper):
    seconds = _say(f"piper:{PIPER_VOICE}", tmp_path / "joe.wav")
    _assert_speech(tmp_path / "joe.wav", seconds, 22050)


@pytest.mark.parametrize("voice_id", ["hibari:heart", f"piper:{PIPER_VOICE}", "espeak:en-us"])
def test_a_faster_rate_makes_shorter_speech(tmp_path, with_piper, voice_id):
    normal = _say(voice_id, tmp_path / "normal.wav")
    fast = _say(voice_id, tmp_path / "fast.wav", rate=1.5)
    slow = _say(voice_id, tmp_path / "slow.wav", rate=0.75)
    assert fast < normal * 0.85 and slow > normal * 1.15, (fast, normal, slow)


def test_the_bundled_neural_voice_gives_the_same_audio_for_the_same_text(tmp_path):
    # Piper samples noise inside its graph (durations too), so only hibari is bit-exact; the speech
    # cache is what keeps every narration stable (tests/previews/test_narration.py).
    _say("hibari:heart", tmp_path / "a.wav")
    _say("hibari:heart", tmp_path / "b.wav")
    assert hashlib.sha256((tmp_path / "a.wav").read_bytes()).digest() == \
        hashlib.sha256((tmp_path / "b.wav").read_bytes()).digest()


def test_longer_text_takes_longer_to_say(tmp_path):
    short = _say("hibari:heart", tmp_path / "a.wav", text="Save.")
    long = _say("hibari:heart", tmp_path / "b.wav", text="Save the file, then close the window and open the next one.")
    assert long > short * 2


def test_no_voice_speaks_an_unknown_language():
    with pytest.raises(tts.UnsupportedLanguage, match="cannot speak language 'tlh'"):
        tts.default_voice("tlh")
    assert not tts.language_supported("tlh") and tts.language_supported("pt-BR")


def test_the_default_voice_is_neural_when_one_speaks_the_language(with_piper):
    assert tts.default_voice("en").id == "hibari:heart"
    assert tts.default_voice("en-US").id == "hibari:heart"
    assert tts.default_voice("de").id == "espeak:de"
    assert [v.engine for v in tts.voice_candidates("en")][:3] == ["hibari", "piper", "espeak"]


def test_turning_the_neural_engine_off_falls_back_to_espeak(settings):
    settings.TTS_ENGINES = ["espeak"]
    assert tts.default_voice("en").engine == "espeak"


def test_silence_lasts_exactly_what_was_asked(tmp_path):
    assert tts.write_silence(2.5, tmp_path / "s.wav") == 2.5
    rate, _, samples = read_wav(tmp_path / "s.wav")
    assert len(samples) == 2.5 * rate and not samples.any()


_OFFLINE_PROBE = NETWORK_GUARD + r"""
import json, os, sys
from pathlib import Path
from previews.tts import catalogue
out = Path(sys.argv[1])
result = {}
for voice_id in ("hibari:heart", "piper:%s", "espeak:en-us"):
    voice = catalogue.voice_get(voice_id)
    seconds = catalogue.engines()[voice.engine].synthesize(voice, "Open the settings menu.", 1.0, out / "x.wav")
    result[voice_id] = {"seconds": seconds, "source": voice.source}
from hibari.voices import voice_path
try:  # the guard works: hibari's own loader would download this voice
    voice_path("emma")
except RuntimeError as exc:
    result["guard"] = str(exc)
print(json.dumps(result))
"""


def test_every_engine_speaks_with_the_network_blocked_and_downloads_nothing(tmp_path, piper_dir):
    """A fresh process whose every socket use raises: the engines load and speak from bundled or
    operator files only, and hibari's download cache stays empty."""
    cache = tmp_path / "hibari-home"
    cache.mkdir()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "contentizer.settings", "DATA_DIR": str(tmp_path / "data"),
           "TTS_VOICES_DIR": str(piper_dir), "HIBARI_HOME": str(cache), "HF_HUB_OFFLINE": "0"}
    done = subprocess.run([sys.executable, "-c", _OFFLINE_PROBE % PIPER_VOICE, str(tmp_path)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result.pop("guard").startswith("network access attempted")
    assert all(r["seconds"] > 0.5 for r in result.values())
    import hibari

    assert Path(result["hibari:heart"]["source"]).parent == Path(hibari.__file__).parent / "assets"
    assert Path(result[f"piper:{PIPER_VOICE}"]["source"]).parent == piper_dir
    assert list(cache.iterdir()) == []
