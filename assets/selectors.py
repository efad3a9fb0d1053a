"""Reads of the asset store, always scoped to the user who asks."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from assets.models import Asset
from contentizer.models import Project


def asset_list(*, project: Project, kind: str | None = None) -> QuerySet[Asset]:
    qs = Asset.objects.filter(project=project).select_related("blob")
    return qs.filter(blob__kind=kind) if kind else qs


def asset_get(*, user: AbstractBaseUser, asset_id: int) -> Asset:
    """The asset if the user owns its project; another user's asset is a 404."""
    return get_object_or_404(
        Asset.objects.select_related("blob", "project"), pk=asset_id, project__owner=user
    )
