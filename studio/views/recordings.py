"""A step's narration in the author's own voice, from the chapter editor: a file (the no-JavaScript path) or
what the page's recorder captured (static/js/recorder.js), through the same ingest and service as
PUT /api/steps/{id}/narration/{language}/recording; and removing it."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from assets.models import Asset
from assets.services import asset_ingest
from contentizer import selectors
from contentizer.api.errors import http_status
from contentizer.api.serializers import StepRecordingSerializer
from contentizer.errors import ApplicationError
from contentizer.jobs.api.serializers import job_representation
from contentizer.languages import language_name
from previews.api.recording_views import ChapterFromRecordingInputSerializer
from previews.recordings import chapters, narration
from studio.forms import ApiForm
from studio.uploads import accepts_file

logger = logging.getLogger(__name__)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _back(step) -> HttpResponse:
    return redirect(reverse("chapter-page", args=[step.chapter_id]) + f"#step-{step.pk}")


@login_required
@accepts_file
@require_POST
def step_recording(request: HttpRequest, step_id: int, language: str) -> HttpResponse:
    step = selectors.step_get(user=request.user, step_id=step_id)
    upload = request.FILES.get("recording") or request.FILES.get(f"recording-{language}")
    try:
        if upload is None:
            raise ApplicationError("Choose a recording to upload, or record one.", code="missing_file")
        asset = asset_ingest(project=step.chapter.project, upload=upload).asset
        attached = narration.step_recording_attach(owner=request.user, step=step, language=language, asset=asset)
    except ApplicationError as exc:
        if _wants_json(request):
            return JsonResponse({"error": {"code": exc.code, "message": exc.message}}, status=http_status(exc))
        messages.error(request, f"Step {step.position + 1}: {exc.message}")
        return _back(step)
    if _wants_json(request):
        return JsonResponse({"recording": StepRecordingSerializer(attached.recording).data,
                             "job": job_representation(attached.job) if attached.job else None}, status=202)
    messages.success(request, f"Step {step.position + 1}: your recording is the {language_name(language)} "
                              "narration; its text is being transcribed.")
    return _back(step)


@login_required
@accepts_file
@require_POST
def step_recording_delete(request: HttpRequest, step_id: int, language: str) -> HttpResponse:
    step = selectors.step_get(user=request.user, step_id=step_id)
    try:
        narration.step_recording_remove(step=step, language=language)
        messages.success(request, f"Step {step.position + 1}: the voice says the {language_name(language)} narration "
                                  "again.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return _back(step)


@login_required
@require_POST
def chapter_from_recording(request: HttpRequest, project_id: int) -> HttpResponse:
    """The same input and service as POST /api/projects/{id}/chapters/from-recording; on to the job's page."""
    project = selectors.project_get(user=request.user, project_id=project_id)
    form = ApiForm(ChapterFromRecordingInputSerializer, data={
        key: request.POST[key] for key in ("asset", "language", "title") if request.POST.get(key, "").strip()})
    try:
        if not form.is_valid():
            raise ApplicationError("Choose a recording of the project.", code="invalid_asset")
        body = form.validated_data
        asset = Asset.objects.select_related("blob").filter(pk=body["asset"], project=project).first()
        if asset is None:
            raise ApplicationError("Choose a recording of the project.", code="invalid_asset")
        submitted = chapters.chapter_from_recording_request(owner=request.user, project=project, asset=asset,
                                                            language=body.get("language"), title=body.get("title", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("project-page", project_id=project.pk)
    messages.success(request, "Making a chapter from your recording: recognising what was said, then cutting it.")
    return redirect("job-detail-page", job_id=submitted.job.pk)
