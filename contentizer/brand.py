"""A project's brand: how its captions and subtitles look, its logo, its colours and its optional
intro and outro cards. The one definition the model, the API, the studio, the compiler and the
timeline share (like `effects` and `transitions`).

The JSON form, every key optional (`{}`: today's look, which renders exactly as before brands):

    {"caption": {"size": "large", "position": "top", "color": "#ffffff",
                 "background": "#000000", "boxOpacity": 0.8},
     "logo": {"asset": 12, "corner": "top-right", "size": 0.15},   # an image asset of the project
     "colors": {"primary": "#1f2d3d", "text": "#ffffff"},           # title cards: fill and text
     "intro": {"title": "Acme Cloud", "subtitle": "Getting started", "seconds": 3},
     "outro": {"title": "Thanks for watching", "seconds": 2}}          # a subtitle too, if wanted

In a timeline the logo names its picture by sha256 instead of an asset id (`Logo.asset` holds
either); everything else is the same shape.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

CAPTION_SIZES = {"small": 0.8, "medium": 1.0, "large": 1.3}  # of the caption's default text size
CAPTION_POSITIONS = ("bottom", "top")
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
CARD_COLOR = "#1f2d3d"  # title cards' fill: the one default everything imports
TEXT_COLOR = "#ffffff"
CAPTION_BACKGROUND = "#000000"
CAPTION_OPACITY = 0.667  # 170 of 255: the caption box as it was drawn before brands
LOGO_SIZE = 0.15  # of the frame's short edge, for the logo's longer side
LOGO_SIZES = (0.05, 0.4)
CARD_SECONDS = (1.0, 10.0)
DEFAULT_CARD_SECONDS = 3.0
MAX_TITLE = 200
SECTIONS = ("caption", "logo", "colors", "intro", "outro")
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class BrandError(ValueError):
    """An invalid brand; `problems` maps field paths ("brand.caption.color") to what is wrong."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{path}: {msg}" for path, msg in problems.items()))
        self.problems = problems


@dataclass(frozen=True)
class CaptionStyle:
    size: str = "medium"
    position: str = "bottom"
    color: str = TEXT_COLOR
    background: str = CAPTION_BACKGROUND
    box_opacity: float = CAPTION_OPACITY

    @property
    def scale(self) -> float:
        return CAPTION_SIZES[self.size]

    @property
    def is_default(self) -> bool:
        return self == CaptionStyle()

    def to_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "position": self.position,
            "color": self.color,
            "background": self.background,
            "boxOpacity": self.box_opacity,
        }


@dataclass(frozen=True)
class Logo:
    asset: int | str  # an asset id in a project's brand; a blob's sha256 in a timeline
    corner: str = "top-right"
    size: float = LOGO_SIZE

    def to_json(self) -> dict[str, Any]:
        return {"asset": self.asset, "corner": self.corner, "size": self.size}


@dataclass(frozen=True)
class Colors:
    primary: str = CARD_COLOR
    text: str = TEXT_COLOR

    def to_json(self) -> dict[str, str]:
        return {"primary": self.primary, "text": self.text}


@dataclass(frozen=True)
class Card:
    title: str
    subtitle: str = ""
    seconds: float = DEFAULT_CARD_SECONDS

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "subtitle": self.subtitle, "seconds": self.seconds}


@dataclass(frozen=True)
class Brand:
    caption: CaptionStyle = field(default_factory=CaptionStyle)
    logo: Logo | None = None
    colors: Colors = field(default_factory=Colors)
    intro: Card | None = None
    outro: Card | None = None

    def to_json(self) -> dict[str, Any]:
        """The canonical stored form: sections at their defaults left out, so the default is `{}`."""
        data: dict[str, Any] = {}
        if not self.caption.is_default:
            data["caption"] = self.caption.to_json()
        if self.colors != Colors():
            data["colors"] = self.colors.to_json()
        for name in ("logo", "intro", "outro"):
            if (value := getattr(self, name)) is not None:
                data[name] = value.to_json()
        return data

    def full_json(self) -> dict[str, Any]:
        """Every section with its values, defaults included (what the API shows)."""
        return {
            "caption": self.caption.to_json(),
            "logo": self.logo.to_json() if self.logo else None,
            "colors": self.colors.to_json(),
            "intro": self.intro.to_json() if self.intro else None,
            "outro": self.outro.to_json() if self.outro else None,
        }


# --- parsing: every problem with its path -------------------------------------------------------


class _Reader:
    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def object(self, value: Any, path: str, keys: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.problems[path] = f"must be an object with {', '.join(keys)}"
            return {}
        for key in sorted(set(value) - set(keys)):
            self.problems[f"{path}.{key}"] = f"unknown field; expected {', '.join(keys)}"
        return value

    def choice(self, data: dict, key: str, path: str, choices: tuple[str, ...], default: str) -> str:
        value = data.get(key, default)
        if value not in choices:
            self.problems[f"{path}.{key}"] = f"{value!r} is not one of {', '.join(choices)}"
            return default
        return value

    def color(self, data: dict, key: str, path: str, default: str) -> str:
        value = data.get(key, default)
        if not isinstance(value, str) or not _COLOR.match(value):
            self.problems[f"{path}.{key}"] = f"{value!r} is not a colour: write it as #rrggbb, e.g. #1f2d3d"
            return default
        return value.lower()

    def number(self, data: dict, key: str, path: str, bounds: tuple[float, float], default: float) -> float:
        value = data.get(key, default)
        low, high = bounds
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            self.problems[f"{path}.{key}"] = f"must be a number from {low:g} to {high:g}"
            return default
        if not low <= value <= high:
            self.problems[f"{path}.{key}"] = f"{value:g} is outside {low:g} to {high:g}"
            return default
        return round(float(value), 3)

    def text(self, data: dict, key: str, path: str, *, required: bool) -> str:
        value = data.get(key, "")
        if not isinstance(value, str) or len(value) > MAX_TITLE:
            self.problems[f"{path}.{key}"] = f"must be text of at most {MAX_TITLE} characters"
            return ""
        if required and not value.strip():
            self.problems[f"{path}.{key}"] = "is required: the card's title"
        return value.strip()


def _caption(r: _Reader, value: Any, path: str) -> CaptionStyle:
    data = r.object(value, path, ("size", "position", "color", "background", "boxOpacity"))
    return CaptionStyle(
        size=r.choice(data, "size", path, tuple(CAPTION_SIZES), "medium"),
        position=r.choice(data, "position", path, CAPTION_POSITIONS, "bottom"),
        color=r.color(data, "color", path, TEXT_COLOR),
        background=r.color(data, "background", path, CAPTION_BACKGROUND),
        box_opacity=r.number(data, "boxOpacity", path, (0.0, 1.0), CAPTION_OPACITY),
    )


def _logo(r: _Reader, value: Any, path: str, *, sha256: bool) -> Logo | None:
    data = r.object(value, path, ("asset", "corner", "size"))
    asset = data.get("asset")
    good = (
        (isinstance(asset, str) and re.fullmatch(r"[0-9a-f]{64}", asset))
        if sha256
        else (isinstance(asset, int) and not isinstance(asset, bool) and asset > 0)
    )
    if not good:
        r.problems[f"{path}.asset"] = (
            "is required: the sha256 of a picture"
            if sha256
            else "is required: the id of an image asset of this project"
        )
    logo = Logo(
        asset=asset if good else 0,
        corner=r.choice(data, "corner", path, CORNERS, "top-right"),
        size=r.number(data, "size", path, LOGO_SIZES, LOGO_SIZE),
    )
    return logo if good else None


def _colors(r: _Reader, value: Any, path: str) -> Colors:
    data = r.object(value, path, ("primary", "text"))
    return Colors(primary=r.color(data, "primary", path, CARD_COLOR), text=r.color(data, "text", path, TEXT_COLOR))


def _card(r: _Reader, value: Any, path: str) -> Card:
    data = r.object(value, path, ("title", "subtitle", "seconds"))
    return Card(
        title=r.text(data, "title", path, required=True),
        subtitle=r.text(data, "subtitle", path, required=False),
        seconds=r.number(data, "seconds", path, CARD_SECONDS, DEFAULT_CARD_SECONDS),
    )


def parse(data: Any, *, path: str = "brand") -> Brand:
    """A brand from its JSON form (None or `{}`: the default), checked strictly."""
    r = _Reader()
    data = r.object({} if data is None else data, path, SECTIONS)
    brand = Brand(
        caption=_caption(r, data["caption"], f"{path}.caption") if data.get("caption") is not None else CaptionStyle(),
        logo=_logo(r, data["logo"], f"{path}.logo", sha256=False) if data.get("logo") is not None else None,
        colors=_colors(r, data["colors"], f"{path}.colors") if data.get("colors") is not None else Colors(),
        intro=_card(r, data["intro"], f"{path}.intro") if data.get("intro") is not None else None,
        outro=_card(r, data["outro"], f"{path}.outro") if data.get("outro") is not None else None,
    )
    if r.problems:
        raise BrandError(r.problems)
    return brand


def merged(current: Any, given: Any) -> dict[str, Any]:
    """A partial update: sections given replace the current ones (null removes a logo or card, or
    resets a section to its defaults); sections left out stay as they are."""
    if not isinstance(given, dict):
        return given
    return {**(current or {}), **given}


def parse_style(data: Any, *, path: str) -> tuple[CaptionStyle, Logo | None]:
    """A timeline's `style`: the caption style and the logo (by sha256)."""
    r = _Reader()
    data = r.object(data, path, ("caption", "logo"))
    caption = _caption(r, data["caption"], f"{path}.caption") if data.get("caption") is not None else CaptionStyle()
    logo = _logo(r, data["logo"], f"{path}.logo", sha256=True) if data.get("logo") is not None else None
    if r.problems:
        raise BrandError(r.problems)
    return caption, logo


def with_logo_asset(brand: Brand, asset: str) -> Brand:
    return replace(brand, logo=replace(brand.logo, asset=asset)) if brand.logo else brand
