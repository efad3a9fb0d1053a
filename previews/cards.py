"""Still pictures the renderer needs that no asset provides: caption overlays and title cards.

Drawn with Pillow's built-in scalable font, so rendering needs no font files on the machine.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw, ImageFont

from previews.timeline import Output


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _wrap(text: str, font, max_width: int, draw: ImageDraw.ImageDraw) -> list[str]:
    average = max(1.0, draw.textlength("abcdefghijklmnopqrstuvwxyz", font=font) / 26)
    width = max(8, int(max_width / average))
    lines = []
    for paragraph in text.splitlines() or [""]:
        lines += textwrap.wrap(paragraph, width=width) or [""]
    return lines[:4]


def caption_overlay(text: str, output: Output, path: Path) -> Path:
    """A transparent frame with the caption in a dark box near the bottom."""
    image = Image.new("RGBA", (output.width, output.height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    size = max(12, output.height // 20)
    font = _font(size)
    margin = output.width // 16
    lines = _wrap(text, font, output.width - 2 * margin - size, draw)
    line_height = int(size * 1.3)
    box_height = line_height * len(lines) + size
    top = output.height - box_height - output.height // 18
    draw.rounded_rectangle(
        (margin, top, output.width - margin, top + box_height), radius=size // 3, fill=(0, 0, 0, 170)
    )
    for i, line in enumerate(lines):
        width = draw.textlength(line, font=font)
        draw.text(((output.width - width) / 2, top + size / 2 + i * line_height), line, font=font,
                  fill=(255, 255, 255, 255))
    image.save(path, format="PNG", compress_level=1)
    return path


def title_card(title: str, color: str, output: Output, path: Path) -> Path:
    """A solid card with a centred title (an empty title gives a plain colour card)."""
    image = Image.new("RGB", (output.width, output.height), ImageColor.getrgb(color))
    if title:
        draw = ImageDraw.Draw(image)
        size = max(16, output.height // 10)
        font = _font(size)
        lines = _wrap(title, font, int(output.width * 0.85), draw)
        line_height = int(size * 1.25)
        top = (output.height - line_height * len(lines)) / 2
        for i, line in enumerate(lines):
            width = draw.textlength(line, font=font)
            draw.text(((output.width - width) / 2, top + i * line_height), line, font=font, fill="white")
    image.save(path, format="PNG", compress_level=1)
    return path
