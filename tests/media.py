"""Test media made at run time: Pillow for images, FFmpeg (lavfi) for audio and video."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from contentizer.media import ffmpeg

# name -> ffmpeg output arguments after a lavfi input
AV_RECIPES: dict[str, list[str]] = {
    "tone.wav": ["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "pcm_s16le"],
    "tone.mp3": ["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "libmp3lame"],
    "tone.m4a": ["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", "-f", "ipod"],
    "tone.aac": ["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", "-f", "adts"],
    "tone.ogg": ["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "libopus"],
    "tone.flac": ["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "flac"],
    "clip.mp4": [
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2",
        "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
        "-movflags", "+faststart",
    ],
    "clip.webm": [
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2",
        "-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "200k",
    ],
    "clip.mov": [
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "mov",
    ],
}

SRT = "1\n00:00:00,000 --> 00:00:02,000\nHello there.\n\n2\n00:00:02,500 --> 00:00:04,000\nClick Save.\n"
VTT = "WEBVTT\n\n00:00.000 --> 00:02.000\nHello there.\n\n00:02.500 --> 00:04.250\nClick Save.\n"


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (640, 480), color=(200, 40, 40), **save) -> bytes:
    buffer = io.BytesIO()
    mode = "P" if fmt == "GIF" else "RGB"
    Image.new("RGB", size, color).convert(mode).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def make_av(directory: Path, name: str, extra: list[str] | None = None) -> Path:
    out = directory / name
    args = AV_RECIPES[name.split("/")[-1]] if extra is None else extra
    ffmpeg.run([*args, str(out)], timeout=120)
    return out


def noise_png(size: tuple[int, int] = (300, 200), seed: int = 1) -> bytes:
    """A PNG that does not compress: about 3 bytes a pixel, for tests that need several chunks."""
    import random

    pixels = random.Random(seed).randbytes(size[0] * size[1] * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, pixels).save(buffer, format="PNG")
    return buffer.getvalue()


VARIANT = b"variant-0000000000000000"  # a fixed-length slot in a file's metadata; see variant()


def long_mp3(directory: Path, *, minutes: int) -> bytes:
    """A CBR MP3 lasting `minutes`, made in a fraction of a second: one minute is encoded (its
    ID3 title holds the VARIANT slot) and its frames repeated; MP3 frames simply concatenate.
    No Xing header, so the duration is the length over the bit rate, as for any CBR stream."""
    out = make_av(directory, "minute.mp3", [
        "-f", "lavfi", "-i", "sine=frequency=330:duration=60", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "32k",
        "-write_xing", "0", "-metadata", f"title={VARIANT.decode()}"])
    data = out.read_bytes()
    tag = 10 + (data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9])  # ID3v2: a syncsafe size
    return data[:tag] + data[tag:] * minutes


def variant(content: bytes, label: str) -> bytes:
    """Other bytes, the same media: `label` written into the VARIANT slot of `content`."""
    slot = label.encode().ljust(len(VARIANT), b"-")
    assert VARIANT in content and len(slot) == len(VARIANT), label
    return content.replace(VARIANT, slot, 1)
