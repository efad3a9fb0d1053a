"""Narration as an author records it, made at run time: the bundled English voice reading a sentence, with
silence around it as a microphone hears it, in the formats browsers and authors send (WAV at any rate,
WebM/Opus written live as Chromium's MediaRecorder writes it)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from contentizer.media import ffmpeg
from previews import tts
from previews.tts import catalogue
from tests.previews.speech import read_wav

SENTENCE = "Open the settings page and turn on automatic backups."


def spoken_wav(path: Path, text: str = SENTENCE, *, lead: float = 0.4, tail: float = 0.6) -> Path:
    """`text` read by the default English voice, with `lead` and `tail` seconds of silence."""
    voice = catalogue.default_voice("en")
    spoken, _ = tts.spoken_text(text=text, language="en", entries=[])
    raw = path.with_name(f"raw-{path.name}")
    catalogue.engines()[voice.engine].synthesize(voice, spoken, 1.0, raw)
    rate, _, samples = read_wav(raw)
    tts.write_wav(np.concatenate([np.zeros(int(rate * lead), np.int16), samples, np.zeros(int(rate * tail), np.int16)]),
                  rate, path)
    raw.unlink()
    return path


def converted(source: Path, out: Path, *args: str) -> Path:
    """`source` re-encoded by the product's FFmpeg (`args` are output options)."""
    ffmpeg.run(["-f", "wav", "-i", str(source), *args, str(out)], timeout=60)
    return out


def silent_wav(path: Path, seconds: float = 3.0, rate: int = 48000) -> Path:
    tts.write_wav(np.zeros(int(rate * seconds), np.int16), rate, path)
    return path
