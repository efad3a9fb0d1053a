"""Plain PCM work done in-process, where starting FFmpeg would cost more than the work itself.

- `lay_out` writes a track of WAV clips placed at sample positions, streaming (constant memory):
  a narration track whose clips do not overlap needs no mixing, only placing.
- `limit` is a look-ahead peak limiter for a clip held in memory (speech clips are seconds long).
"""

from __future__ import annotations

import logging
import wave
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

logger = logging.getLogger(__name__)

CHUNK_FRAMES = 65536


def wav_format(path: Path) -> tuple[int, int, int]:
    """(rate, channels, frames) of a 16-bit PCM WAV."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"{path.name} is not 16-bit PCM")
        return wav.getframerate(), wav.getnchannels(), wav.getnframes()


def lay_out(clips: Sequence[tuple[Path, int]], *, rate: int, channels: int, frames: int, out: Path) -> Path:
    """A WAV of `frames` frames with each (clip, first frame) placed in order, silence between;
    a clip running into the next one's start (or the end) is cut there."""
    placed = sorted(clips, key=lambda clip: clip[1])
    ends = [start for _, start in placed[1:]] + [frames]
    frame_bytes = 2 * channels
    with wave.open(str(out), "wb") as dst:
        dst.setnchannels(channels)
        dst.setsampwidth(2)
        dst.setframerate(rate)
        position = 0
        for (path, start), end in zip(placed, ends, strict=True):
            position = _silence(dst, start - position, frame_bytes) + position
            with wave.open(str(path), "rb") as src:
                if (src.getframerate(), src.getnchannels(), src.getsampwidth()) != (rate, channels, 2):
                    raise ValueError(f"{path.name} is not {rate} Hz, {channels} channel(s), 16-bit")
                while position < end and (data := src.readframes(min(CHUNK_FRAMES, end - position))):
                    dst.writeframes(data)
                    position += len(data) // frame_bytes
        _silence(dst, frames - position, frame_bytes)
    return out


def _silence(dst: wave.Wave_write, count: int, frame_bytes: int) -> int:
    written = 0
    while written < count:
        step = min(CHUNK_FRAMES, count - written)
        dst.writeframes(b"\x00" * (step * frame_bytes))
        written += step
    return max(0, count)


def limit(samples: np.ndarray, *, ceiling: float, window: int) -> np.ndarray:
    """Samples (floats, -1..1 scale) whose peaks stay under `ceiling`: the gain each sample needs
    is held at its minimum over ±`window` samples (look-ahead and release) and then averaged over
    a window half as wide, so the gain moves smoothly and is never above what any sample needs."""
    need = np.minimum(1.0, ceiling / np.maximum(np.abs(samples), 1e-9))
    held = sliding_window_view(np.pad(need, window, mode="edge"), 2 * window + 1).min(axis=1)
    half = window // 2
    smooth = sliding_window_view(np.pad(held, half, mode="edge"), 2 * half + 1).mean(axis=1)
    return samples * np.minimum(smooth, need)
