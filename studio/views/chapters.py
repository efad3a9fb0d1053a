"""The chapter editor: rename and delete a chapter; add, save, delete and reorder its steps.

Every step form is validated by the API's StepSerializer and saved by the same services as the
API; a file chosen in a step's card goes through the same ingest as an API upload.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from assets.services import asset_ingest
from contentizer import effects, selectors, services, transitions
from contentizer.api.serializers import ChapterSerializer, StepSerializer
from contentizer.errors import ApplicationError
from contentizer.languages import language_name
from contentizer.models import DEFAULT_STEP_SECONDS, Chapter, Step
from studio import selectors as studio
from studio.forms import ApiForm
from studio.uploads import accepts_file

logger = logging.getLogger(__name__)

NEW = "new"
PICTURE_KINDS = ("image", "video", "audio")  # what a step can show or play; subtitles cannot


def editor_languages(chapter: Chapter, steps: list[Step]) -> list[str]:
    """The project's languages in order, then any other language a step is narrated in (kept,
    never dropped by a save)."""
    order = list(chapter.project.languages)
    extra = sorted({lang for step in steps for lang in [*step.narration, *(step.caption or {})]} - set(order))
    return order + extra


def _texts(post, field: str, languages: list[str], kept: dict[str, str]) -> dict[str, str]:
    """A card's per-language boxes (`caption-de`, `narration-de`); languages the card does not show
    keep their text, and an emptied box removes its language."""
    texts = {lang: text for lang, text in (kept or {}).items() if lang not in languages}
    texts.update({lang: post[f"{field}-{lang}"] for lang in languages if post.get(f"{field}-{lang}", "").strip()})
    return texts


def step_input(post, languages: list[str], step: Step | None) -> dict[str, Any]:
    """The API's step input from a card's fields."""
    data = {
        "narration": _texts(post, "narration", languages, step.narration if step else {}),
        "caption": _texts(post, "caption", languages, step.caption if step else {}),
        "duration": post.get("duration", ""), "transition": post.get("transition", ""),
        "transitionDuration": post.get("transitionDuration", ""), "asset": post.get("asset") or None,
    }
    if "caption" in post and f"caption-{languages[0]}" not in post:
        data["caption"] = post["caption"]  # one caption box (a page loaded before captions had languages)
    if EFFECTS_FORM in post:  # a card with the effects fields (a form without them leaves effects alone)
        data["effects"] = effects_input(post)
    if approve := post.get("approve", ""):  # "caption:de"
        field, _, lang = approve.partition(":")
        data["approve"] = {field: [lang]}
    return data


EFFECTS_FORM = "effects-form"
FOCUS_FIELDS = {key: f"effects-focus-{key}" for key in effects.REGION_KEYS}
CLICK_FIELDS = {key: f"effects-click-{key}" for key in effects.POINT_KEYS}


def _number(text: str) -> float | str:
    """A typed number as a number; anything else as typed, for the API's rules to name."""
    try:
        return float(text.strip())
    except ValueError:
        return text


def _given(post, fields: dict[str, str]) -> dict[str, float | str] | None:
    """The typed values of a region's or a point's boxes; None when they are all empty (a box left
    empty among filled ones is left out, so the API names it as missing)."""
    typed = {key: post.get(name, "").strip() for key, name in fields.items()}
    return {key: _number(text) for key, text in typed.items() if text} or None


def blur_regions(text: str) -> list[dict[str, float | str]]:
    """The blur box: regions separated by ";", each four numbers "x y w h"."""
    regions = []
    for chunk in filter(str.strip, text.split(";")):
        parts = chunk.replace(",", " ").split()
        regions.append({key: _number(part) for key, part in zip(effects.REGION_KEYS, parts, strict=False)})
    return regions


def effects_input(post) -> dict[str, Any]:
    """The API's `effects` from a card's effects fields (the numeric boxes a script may fill by
    drawing on the picture)."""
    data: dict[str, Any] = {}
    if focus := _given(post, FOCUS_FIELDS):
        data["focus"] = focus
    for flag in ("highlight", "zoom"):
        if post.get(f"effects-{flag}"):
            data[flag] = True
    if regions := blur_regions(post.get("effects-blur", "")):
        data["blur"] = regions
    if click := _given(post, CLICK_FIELDS):
        data["click"] = click
    return data


def _figure(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _effects_values(source: Step | Any) -> dict[str, Any]:
    """What the effects boxes show: the step's, or what the author typed in a refused save."""
    if not isinstance(source, Step):
        return {"focus": {key: source.get(name, "") for key, name in FOCUS_FIELDS.items()},
                "highlight": bool(source.get("effects-highlight")), "zoom": bool(source.get("effects-zoom")),
                "blur": source.get("effects-blur", ""),
                "click": {key: source.get(name, "") for key, name in CLICK_FIELDS.items()}}
    fx = source.effects or {}
    return {"focus": {key: _figure(v) for key, v in (fx.get("focus") or {}).items()},
            "highlight": fx.get("highlight", False), "zoom": fx.get("zoom", False),
            "blur": "; ".join(" ".join(_figure(r[key]) for key in effects.REGION_KEYS) for r in fx.get("blur", [])),
            "click": {key: _figure(v) for key, v in (fx.get("click") or {}).items()}}


def _values(source: Step | Any, languages: list[str]) -> dict[str, Any]:
    if isinstance(source, Step):
        return {"caption": {lang: source.caption_in(lang) for lang in languages},
                "narration": {lang: source.narration.get(lang, "") for lang in languages},
                "duration": source.duration, "transition": source.transition,
                "transitionDuration": source.transition_duration, "asset": source.asset_id or "",
                "effects": _effects_values(source)}
    captions = {lang: source.get(f"caption-{lang}", "") for lang in languages}
    if "caption" in source and f"caption-{languages[0]}" not in source:
        captions[languages[0]] = source["caption"]  # one caption box (see step_input)
    return {"caption": captions,
            "narration": {lang: source.get(f"narration-{lang}", "") for lang in languages},
            "duration": source.get("duration", ""), "transition": source.get("transition", ""),
            "transitionDuration": source.get("transitionDuration", ""), "asset": _int(source.get("asset")),
            "effects": _effects_values(source)}


def _int(value: Any) -> int | str:
    return int(value) if str(value or "").isdigit() else ""


def chapter_page_response(request: HttpRequest, chapter: Chapter, *, forms: dict | None = None,
                          rename: ApiForm | None = None, status: int = 200) -> HttpResponse:
    forms = forms or {}
    steps = list(selectors.step_list(chapter=chapter))
    languages = editor_languages(chapter, steps)
    new_step = Step(duration=DEFAULT_STEP_SECONDS, transition=transitions.DEFAULT,
                    transition_duration=transitions.DEFAULT_SECONDS)
    cards = [_card(step, i, languages, forms.get(step.pk), last=i == len(steps) - 1) for i, step in enumerate(steps)]
    lengths = studio.step_lengths(chapter, steps)
    for card in cards:
        card["lengths"] = [(language_name(lang), seconds) for lang, seconds in lengths.get(card["step"].pk, [])]
    return render(request, "studio/chapter.html", {
        "chapter": chapter, "project": chapter.project, "cards": cards,
        "new_card": _card(new_step, len(steps), languages, forms.get(NEW), new=True, chapter=chapter),
        "languages": [(code, language_name(code)) for code in languages],
        "text_kinds": [("caption", "Caption"), ("narration", "Narration")],
        "effect_region_labels": [("x", "left"), ("y", "top"), ("w", "width"), ("h", "height")],
        "gaps": studio.language_gaps(chapter),
        "assets": studio.project_assets(chapter.project).filter(blob__kind__in=PICTURE_KINDS),
        "transitions": transitions.choices(), "rename": rename,
        "title_value": rename.values.get("title", "") if rename else chapter.title,
        "preview": studio.latest_preview(chapter), "order": ",".join(str(s.pk) for s in steps),
        "tus": studio.tus_config(chapter.project),
        **studio.chapter_video_state(chapter), "links": studio.chapter_links(chapter),
    }, status=status)


def _card(step: Step, index: int, languages: list[str], form: ApiForm | None, *, new: bool = False,
          chapter: Chapter | None = None, last: bool = False) -> dict[str, Any]:
    action = reverse("step-create", args=[chapter.pk]) if new else reverse("step-save", args=[step.pk])
    return {"step": step, "number": index + 1, "new": new, "action": action, "last": last,
            "prefix": "new-" if new else f"s{step.pk}-",
            "values": form.values if form else _values(step, languages),
            "errors": form.errors if form else {}, "form": form,
            # what the card shows: a box the author just filled in a refused save is not marked
            "gaps": {} if new else selectors.text_gaps(form.values if form else _values(step, languages), languages),
            "machine": {} if new else (step.machine_translated or {}),
            "recordings": {} if new else {r.language: r for r in step.recordings.all()},
            "picture": _picture(step),
            "effects_errors": [(name.removeprefix("effects").lstrip(".") or "effects", message)
                               for name, messages in (form.errors if form else {}).items()
                               if name.startswith("effects") for message in messages]}


def _picture(step: Step) -> int | None:
    """The asset whose thumbnail the author draws effects on: the step's picture, if it has one."""
    blob = step.asset.blob if step.asset_id else None
    return step.asset_id if blob and blob.kind in ("image", "video") and blob.thumbnail_key else None


@login_required
def chapter_page(request: HttpRequest, chapter_id: int) -> HttpResponse:
    return chapter_page_response(request, selectors.chapter_get(user=request.user, chapter_id=chapter_id))


@login_required
@require_POST
def chapter_edit(request: HttpRequest, chapter_id: int) -> HttpResponse:
    chapter = selectors.chapter_get(user=request.user, chapter_id=chapter_id)
    form = ApiForm(ChapterSerializer, instance=chapter, data={"title": request.POST.get("title", "")},
                   partial=True, values=request.POST)
    if not form.is_valid():
        return chapter_page_response(request, chapter, rename=form, status=form.status)
    services.object_update(obj=chapter, **form.validated_data)
    messages.success(request, "Chapter renamed.")
    return redirect("chapter-page", chapter_id=chapter.pk)


@login_required
@require_http_methods(["GET", "POST"])
def chapter_delete(request: HttpRequest, chapter_id: int) -> HttpResponse:
    chapter = selectors.chapter_get(user=request.user, chapter_id=chapter_id)
    if request.method == "POST":
        services.chapter_delete(chapter=chapter)
        messages.success(request, f"Chapter “{chapter.title}” deleted.")
        return redirect("project-page", project_id=chapter.project_id)
    return render(request, "studio/chapter_delete.html", {
        "chapter": chapter, "footprint": studio.chapter_footprint(chapter)})


def _save_step(request: HttpRequest, chapter: Chapter, step: Step | None) -> HttpResponse:
    steps = list(selectors.step_list(chapter=chapter))
    languages = editor_languages(chapter, steps)
    data = step_input(request.POST, languages, step)
    values = _values(request.POST, languages)
    upload_error = None
    if upload := request.FILES.get("upload"):
        try:
            data["asset"] = values["asset"] = asset_ingest(project=chapter.project, upload=upload).asset.pk
        except ApplicationError as exc:
            upload_error = exc
    form = ApiForm(StepSerializer, instance=step, data=data, partial=step is not None,
                   context={"project": chapter.project}, values=values)
    valid = form.is_valid()
    if upload_error is not None:
        form.add_api_error(upload_error, field="upload")
    autosave = _autosave(request) and step is not None
    if not valid or upload_error is not None:
        if autosave:  # the editor's script shows why, in the card, and keeps the text the author typed
            return JsonResponse({"saved": False, "errors": form.errors}, status=form.status)
        return chapter_page_response(request, chapter, forms={step.pk if step else NEW: form}, status=form.status)
    if autosave:
        step = services.step_update(step=step, **form.validated_data)
        return JsonResponse({"saved": True, "step": step.pk, "updatedAt": step.updated_at.isoformat()})
    if step is None:
        step = services.step_create(chapter=chapter, **{k: v for k, v in form.validated_data.items()
                                                        if k != "approve"})
        messages.success(request, f"Step {step.position + 1} added.")
    else:
        services.step_update(step=step, **form.validated_data)
        messages.success(request, f"Step {step.position + 1} saved.")
    return redirect(reverse("chapter-page", args=[chapter.pk]) + f"#step-{step.pk}")


def _autosave(request: HttpRequest) -> bool:
    """A save the editor's script made as the author typed (static/js/autosave.js): it wants JSON back."""
    return request.headers.get("X-Autosave") == "1"


@login_required
@require_POST
def step_insert(request: HttpRequest, step_id: int) -> HttpResponse:
    """An empty step right after this one, ready to be written."""
    step = selectors.step_get(user=request.user, step_id=step_id)
    new = services.step_create(chapter=step.chapter, after=step)
    messages.success(request, f"Step {new.position + 1} added after step {step.position + 1}.")
    return redirect(reverse("chapter-page", args=[step.chapter_id]) + f"#step-{new.pk}")


@login_required
@require_POST
def step_duplicate(request: HttpRequest, step_id: int) -> HttpResponse:
    step = selectors.step_get(user=request.user, step_id=step_id)
    copy = services.step_duplicate(step=step)
    messages.success(request, f"Step {step.position + 1} duplicated: the copy is step {copy.position + 1}.")
    return redirect(reverse("chapter-page", args=[step.chapter_id]) + f"#step-{copy.pk}")


@login_required
@accepts_file
@require_POST
def step_create(request: HttpRequest, chapter_id: int) -> HttpResponse:
    return _save_step(request, selectors.chapter_get(user=request.user, chapter_id=chapter_id), None)


@login_required
@accepts_file
@require_POST
def step_save(request: HttpRequest, step_id: int) -> HttpResponse:
    step = selectors.step_get(user=request.user, step_id=step_id)
    return _save_step(request, step.chapter, step)


@login_required
@require_POST
def step_delete(request: HttpRequest, step_id: int) -> HttpResponse:
    step = selectors.step_get(user=request.user, step_id=step_id)
    services.step_delete(step=step)
    messages.success(request, f"Step {step.position + 1} deleted.")
    return redirect("chapter-page", chapter_id=step.chapter_id)


@login_required
@require_POST
def step_move(request: HttpRequest, step_id: int) -> HttpResponse:
    step = selectors.step_get(user=request.user, step_id=step_id)
    order = list(selectors.step_list(chapter=step.chapter).values_list("id", flat=True))
    index = order.index(step.pk)
    target = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= target < len(order):
        order[index], order[target] = order[target], order[index]
        services.reorder(siblings=selectors.step_list(chapter=step.chapter), order=order)
        messages.success(request, f"Step moved to position {target + 1}.")
    return redirect(reverse("chapter-page", args=[step.chapter_id]) + f"#step-{step.pk}")


@login_required
@require_POST
def steps_reorder(request: HttpRequest, chapter_id: int) -> HttpResponse:
    """The order a drag and drop left, as the API's reorder takes it."""
    chapter = selectors.chapter_get(user=request.user, chapter_id=chapter_id)
    try:
        order = [int(pk) for pk in request.POST.get("order", "").split(",") if pk.strip()]
        services.reorder(siblings=selectors.step_list(chapter=chapter), order=order)
        messages.success(request, "Steps reordered.")
    except ValueError:
        messages.error(request, "The new order could not be read; nothing was changed.")
    except ApplicationError as exc:
        messages.error(request, f"{exc.message} Nothing was changed; reload the page and try again.")
    return redirect("chapter-page", chapter_id=chapter.pk)
