"""Piper voices an operator uploads in the Django admin, without a shell.

A voice is added only after it spoke: with both files still the request's uploads, the config is
parsed, the language read from the form or the config, and the model made to say a sentence whose
audio must be long enough and not silent. Only then are the files published to the storage under
keys made of their SHA-256 (`voices/piper/<sha256>.onnx`, `.onnx.json`) and the row written, so a
refused file leaves nothing behind, and a scaled-out install (S3, many worker machines) has every
voice everywhere: each machine copies a voice's files once into TTS_VOICE_CACHE_DIR, named by hash,
before it speaks.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import uuid
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, IntegrityError, transaction

from contentizer import storage
from contentizer.errors import Conflict, PayloadTooLarge, UnprocessableEntity
from contentizer.languages import resolve_language
from previews.models import UploadedVoice
from previews.tts import engines
from previews.tts.engines import PiperConfig, PiperEngine, StoredFile, Voice

logger = logging.getLogger(__name__)

CONFIG_MAX_BYTES = 1024 * 1024  # a Piper config is a few kilobytes
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z")
# What an uploaded voice says to prove it works; a language without a sentence counts (eSpeak NG reads
# digits in the voice's own language, whatever its script).
CHECK_SENTENCES = {
    "en": "Click Save to keep your changes.",
    "de": "Klicken Sie auf Speichern, um Ihre Änderungen zu behalten.",
    "fr": "Cliquez sur Enregistrer pour garder vos modifications.",
    "es": "Haga clic en Guardar para conservar sus cambios.",
    "pt": "Clique em Salvar para manter as suas alterações.",
    "it": "Fai clic su Salva per mantenere le modifiche.",
    "nl": "Klik op Opslaan om je wijzigingen te bewaren.",
}
CHECK_FALLBACK = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10."
MIN_SECONDS = 0.5  # the sentences take well over a second in any voice
MIN_PEAK = 0.02  # of full scale: below it, the "speech" is silence or noise floor


@dataclass(frozen=True)
class CheckedVoice:
    """A voice that spoke; its files are still the request's uploads."""

    name: str
    language: str
    config: PiperConfig = field(repr=False)
    model: UploadedFile = field(repr=False)
    model_sha256: str
    config_file: UploadedFile = field(repr=False)
    config_sha256: str
    seconds: float  # of the test sentence


def _refuse(message: str, field_name: str, code: str = "invalid_voice") -> UnprocessableEntity:
    return UnprocessableEntity(message, code=code, details={"field": field_name})


# --- the check ----------------------------------------------------------------------------------

def _on_disk(upload: UploadedFile, work: Path, name: str, *, limit: int, field_name: str, what: str) -> Path:
    """The uploaded file as a local file: the upload's own temporary file (the upload handler spools
    every upload to disk, locked while the request holds it, swept if the request dies), or a copy."""
    if upload.size > limit:
        raise PayloadTooLarge(f"The {what} is larger than {limit} bytes; is it the right file?",
                              details={"field": field_name, "maxBytes": limit})
    if not upload.size:
        raise _refuse(f"The {what} is empty.", field_name)
    if hasattr(upload, "temporary_file_path"):
        return Path(upload.temporary_file_path())
    with open(work / name, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return work / name


def _sha256(upload: UploadedFile, path: Path) -> str:
    return getattr(upload, "sha256", "") or storage.sha256_file(path)  # the upload handler hashed it on the way


def _name(name: str, model_file_name: str) -> str:
    name = name.strip() or re.sub(r"\.onnx\Z", "", Path(model_file_name or "").name)
    if not engines.VOICE_NAME.match(name):
        raise _refuse("A voice name may use only letters, digits, '.', '_' and '-' (at most 81 characters), "
                      "e.g. de_DE-thorsten-medium.", "name")
    from previews.tts import catalogue  # the catalogue lists uploaded voices: import it late

    if UploadedVoice.objects.filter(name=name).exists() or catalogue.voice_get(f"piper:{name}") is not None:
        raise Conflict(f"There is already a voice piper:{name}; choose another name.", code="voice_exists",
                       details={"field": "name"})
    return name


def _config(path: Path) -> PiperConfig:
    try:
        config = PiperConfig.load(path)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:  # JSON, structure, Piper's own fields
        detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)[:200]
        raise _refuse(f"The .onnx.json is not a Piper voice config ({detail}). Upload the .onnx.json that came "
                      "with the model.", "config") from exc
    if config.sample_rate <= 0:
        raise _refuse("The .onnx.json gives no usable audio sample_rate.", "config")
    if not engines.espeak_library().select(config.espeak_voice):
        raise _refuse(f"The voice reads its phonemes with eSpeak NG's '{config.espeak_voice}' voice, which is "
                      "not installed here.", "config")
    return config


def _language(language: str, config: PiperConfig) -> str:
    language = language.strip()
    if not language and not config.language:
        raise _refuse("The config names no language (language.code); enter the language this voice speaks, "
                      "e.g. de-DE.", "language")
    if not language:
        return config.language
    code = resolve_language(language) or engines.bcp47(language)  # "German", "Deutsch", "de_DE", "de-DE"
    if not _LANGUAGE.match(code.lower()):
        raise _refuse(f"'{language}' is not a language; enter a code such as de-DE or a name such as German.",
                      "language")
    return engines.bcp47(code)


def _speak(voice: Voice, work: Path) -> float:
    """Say the language's sentence; the seconds of audio, refused when it does not speak."""
    sentence = CHECK_SENTENCES.get(voice.language.split("-")[0].lower(), CHECK_FALLBACK)
    out = work / "check.wav"
    try:
        PiperEngine("").synthesize(voice, sentence, 1.0, out)
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own untyped errors for a model that does not fit
        logger.warning("uploaded voice did not speak", extra={"event": "tts.upload_refused", "error": str(exc)[:300]})
        raise _refuse("The voice did not speak: the model and the config do not belong together, or the model is "
                      "not a Piper voice. Upload the two files of one Piper voice.", "model") from exc
    with wave.open(str(out)) as wav:
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        seconds = len(samples) / wav.getframerate()
    peak = float(np.abs(samples.astype(np.int32)).max(initial=0)) / 32767
    if seconds < MIN_SECONDS or peak < MIN_PEAK:
        raise _refuse(f"The voice said nothing audible ({seconds:.2f} s, peak {peak:.3f} of full scale) when asked "
                      f"to read a test sentence; it cannot narrate. Check that the config belongs to the model.",
                      "model")
    return seconds


def uploaded_voice_check(*, model: UploadedFile, config: UploadedFile, name: str, language: str,
                         work: Path) -> CheckedVoice:
    """Everything short of storing: the config parsed, the language settled, the model made to speak
    (its test sentence written into `work`)."""
    name = _name(name, model.name)
    config_path = _on_disk(config, work, "voice.onnx.json", limit=CONFIG_MAX_BYTES, field_name="config",
                           what=".onnx.json")
    parsed = _config(config_path)
    language = _language(language, parsed)
    model_path = _on_disk(model, work, "voice.onnx", limit=settings.TTS_VOICE_MAX_BYTES, field_name="model",
                          what=".onnx model")
    if engines.onnx_load_problem(model_path):
        raise _refuse("The .onnx file does not load as a model (truncated, or not an ONNX file). Upload the "
                      "voice's .onnx file again.", "model")
    try:
        voice = Voice(id=f"piper:{name}", engine="piper", name=name, language=language,
                      sample_rate=parsed.sample_rate, neural=True, quality=0, licence="", source=str(model_path),
                      config_source=str(config_path))
        seconds = _speak(voice, work)
    finally:
        engines.onnx_forget(model_path)  # the session of a temporary file: the stored voice loads its own copy
    return CheckedVoice(name=name, language=language, config=parsed, model=model,
                        model_sha256=_sha256(model, model_path), config_file=config,
                        config_sha256=_sha256(config, config_path), seconds=seconds)


# --- adding, removing ---------------------------------------------------------------------------

def uploaded_voice_add(*, model: UploadedFile, config: UploadedFile, name: str = "", language: str = "",
                       enabled: bool = True) -> UploadedVoice:
    """Check an uploaded Piper voice by making it speak, then store its files and offer it. Raises an
    ApplicationError whose `details["field"]` names the file or field at fault; nothing is kept then."""
    with tempfile.TemporaryDirectory(prefix="voice-check-") as directory:  # a WAV of a few seconds
        checked = uploaded_voice_check(model=model, config=config, name=name, language=language,
                                       work=Path(directory))
    return _store(checked, enabled=enabled)


def _store(checked: CheckedVoice, *, enabled: bool) -> UploadedVoice:
    row = UploadedVoice(name=checked.name, language=checked.language, model_sha256=checked.model_sha256,
                        model_size=checked.model.size, config_sha256=checked.config_sha256,
                        config_size=checked.config_file.size, sample_rate=checked.config.sample_rate,
                        quality=checked.config.quality[:16], licence=checked.config.licence[:300], enabled=enabled)
    published: list[str] = []
    try:
        for key, upload, sha256 in ((row.model_key, checked.model, row.model_sha256),
                                    (row.config_key, checked.config_file, row.config_sha256)):
            if not storage.trusted(key, size=upload.size):  # content-addressed: another voice may share the file
                storage.publish(key=key, content=upload, size=upload.size, sha256=sha256)
                published.append(key)
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:  # the same name added meanwhile
        _unpublish(published)
        raise Conflict(f"There is already a voice piper:{row.name}; choose another name.", code="voice_exists",
                       details={"field": "name"}) from exc
    except OSError as exc:
        _unpublish(published)
        raise storage.unavailable(exc, what="The voice could not be stored") from exc
    logger.info("voice uploaded", extra={"event": "tts.voice_uploaded", "voice": row.voice_id,
                                         "language": row.language, "modelSha256": row.model_sha256})
    return row


def _unpublish(keys: list[str]) -> None:
    for key in keys:
        if not _referenced(key):
            try:
                storage.remove(key)
            except OSError:
                logger.exception("could not remove a voice file", extra={"event": "tts.voice_unpublish_failed",
                                                                         "key": key})


def _referenced(key: str) -> bool:
    sha = key.rsplit("/", 1)[-1].split(".", 1)[0]
    return UploadedVoice.objects.filter(model_sha256=sha).exists() or \
        UploadedVoice.objects.filter(config_sha256=sha).exists()


def uploaded_voice_delete(*, voice: UploadedVoice) -> None:
    """Forget a voice, and its stored files unless another voice uses them. Projects that chose it
    fall back to the next best voice of the language (and say so)."""
    keys = [voice.model_key, voice.config_key]
    voice.delete()
    transaction.on_commit(lambda: _unpublish(keys))
    logger.info("voice deleted", extra={"event": "tts.voice_deleted", "voice": voice.voice_id})


# --- the catalogue's view, and each machine's copy ----------------------------------------------

def uploaded_voices() -> list[Voice]:
    """Every uploaded voice as the catalogue lists it (a turned-off one as unavailable)."""
    try:
        rows = list(UploadedVoice.objects.all())
    except DatabaseError:  # before `migrate`: no uploaded voices yet
        return []
    return [_voice(row) for row in rows]


def _voice(row: UploadedVoice) -> Voice:
    cache = Path(settings.TTS_VOICE_CACHE_DIR)
    model = StoredFile(key=row.model_key, sha256=row.model_sha256, size=row.model_size,
                       local=str(cache / f"{row.model_sha256}.onnx"))
    config = StoredFile(key=row.config_key, sha256=row.config_sha256, size=row.config_size,
                        local=str(cache / f"{row.config_sha256}.onnx.json"))
    return Voice(id=row.voice_id, engine=PiperEngine.name, name=row.name, language=row.language,
                 sample_rate=row.sample_rate, neural=True, quality=engines.PIPER_QUALITY.get(row.quality, 75),
                 licence=row.licence or PiperEngine.DEFAULT_LICENCE, model_sha256=row.model_sha256,
                 available=row.enabled, problem="" if row.enabled else "turned off by an operator (Django admin, "
                                                                      "Uploaded voices)",
                 source=model.local, config_source=config.local, stored=(model, config))


def voice_files_local(voice: Voice) -> None:
    """Make sure this machine holds an uploaded voice's files (fetched once, checked against their
    size and hash, then renamed into place: a reader never sees half a model)."""
    for stored in voice.stored:
        local = Path(stored.local)
        if local.is_file() and local.stat().st_size == stored.size:
            continue
        local.parent.mkdir(parents=True, exist_ok=True)
        partial = local.with_name(f".{uuid.uuid4().hex}.part")
        try:
            storage.fetch(stored.key, partial, size=stored.size, sha256=stored.sha256)
            os.replace(partial, local)
        except (FileNotFoundError, storage.IntegrityFailure) as exc:  # an operator's fix, not a retry's
            logger.exception("uploaded voice file unreadable", extra={"event": "tts.voice_files_missing",
                                                                      "voice": voice.id, "key": stored.key})
            raise engines.UnsupportedLanguage(
                f"The uploaded voice {voice.id} cannot be read from the storage (a file is missing or damaged); "
                "upload it again in the admin, or turn it off there so the next best voice speaks.") from exc
        finally:
            partial.unlink(missing_ok=True)
        logger.info("voice file cached", extra={"event": "tts.voice_cached", "voice": voice.id, "key": stored.key})
