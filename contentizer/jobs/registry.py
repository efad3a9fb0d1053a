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
    # The kind's own part of the job page (a player, stages, a download): given the job, the
    # template to include and its context. The job pages stay generic and never import a kind.
    section: Callable[[Job], tuple[str, dict[str, Any]]] | None = None
    label: str = ""  # how pages name the kind ("Video"); the name capitalised when empty

    @property
    def title(self) -> str:
        return self.label or self.name.capitalize()


_kinds: dict[str, JobKind] = {}


def register(kind: JobKind) -> None:
    _kinds[kind.name] = kind


def names() -> list[str]:
    return sorted(_kinds)


def get(name: str) -> JobKind:
    try:
        return _kinds[name]
    except KeyError:
        raise LookupError(f"no job kind {name!r} is registered") from None
