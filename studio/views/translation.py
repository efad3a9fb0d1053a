"""Translate a chapter from the project's first language: the same input and service as
POST /api/chapters/{id}/translate."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from contentizer import selectors
from contentizer.errors import ApplicationError
from contentizer.languages import language_name
from previews.api.translation_views import ChapterTranslateInputSerializer
from previews.translation import jobs as translation
from studio.forms import ApiForm

logger = logging.getLogger(__name__)


@login_required
@require_POST
def chapter_translate(request: HttpRequest, chapter_id: int) -> HttpResponse:
    chapter = selectors.chapter_get(user=request.user, chapter_id=chapter_id)
    form = ApiForm(ChapterTranslateInputSerializer, data={"from": request.POST.get("from", ""),
                                                          "to": request.POST.get("to", "")})
    try:
        if not form.is_valid():
            raise ApplicationError("Choose two languages of the project.", code="invalid_languages")
        body = form.validated_data
        submitted = translation.chapter_translate_request(owner=request.user, chapter=chapter, source=body["from"],
                                                          target=body["to"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("chapter-page", chapter_id=chapter.pk)
    messages.success(request, f"Translating into {language_name(body['to'])}: only empty captions and narration are "
                              "filled, each marked machine-translated until you edit or approve it.")
    return redirect("job-detail-page", job_id=submitted.job.pk)
