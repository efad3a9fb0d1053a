"""A project's narration on its page: the voice and speaking rate of each language, and the
pronunciation lexicon, through the voices API's serializers and previews.tts.services."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from contentizer import selectors
from contentizer.errors import ApplicationError
from contentizer.languages import language_name
from previews.api.voice_views import LexiconEntryCreateInputSerializer, ProjectVoiceInputSerializer
from previews.models import LexiconEntry
from previews.tts import services
from studio import selectors as studio
from studio.forms import ApiForm
from studio.views.projects import project_page_response

logger = logging.getLogger(__name__)


def _back(project_id: int, anchor: str) -> HttpResponse:
    return redirect(f"{reverse('project-page', args=[project_id])}#{anchor}")


def voice_input(post) -> dict:
    data = {"voice": post.get("voice", "")}
    if post.get("rate", "").strip():  # left empty: keep the rate
        data["rate"] = post["rate"].strip()
    return data


@login_required
@require_POST
def project_voice_save(request: HttpRequest, project_id: int, language: str) -> HttpResponse:
    project = selectors.project_get(user=request.user, project_id=project_id)
    if language not in studio.voice_languages(project):
        raise Http404("The project has no such language.")
    form = ApiForm(ProjectVoiceInputSerializer, data=voice_input(request.POST), values=request.POST)
    if form.is_valid():
        try:
            services.project_voice_set(project=project, language=language, voice=form.validated_data["voice"] or "",
                                       rate=form.validated_data.get("rate"))
        except ApplicationError as exc:  # unknown, unusable or another language's voice: the choice is the field
            form.add_api_error(exc, field="voice")
    if form.errors:
        return project_page_response(request, project, voice=(language, form), status=form.status)
    messages.success(request, f"Voice for {language_name(language)} saved.")
    return _back(project.pk, f"voice-{language}")


@login_required
@require_POST
def lexicon_add(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get(user=request.user, project_id=project_id)
    data = {name: request.POST.get(name, "").strip() for name in ("language", "written", "spoken")}
    form = ApiForm(LexiconEntryCreateInputSerializer, data=data, values=request.POST)
    if form.is_valid():
        try:
            services.lexicon_entry_create(project=project, **form.validated_data)
        except ApplicationError as exc:  # already in the lexicon (the written form), or the lexicon is full
            form.add_api_error(exc, field="written" if exc.code == "lexicon_entry_exists" else "__all__")
    if form.errors:
        return project_page_response(request, project, lexicon=form, status=form.status)
    messages.success(request, f"“{data['written']}” is now said “{data['spoken']}” in {data['language']}.")
    return _back(project.pk, "lexicon-heading")


@login_required
@require_POST
def lexicon_delete(request: HttpRequest, project_id: int, entry_id: int) -> HttpResponse:
    project = selectors.project_get(user=request.user, project_id=project_id)
    entry = get_object_or_404(LexiconEntry, pk=entry_id, project=project)
    written, language = entry.written, entry.language
    services.lexicon_entry_delete(entry=entry)
    messages.success(request, f"“{written}” ({language}) removed from the lexicon.")
    return _back(project.pk, "lexicon-heading")
