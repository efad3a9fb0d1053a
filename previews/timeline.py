"""The renderer contract: a versioned, validated, frozen timeline value.

The JSON Schema lives in `previews/timeline.schema.json` (documented in docs/timeline.md);
`Timeline.parse()` validates against it and then checks what a schema cannot (transitions
that fit their scenes), reporting every problem with the path of the offending field.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from contentizer import brand as brand_
from contentizer import effects as effects_
from contentizer import transitions
from contentizer.brand import CaptionStyle, Logo
from contentizer.effects import Effects
from contentizer.media.compose import MUSIC_VOLUME

# 2: scenes may carry `effects` (focus, highlight, zoom, blur, click). A version 1 timeline has
# none, parses as it always did and renders the same frames under the same piece keys.
# 3: an optional top-level `style` (caption style, logo) and title scenes' `textColor` and
# `subtitle` (a project's brand, contentizer.brand). Without them a timeline renders as version 2.
VERSION = 3
VERSIONS = (1, 2, 3)
QUALITIES = ("preview", "final")
# A scene lengthened by its narration lasts at least this much longer than its transitions
# together: the frames on which it settles (and shows its caption).
SETTLED_SECONDS = 0.2
# After a scene's narration, before the next scene: videos time each step to its speech plus this, and a
# preview to its recorded narration plus this.
NARRATION_PAUSE = 0.6
SCHEMA_PATH = Path(__file__).with_name("timeline.schema.json")


class TimelineError(ValueError):
    """The timeline is invalid; `problems` maps field paths to what is wrong with them."""

    def __init__(self, problems: dict[str, str], *, message: str = "") -> None:
        super().__init__(message or "; ".join(f"{path}: {msg}" for path, msg in problems.items()))
        self.problems = problems


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


@dataclass(frozen=True)
class Output:
    width: int
    height: int
    fps: int
    quality: str = "preview"  # "preview": fast and small; "final": the quality of a finished video


@dataclass(frozen=True)
class Transition:
    type: str = "cut"
    duration: float = 0.0


@dataclass(frozen=True)
class Speech:
    """A spoken clip of a scene in one language: a cached clip of the speech engine, its length
    and the gain (dB) that brings it to the target loudness, measured once when it was made."""

    language: str
    clip: str  # sha256 naming the clip in the speech cache
    seconds: float
    gain: float = 0.0


@dataclass(frozen=True)
class Style:
    """How captions look and the logo drawn on every frame (version 3)."""

    caption: CaptionStyle = field(default_factory=CaptionStyle)
    logo: Logo | None = None  # Logo.asset: the sha256 of its picture

    def __bool__(self) -> bool:
        return not self.caption.is_default or self.logo is not None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if not self.caption.is_default:
            data["caption"] = self.caption.to_json()
        if self.logo:
            data["logo"] = self.logo.to_json()
        return data


@dataclass(frozen=True)
class Scene:
    type: str  # image | video | color | title
    duration: float
    asset: str | None = None  # sha256 of an image or video blob
    color: str = brand_.CARD_COLOR
    title: str = ""
    subtitle: str = ""  # a title card's second, smaller line (version 3)
    text_color: str = brand_.TEXT_COLOR  # a title card's text (version 3)
    caption: str = ""
    transition: Transition = field(default_factory=Transition)
    narration: str | None = None  # sha256 of an audio blob, played from the scene's start in every track
    narration_gain: float = 0.0  # dB
    speech: tuple[Speech, ...] = ()  # per language (videos)
    effects: Effects = field(default_factory=Effects)  # emphasis on the picture (image and video scenes)

    def speech_in(self, language: str) -> Speech | None:
        return next((s for s in self.speech if s.language == language), None)

    @property
    def sounds(self) -> bool:
        """Whether anything is heard during this scene (music aside)."""
        return bool(self.narration or self.speech)


@dataclass(frozen=True)
class Music:
    asset: str
    volume: float = MUSIC_VOLUME


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
    languages: tuple[str, ...] = ()  # one audio track per language; none: one unlabelled track
    version: int = VERSION
    style: Style = field(default_factory=Style)

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
        return self.frame_at(self.duration)

    def frame_at(self, seconds: float) -> int:
        """The frame a time falls on, halves rounded up. Float noise is cleared first, so a cut
        between two scenes lands on the same frame whichever sum reaches it (1.11 + 0.75 is
        1.8600000000000003, and banker's rounding of 46.5 would not agree with itself)."""
        return math.floor(round(round(seconds, 6) * self.output.fps, 6) + 0.5)

    def spans(self) -> list[tuple[int, int, int]]:
        """(frames, head, tail) of each scene, from rounded *cumulative* boundaries: rounding
        each scene on its own would drift by up to half a frame per scene, and the picture would
        fall behind sound placed at the exact start times. head is shared with the previous
        scene's transition, tail with the next one's."""
        last = len(self.scenes) - 1
        bounds = [(self.frame_at(start), self.frame_at(start + scene.duration))
                  for start, scene in zip(self.starts(), self.scenes, strict=True)]
        return [(end - first, bounds[i - 1][1] - first if i else 0, end - bounds[i + 1][0] if i < last else 0)
                for i, (first, end) in enumerate(bounds)]

    def narrated(self, speech: list[tuple[Speech, ...]], *, pause: float, gains: dict[str, float]) -> Timeline:
        """This timeline with its speech: each scene lasts at least its longest speech plus
        `pause` (and stays longer than its transitions); narration assets get their gains."""
        scenes, last = [], len(self.scenes) - 1
        for i, (scene, spoken) in enumerate(zip(self.scenes, speech, strict=True)):
            longest = max((s.seconds for s in spoken), default=0.0)
            head = self.scenes[i - 1].transition.duration if i else 0.0
            tail = scene.transition.duration if i < last else 0.0
            duration = max(scene.duration, longest + pause if longest else 0.0)
            duration = fitted(duration, head, tail) if spoken else duration
            scenes.append(replace(scene, duration=duration, speech=tuple(spoken),
                                  narration_gain=gains.get(scene.narration or "", scene.narration_gain)))
        return replace(self, scenes=tuple(scenes))

    # --- value semantics ---

    def to_dict(self) -> dict[str, Any]:
        """The JSON form, which parse() accepts back (round trip)."""
        data: dict[str, Any] = {
            "version": self.version, "output": asdict(self.output), "scenes": [_scene_dict(s) for s in self.scenes],
        }
        audio: dict[str, Any] = {}
        if self.music:
            audio["music"] = asdict(self.music)
        if self.languages:
            audio["languages"] = list(self.languages)
        if audio:
            data["audio"] = audio
        if self.subtitles:
            data["subtitles"] = [asdict(c) for c in self.subtitles]
        if self.style:  # the default look: the JSON (and a version 2 timeline's key) as before styles
            data["style"] = self.style.to_json()
        return data

    def cache_key(self) -> str:
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def asset_hashes(self) -> set[str]:
        hashes = {s.asset for s in self.scenes if s.asset} | {s.narration for s in self.scenes if s.narration}
        hashes |= {self.style.logo.asset} if self.style.logo else set()
        return hashes | ({self.music.asset} if self.music else set())

    @classmethod
    def parse(cls, data: Any) -> Timeline:
        problems = {_path(e.absolute_path): e.message for e in _validator().iter_errors(data)}
        if not problems:
            problems = _effects_problems(data) | _style_problems(data)
        if problems:
            raise TimelineError(problems)
        audio = data.get("audio", {})
        caption, logo = brand_.parse_style(data.get("style", {}), path="style")
        timeline = cls(
            output=Output(**data["output"]),
            scenes=tuple(_scene(s) for s in data["scenes"]),
            music=Music(**audio["music"]) if audio.get("music") else None,
            subtitles=tuple(Cue(**c) for c in data.get("subtitles", [])),
            languages=tuple(audio.get("languages", ())),
            version=data["version"],
            style=Style(caption=caption, logo=logo),
        )
        timeline.check()
        return timeline

    def check(self) -> None:
        """What the schema cannot say: transitions must fit inside the scenes they join, and
        speech only in the timeline's languages."""
        problems = {}
        last = len(self.scenes) - 1
        for i, scene in enumerate(self.scenes):
            head = self.scenes[i - 1].transition.duration if i else 0.0
            tail = scene.transition.duration if i < last else 0.0
            if i == last and scene.transition.duration:
                problems[f"scenes[{i}].transition"] = "the last scene has no next scene to transition into"
            elif not transitions.outlasts(scene.duration, head, tail):
                problems[f"scenes[{i}].duration"] = (
                    f"{scene.duration:g}s is too short for its transitions ({head:g}s in, {tail:g}s out)"
                )
            for speech in scene.speech:
                if speech.language not in self.languages:
                    problems[f"scenes[{i}].speech"] = f"{speech.language!r} is not one of audio.languages"
        if problems:
            raise TimelineError(problems)


def fitted(duration: float, head: float, tail: float) -> float:
    """`duration`, lengthened where needed so that a narrated scene outlasts its transitions (a
    step's duration is a minimum, and narration lengthens it)."""
    return round(max(duration, head + tail + SETTLED_SECONDS), 3)


@cache
def _validator() -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(schema())


def _path(parts) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def _effects_problems(data: dict[str, Any]) -> dict[str, str]:
    """What the schema cannot say about effects: regions inside the picture and not empty,
    highlight and zoom with a focus, only in version 2 and on scenes with a picture."""
    problems: dict[str, str] = {}
    for i, scene in enumerate(data["scenes"]):
        if "effects" not in scene:
            continue
        where = f"scenes[{i}].effects"
        if data["version"] < 2:
            problems[where] = "effects need timeline version 2"
        elif scene["type"] not in ("image", "video") and scene["effects"]:
            problems[where] = f"a {scene['type']} scene has no picture to put effects on"
        else:
            try:
                effects_.parse(scene["effects"], path=where)
            except effects_.EffectsError as exc:
                problems.update(exc.problems)
    return problems


def _style_problems(data: dict[str, Any]) -> dict[str, str]:
    """A style and title cards' text colours and subtitles are version 3's."""
    if data["version"] >= 3:
        return {}
    problems = {"style": "a style needs timeline version 3"} if "style" in data else {}
    for i, scene in enumerate(data["scenes"]):
        for key in ("textColor", "subtitle"):
            if key in scene:
                problems[f"scenes[{i}].{key}"] = f"{key} needs timeline version 3"
    return problems


def _scene(data: dict[str, Any]) -> Scene:
    transition = Transition(**data.get("transition", {}))
    transition = Transition(transitions.canonical(transition.type), transition.duration)
    if transitions.is_cut(transition.type, transition.duration):
        transition = Transition("cut", 0.0)
    fields = {k: v for k, v in data.items()
              if k not in ("transition", "speech", "narrationGain", "effects", "textColor")}
    return Scene(**fields, transition=transition, narration_gain=data.get("narrationGain", 0.0),
                 text_color=data.get("textColor", brand_.TEXT_COLOR).lower(),
                 speech=tuple(Speech(**s) for s in data.get("speech", ())),
                 effects=effects_.parse(data.get("effects")))


def _scene_dict(scene: Scene) -> dict[str, Any]:
    data = {k: v for k, v in asdict(scene).items()
            if v is not None and k not in ("speech", "narration_gain", "transition", "effects", "subtitle",
                                           "text_color")}
    data["transition"] = asdict(scene.transition)
    if scene.effects:  # none: the scene's JSON (and a version 1 timeline's key) as before effects
        data["effects"] = scene.effects.to_json()
    if scene.subtitle:  # like effects: a card without them has its version 2 JSON
        data["subtitle"] = scene.subtitle
    if scene.text_color != brand_.TEXT_COLOR:
        data["textColor"] = scene.text_color
    if scene.narration_gain:
        data["narrationGain"] = scene.narration_gain
    if scene.speech:
        data["speech"] = [asdict(s) for s in scene.speech]
    return data
