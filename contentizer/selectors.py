"""Reads of the core domain. Every lookup that serves a user goes through `owned_by`."""

from __future__ import annotations

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
    return Step.objects.filter(chapter=chapter).select_related("asset__blob").order_by("position")


def step_get(*, user: AbstractBaseUser, step_id: int) -> Step:
    return get_object_or_404(
        Step.objects.select_related("chapter__project", "asset__blob"),
        pk=step_id, chapter__project__owner=user,
    )
