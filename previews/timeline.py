"""The renderer contract: a versioned, validated, frozen timeline value.

The JSON Schema lives in `previews/timeline.schema.json` (documented in docs/timeline.md);
`Timeline.parse()` validates against it and then checks what a schema cannot (transitions
that fit their scenes), reporting every problem with the path of the offending field.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("timeline.schema.json")


class TimelineError(ValueError):
    """The timeline is invalid; `problems` maps field paths to what is wrong with them."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{path}: {msg}" for path, msg in problems.items()))
        self.problems = problems


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


@dataclass(frozen=True)
class Output:
    width: int
    height: int
    fps: int


@dataclass(frozen=True)
class Transition:
    type: str = "cut"
    duration: float = 0.0


@dataclass(frozen=True)
class Scene:
    type: str  # image | video | color | title
    duration: float
    asset: str | None = None  # sha256 of an image or video blob
    color: str = "#1f2d3d"
    title: str = ""
    caption: str = ""
    transition: Transition = field(default_factory=Transition)
    narration: str | None = None  # sha256 of an audio blob, played from the scene's start


@dataclass(frozen=True)
class Music:
    asset: str
    volume: float = 0.3


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Timeline:
    output: Output
    scenes: tuple[Scene, ...]
    music: Music | None = None
    subtitles: tuple[Cue, ...] = ()
    version: int = VERSION

    # --- timing: a transition overlaps the end of its scene with the start of the next ---

    def starts(self) -> list[float]:
        starts, t = [], 0.0
        for scene in self.scenes:
            starts.append(round(t, 6))
            t += scene.duration - scene.transition.duration
        return starts

    @property
    def duration(self) -> float:
        last = self.scenes[-1]
        return round(self.starts()[-1] + last.duration, 6)

    def frames(self) -> int:
        return round(self.duration * self.output.fps)

    # --- value semantics ---

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, which parse() accepts back (round trip)."""
        data: dict[str, Any] = {
            "version": self.version, "output": asdict(self.output),
            "scenes": [{k: v for k, v in asdict(s).items() if v is not None} for s in self.scenes],
        }
        if self.music:
            data["audio"] = {"music": asdict(self.music)}
        if self.subtitles:
            data["subtitles"] = [asdict(c) for c in self.subtitles]
        return data

    def cache_key(self) -> str:
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def asset_hashes(self) -> set[str]:
        hashes = {s.asset for s in self.scenes if s.asset} | {s.narration for s in self.scenes if s.narration}
        return hashes | ({self.music.asset} if self.music else set())

    @classmethod
    def parse(cls, data: Any) -> Timeline:
        problems = {_path(e.absolute_path): e.message for e in _validator().iter_errors(data)}
        if problems:
            raise TimelineError(problems)
        timeline = cls(
            output=Output(**data["output"]),
            scenes=tuple(_scene(s) for s in data["scenes"]),
            music=Music(**data["audio"]["music"]) if data.get("audio", {}).get("music") else None,
            subtitles=tuple(Cue(**c) for c in data.get("subtitles", [])),
            version=data["version"],
        )
        timeline.check()
        return timeline

    def check(self) -> None:
        """What the schema cannot say: transitions must fit inside the scenes they join."""
        problems = {}
        last = len(self.scenes) - 1
        for i, scene in enumerate(self.scenes):
            head = self.scenes[i - 1].transition.duration if i else 0.0
            tail = scene.transition.duration if i < last else 0.0
            if i == last and scene.transition.duration:
                problems[f"scenes[{i}].transition"] = "the last scene has no next scene to transition into"
            elif head + tail >= scene.duration:
                problems[f"scenes[{i}].duration"] = (
                    f"{scene.duration:g}s is too short for its transitions ({head:g}s in, {tail:g}s out)"
                )
        if problems:
            raise TimelineError(problems)


@cache
def _validator() -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(schema())


def _path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def _scene(data: dict[str, Any]) -> Scene:
    transition = Transition(**data.get("transition", {}))
    if transition.type == "cut":
        transition = Transition("cut", 0.0)
    return Scene(**{**data, "transition": transition})
