"""Job kinds and their handlers. Higher apps register here; this layer never imports them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contentizer.jobs.models import Job
    from contentizer.jobs.runner import JobContext


@dataclass(frozen=True)
class JobKind:
    name: str
    run: Callable[[JobContext], dict[str, Any]]  # returns the job's result
    cleanup: Callable[[Job], None]  # removes partial output of a failed or cancelled attempt
    max_concurrency: Callable[[], int]
    stages: tuple[str, ...] = ()  # for staged kinds: what `resumeFrom` may name


_kinds: dict[str, JobKind] = {}


def register(kind: JobKind) -> None:
    """Make a kind runnable; its worker metrics (jobs by outcome, duration, queue, active) are
    exported from then on, computed from the job tables so they hold across processes."""
    from contentizer.metrics import register_job_metrics

    _kinds[kind.name] = kind
    register_job_metrics(kind.name)


def get(name: str) -> JobKind:
    try:
        return _kinds[name]
    except KeyError:
        raise LookupError(f"no job kind {name!r} is registered") from None
