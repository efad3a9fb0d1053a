"""Writes of a project's narration choices: the voice and rate of a language, and lexicon entries."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction

from contentizer.errors import Conflict, UnprocessableEntity
from contentizer.models import Project
from previews.models import LexiconEntry, ProjectVoice
from previews.tts import catalogue
from previews.tts.engines import bcp47

logger = logging.getLogger(__name__)

LEXICON_MAX_ENTRIES = 2000  # per project: each narration is matched against all of its language's entries


def _check_voice(voice_id: str, language: str) -> None:
    voice = catalogue.voice_get(voice_id)
    if voice is None:
        raise UnprocessableEntity(f"There is no voice '{voice_id}'; GET /api/v1/voices lists them.",
                                  code="invalid_voice", details={"voice": voice_id})
    if not voice.available:
        raise UnprocessableEntity(f"The voice {voice_id} cannot be used: {voice.problem}.", code="voice_unavailable",
                                  details={"voice": voice_id, "problem": voice.problem})
    if not catalogue.matches(voice, language):
        raise UnprocessableEntity(f"The voice {voice_id} speaks {voice.language}, not {language}.",
                                  code="invalid_voice", details={"voice": voice_id, "voiceLanguage": voice.language,
                                                                 "language": language})


def project_voice_set(*, project: Project, language: str, voice: str | None, rate: float | None) -> ProjectVoice:
    """Choose the voice (None or "" = the best available one) and/or the rate of one language."""
    language = bcp47(language)
    if voice:
        _check_voice(voice, language)
    elif not catalogue.language_supported(language):
        raise UnprocessableEntity(f"No voice can speak language '{language}'.", code="unsupported_language",
                                  details={"language": language})
    with transaction.atomic():
        choice, _ = ProjectVoice.objects.select_for_update().get_or_create(project=project, language=language)
        if voice is not None:
            choice.voice = voice
        if rate is not None:
            choice.rate = rate
        choice.save()
    logger.info("project voice set", extra={"event": "tts.project_voice", "projectId": project.pk,
                                            "language": language, "voice": choice.voice or "default"})
    return choice


def project_voice_reset(*, project: Project, language: str) -> None:
    ProjectVoice.objects.filter(project=project, language=bcp47(language)).delete()


def lexicon_entry_create(*, project: Project, language: str, written: str, spoken: str) -> LexiconEntry:
    if LexiconEntry.objects.filter(project=project).count() >= LEXICON_MAX_ENTRIES:
        raise UnprocessableEntity(f"A project's lexicon holds at most {LEXICON_MAX_ENTRIES} entries; delete some.",
                                  code="lexicon_full", details={"max": LEXICON_MAX_ENTRIES})
    try:
        with transaction.atomic():
            return LexiconEntry.objects.create(project=project, language=bcp47(language), written=written.strip(),
                                               spoken=spoken.strip())
    except IntegrityError:
        raise _duplicate(project, bcp47(language), written.strip())


def _duplicate(project: Project, language: str, written: str) -> Conflict:
    existing = LexiconEntry.objects.filter(project=project, language=language, written=written).first()
    return Conflict(f"'{written}' already has a pronunciation in {language}; change that entry instead.",
                    code="lexicon_entry_exists", details={"id": existing.pk if existing else None})


def lexicon_entry_update(*, entry: LexiconEntry, written: str | None = None, spoken: str | None = None) -> LexiconEntry:
    if written is not None:
        entry.written = written.strip()
    if spoken is not None:
        entry.spoken = spoken.strip()
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        raise _duplicate(entry.project, entry.language, entry.written)
    return entry


def lexicon_entry_delete(*, entry: LexiconEntry) -> None:
    entry.delete()
