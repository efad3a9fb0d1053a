"""What an effect costs to render: a step's body with a zoom, and with a blur, against the same
step plain.

Standalone script, not a test: `.venv/bin/python bench/effects.py [--pairs 7] [--height 720]`
from the repo root.

The step: a 2560x1440 screenshot-like PNG made at run time (a window with rows of small text, a
form, an e-mail address), 5 s at PREVIEW_FPS, its caption drawn, encoded at the finished video's
settings (VIDEO_PRESET, VIDEO_CRF) into one piece, exactly as the render path encodes a step's body
(`compose.pieces_args`, the looks placed by `framing.look_for`):
  P  plain: the picture fitted, its one frame repeated;
  Z  zoom (and highlight) into a form field: eased in over 0.6 s, held, eased out;
  B  blur over two regions (an e-mail address and a token), no zoom.
Each round runs P, Z and B once, in an order that rotates from round to round (interleaved, so a
busy machine weighs on all three alike). Printed per effect: the median of the per-round ratios
effect/plain, with min and max, for wall time and CPU time (ffmpeg's, from the children's rusage),
and the median seconds of each.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SOURCE = (2560, 1440)
STEP_SECONDS = 5.0
FOCUS = {"x": 0.30, "y": 0.42, "w": 0.40, "h": 0.12}
BLUR = [{"x": 0.30, "y": 0.30, "w": 0.30, "h": 0.05}, {"x": 0.05, "y": 0.85, "w": 0.50, "h": 0.04}]
EFFECTS = {"P": {}, "Z": {"focus": FOCUS, "highlight": True, "zoom": True}, "B": {"blur": BLUR}}


def setup_django(data_dir: Path) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "contentizer.settings"
    os.environ["DATA_DIR"] = str(data_dir)
    sys.path.insert(0, str(REPO))
    import django

    django.setup()


def screenshot(path: Path) -> Path:
    """A light window of small text, a form and secrets: what a tutorial's screenshot holds."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", SOURCE, (246, 247, 249))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=22)
    draw.rectangle((0, 0, SOURCE[0], 70), fill=(31, 45, 61))
    draw.text((30, 22), "Settings · Account · Security", font=font, fill="white")
    for row in range(40):
        y = 110 + row * 32
        draw.text((60, y), f"Line {row:02d}: the quick brown fox jumps over the lazy dog 0123456789 " * 2,
                  font=font, fill=(40, 40, 40))
    w, h = SOURCE
    draw.rectangle((0.30 * w, 0.42 * h, 0.70 * w, 0.54 * h), fill="white", outline=(11, 87, 164), width=3)
    draw.text((0.31 * w, 0.46 * h), "Workspace name: Onboarding videos", font=font, fill=(20, 20, 20))
    draw.text((0.31 * w, 0.31 * h), "alice.example@contentizer.test", font=font, fill=(20, 20, 20))
    draw.text((0.06 * w, 0.86 * h), "token: ghp_9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a", font=font, fill=(20, 20, 20))
    image.save(path, compress_level=1)
    return path


def argv(kind: str, work: Path, picture: Path, height: int) -> list[str]:
    from django.conf import settings

    from contentizer import effects
    from contentizer.media import compose, framing
    from previews import cards
    from previews.render import encoder
    from previews.timeline import Output

    width = round(height * 16 / 9 / 2) * 2
    fps = settings.PREVIEW_FPS
    frames = round(STEP_SECONDS * fps)
    output = Output(width=width, height=height, fps=fps)
    caption, at = cards.caption_overlay("Name your workspace, then press Save", output, work / "caption.png")
    look = framing.look_for(effects.parse(EFFECTS[kind]), size=SOURCE, width=width, height=height, fps=fps,
                            body_frames=frames)
    scene = compose.Scene(source=compose.Media(picture, "image2"), still=True, frames=frames, caption=caption,
                          caption_at=at, look=look if look.shows else None)
    pic = compose.Picture(width=width, height=height, fps=fps, scenes=(scene,), **encoder("final"))
    return compose.pieces_args(pic, [([compose.Segment("body", 0)], work / f"{kind}.mp4")])


def children_cpu() -> float:
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return kids.ru_utime + kids.ru_stime


def run(args: list[str]) -> tuple[float, float]:
    from contentizer.media import ffmpeg

    started, cpu = time.perf_counter(), children_cpu()
    ffmpeg.run(["-y", *args], timeout=600)
    return time.perf_counter() - started, children_cpu() - cpu


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}x (min {min(values):.2f}, max {max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--height", type=int, default=720)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-effects-") as tmp:
        work = Path(tmp)
        setup_django(work / "data")
        picture = screenshot(work / "screen.png")
        commands = {kind: argv(kind, work, picture, options.height) for kind in EFFECTS}
        run(commands["P"])  # warm the page cache and the binary
        times: dict[str, list[tuple[float, float]]] = {kind: [] for kind in EFFECTS}
        kinds = list(EFFECTS)
        for round_ in range(options.pairs):
            for kind in kinds[round_ % 3:] + kinds[: round_ % 3]:
                times[kind].append(run(commands[kind]))
        print(f"one step's body: {STEP_SECONDS:g} s, {options.height}p, a {SOURCE[0]}x{SOURCE[1]} screenshot, "
              f"{options.pairs} interleaved rounds")
        for kind in kinds:
            wall = statistics.median(t[0] for t in times[kind])
            cpu = statistics.median(t[1] for t in times[kind])
            print(f"  {kind} {'plain' if kind == 'P' else 'zoom+highlight' if kind == 'Z' else 'blur x2'}: "
                  f"wall {wall:.2f} s, ffmpeg CPU {cpu:.2f} s")
        for kind, name in (("Z", "zoom+highlight / plain"), ("B", "blur / plain")):
            wall = [a[0] / p[0] for a, p in zip(times[kind], times["P"], strict=True)]
            cpu = [a[1] / p[1] for a, p in zip(times[kind], times["P"], strict=True)]
            print(f"  {name}: wall {spread(wall)}, CPU {spread(cpu)}")


if __name__ == "__main__":
    main()
