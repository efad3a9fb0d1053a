"""The one list of transitions between scenes: model choices, serializers, the timeline schema
(checked by a test) and the FFmpeg graph all come from here."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT = "crossfade"
DEFAULT_SECONDS = 0.5  # how long a new step's transition lasts


@dataclass(frozen=True)
class Transition:
    name: str  # what the API, the models and the timeline say
    label: str  # what a person reads
    xfade: str  # FFmpeg's xfade transition drawing it ("" for a cut)


TRANSITIONS: tuple[Transition, ...] = (
    Transition("crossfade", "Cross-fade", "fade"),  # a plain blend of the two pictures
    Transition("cut", "Cut", ""),
    Transition("fadeblack", "Fade through black", "fadeblack"),
    Transition("dissolve", "Dissolve (noisy blend)", "dissolve"),
    Transition("wipeleft", "Wipe left", "wipeleft"),
    Transition("wiperight", "Wipe right", "wiperight"),
    Transition("slideleft", "Slide left", "slideleft"),
    Transition("slideright", "Slide right", "slideright"),
)
# Older names still accepted on input; they are stored and returned under the name they stand for.
ALIASES: dict[str, str] = {"fade": "fadeblack"}

_BY_NAME = {t.name: t for t in TRANSITIONS}


def names() -> list[str]:
    return [t.name for t in TRANSITIONS]


def accepted() -> list[str]:
    """Every name an input may use: the transitions and their aliases."""
    return [*names(), *ALIASES]


def choices() -> list[tuple[str, str]]:
    return [(t.name, t.label) for t in TRANSITIONS]


def canonical(name: str) -> str:
    """The transition an accepted name stands for (`fade` is `fadeblack`)."""
    name = ALIASES.get(name, name)
    if name not in _BY_NAME:
        raise ValueError(f"unknown transition {name!r}; use one of {', '.join(accepted())}")
    return name


def xfade(name: str) -> str:
    return _BY_NAME[canonical(name)].xfade


def is_cut(name: str, seconds: float) -> bool:
    """The one rule of a cut: a `cut`, or any transition that lasts no time."""
    return not seconds or canonical(name) == "cut"


def outlasts(duration: float, head: float, tail: float) -> bool:
    """The one rule of a scene and its transitions: it lasts longer than the two together (the
    one in from the scene before, the one out into the next)."""
    return head + tail < duration
