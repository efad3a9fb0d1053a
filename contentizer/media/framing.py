"""Where a scene's effects fall in pixels: the view of the picture a frame shows, the region a
zoom eases into, what is blurred, dimmed and marked. Pure geometry, no FFmpeg: `compose` turns a
`Look` into filters.

Everything is in the picture's own pixels. A *view* is a rectangle with the output's aspect; it
may reach past the picture's edges (a letterbox: the rest of the frame is black).
"""

from __future__ import annotations

from dataclasses import dataclass

from contentizer.effects import FOCUS_MARGIN, MAX_ZOOM, Effects, Region, ease_frames


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @classmethod
    def of(cls, region: Region, size: tuple[int, int]) -> Box:
        width, height = size
        return cls(region.x * width, region.y * height, region.w * width, region.h * height)


@dataclass(frozen=True)
class Look:
    """A scene's effects in pixels of its picture (`size`)."""

    size: tuple[int, int]
    view: Box  # what the settled frame shows
    letterboxed: bool  # `view` is the whole picture fitted as a scene without effects shows it
    zoom: Box | None = None  # the view the body eases into and back out of
    ease: int = 0  # frames of each ease
    blur: tuple[Box, ...] = ()
    highlight: Box | None = None
    click: tuple[float, float] | None = None

    @property
    def shows(self) -> bool:
        """Whether the look changes anything a plain fit would show (a focus alone in a landscape
        frame does not)."""
        return self.reframes or bool(self.zoom or self.highlight or self.click)

    @property
    def reframes(self) -> bool:
        """Whether every frame of the scene (its transitions too) differs from a plain fit: a
        redaction must hold in a crossfade as well, and a framed picture is framed throughout."""
        return bool(self.blur) or not self.letterboxed


def letterbox(size: tuple[int, int], aspect: float) -> Box:
    """The view holding the whole picture, centred, with black bars on the sides it lacks."""
    width, height = size
    if width / height > aspect:
        return Box(0, (height - width / aspect) / 2, width, width / aspect)
    return Box((width - height * aspect) / 2, 0, height * aspect, height)


def _placed(start: float, length: float, extent: float) -> float:
    """Where a view's side of `length` starts: kept inside [0, extent] when it fits, else centred."""
    if length >= extent:
        return (extent - length) / 2
    return min(max(start, 0.0), extent - length)


def framed(region: Box, size: tuple[int, int], aspect: float, *, least_width: float = 0.0) -> Box:
    """The view around `region`: the region with a small margin, widened or heightened to the
    output's aspect (at least `least_width` wide), kept inside the picture where it fits."""
    w = region.w * (1 + 2 * FOCUS_MARGIN)
    h = region.h * (1 + 2 * FOCUS_MARGIN)
    w = max(w, h * aspect, least_width)
    h = w / aspect
    cx, cy = region.x + region.w / 2, region.y + region.h / 2
    return Box(_placed(cx - w / 2, w, size[0]), _placed(cy - h / 2, h, size[1]), w, h)


def _inside(box: Box, outer: Box) -> Box:
    return Box(min(max(box.x, outer.x), outer.x + outer.w - box.w),
               min(max(box.y, outer.y), outer.y + outer.h - box.h), box.w, box.h)


def look_for(effects: Effects, *, size: tuple[int, int], width: int, height: int, fps: int,
             body_frames: int) -> Look:
    """The look of a picture of `size` with `effects` in a `width`×`height` frame. Portrait and
    square frames show the focus region across their width rather than the whole picture
    letterboxed into a strip; a landscape frame shows the whole picture and zooms into it."""
    aspect = width / height
    whole = letterbox(size, aspect)
    focus = Box.of(effects.focus, size) if effects.focus else None
    view = framed(focus, size, aspect) if focus and width <= height else whole
    zoom, ease = None, 0
    if effects.zoom and focus:
        target = framed(focus, size, aspect, least_width=view.w / MAX_ZOOM)
        ease = ease_frames(fps, body_frames)
        if target.w < view.w * 0.98 and ease >= 1:  # a zoom that barely moves is none
            zoom = _inside(target, view)
    return Look(size=size, view=view, letterboxed=view == whole, zoom=zoom, ease=ease if zoom else 0,
                blur=tuple(Box.of(r, size) for r in effects.blur),
                highlight=focus if effects.highlight else None,
                click=(effects.click.x * size[0], effects.click.y * size[1]) if effects.click else None)
