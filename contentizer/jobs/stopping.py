"""A worker process told to stop gives its running job back to the queue instead of finishing it.

Every django-q2 worker process installs `handle` for SIGTERM as it starts (signal `post_spawn`).
The signal comes from the cluster's sentinel when the cluster stops (contentizer.jobs.cluster),
or straight from a service manager or container runtime that signals the whole process group.
The handler only sets a flag (anything more could block on a lock the interrupted code holds):
the running job's heartbeat thread sees it within JOB_HEARTBEAT_SECONDS and cancels the attempt,
which kills its FFmpeg; the runner then queues the job again at once (contentizer.jobs.runner).
"""

from __future__ import annotations

import signal

_requested = False


def install(sender=None, **kwargs) -> None:
    signal.signal(signal.SIGTERM, handle)


def handle(signum: int, frame) -> None:
    global _requested
    _requested = True


def requested() -> bool:
    """Whether this process was told to stop."""
    return _requested
