"""Text to speech behind a small engine interface.

The default engine is eSpeak NG, loaded from the `espeakng-loader` wheel (the library and its
language data ship inside the package): it works offline on a fresh machine, in about a hundred
languages. Another engine (a neural one such as Piper, with its voice model path from the
environment) plugs in by registering under a name and setting TTS_ENGINE; the pipeline only
sees `engine().synthesize()`.
"""

from __future__ import annotations

import ctypes
import functools
import logging
import threading
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from django.conf import settings

logger = logging.getLogger(__name__)


class UnsupportedLanguage(Exception):
    """The engine cannot speak this language; the message names it and the engine."""


class SpeechEngine(Protocol):
    name: str
    version: str  # part of every narration's cache key: a new engine means new audio

    def synthesize(self, text: str, language: str, out_path: Path) -> float:
        """Write mono 16-bit WAV speech to out_path; return its duration in seconds."""

    def supports(self, language: str) -> bool:
        """Whether synthesize() can speak this language (checked before a video is queued)."""


def write_silence(seconds: float, out_path: Path, *, rate: int = 22050) -> float:
    frames = round(seconds * rate)
    with wave.open(str(out_path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(b"\x00\x00" * frames)
    return frames / rate


class ESpeakEngine:
    """eSpeak NG through ctypes. The library keeps global state, so calls are serialised."""

    name = "espeak-ng"
    _AUDIO_OUTPUT_SYNCHRONOUS = 2
    _POS_CHARACTER = 1
    _CHARS_UTF8 = 1
    _CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

    def __init__(self) -> None:
        import espeakng_loader  # the wheel with libespeak-ng and its data

        self._lib = ctypes.CDLL(espeakng_loader.get_library_path())
        self._lock = threading.Lock()
        self._chunks: list[bytes] = []
        self.rate = self._lib.espeak_Initialize(
            self._AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0
        )
        if self.rate <= 0:
            raise RuntimeError("eSpeak NG failed to initialise")
        self._callback = self._CALLBACK(self._collect)  # kept referenced: the library calls it
        self._lib.espeak_SetSynthCallback(self._callback)
        self._lib.espeak_Info.restype = ctypes.c_char_p
        self.version = f"espeak-ng {self._lib.espeak_Info(None).decode()}"

    def _collect(self, samples, count: int, events) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(samples, count * 2))
        return 0

    def _select_voice(self, language: str) -> None:
        tag = language.lower()
        for candidate in (tag, tag.split("-")[0]):
            if self._lib.espeak_SetVoiceByName(candidate.encode()) == 0:
                return
        raise UnsupportedLanguage(f"The speech engine {self.name} cannot speak language '{language}'.")

    def supports(self, language: str) -> bool:
        with self._lock:
            try:
                self._select_voice(language)
            except UnsupportedLanguage:
                return False
        return True

    def synthesize(self, text: str, language: str, out_path: Path) -> float:
        data = text.encode("utf-8")
        with self._lock:
            self._select_voice(language)
            self._chunks = []
            self._lib.espeak_Synth(
                ctypes.c_char_p(data), len(data) + 1, 0, self._POS_CHARACTER, 0, self._CHARS_UTF8, None, None
            )
            self._lib.espeak_Synchronize()
            audio = b"".join(self._chunks)
        with wave.open(str(out_path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(self.rate)
            wav.writeframes(audio)
        return len(audio) / 2 / self.rate


_engines: dict[str, Callable[[], SpeechEngine]] = {"espeak": ESpeakEngine}


def register(name: str, factory: Callable[[], SpeechEngine]) -> None:
    _engines[name] = factory


@functools.cache
def _engine(name: str) -> SpeechEngine:
    try:
        return _engines[name]()
    except KeyError:
        raise UnsupportedLanguage(f"No speech engine named {name!r} (TTS_ENGINE); have {sorted(_engines)}") from None


def engine() -> SpeechEngine:
    return _engine(settings.TTS_ENGINE)
