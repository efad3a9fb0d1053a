"""Export a project and import one: the same services, checks and limits as the API."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from contentizer import selectors
from contentizer.api.errors import http_status
from contentizer.errors import ApplicationError
from exports import services
from exports.api.serializers import ExportIncludeInputSerializer
from studio.forms import ApiForm
from studio.uploads import accepts_file
from studio.views import projects

logger = logging.getLogger(__name__)


@login_required
@require_POST
def project_export(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get(user=request.user, project_id=project_id)
    form = ApiForm(ExportIncludeInputSerializer,
                   data={name: request.POST.get(name) == "1" for name in ExportIncludeInputSerializer().fields})
    if not form.is_valid():  # checkboxes are always booleans; kept so the rule stays the API's
        return projects.project_page_response(request, project, status=form.status, export_errors={
            "message": "The export options could not be read.", "items": [m for _, m in form.error_list()]})
    try:
        job = services.export_request(owner=request.user, project=project, chapter_ids=None,
                                      include=services.Include(**form.validated_data))
    except ApplicationError as exc:
        missing = exc.details.get("missing", []) if isinstance(exc.details, dict) else []
        return projects.project_page_response(request, project, status=http_status(exc),
                                              export_errors={"message": exc.message, "items": missing})
    messages.success(request, "Export started. This page follows it; the download appears when the zip is ready.")
    return redirect("job-detail-page", job_id=job.pk)


@login_required
@accepts_file
@require_POST
def project_import(request: HttpRequest) -> HttpResponse:
    upload = request.FILES.get("file")
    if upload is None:
        return projects.home_response(request, import_error="Choose an export zip to import.", status=400)
    try:
        job = services.import_request(owner=request.user, upload=upload)
    except ApplicationError as exc:
        return projects.home_response(request, import_error=exc.message, status=http_status(exc))
    finally:
        upload.close()
    messages.success(request, "The zip is uploaded. This page follows its import; the project appears when ready.")
    return redirect("job-detail-page", job_id=job.pk)
