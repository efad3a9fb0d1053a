"""A step's emphasis on its picture: the one definition the model, the API, the studio and the
timeline share (like `transitions`).

The JSON form, every key optional (`{}`: no effects):

    {"focus": {"x": 0.1, "y": 0.2, "w": 0.3, "h": 0.2},   # a region of the picture
     "highlight": true,                                  # dim everything outside the focus
     "zoom": true,                                       # zoom into the focus and back out
     "blur": [{"x": 0.6, "y": 0.05, "w": 0.3, "h": 0.05}],  # regions to redact
     "click": {"x": 0.4, "y": 0.3}}                       # a ring marking a click

Regions and points are fractions (0..1) of the picture, so they stay true whatever the size the
picture is rendered at. Highlight and zoom need a focus region.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

MAX_BLUR_REGIONS = 10
MIN_SIDE = 0.005  # a region thinner than half a percent of the picture is a slip of the mouse
DECIMALS = 4  # a ten-thousandth of the picture: finer than a pixel of any screenshot we take
EASE_SECONDS = 0.6  # a zoom eases in over this long, and out over this long before the step ends
DIM_OPACITY = 0.55  # the black laid over everything outside a highlighted region
MAX_ZOOM = 4.0  # a tiny region is shown with its surroundings rather than blown up past this
FOCUS_MARGIN = 0.04  # of the region's size on each side: framed text does not touch the frame's edge
REGION_KEYS = ("x", "y", "w", "h")
POINT_KEYS = ("x", "y")
KEYS = ("focus", "highlight", "zoom", "blur", "click")


class EffectsError(ValueError):
    """Invalid effects; `problems` maps field paths ("effects.focus.w") to what is wrong."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{path}: {msg}" for path, msg in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class Region:
    x: float
    y: float
    w: float
    h: float

    def to_json(self) -> dict[str, float]:
        return {"x": self.x, "y": self.y, "w": self.w, "h": self.h}


@dataclass(frozen=True)
class Point:
    x: float
    y: float

    def to_json(self) -> dict[str, float]:
        return {"x": self.x, "y": self.y}


@dataclass(frozen=True)
class Effects:
    focus: Region | None = None
    highlight: bool = False
    zoom: bool = False
    blur: tuple[Region, ...] = ()
    click: Point | None = None

    def __bool__(self) -> bool:
        return bool(self.focus or self.blur or self.click)

    def to_json(self) -> dict[str, Any]:
        """The canonical JSON form: defaults left out, so no effects is `{}`."""
        data: dict[str, Any] = {}
        if self.focus:
            data["focus"] = self.focus.to_json()
        if self.highlight:
            data["highlight"] = True
        if self.zoom:
            data["zoom"] = True
        if self.blur:
            data["blur"] = [r.to_json() for r in self.blur]
        if self.click:
            data["click"] = self.click.to_json()
        return data


def _number(value: Any, path: str, problems: dict[str, str]) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems[path] = "must be a number from 0 to 1"
        return None
    if not 0 <= value <= 1:
        problems[path] = f"{value:g} is outside the picture: a fraction from 0 to 1"
        return None
    return round(float(value), DECIMALS)


def _fields(value: Any, keys: tuple[str, ...], path: str, problems: dict[str, str]) -> dict[str, float] | None:
    if not isinstance(value, dict):
        problems[path] = f"must be an object with {', '.join(keys)}"
        return None
    for key in sorted(set(value) - set(keys)):
        problems[f"{path}.{key}"] = f"unknown field; expected {', '.join(keys)}"
    for key in keys:
        if key not in value:
            problems[f"{path}.{key}"] = "is required"
    numbers = {key: _number(value[key], f"{path}.{key}", problems) for key in keys if key in value}
    return numbers if len(numbers) == len(keys) and None not in numbers.values() else None


def _region(value: Any, path: str, problems: dict[str, str]) -> Region | None:
    numbers = _fields(value, REGION_KEYS, path, problems)
    if numbers is None:
        return None
    before = len(problems)
    for side, start in (("w", "x"), ("h", "y")):
        if numbers[side] < MIN_SIDE:
            problems[f"{path}.{side}"] = f"the region is empty: at least {MIN_SIDE:g} of the picture"
        elif numbers[start] + numbers[side] > 1 + 10 ** -DECIMALS:
            problems[f"{path}.{side}"] = f"the region runs past the picture's edge ({start} + {side} > 1)"
    return Region(**numbers) if len(problems) == before else None


def _flag(value: Any, path: str, problems: dict[str, str]) -> bool:
    if not isinstance(value, bool):
        problems[path] = "must be true or false"
        return False
    return value


def parse(data: Any, *, path: str = "effects") -> Effects:
    """Effects from their JSON form, checked strictly: every problem is reported with its path."""
    problems: dict[str, str] = {}
    if data is None:
        return Effects()
    if not isinstance(data, dict):
        raise EffectsError({path: "must be an object (use {} for no effects)"})
    for key in sorted(set(data) - set(KEYS)):
        problems[f"{path}.{key}"] = f"unknown effect; expected {', '.join(KEYS)}"
    focus = _region(data["focus"], f"{path}.focus", problems) if data.get("focus") is not None else None
    highlight = _flag(data.get("highlight", False), f"{path}.highlight", problems)
    zoom = _flag(data.get("zoom", False), f"{path}.zoom", problems)
    for name, on in (("highlight", highlight), ("zoom", zoom)):
        if on and data.get("focus") is None:
            problems[f"{path}.{name}"] = f"{name} needs a focus region: set effects.focus"
    blur: list[Region] = []
    regions = data.get("blur", [])
    if not isinstance(regions, list):
        problems[f"{path}.blur"] = "must be a list of regions"
    elif len(regions) > MAX_BLUR_REGIONS:
        problems[f"{path}.blur"] = f"at most {MAX_BLUR_REGIONS} blur regions"
    else:
        blur = [r for i, value in enumerate(regions) if (r := _region(value, f"{path}.blur[{i}]", problems))]
    click = None
    if data.get("click") is not None and (numbers := _fields(data["click"], POINT_KEYS, f"{path}.click", problems)):
        click = Point(**numbers)
    if problems:
        raise EffectsError(problems)
    return Effects(focus=focus, highlight=highlight, zoom=zoom, blur=tuple(blur), click=click)


def ease_frames(fps: int, body_frames: int) -> int:
    """Frames of each of a zoom's two eases: EASE_SECONDS, or a third of a short body each."""
    return min(round(EASE_SECONDS * fps), body_frames // 3)
