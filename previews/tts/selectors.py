"""Reads of a project's narration choices: voice and rate per language, and its lexicon."""

from __future__ import annotations

from django.db.models import QuerySet

from contentizer.models import Project
from previews.models import LexiconEntry, ProjectVoice
from previews.tts.engines import bcp47


def _primary(language: str) -> str:
    return language.split("-")[0].lower()


def project_voice_get(*, project: Project, language: str) -> ProjectVoice | None:
    return ProjectVoice.objects.filter(project=project, language=bcp47(language)).first()


def project_voice_list(*, project: Project) -> QuerySet[ProjectVoice]:
    return ProjectVoice.objects.filter(project=project).order_by("language")


def lexicon_list(*, project: Project, language: str | None = None) -> QuerySet[LexiconEntry]:
    entries = LexiconEntry.objects.filter(project=project)
    return entries.filter(language=bcp47(language)) if language else entries


def lexicon_for(*, project: Project, language: str) -> list[tuple[str, str]]:
    """The entries that apply to narration in `language`: those of the tag itself and of its language
    ("en" entries apply to "en-GB" narration; the more precise tag wins for the same written form)."""
    found: dict[str, str] = {}
    for tag in dict.fromkeys([_primary(language), bcp47(language)]):  # the general one first, the precise one overrides
        for entry in LexiconEntry.objects.filter(project=project, language=tag):
            found[entry.written] = entry.spoken
    return sorted(found.items())


def narrated_languages(*, project: Project) -> list[str]:
    from contentizer.models import Step

    found = set()
    for narration in Step.objects.filter(chapter__project=project).values_list("narration", flat=True):
        found.update(lang for lang, text in (narration or {}).items() if isinstance(text, str) and text.strip())
    return sorted(found)
