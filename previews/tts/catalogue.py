"""The voice registry: every voice of every enabled engine, with a problem named for each one that
cannot be used, and the default voice of a language (neural before eSpeak).

The engines' voices are looked at again whenever TTS_VOICES_DIR changes (a file added, removed or
rewritten), and the voices uploaded in the admin (previews/tts/uploaded.py) are read from the database
on every call, so an operator adds a Piper voice by copying its two files or by uploading them, with no
restart and no code, on every machine at once.
"""

from __future__ import annotations

import functools
import logging
import threading
from pathlib import Path

from django.conf import settings

from previews.tts import uploaded
from previews.tts.engines import ESpeakEngine, HibariEngine, PiperEngine, UnsupportedLanguage, Voice

logger = logging.getLogger(__name__)

ENGINES = ("hibari", "piper", "espeak")  # the one list of engine names (settings and docs refer to it)
ENGINE_LABELS = {"hibari": "hibari", "piper": "Piper", "espeak": "eSpeak NG"}  # as pages name them

_lock = threading.Lock()
_built: dict[str, object] = {"key": None, "voices": []}


@functools.cache
def _espeak() -> ESpeakEngine:
    return ESpeakEngine()


@functools.cache
def _hibari() -> HibariEngine:
    return HibariEngine()


@functools.cache
def _piper(directory: str) -> PiperEngine:
    return PiperEngine(directory)


def engines() -> dict[str, ESpeakEngine | HibariEngine | PiperEngine]:
    """The enabled engines (TTS_ENGINES); eSpeak NG is always on: it is every language's fallback."""
    enabled = {"espeak": _espeak()}
    if "hibari" in settings.TTS_ENGINES:
        enabled["hibari"] = _hibari()
    if "piper" in settings.TTS_ENGINES:  # voices from TTS_VOICES_DIR (if set) and uploaded ones
        enabled["piper"] = _piper(settings.TTS_VOICES_DIR)
    return enabled


def _fingerprint() -> tuple:
    directory = settings.TTS_VOICES_DIR
    listing: tuple = ()
    if directory and Path(directory).is_dir():
        listing = tuple(sorted((entry.name, entry.stat().st_size, entry.stat().st_mtime_ns)
                               for entry in Path(directory).iterdir() if entry.is_file()))
    return tuple(settings.TTS_ENGINES), directory, listing


def _engine_voices() -> list[Voice]:
    """The engines' own voices (bundled and TTS_VOICES_DIR), looked at again when the folder changes."""
    key = _fingerprint()
    with _lock:
        if _built["key"] != key:
            found = [voice for engine in engines().values() for voice in engine.discover()]
            _built.update(key=key, voices=found)
            for voice in found:
                if not voice.available:
                    logger.warning("voice unavailable: %s: %s", voice.id, voice.problem,
                                   extra={"event": "tts.voice_unavailable", "voice": voice.id})
        return list(_built["voices"])


def voices() -> list[Voice]:
    """Every voice, usable or not, neural ones first."""
    found = _engine_voices() + (uploaded.uploaded_voices() if "piper" in settings.TTS_ENGINES else [])
    return sorted(found, key=lambda v: (not v.neural, v.language, -v.quality, v.id))


def voice_get(voice_id: str) -> Voice | None:
    return next((v for v in voices() if v.id == voice_id), None)


def problems() -> list[Voice]:
    """The voices that should work and do not (an uploaded voice an operator turned off is no problem)."""
    return [v for v in _engine_voices() if not v.available]


def _primary(tag: str) -> str:
    return tag.split("-")[0].lower()


def matches(voice: Voice, language: str) -> int:
    """How well a voice fits a language tag: 2 exactly (or an eSpeak alias), 1 same language, 0 not at all."""
    wanted = language.lower()
    if wanted in voice.languages():
        return 2
    return 1 if _primary(voice.language) == _primary(language) else 0


def _alias_priority(voice: Voice, language: str) -> int:
    return min((p for tag, p in voice.aliases if tag == language.lower()), default=99)


def candidates(language: str) -> list[Voice]:
    """Usable voices for a language, best first: neural before eSpeak, then the closest match, then quality."""
    found = [v for v in voices() if v.available and matches(v, language)]
    return sorted(found, key=lambda v: (not v.neural, -matches(v, language), -v.quality,
                                        _alias_priority(v, language), v.id))


def default_voice(language: str) -> Voice:
    found = candidates(language)
    if not found:
        raise UnsupportedLanguage(f"The speech engines cannot speak language '{language}' "
                                  "(no voice for it, eSpeak NG included).")
    return found[0]


def language_supported(language: str) -> bool:
    return bool(candidates(language))


def log_problems_at_start() -> None:
    """At start-up: a warning for each voice that cannot be used (its language falls back to eSpeak NG).
    The bundled neural voice is looked at only when operator voices are configured or its files are gone,
    so a plain start loads no model."""
    if settings.TTS_VOICES_DIR or not _hibari_files_present():
        _engine_voices()  # logs every unavailable voice (uploaded ones spoke before they were added)


def _hibari_files_present() -> bool:
    if "hibari" not in settings.TTS_ENGINES:
        return True
    try:
        return HibariEngine.model_path().is_file()
    except ImportError:
        return False
