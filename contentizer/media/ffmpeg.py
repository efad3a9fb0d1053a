"""The one module that finds and runs FFmpeg.

The binary is FFMPEG_BINARY when set, else the binary that the imageio-ffmpeg wheel ships: the
build the product is tested with. An `ffmpeg` on PATH is never picked up by chance (a distribution's
older build renders pieces that do not join); an operator who wants it names it in FFMPEG_BINARY.
Every input of every run gets `-protocol_whitelist file,pipe` (it is a per-input option in
the ffmpeg CLI, so one copy at the front would guard only the first input): no input can reach
the network or follow a playlist's references, whatever a user managed to upload.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import logging
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence

from django.conf import settings

logger = logging.getLogger(__name__)

PROTOCOL_WHITELIST = "file,pipe"
STDERR_TAIL_LINES = 40
POLL_SECONDS = 0.2
PR_SET_PDEATHSIG = 1  # linux/prctl.h

# What FFmpeg says when the same command would fail the same way again: the graph or an input
# is wrong, not the machine. Matched against the stderr tail; anything else counts as transient.
DETERMINISTIC = re.compile(
    r"Invalid data found when processing input|Error (initializing|reinitializing|configuring) (complex )?filter"
    r"|Error initializing filters|No such filter|matches no streams|Stream specifier .* matches no streams"
    r"|Invalid argument.*filter|Filter .* has an unconnected output|split filter is probably required"
    r"|Decoding requested, but no decoder found|Unsupported codec|Could not find codec parameters"
    r"|Invalid frame dimensions|does not contain any stream|moov atom not found|Invalid NAL unit size"
    r"|Cannot determine format of input|Failed to configure output pad|Error while opening decoder"
    r"|Error opening input file|Invalid PNG signature|No JPEG data found|Error parsing filterchain",
    re.IGNORECASE,
)


class FFmpegError(Exception):
    """FFmpeg failed; `stderr_tail` holds its last lines for the job's error message."""

    def __init__(self, message: str, *, returncode: int | None = None, stderr_tail: str = ""):
        super().__init__(message)
        self.returncode = returncode
        self.stderr_tail = stderr_tail

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base}\n{self.stderr_tail}" if self.stderr_tail else base

    @property
    def deterministic(self) -> bool:
        """Whether running the same command again would fail the same way (a bad graph, an
        input FFmpeg cannot read): such a failure is permanent, not worth a retry."""
        return self.returncode not in (None, 0) and self.returncode > 0 and bool(
            DETERMINISTIC.search(self.stderr_tail))

    def reason(self) -> str:
        """A short cause a person can act on, without paths or raw output."""
        tail = self.stderr_tail
        if re.search(r"Invalid data found|moov atom|Invalid NAL|No JPEG data|Invalid PNG|Could not find codec"
                     r"|Error while opening decoder|Unsupported codec|no decoder found", tail, re.IGNORECASE):
            return "a file it uses is damaged or in a format that cannot be decoded"
        if re.search(r"filter|matches no streams|unconnected", tail, re.IGNORECASE):
            return "the render graph is invalid"
        return "FFmpeg refused the input"


class FFmpegUnavailable(FFmpegError):
    """FFmpeg cannot be started on this machine (missing, not executable, too old). The message
    is for the author and names no path; the operator finds the detail in the worker's log and
    in `manage.py check`."""

    def __init__(self, message: str = "FFmpeg is not available on the worker that took this job; "
                                      "an operator must check FFMPEG_BINARY (manage.py check says why).") -> None:
        super().__init__(message)


# The oldest FFmpeg release the render tests pass with (.ci/run runs them with Debian 12's 5.1 too);
# an older one is refused at start-up by `manage.py check` and so by every worker (`qcluster`
# runs the checks before it starts).
TESTED_MINIMUM = (5, 1)


@functools.cache
def binary() -> str:
    configured = getattr(settings, "FFMPEG_BINARY", "")
    if configured:
        if not (os.path.isfile(configured) and os.access(configured, os.X_OK)):
            logger.error("FFMPEG_BINARY is not an executable file", extra={"event": "ffmpeg.unavailable",
                                                                           "binary": configured})
            raise FFmpegUnavailable
        return configured
    import imageio_ffmpeg  # the pip-installed build, the one the test suite runs

    return imageio_ffmpeg.get_ffmpeg_exe()


@functools.cache
def version() -> str:
    """What the binary says it is (`5.1.9-0+deb12u1`, `n9.0.2-17-g2a571b6068-20260930`)."""
    try:
        done = subprocess.run([binary(), "-hide_banner", "-version"], capture_output=True, text=True, timeout=30,
                              check=False, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.error("FFmpeg did not start", extra={"event": "ffmpeg.unavailable", "binary": binary(),
                                                    "detail": str(exc)})
        raise FFmpegUnavailable from exc
    match = re.match(r"ffmpeg version (\S+)", done.stdout)
    if done.returncode != 0 or match is None:
        raise FFmpegUnavailable
    return match[1]


def release(text: str) -> tuple[int, ...] | None:
    """The release numbers of a version string (`n9.0.2-17-g…` is (9, 0, 2)); None for a build
    from FFmpeg's main branch (`N-121000-g…`), which names no release."""
    match = re.match(r"n?(\d+)\.(\d+)(?:\.(\d+))?", text)
    return tuple(int(part) for part in match.groups() if part is not None) if match else None


def build_problem() -> str | None:
    """Why the configured FFmpeg must not render (for operators: names the binary), or None."""
    try:
        found = version()
    except FFmpegUnavailable:
        return f"FFmpeg at {getattr(settings, 'FFMPEG_BINARY', '') or binary()} does not run"
    numbers = release(found)
    if numbers is not None and numbers[:2] < TESTED_MINIMUM:
        minimum = ".".join(map(str, TESTED_MINIMUM))
        return f"FFmpeg {found} ({binary()}) is older than {minimum}, the oldest release Contentizer is tested with"
    return None


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


class FFmpegCancelled(FFmpegError):
    """The run was stopped on request (a job cancel); its output must be discarded."""


def run(
    args: Sequence[str], *, timeout: float, total_seconds: float | None = None,
    on_progress: Callable[[float], None] | None = None,
    should_cancel: Callable[[], bool] | None = None, log_path: str | None = None,
) -> None:
    """Run `ffmpeg <args>` in its own process group; raise FFmpegError on failure.

    stderr streams into `log_path` as it comes; `-progress` output becomes a percentage of
    `total_seconds` passed to `on_progress`. On timeout or when `should_cancel()` turns true
    the whole process group is killed, so no encoder child outlives the job.
    """
    argv = [*base_argv(), "-progress", "pipe:1", "-nostats", *guard_inputs(args)]
    tail: deque[str] = deque(maxlen=STDERR_TAIL_LINES)
    try:
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            start_new_session=True, text=True, errors="replace", bufsize=1,
            preexec_fn=_die_with_parent(),  # noqa: PLW1509 - only prctl runs between fork and exec
        )
    except OSError as exc:  # the binary vanished or lost its permissions since start-up
        logger.error("FFmpeg could not be started", extra={"event": "ffmpeg.unavailable", "binary": argv[0],
                                                           "detail": str(exc)})
        raise FFmpegUnavailable from exc
    readers = [
        threading.Thread(target=_read_stderr, args=(proc.stderr, tail, log_path), daemon=True),
        threading.Thread(target=_read_progress, args=(proc.stdout, total_seconds, on_progress), daemon=True),
    ]
    for reader in readers:
        reader.start()
    try:
        _wait(proc, timeout=timeout, should_cancel=should_cancel)
    finally:
        for reader in readers:
            reader.join(timeout=5)
    if proc.returncode != 0:
        raise FFmpegError(
            f"ffmpeg exited with status {proc.returncode}",
            returncode=proc.returncode, stderr_tail="\n".join(tail),
        )


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _die_with_parent() -> Callable[[], None] | None:
    """On Linux, FFmpeg gets SIGKILL the moment the thread that started it dies: a worker
    killed mid-render (SIGKILL, OOM) takes its encoder with it, though FFmpeg runs in its own
    session (so that a cancel can kill its whole group). Elsewhere `_wait` watches the parent."""
    if not sys.platform.startswith("linux"):
        return None
    prctl, parent = _libc().prctl, os.getpid()

    def preexec() -> None:  # runs in the child between fork and exec: nothing but syscalls
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def _wait(proc: subprocess.Popen, *, timeout: float, should_cancel: Callable[[], bool] | None) -> None:
    deadline = time.monotonic() + timeout
    supervisor = os.getppid()  # our own parent: django-q2's cluster, or a shell
    with _exit_signal(proc) as exited:
        while not exited(POLL_SECONDS):
            _check(proc, supervisor=supervisor, deadline=deadline, timeout=timeout, should_cancel=should_cancel)
    proc.wait()


@contextlib.contextmanager
def _exit_signal(proc: subprocess.Popen) -> Iterator[Callable[[float], bool]]:
    """`exited(seconds)`: whether the process has ended, waiting at most that long and waking the
    moment it does (a pidfd on Linux; elsewhere `Popen.wait`, which sleeps in steps of up to 50 ms)."""
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):
        def polled(seconds: float) -> bool:
            try:
                proc.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                return False
            return True
        yield polled
        return
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    try:
        yield lambda seconds: bool(poller.poll(seconds * 1000))
    finally:
        os.close(fd)


def _check(proc: subprocess.Popen, *, supervisor: int, deadline: float, timeout: float,
           should_cancel: Callable[[], bool] | None) -> None:
    if os.getppid() != supervisor:  # the process that runs us is gone: so is the job
        kill_group(proc)
        raise FFmpegError("ffmpeg was stopped: the worker's supervising process died")
    if should_cancel is not None and should_cancel():
        kill_group(proc)
        raise FFmpegCancelled("ffmpeg was cancelled")
    if time.monotonic() > deadline:
        kill_group(proc)
        raise FFmpegError(f"ffmpeg timed out after {timeout:g}s")


def _read_stderr(stream, tail: deque[str], log_path: str | None) -> None:
    log = open(log_path, "a", encoding="utf-8") if log_path else None  # noqa: SIM115 - closed below
    try:
        for line in stream:
            tail.append(line.rstrip("\n"))
            if log:
                log.write(line)
                log.flush()
    finally:
        if log:
            log.close()


def _read_progress(stream, total_seconds: float | None, on_progress: Callable[[float], None] | None) -> None:
    for line in stream:
        key, _, value = line.strip().partition("=")
        if key == "out_time_us" and on_progress and total_seconds and value.lstrip("-").isdigit():
            on_progress(max(0.0, min(100.0, int(value) / 1e6 / total_seconds * 100)))


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
