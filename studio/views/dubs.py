"""Dubbing in the studio: dub a recording of the project into other languages, then read its transcript
beside the video, correct any segment (its source text or a translation) and continue from the stage
the corrections affect. The pages call the same services as /api/v1/dubs (previews.dubs)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from contentizer import selectors
from contentizer.errors import ApplicationError
from contentizer.languages import language_name, resolve_language, split_languages
from previews.dubs import selectors as dub_selectors
from previews.dubs import services as dubs
from studio import selectors as studio
from studio.views.videos import player

logger = logging.getLogger(__name__)

RECORDING_KINDS = ("video", "audio")


def _recordings(project):
    return studio.project_assets(project).filter(blob__kind__in=RECORDING_KINDS)


def dub_section(project) -> dict:
    """What the project page's "Dub a recording" section shows: its recordings, the languages to dub into
    (the project's, and any other a voice speaks, typed), and the project's dubs."""
    return {"recordings": list(_recordings(project).select_related("blob")),
            "dub_languages": [(code, language_name(code)) for code in project.languages],
            "dubs": list(dub_selectors.dub_list(user=project.owner, project=project.pk)[:20])}


@login_required
@require_POST
def dub_create(request: HttpRequest, project_id: int) -> HttpResponse:
    """The project page's "Dub a recording" form."""
    project = selectors.project_get(user=request.user, project_id=project_id)
    asset = _recordings(project).filter(pk=request.POST.get("asset") or 0).first()
    if asset is None:
        messages.error(request, "Choose a video or audio recording of this project to dub.")
        return redirect(f"/projects/{project.pk}/#dubs-heading")
    typed = split_languages(request.POST.get("other_targets", ""))
    unknown = [entry for entry in typed if resolve_language(entry) is None]
    if unknown:
        messages.error(request, f"“{unknown[0]}” is not a language name or code this server knows.")
        return redirect(f"/projects/{project.pk}/#dubs-heading")
    targets = request.POST.getlist("targets") + [resolve_language(entry) for entry in typed]
    targets = list(dict.fromkeys(t for t in targets if t))
    if not targets:
        messages.error(request, "Choose at least one language to dub the recording into.")
        return redirect(f"/projects/{project.pk}/#dubs-heading")
    try:
        dub = dubs.dub_request(owner=request.user, project=project, asset=asset,
                               source_language=request.POST.get("source", ""), target_languages=targets, voices={})
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(f"/projects/{project.pk}/#dubs-heading")
    messages.success(request, f"Dubbing “{dub.title}” into {', '.join(map(language_name, targets))}.")
    return redirect("dub-page", dub_id=dub.id)


@login_required
def dub_page(request: HttpRequest, dub_id) -> HttpResponse:
    dub = dub_selectors.dub_get(user=request.user, dub_id=dub_id)
    fields = dub_selectors.dub_fields(dub)
    video = dub.video if fields["videoId"] else None
    return render(request, "studio/dub.html", {
        "dub": dub, "fields": fields, "job": dub.job, "project": dub.project,
        "targets": [(lang, language_name(lang)) for lang in dub.target_languages],
        "source_name": language_name(dub.source_language) if dub.source_language else "",
        "segments": fields["segments"], "editable": dub.job.finished,
        "player": player(video, f"/api/videos/{video.id}/", hls="hls/", mp4="stream", poster="poster",
                         subtitles="subtitles/{lang}.vtt") if video else None,
        "video": video,
    })


def _edited(request: HttpRequest, dub) -> int:
    """Save each segment whose text the form changed; how many."""
    changed = 0
    for segment in dub.segments:
        index = segment["index"]
        text = request.POST.get(f"text-{index}")
        translations = {lang: request.POST[f"tr-{index}-{lang}"] for lang in dub.target_languages
                        if f"tr-{index}-{lang}" in request.POST
                        and request.POST[f"tr-{index}-{lang}"] != (segment.get("translations") or {})
                        .get(lang, {}).get("text", "")}
        if (text is not None and text != segment["text"]) or translations:
            dub = dubs.dub_segment_edit(dub=dub, index=index,
                                        text=text if text is not None and text != segment["text"] else None,
                                        translations=translations)
            changed += 1
    return changed


@login_required
@require_POST
def dub_save(request: HttpRequest, dub_id) -> HttpResponse:
    """Save the transcript's corrections; "Save and continue" also runs the dub again from the earliest
    stage they affect (a source text: translate; a translation: speak)."""
    dub = dub_selectors.dub_get(user=request.user, dub_id=dub_id)
    try:
        changed = _edited(request, dub)
        if request.POST.get("continue"):
            dub = dubs.dub_resume(dub=dub_selectors.dub_get(user=request.user, dub_id=dub_id))
            messages.success(request, f"{changed} segment{'s' if changed != 1 else ''} corrected; the dub continues "
                                      "from what they change.")
        else:
            messages.success(request, f"{changed} segment{'s' if changed != 1 else ''} corrected. "
                                      "Continue the dub to hear them.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("dub-page", dub_id=dub.id)
