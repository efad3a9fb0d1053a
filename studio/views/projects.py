"""Projects: the list (with create and import), a project's page, edit, delete, add a chapter."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from contentizer import selectors, services
from contentizer.api.serializers import ChapterSerializer, ProjectSerializer
from contentizer.languages import language_name, split_languages
from contentizer.models import Project
from previews.tts import selectors as tts_selectors
from studio import selectors as studio
from studio.forms import ApiForm
from studio.views.brand import brand_context
from studio.views.dubs import dub_section

logger = logging.getLogger(__name__)


def _languages(text: str) -> list[str]:
    """"en, de", "en de" or "German, Deutsch" → the entries in the order the author wrote them (the
    API turns names into codes)."""
    return split_languages(text)


def project_input(post) -> dict:
    data = {"title": post.get("title", ""), "description": post.get("description", "")}
    if "languages" in post:
        data["languages"] = _languages(post.get("languages", ""))
    return data


def home_response(request: HttpRequest, *, form: ApiForm | None = None, import_error: str = "",
                  status: int = 200) -> HttpResponse:
    return render(request, "studio/home.html", {
        "projects": selectors.project_list(user=request.user).prefetch_related("chapters"),
        "form": form, "values": form.values if form else {"languages": "en"}, "import_error": import_error,
    }, status=form.status if form and form.errors else status)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return home_response(request)


@login_required
@require_POST
def project_create(request: HttpRequest) -> HttpResponse:
    form = ApiForm(ProjectSerializer, data=project_input(request.POST), values=request.POST)
    if not form.is_valid():
        return home_response(request, form=form)
    project = services.project_create(owner=request.user, **form.validated_data)
    messages.success(request, f"Project “{project.title}” created. Add its first chapter below.")
    return redirect("project-page", project_id=project.pk)


def _voice_forms(project: Project, failed: tuple[str, ApiForm] | None) -> list[dict]:
    """Each language's voice form: the saved choice, or what the author posted where it was refused."""
    forms = []
    for row in studio.voice_rows(project):
        form = failed[1] if failed and failed[0] == row.language else None
        values = form.values if form else {"voice": row.choice, "rate": row.rate, "sample": row.sample}
        forms.append({"row": row, "errors": form.errors if form else {}, "form": form, "values": values})
    return forms


def project_page_response(request: HttpRequest, project: Project, *, edit: ApiForm | None = None,
                          chapter: ApiForm | None = None, export_errors: dict | None = None,
                          voice: tuple[str, ApiForm] | None = None, lexicon: ApiForm | None = None,
                          brand_form: ApiForm | None = None, status: int = 200) -> HttpResponse:
    voices = _voice_forms(project, voice)
    return render(request, "studio/project.html", {
        "project": project, "rows": studio.project_chapters(project),
        "languages": [(code, language_name(code)) for code in project.languages],
        "edit": edit, "edit_values": edit.values if edit else {
            "title": project.title, "description": project.description, "languages": ", ".join(project.languages)},
        "chapter_form": chapter, "chapter_values": chapter.values if chapter else {},
        "asset_count": project.assets.count(),
        "jobs": studio.active_jobs(project), "export_errors": export_errors,
        "voices": voices, "voices_lacking_neural": [item["row"].name for item in voices if item["row"].needs_neural],
        "lexicon": tts_selectors.lexicon_list(project=project).order_by("language", "written"),
        "lexicon_form": lexicon, **dub_section(project),  # its `recordings` serve "Make a chapter" too
        "lexicon_values": lexicon.values if lexicon else {"language": (project.languages or [""])[0]},
        **brand_context(project, brand_form),
    }, status=status)


@login_required
def project_page(request: HttpRequest, project_id: int) -> HttpResponse:
    return project_page_response(request, selectors.project_get(user=request.user, project_id=project_id))


@login_required
@require_POST
def project_edit(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get(user=request.user, project_id=project_id)
    form = ApiForm(ProjectSerializer, instance=project, data=project_input(request.POST), partial=True,
                   values=request.POST)
    if not form.is_valid():
        return project_page_response(request, project, edit=form, status=form.status)
    services.object_update(obj=project, **form.validated_data)
    messages.success(request, "Project saved.")
    return redirect("project-page", project_id=project.pk)


@login_required
@require_http_methods(["GET", "POST"])
def project_delete(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get(user=request.user, project_id=project_id)
    if request.method == "POST":
        title = project.title
        services.project_delete(project=project)
        messages.success(request, f"Project “{title}” deleted.")
        return redirect("home")
    return render(request, "studio/project_delete.html", {
        "project": project, "footprint": studio.project_footprint(project)})


@login_required
@require_POST
def chapter_create(request: HttpRequest, project_id: int) -> HttpResponse:
    project = selectors.project_get(user=request.user, project_id=project_id)
    form = ApiForm(ChapterSerializer, data={"title": request.POST.get("title", "")}, values=request.POST)
    if not form.is_valid():
        return project_page_response(request, project, chapter=form, status=form.status)
    chapter = services.chapter_create(project=project, **form.validated_data)
    messages.success(request, f"Chapter “{chapter.title}” added. Write its steps here.")
    return redirect("chapter-page", chapter_id=chapter.pk)
