"""Pictures FFmpeg would not read as one still: GIF and WebP.

A GIF is read by FFmpeg as every frame it holds (a still held for a scene then plays on and the
scene has too many frames); an animated WebP is not decoded at all by FFmpeg builds before 7.1.
The product shows the first frame of an animated picture (docs/timeline.md): Pillow, with the
format named, decodes it once into a PNG that the render graph reads like any screenshot. The
pixel limits were checked when the picture was uploaded.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PIL import Image

from assets.sniffing import ACCEPTED

logger = logging.getLogger(__name__)

FIRST_FRAME_ONLY = ("gif", "webp")


def needs_first_frame(ext: str) -> bool:
    return ext in FIRST_FRAME_ONLY


def first_frame(source: Path, out: Path, *, ext: str) -> Path:
    """The first frame of `source` as a PNG at `out` (transparency kept, as FFmpeg reads a PNG)."""
    with Image.open(source, formats=[ACCEPTED[ext].pil_format]) as img:
        img.seek(0)
        frame = img.convert("RGBA" if img.mode in ("RGBA", "LA", "P", "PA") else "RGB")
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.save(out, format="PNG", compress_level=1)
    return out
