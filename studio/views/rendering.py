"""Preview and generate a chapter: the same services and checks as POST /api/preview and
POST /api/videos/generate."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from contentizer import selectors
from contentizer.errors import ApplicationError
from contentizer.languages import language_name
from contentizer.models import Chapter
from previews import compile as compiler
from previews import services
from previews.api.video_views import VideoGenerateInputSerializer, VideoMusicInputSerializer
from previews.compile import RESOLUTIONS, Format
from previews.videos import services as videos
from studio import selectors as studio
from studio.forms import ApiForm

logger = logging.getLogger(__name__)


def _problems(exc: ApplicationError) -> str:
    fields = exc.details.get("fields") if isinstance(exc.details, dict) else None
    listed = "; ".join(f"{where}: {what}" for where, what in fields.items()) if isinstance(fields, dict) else ""
    return f"{exc.message} ({listed})" if listed and listed not in exc.message else exc.message


@login_required
@require_POST
def chapter_preview(request: HttpRequest, chapter_id: int) -> HttpResponse:
    chapter = selectors.chapter_get(user=request.user, chapter_id=chapter_id)
    dry_run = request.POST.get("dry_run") == "1"
    only = int(request.POST["step"]) if request.POST.get("step", "").isdigit() else None  # one step alone
    steps = compiler.chapter_steps(chapter, recorded=True, only=only)
    if only is not None and not steps:
        messages.error(request, "That step is no longer in the chapter.")
        return redirect("chapter-page", chapter_id=chapter.pk)
    try:
        submitted = services.preview_request(
            owner=request.user, project=chapter.project, steps=steps, dry_run=dry_run, chapter_id=chapter.pk,
            cards=only is None,
        )
    except ApplicationError as exc:
        messages.error(request, _problems(exc))
        return redirect("chapter-page", chapter_id=chapter.pk)
    if dry_run:
        return redirect("job-detail-page", job_id=submitted.job.pk)
    return redirect(reverse("chapter-page", args=[chapter.pk]) + "#preview")


ASPECT_NAMES = {"16:9": "16:9 landscape", "9:16": "9:16 portrait", "1:1": "1:1 square"}


def generate_choices(chapter: Chapter) -> dict[str, Any]:
    """Languages in the project's order (narrated ones ticked), resolutions, shapes and music from the
    API's own input definition, so the page offers exactly what the API accepts."""
    narrated = {lang for step in chapter.steps.all() for lang, text in step.narration.items() if text.strip()}
    order = list(chapter.project.languages)
    codes = order + sorted(narrated - set(order))
    fields = VideoGenerateInputSerializer().fields
    return {
        "languages": [(code, language_name(code), code in narrated) for code in codes],
        "resolutions": list(fields["resolution"].choices.items()), "default_resolution": fields["resolution"].default,
        "aspects": [(value, ASPECT_NAMES.get(value, value)) for value in fields["aspect"].choices],
        "default_aspect": fields["aspect"].default,
        "music_assets": studio.project_assets(chapter.project, kind="audio"),
        "default_volume": VideoMusicInputSerializer().fields["volume"].default,
        "gaps": studio.language_gaps(chapter),
    }


def generate_input(post, chapter: Chapter) -> dict[str, Any]:
    data: dict[str, Any] = {"projectId": chapter.project_id, "chapterId": chapter.pk,
                            "resolution": post.get("resolution", ""), "languages": post.getlist("languages")}
    if post.get("aspect"):  # otherwise the API's default shape
        data["aspect"] = post.get("aspect")
    if post.get("music"):
        data["music"] = {"asset": post.get("music"), "volume": post.get("volume", "")}
    if post.get("missing"):
        data["missing"] = post.get("missing")
    return data


def _generate_page(request: HttpRequest, chapter: Chapter, form: ApiForm | None = None) -> HttpResponse:
    choices = generate_choices(chapter)
    values = form.values if form else {
        "languages": [code for code, _, narrated in choices["languages"] if narrated],
        "resolution": choices["default_resolution"], "aspect": choices["default_aspect"], "music": "",
        "volume": choices["default_volume"]}
    return render(request, "studio/generate.html", {
        "chapter": chapter, "project": chapter.project, "form": form, "values": values, **choices,
    }, status=form.status if form and form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def chapter_generate(request: HttpRequest, chapter_id: int) -> HttpResponse:
    chapter = selectors.chapter_get(user=request.user, chapter_id=chapter_id)
    if request.method == "GET":
        return _generate_page(request, chapter)
    values = {"languages": request.POST.getlist("languages"), "resolution": request.POST.get("resolution", ""),
              "aspect": request.POST.get("aspect", ""), "music": request.POST.get("music", ""),
              "volume": request.POST.get("volume", ""), "missing": request.POST.get("missing", "")}
    form = ApiForm(VideoGenerateInputSerializer, data=generate_input(request.POST, chapter), values=values)
    if not form.is_valid():
        return _generate_page(request, chapter, form)
    body = form.validated_data
    try:
        video = videos.video_request(
            owner=request.user, project=chapter.project, chapter=chapter,
            fmt=Format(aspect=body["aspect"], resolution=RESOLUTIONS[body["resolution"]]),
            languages=body.get("languages"), music=body.get("music"), missing=body["missing"],
        )
    except ApplicationError as exc:
        form.add_api_error(exc, field=_field_of(exc))
        return _generate_page(request, chapter, form)
    messages.success(request, "Video generation started. This page follows it live.")
    return redirect("job-detail-page", job_id=video.job_id)


def _field_of(exc: ApplicationError) -> str:
    if exc.code in ("invalid_languages", "unsupported_language", "incomplete_language"):
        return "languages"
    return "__all__"
