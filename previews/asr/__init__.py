"""Speech recognition, offline: recorded speech in, timed segments and words out (dubbing, narration
recorded by the author, a recording turned into a chapter). One engine today (faster-whisper), behind
the Recogniser protocol like the voices and the translation engines.

`transcribe(media, ...)` decodes the recording with the product's FFmpeg (its demuxer named, never
probed) into 16 kHz mono, picks the best model that hears the language (an operator's before the
bundled ones, a larger before a smaller; any multilingual one when the language is to be detected) and
returns a Transcript. A language no model hears is refused with AsrUnavailable, naming it, as a
missing voice is."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from contentizer.languages import language_name
from contentizer.media import ffmpeg
from contentizer.media.compose import Media
from previews.asr.base import SAMPLE_RATE, AsrUnavailable, Model, Progress, Segment, Transcript, Word
from previews.asr.whisper import SIZES, WhisperEngine

__all__ = ["AsrUnavailable", "Model", "Segment", "Transcript", "Word", "model_for", "models", "transcribe"]

logger = logging.getLogger(__name__)


@functools.cache
def _whisper() -> WhisperEngine:
    return WhisperEngine()


def models() -> list[Model]:
    """Every model, usable or not: operators' first, then larger before smaller."""
    found = _whisper().discover()
    found.sort(key=lambda m: (m.bundled, -SIZES.index(m.size) if m.size in SIZES else 0, m.id))
    return found


def model_for(language: str | None) -> Model:
    """The model that hears `language` best (None: one that detects the language). English prefers a
    larger multilingual model to a smaller English-only one."""
    if language and not _whisper().knows(language):  # a multilingual model "hears" any code it is given
        raise AsrUnavailable(f"No speech recognition model hears {_named(language)}: the recogniser does not know "
                             "the language.")
    usable = [m for m in models() if m.available and (m.hears(language) if language else not m.languages)]
    if usable:
        return usable[0]
    broken = [m for m in models() if not m.available and (m.hears(language) if language else not m.languages)]
    if broken:
        raise AsrUnavailable(f"The speech recognition model for {_named(language)} cannot be used: "
                             f"{broken[0].problem}.")
    raise AsrUnavailable(f"No speech recognition model hears {_named(language)} on this server: an operator can "
                         "add a Whisper model to ASR_MODELS_DIR (docs/speech.md).")


def _named(language: str | None) -> str:
    return f"{language_name(language)} ({language})" if language else "an undetermined language"


def decode(media: Media, *, work_dir: Path, timeout: float, should_cancel: Callable[[], bool] | None = None
           ) -> np.ndarray:
    """The first audio stream of `media` as mono float32 samples at 16 kHz, decoded by the product's FFmpeg."""
    raw = work_dir / "asr-input.f32"
    ffmpeg.run(["-f", media.demuxer, "-i", str(media.path), "-map", "0:a:0", "-vn", "-ac", "1",
                "-ar", str(SAMPLE_RATE), "-f", "f32le", str(raw)],
               timeout=timeout, should_cancel=should_cancel, log_path=str(work_dir / "job.log"))
    try:
        return np.fromfile(raw, dtype=np.float32)
    finally:
        raw.unlink(missing_ok=True)


def transcribe(media: Media, *, language: str | None, work_dir: Path, timeout: float = 1800,
               should_cancel: Callable[[], bool] | None = None, progress: Progress | None = None) -> Transcript:
    model = model_for(language)
    audio = decode(media, work_dir=work_dir, timeout=timeout, should_cancel=should_cancel)
    return _whisper().transcribe(model, audio, language=language, should_cancel=should_cancel, progress=progress)


def log_problems_at_start() -> None:
    for model in models():
        if not model.available:
            logger.warning("speech recognition model unavailable: %s: %s", model.id, model.problem,
                           extra={"event": "asr.model_unavailable", "model": model.id})
