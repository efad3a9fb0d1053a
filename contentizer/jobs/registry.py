"""Job kinds and their handlers. Higher apps register here; this layer never imports them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rest_framework.serializers import Serializer

    from contentizer.jobs.models import Job
    from contentizer.jobs.runner import JobContext


@dataclass(frozen=True)
class JobKind:
    name: str
    run: Callable[[JobContext], dict[str, Any]]  # returns the job's result
    cleanup: Callable[[Job], None]  # removes partial output of a failed or cancelled attempt
    max_concurrency: Callable[[], int]
    stages: tuple[str, ...] = ()  # for staged kinds: what `resumeFrom` may name
    # How /api/v1/jobs shows the kind: its output serializer (a JobResourceSerializer subclass,
    # contentizer/jobs/api/serializers.py) and the kind's own values (`result`, links, and the
    # fields its older status route had), from `describe`.
    serializer: type[Serializer] | None = None
    describe: Callable[[Job], dict[str, Any]] | None = None
    listed: bool = True  # False for internal jobs (webhook deliveries): not in users' job lists
    ended: Callable[[Job], None] | None = None  # once the job reached a final status (after commit)
    backoff: Callable[[int], float] | None = None  # seconds before the retry after attempt N
    # The kind's own part of the job page (a player, stages, a download): given the job, the
    # template to include and its context. The job pages stay generic and never import a kind.
    section: Callable[[Job], tuple[str, dict[str, Any]]] | None = None
    label: str = ""  # how pages name the kind ("Video"); the name capitalised when empty
    # Kinds that wait on the network, not the CPU (webhook deliveries): a worker runs their jobs
    # on a thread of its own process, so the django-q2 task returns at once and never holds a
    # worker process that renders need (runner.dispatch). `max_concurrency` still bounds them.
    threaded: bool = False

    @property
    def title(self) -> str:
        return self.label or self.name.capitalize()


_kinds: dict[str, JobKind] = {}


def register(kind: JobKind) -> None:
    """Make a kind runnable; its worker metrics (jobs by outcome, duration, queue, active) are
    exported from then on, computed from the job tables so they hold across processes."""
    from contentizer.metrics import register_job_metrics

    _kinds[kind.name] = kind
    register_job_metrics(kind.name)


def names() -> list[str]:
    return sorted(_kinds)


def get(name: str) -> JobKind:
    try:
        return _kinds[name]
    except KeyError:
        raise LookupError(f"no job kind {name!r} is registered") from None


def unlisted() -> list[str]:
    """Kinds whose jobs users never see in the jobs API (they have their own views)."""
    return [name for name, kind in _kinds.items() if not kind.listed]


def described() -> dict[str, JobKind]:
    """Kinds the jobs API types: one schema per kind."""
    return {name: kind for name, kind in _kinds.items() if kind.listed and kind.serializer is not None}
