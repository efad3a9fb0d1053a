"""Still pictures the renderer needs that no asset provides: caption overlays and title cards.

Drawn with Pillow's built-in scalable font, so rendering needs no font files on the machine.
Sizes follow the frame's short edge, so a caption reads the same in 16:9, 9:16 and 1:1; text is
wrapped by its measured width and kept inside safe margins (in portrait, well above the bottom,
where players and apps draw their controls).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw, ImageFont

from contentizer.brand import CORNERS, TEXT_COLOR, CaptionStyle, Logo
from previews.timeline import Output

logger = logging.getLogger(__name__)

CAPTION_MAX_LINES = 4
PORTRAIT_MAX_LINES = 6
LAYOUT_VERSION = 2  # part of every rendered piece's cache key: a new layout renders anew


@dataclass(frozen=True)
class SafeArea:
    """Where text may go: margins from each edge, in pixels."""

    side: int
    bottom: int
    top: int

    @classmethod
    def of(cls, output: Output) -> SafeArea:
        short = min(output.width, output.height)
        portrait = output.height > output.width
        # 5 % of the width at the sides (title-safe); in portrait, the lowest 12 % is left to the
        # player's controls and the apps' overlays
        # at the top, in portrait, the apps draw their own bar over the first 8 %
        return cls(side=max(8, round(output.width * 0.05)),
                   bottom=round(output.height * 0.12) if portrait else max(8, short // 18),
                   top=round(output.height * 0.08) if portrait else max(8, short // 18))


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _break_word(word: str, font, max_width: int, draw: ImageDraw.ImageDraw) -> list[str]:
    pieces, current = [], ""
    for char in word:
        if current and draw.textlength(current + char, font=font) > max_width:
            pieces.append(current)
            current = ""
        current += char
    return [*pieces, current] if current else pieces


def wrap(text: str, font, max_width: int, draw: ImageDraw.ImageDraw, max_lines: int) -> list[str]:
    """Lines no wider than `max_width` pixels as drawn (a word too long for a line is broken);
    text beyond `max_lines` ends the last line with an ellipsis."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if draw.textlength(candidate, font=font) <= max_width:
                line = candidate
                continue
            if line:
                lines.append(line)
            *full, line = _break_word(word, font, max_width, draw) if draw.textlength(
                word, font=font) > max_width else [word]
            lines += full
        lines.append(line)
    lines = [line for line in lines if line] or [""]
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and draw.textlength(last + "…", font=font) > max_width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip() + "…"]
    return lines


def caption_overlay(text: str, output: Output, path: Path,
                    style: CaptionStyle = CaptionStyle()) -> tuple[Path, tuple[int, int]]:  # noqa: B008 (frozen)
    """A transparent PNG holding the caption in its box (by default white on a dark box), and where
    it goes in the frame (centred, above the bottom safe margin, or below the top one)."""
    safe, short = SafeArea.of(output), min(output.width, output.height)
    size = max(12, round(short // 20 * style.scale))
    font, pad = _font(size), max(4, size // 2)
    box_width = output.width - 2 * safe.side
    probe = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    max_lines = PORTRAIT_MAX_LINES if output.height > output.width else CAPTION_MAX_LINES
    lines = wrap(text, font, box_width - 2 * pad, probe, max_lines)
    line_height = int(size * 1.3)
    box_height = line_height * len(lines) + 2 * pad - (line_height - size)
    image = Image.new("RGBA", (box_width, box_height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    box = (*ImageColor.getrgb(style.background), round(style.box_opacity * 255))
    draw.rounded_rectangle((0, 0, box_width - 1, box_height - 1), radius=size // 3, fill=box)
    for i, line in enumerate(lines):
        width = draw.textlength(line, font=font)
        draw.text(((box_width - width) / 2, pad + i * line_height), line, font=font,
                  fill=(*ImageColor.getrgb(style.color), 255))
    image.save(path, format="PNG", compress_level=1)
    top = safe.top if style.position == "top" else output.height - safe.bottom - box_height
    return path, (safe.side, top)


def title_card(title: str, color: str, output: Output, path: Path, *, text_color: str = TEXT_COLOR,
               subtitle: str = "") -> Path:
    """A solid card with a centred title and, below it, a smaller subtitle (an empty title gives a
    plain colour card)."""
    image = Image.new("RGB", (output.width, output.height), ImageColor.getrgb(color))
    draw, safe = ImageDraw.Draw(image), SafeArea.of(output)
    size = max(16, min(output.width, output.height) // 10)
    blocks = [(text, _font(s), s) for text, s in ((title, size), (subtitle, max(12, size // 2))) if text]
    laid = [(wrap(text, font, output.width - 2 * safe.side, draw, 6), font, int(s * 1.25)) for text, font, s in blocks]
    top = (output.height - sum(len(lines) * height for lines, _, height in laid)) / 2
    for lines, font, height in laid:
        for line in lines:
            width = draw.textlength(line, font=font)
            draw.text(((output.width - width) / 2, top), line, font=font, fill=text_color)
            top += height
    image.save(path, format="PNG", compress_level=1)
    return path


def logo_size(logo: Logo, picture: tuple[int, int], output: Output) -> tuple[int, int]:
    """The logo's size in the frame: its longer side `logo.size` of the frame's short edge."""
    longest = max(2, round(min(output.width, output.height) * logo.size))
    scale = longest / max(picture)
    return max(1, round(picture[0] * scale)), max(1, round(picture[1] * scale))


def logo_overlay(source: Path, logo: Logo, output: Output, path: Path) -> tuple[Path, tuple[int, int]]:
    """The logo scaled to its size as a transparent PNG, and where it goes: its corner, inside the
    safe margins (the picture was checked at upload; its formats are named all the same)."""
    with Image.open(source, formats=("PNG", "JPEG", "WEBP", "GIF")) as picture:
        size = logo_size(logo, picture.size, output)
        picture.convert("RGBA").resize(size, Image.Resampling.LANCZOS).save(path, format="PNG", compress_level=1)
    return path, logo_at(logo, size, output)


def logo_at(logo: Logo, size: tuple[int, int], output: Output) -> tuple[int, int]:
    assert logo.corner in CORNERS
    safe = SafeArea.of(output)
    vertical, horizontal = logo.corner.split("-")
    x = safe.side if horizontal == "left" else output.width - safe.side - size[0]
    y = safe.top if vertical == "top" else output.height - safe.bottom - size[1]
    return x, y


RING_SIZE = 256  # drawn large and scaled down by the graph to the frame's size: smooth edges


def click_ring(path: Path) -> Path:
    """The click marker: a warm ring with a dark rim (it reads on light and dark screens alike)
    on a transparent square; the graph scales it and centres it on the click."""
    image = Image.new("RGBA", (RING_SIZE, RING_SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    rim, width = RING_SIZE // 28, RING_SIZE // 9
    draw.ellipse((rim, rim, RING_SIZE - 1 - rim, RING_SIZE - 1 - rim), outline=(20, 20, 20, 200), width=width + 2 * rim)
    draw.ellipse((2 * rim, 2 * rim, RING_SIZE - 1 - 2 * rim, RING_SIZE - 1 - 2 * rim), outline=(255, 176, 0, 255),
                 width=width)
    image.save(path, format="PNG", compress_level=1)
    return path
