"""The asset library: upload (tus with JavaScript, a plain form without), browse by kind,
see which steps use each asset, delete with the reason when one is in use."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from assets import selectors as asset_selectors
from assets import services as asset_services
from assets.models import Kind
from contentizer import selectors
from contentizer.api.errors import http_status
from contentizer.errors import ApplicationError
from contentizer.models import Project
from studio import selectors as studio
from studio.uploads import accepts_file

logger = logging.getLogger(__name__)


def _library(request: HttpRequest, project: Project, *, upload_error: str = "", status: int = 200) -> HttpResponse:
    kind = request.GET.get("kind", "")
    kind = kind if kind in Kind.values else ""
    assets = list(studio.project_assets(project, kind=kind or None))
    usage = studio.asset_usage(project)
    return render(request, "studio/library.html", {
        "project": project, "kinds": Kind.choices, "kind": kind,
        "items": [(asset, usage.get(asset.pk, [])) for asset in assets],
        "total": project.assets.count(), "upload_error": upload_error, "tus": studio.tus_config(project),
    }, status=status)


@login_required
def asset_library(request: HttpRequest, project_id: int) -> HttpResponse:
    return _library(request, selectors.project_get(user=request.user, project_id=project_id))


@login_required
@accepts_file
@require_POST
def asset_upload(request: HttpRequest, project_id: int) -> HttpResponse:
    """Without JavaScript: one file through a plain form, into the same ingest as the API."""
    project = selectors.project_get(user=request.user, project_id=project_id)
    upload = request.FILES.get("file")
    if upload is None:
        return _library(request, project, upload_error="Choose a file to upload.", status=400)
    try:
        result = asset_services.asset_ingest(project=project, upload=upload)
    except ApplicationError as exc:
        return _library(request, project, upload_error=exc.message, status=http_status(exc))
    name = result.asset.original_name
    messages.success(request, f"{name} was already in the library." if result.deduplicated else f"{name} uploaded.")
    return redirect("asset-library", project_id=project.pk)


@login_required
@require_POST
def asset_delete(request: HttpRequest, project_id: int, asset_id: int) -> HttpResponse:
    asset = asset_selectors.asset_get(user=request.user, asset_id=asset_id)
    project = selectors.project_get(user=request.user, project_id=project_id)
    back = reverse("asset-library", args=[project.pk])
    if asset.project_id != project.pk:
        raise Http404("not an asset of this project")
    try:
        asset_services.asset_unlink(asset=asset)
    except ApplicationError as exc:
        steps = studio.asset_usage(project).get(asset.pk, [])
        where = "; ".join(f"“{s.chapter.title}”, step {s.position + 1}" for s in steps)
        used = f" Used in: {where}." if where else ""
        messages.error(request, f"{asset.original_name} was not deleted. {exc.message}{used}")
        return redirect(back)
    messages.success(request, f"{asset.original_name} deleted from the library.")
    return redirect(back)
