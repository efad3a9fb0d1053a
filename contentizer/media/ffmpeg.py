"""The one module that finds and runs FFmpeg.

The binary is FFMPEG_BINARY when set, else `ffmpeg` on PATH, else the binary that the
imageio-ffmpeg wheel ships (so a fresh `pip install -r requirements.txt` is enough).
Every input of every run gets `-protocol_whitelist file,pipe` (it is a per-input option in
the ffmpeg CLI, so one copy at the front would guard only the first input): no input can reach
the network or follow a playlist's references, whatever a user managed to upload.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import signal
import subprocess
from collections import deque
from collections.abc import Sequence

from django.conf import settings

logger = logging.getLogger(__name__)

PROTOCOL_WHITELIST = "file,pipe"
STDERR_TAIL_LINES = 40


class FFmpegError(Exception):
    """FFmpeg failed; `stderr_tail` holds its last lines for the job's error message."""

    def __init__(self, message: str, *, returncode: int | None = None, stderr_tail: str = ""):
        super().__init__(message)
        self.returncode = returncode
        self.stderr_tail = stderr_tail

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base}\n{self.stderr_tail}" if self.stderr_tail else base


@functools.cache
def binary() -> str:
    configured = getattr(settings, "FFMPEG_BINARY", "")
    if configured:
        if not (os.path.isfile(configured) and os.access(configured, os.X_OK)):
            raise FFmpegError(f"FFMPEG_BINARY={configured!r} is not an executable file")
        return configured
    if on_path := shutil.which("ffmpeg"):
        return on_path
    import imageio_ffmpeg  # the pip-installed fallback; imported late so PATH wins cheaply

    return imageio_ffmpeg.get_ffmpeg_exe()


def base_argv() -> list[str]:
    return [binary(), "-hide_banner", "-nostdin", "-y"]


def guard_inputs(args: Sequence[str]) -> list[str]:
    """Put `-protocol_whitelist file,pipe` in front of every `-i`."""
    guarded: list[str] = []
    for arg in args:
        if arg == "-i":
            guarded += ["-protocol_whitelist", PROTOCOL_WHITELIST]
        guarded.append(arg)
    return guarded


def run(args: Sequence[str], *, timeout: float) -> None:
    """Run `ffmpeg <base> <args>` in its own process group; raise FFmpegError on failure.

    On timeout the whole group is killed, so no encoder child outlives the job.
    """
    argv = [*base_argv(), *guard_inputs(args)]
    tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True, text=True, errors="replace",
    )
    try:
        _, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise FFmpegError(f"ffmpeg timed out after {timeout:g}s") from None
    tail.extend(stderr.splitlines())
    if proc.returncode != 0:
        raise FFmpegError(
            f"ffmpeg exited with status {proc.returncode}",
            returncode=proc.returncode, stderr_tail="\n".join(tail),
        )


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
