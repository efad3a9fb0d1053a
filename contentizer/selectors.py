"""Reads of the core domain. Every lookup that serves a user goes through `owned_by`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from contentizer.models import Chapter, Project, Step


def project_list(*, user: AbstractBaseUser) -> QuerySet[Project]:
    return Project.objects.filter(owner=user)


def project_get(*, user: AbstractBaseUser, project_id: int) -> Project:
    return get_object_or_404(Project, pk=project_id, owner=user)


def chapter_list(*, project: Project) -> QuerySet[Chapter]:
    return Chapter.objects.filter(project=project).order_by("position")


def chapter_get(*, user: AbstractBaseUser, chapter_id: int) -> Chapter:
    return get_object_or_404(Chapter.objects.select_related("project"), pk=chapter_id, project__owner=user)


def step_list(*, chapter: Chapter) -> QuerySet[Step]:
    return (Step.objects.filter(chapter=chapter).select_related("asset__blob")
            .prefetch_related("recordings__asset__blob").order_by("position"))


def step_get(*, user: AbstractBaseUser, step_id: int) -> Step:
    return get_object_or_404(
        Step.objects.select_related("chapter__project", "asset__blob"),
        pk=step_id, chapter__project__owner=user,
    )


GAP_FIELDS = ("caption", "narration")


def step_gaps(step: Step, languages: list[str]) -> dict[str, list[str]]:
    """The texts `step` lacks per language (see text_gaps)."""
    return text_gaps({field: getattr(step, field) for field in GAP_FIELDS}, languages)


def text_gaps(texts_of: dict[str, Any], languages: list[str]) -> dict[str, list[str]]:
    """A caption or narration is missing in a language when another language has one and this one
    is empty: {"de": ["narration"]} from {"caption": {...}, "narration": {...}}; complete languages
    are left out."""
    gaps: dict[str, list[str]] = {}
    for field in GAP_FIELDS:
        texts = texts_of.get(field) or {}
        if not isinstance(texts, dict) or not any(str(t).strip() for t in texts.values()):
            continue
        for lang in languages:
            if not str(texts.get(lang, "")).strip():
                gaps.setdefault(lang, []).append(field)
    return gaps


def stand_in(texts: dict[str, str], language: str, order: list[str]) -> str | None:
    """Which language's text stands in where `language` has none (a request's `missing="fallback"`):
    the first language in `order` that has one, then any. None when `language` has its own text or
    no language has any."""
    if str((texts or {}).get(language, "")).strip():
        return None
    filled = [lang for lang, text in (texts or {}).items() if str(text).strip()]
    return next((lang for lang in order if lang in filled), filled[0] if filled else None)


def chapter_gaps(chapter: Chapter, languages: list[str] | None = None) -> dict[str, list[dict]]:
    """Per language (the project's, or `languages`), each step that lacks a text another language
    has: {"de": [{"step": 12, "number": 2, "fields": ["narration"]}]}; every language is a key."""
    languages = list(languages or chapter.project.languages)
    found: dict[str, list[dict]] = {lang: [] for lang in languages}
    for number, step in enumerate(chapter.steps.order_by("position"), start=1):
        for lang, fields in step_gaps(step, languages).items():
            found[lang].append({"step": step.pk, "number": number, "fields": fields})
    return found


def gaps_sentence(lang_name: str, gaps: list[dict]) -> str:
    """"German lacks step 2's narration and step 3's caption." for people to read."""
    parts = [f"step {g['number']}'s {' and '.join(g['fields'])}" for g in gaps]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"{lang_name} lacks {listed}."
