"""OPUS-MT (Marian) models converted to CTranslate2, in folders an operator copies into MT_MODELS_DIR.

A model is a folder named `<anything>-<source>-<target>` (the OPUS-MT names: `opus-mt-en-de`,
`opus-mt-de-en`) holding what `ct2-transformers-converter --copy_files source.spm target.spm` writes:
`model.bin`, `config.json`, the vocabulary (`shared_vocabulary.json`, or source and target
vocabularies) and the two SentencePiece models. It is run with the `ctranslate2` and `sentencepiece`
wheels, on the CPU, one thread: the machine is shared with FFmpeg."""

from __future__ import annotations

import functools
import logging
import re
import threading
from pathlib import Path

from previews.translation.base import Pair, TranslationUnavailable

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}-(?P<source>[a-z]{2,3}(?:_[A-Z]{2})?)-"
                   r"(?P<target>[a-z]{2,3}(?:_[A-Z]{2})?)\Z")
_REQUIRED = ("model.bin", "config.json", "source.spm", "target.spm")
_VOCABULARIES = (("shared_vocabulary.json",), ("shared_vocabulary.txt",),
                 ("source_vocabulary.json", "target_vocabulary.json"),
                 ("source_vocabulary.txt", "target_vocabulary.txt"))


def _tag(code: str) -> str:
    parts = code.split("_")
    return "-".join([parts[0], *parts[1:]])


class OpusMtEngine:
    name = "opus-mt"
    LICENCE = "operator-provided OPUS-MT model: check its model card (the Helsinki-NLP OPUS-MT models are CC-BY-4.0)"

    def __init__(self, directory: str, *, required: bool = False) -> None:
        self.directory = Path(directory)
        self.required = required  # set by the operator (not the default folder): its absence is a problem
        self._lock = threading.Lock()
        self._loaded: dict[tuple, tuple] = {}

    @functools.cached_property
    def version(self) -> str:
        from importlib.metadata import version

        return f"ctranslate2 {version('ctranslate2')} sentencepiece {version('sentencepiece')}"

    def discover(self) -> list[Pair]:
        if not self.directory.is_dir():
            if self.required or self.directory.exists():
                return [self._broken("(directory)", "und", "und", "MT_MODELS_DIR does not exist or is not a directory")]
            return []
        return [self._pair(folder) for folder in sorted(self.directory.iterdir())
                if folder.is_dir() and not folder.name.startswith(".")]

    def _broken(self, name: str, source: str, target: str, problem: str) -> Pair:
        return Pair(id=f"{self.name}:{name}", engine=self.name, model=name, source=source, target=target,
                    licence=self.LICENCE, bundled=False, available=False, problem=problem)

    def _pair(self, folder: Path) -> Pair:
        match = _NAME.match(folder.name)
        if not match:
            return self._broken("(invalid name)", "und", "und", "a model folder is named <name>-<source>-<target> "
                                "with language codes, such as opus-mt-en-de; rename it")
        name, source, target = folder.name, _tag(match["source"]), _tag(match["target"])
        if missing := [f for f in _REQUIRED if not (folder / f).is_file()]:
            return self._broken(name, source, target, f"{', '.join(missing)} missing from the model folder; copy the "
                                "CTranslate2 conversion again (with --copy_files source.spm target.spm)")
        if not any(all((folder / f).is_file() for f in option) for option in _VOCABULARIES):
            return self._broken(name, source, target, "its vocabulary (shared_vocabulary.json) is missing; copy the "
                                "CTranslate2 conversion again")
        if problem := self._load_problem(folder):
            return self._broken(name, source, target, problem)
        return Pair(id=f"{self.name}:{name}", engine=self.name, model=name, source=source, target=target,
                    licence=self.LICENCE, bundled=False, path=str(folder))

    def _load_problem(self, folder: Path) -> str:
        """Loaded once to check it, then let go: web processes list models but never translate, and an
        OPUS-MT model holds hundreds of megabytes."""
        try:
            self._load(folder)
        except ImportError:
            return "ctranslate2 or sentencepiece is not installed; install requirements.txt"
        except TranslationUnavailable as exc:
            return str(exc)
        return ""

    @staticmethod
    def _stamp(folder: Path) -> tuple:
        """Which files, and which version of them: a copy or a rewrite loads the model again."""
        return tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in sorted(folder.iterdir()) if f.is_file())

    def _load(self, folder: Path) -> tuple:
        import ctranslate2
        import sentencepiece

        return (self._translator(ctranslate2, folder), self._spm(sentencepiece, folder / "source.spm"),
                self._spm(sentencepiece, folder / "target.spm"))

    def _model(self, folder: Path) -> tuple:
        """The loaded model, kept for the next texts (a worker translates a chapter step by step)."""
        key = (str(folder), self._stamp(folder))
        with self._lock:
            if key not in self._loaded:
                self._loaded = {key: self._load(folder)}  # the one model in use; a changed folder replaces it
            return self._loaded[key]

    @staticmethod
    def _translator(ctranslate2, folder: Path):
        try:
            return ctranslate2.Translator(str(folder), device="cpu", intra_threads=1, inter_threads=1)
        except Exception as exc:  # noqa: BLE001 - CTranslate2 raises C++ errors of many types for a bad file
            logger.warning("translation model does not load",
                           extra={"event": "translation.model_broken", "error": str(exc)[:300]})
            raise TranslationUnavailable("its model.bin does not load (truncated, or not a CTranslate2 model); "
                                         "copy the conversion again") from exc

    @staticmethod
    def _spm(sentencepiece, path: Path):
        processor = sentencepiece.SentencePieceProcessor()
        try:
            processor.Load(str(path))
        except (RuntimeError, OSError) as exc:
            raise TranslationUnavailable(f"{path.name} is not a SentencePiece model; copy it again") from exc
        return processor

    def translate(self, pair: Pair, text: str) -> str:
        try:
            translator, source_spm, target_spm = self._model(Path(pair.path))
        except OSError as exc:  # the folder went away or changed under a running job; no path in the message
            raise TranslationUnavailable(
                f"The model {Path(pair.path).name} can no longer be read; an operator should check "
                "MT_MODELS_DIR (manage.py check lists its problems).") from exc
        tokens = source_spm.encode(text, out_type=str) + ["</s>"]
        result = translator.translate_batch([tokens], beam_size=4, max_decoding_length=512)
        return target_spm.decode(result[0].hypotheses[0]).strip()
