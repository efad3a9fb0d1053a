"""Writes to the core domain: projects, chapters and steps, with their order."""

from __future__ import annotations

import copy
import logging
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Max, Model, QuerySet

from contentizer.errors import ApplicationError
from contentizer.models import Chapter, Project, Step

logger = logging.getLogger(__name__)


def project_create(
    *, owner: AbstractBaseUser, title: str, description: str = "", languages: list[str] | None = None
) -> Project:
    return Project.objects.create(
        owner=owner, title=title, description=description, languages=languages or ["en"]
    )


def project_delete(*, project: Project) -> None:
    """The project with its chapters, steps, asset links, videos and their share links."""
    logger.info("project deleted", extra={"event": "project.deleted", "projectId": project.pk})
    project.delete()


def _next_position(siblings: QuerySet) -> int:
    top = siblings.aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 1


def chapter_create(*, project: Project, title: str) -> Chapter:
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        return Chapter.objects.create(
            project=project, title=title, position=_next_position(project.chapters.all())
        )


def step_create(*, chapter: Chapter, after: Step | None = None, **fields: Any) -> Step:
    """A new step at the end of the chapter, or right after `after` (the steps behind it move down one)."""
    with transaction.atomic():
        Chapter.objects.select_for_update().filter(pk=chapter.pk).first()
        if after is None:
            position = _next_position(chapter.steps.all())
        else:
            position = Step.objects.get(pk=after.pk, chapter=chapter).position + 1  # as it is now, under the lock
            # two passes through negative positions, so the unique position holds at every moment
            chapter.steps.filter(position__gte=position).update(position=-(F("position") + 1))
            chapter.steps.filter(position__lt=0).update(position=-F("position"))
        return Step.objects.create(chapter=chapter, position=position, **fields)


# what a duplicate does not copy: its identity, its place and its times
_NOT_DUPLICATED = {"id", "chapter", "position", "created_at", "updated_at"}


def step_duplicate(*, step: Step) -> Step:
    """A copy of `step` right after it: every field it has (texts, marks, asset, timing, effects...)."""
    fields = {f.attname: copy.deepcopy(getattr(step, f.attname)) for f in Step._meta.concrete_fields
              if f.name not in _NOT_DUPLICATED}
    return step_create(chapter=step.chapter, after=step, **fields)


def object_update(*, obj: Model, **fields: Any) -> Model:
    """Writes only the fields given (and the modification time): a job writing other fields of the
    same row meanwhile (a translation filling a step) keeps what it wrote."""
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.full_clean(exclude=["position"], validate_unique=False, validate_constraints=False)
    stamped = [f.name for f in obj._meta.concrete_fields if getattr(f, "auto_now", False)]
    obj.save(update_fields=[*fields, *stamped] if fields else None)
    return obj


def step_update(*, step: Step, approve: dict[str, list[str]] | None = None, **fields: Any) -> Step:
    """A step's new fields; a machine-translated text the author edits, or approves (`approve`,
    {"caption": ["de"]}), is the author's from then on."""
    marks = step.machine_translated
    for field in ("caption", "narration"):
        if field in fields:
            old, new = getattr(step, field) or {}, fields[field] or {}
            for lang in set(old) | set(new):
                if old.get(lang, "") != new.get(lang, ""):
                    step.clear_machine_translated(field, lang)
    for field, languages in (approve or {}).items():
        for lang in languages:
            step.clear_machine_translated(field, lang)
    if step.machine_translated != marks:  # written only when changed: a job may be adding marks meanwhile
        fields["machine_translated"] = step.machine_translated
    return object_update(obj=step, **fields)


def _close_gap(siblings: QuerySet, removed_position: int) -> None:
    # Shift one by one in ascending order: a bulk update could collide with the unique
    # (parent, position) constraint mid-statement on some databases.
    for obj in siblings.filter(position__gt=removed_position).order_by("position"):
        type(obj).objects.filter(pk=obj.pk).update(position=obj.position - 1)


def chapter_delete(*, chapter: Chapter) -> None:
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=chapter.project_id).first()
        chapter.delete()
        _close_gap(Chapter.objects.filter(project_id=chapter.project_id), chapter.position)


def step_delete(*, step: Step) -> None:
    with transaction.atomic():
        Chapter.objects.select_for_update().filter(pk=step.chapter_id).first()
        step.delete()
        _close_gap(Step.objects.filter(chapter_id=step.chapter_id), step.position)


def reorder(*, siblings: QuerySet, order: list[int]) -> None:
    """Put `siblings` in the order of `order`, which must name each of them exactly once."""
    with transaction.atomic():
        current = list(siblings.select_for_update().values_list("id", flat=True))
        if sorted(current) != sorted(order) or len(set(order)) != len(order):
            raise ApplicationError(
                "order must list every id exactly once.",
                code="invalid_order",
                details={"expected": sorted(current), "received": order},
            )
        model = siblings.model
        # Two passes through negative positions: the unique constraint holds at every step.
        for index, pk in enumerate(order):
            model.objects.filter(pk=pk).update(position=-(index + 1))
        for index, pk in enumerate(order):
            model.objects.filter(pk=pk).update(position=index)
