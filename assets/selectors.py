"""Reads of the asset store, always scoped to the user who asks."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet, Sum
from django.shortcuts import get_object_or_404

from assets.models import Asset, Blob, Upload
from contentizer.models import Project


def asset_list(*, project: Project, kind: str | None = None) -> QuerySet[Asset]:
    qs = Asset.objects.filter(project=project).select_related("blob")
    return qs.filter(blob__kind=kind) if kind else qs


def asset_get(*, user: AbstractBaseUser, asset_id: int) -> Asset:
    """The asset if the user owns its project; another user's asset is a 404."""
    return get_object_or_404(
        Asset.objects.select_related("blob", "project"), pk=asset_id, project__owner=user
    )


def asset_usage(owner) -> int:
    """The bytes of the distinct blobs the owner's projects link, for the storage quota
    (contentizer.quota): bytes shared with other users count for each of them."""
    return Blob.objects.filter(assets__project__owner=owner).distinct().aggregate(n=Sum("size"))["n"] or 0


def upload_get(*, user: AbstractBaseUser, upload_id) -> Upload:
    """A resumable upload of the user's; another user's is a 404 like a missing one."""
    return get_object_or_404(Upload.objects.select_related("project", "asset"), pk=upload_id, owner=user)
