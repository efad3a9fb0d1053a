"""A project's brand on its page: one form, validated by the API's serializer and saved by the
same service as `PATCH /api/projects/{id}`."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from contentizer import brand, selectors, services
from contentizer.api.serializers import ProjectSerializer
from contentizer.models import Project
from studio.forms import ApiForm

logger = logging.getLogger(__name__)

CORNER_NAMES = {
    "top-left": "Top left",
    "top-right": "Top right",
    "bottom-left": "Bottom left",
    "bottom-right": "Bottom right",
}


# the form's labels for the API's field paths, as its summary names them
FIELD_LABELS = {
    "brand.caption.size": "Caption size", "brand.caption.position": "Caption position",
    "brand.caption.color": "Caption text colour", "brand.caption.background": "Caption box colour",
    "brand.caption.boxOpacity": "Caption box opacity", "brand.logo.asset": "Logo picture",
    "brand.logo.corner": "Logo corner", "brand.logo.size": "Logo size", "brand.colors.primary": "Card colour",
    "brand.colors.text": "Card text colour", **{f"brand.{card}.{key}": f"{card.capitalize()} {label}"
                                               for card in ("intro", "outro") for key, label in (
                                                   ("title", "title"), ("subtitle", "subtitle"),
                                                   ("seconds", "seconds"))},
}


def _number(raw: str) -> float | str:
    try:
        return float(raw)
    except ValueError:
        return raw  # the serializer names it: "must be a number from 0 to 1"


def brand_input(post) -> dict[str, Any]:
    """The form's fields (named `section_key`) as the API's `brand`: a whole brand, every section given.
    An empty card title means no card; no logo chosen, no logo."""

    def get(name: str) -> str:
        return post.get(name, "").strip()

    def card(name: str) -> dict[str, Any] | None:
        return (
            {
                "title": get(f"{name}_title"),
                "subtitle": get(f"{name}_subtitle"),
                "seconds": _number(get(f"{name}_seconds")),
            }
            if get(f"{name}_title")
            else None
        )

    logo = get("logo_asset")
    return {
        "caption": {
            "size": get("caption_size"),
            "position": get("caption_position"),
            "color": get("caption_color"),
            "background": get("caption_background"),
            "boxOpacity": _number(get("caption_boxOpacity")),
        },
        "colors": {"primary": get("colors_primary"), "text": get("colors_text")},
        "logo": {
            "asset": int(logo) if logo.isdigit() else logo,
            "corner": get("logo_corner"),
            "size": _number(get("logo_size")),
        }
        if logo
        else None,
        "intro": card("intro"),
        "outro": card("outro"),
    }


def brand_values(project: Project) -> dict[str, Any]:
    """The saved brand as the form's field values."""
    shown = brand.parse(project.brand).full_json()
    values = {f"{section}_{key}": value for section in ("caption", "colors") for key, value in shown[section].items()}
    logo = shown["logo"] or {"asset": "", "corner": "top-right", "size": brand.LOGO_SIZE}
    values.update({f"logo_{key}": value for key, value in logo.items()})
    for name in ("intro", "outro"):
        card = shown[name] or {"title": "", "subtitle": "", "seconds": brand.DEFAULT_CARD_SECONDS}
        values.update({f"{name}_{key}": value for key, value in card.items()})
    return values


def brand_context(project: Project, form: ApiForm | None) -> dict[str, Any]:
    errors = {
        key.removeprefix("brand.").replace(".", "_"): messages
        for key, messages in (form.errors if form else {}).items()
    }
    return {
        "brand_values": form.values if form else brand_values(project),
        "brand_errors": errors,
        "brand_form": form,
        "brand_cards": [("intro", "Intro"), ("outro", "Outro")],
        "caption_sizes": list(brand.CAPTION_SIZES),
        "corners": CORNER_NAMES.items(),
        "logo_choices": project.assets.filter(blob__kind="image").select_related("blob").order_by("id"),
    }


@login_required
@require_POST
def project_brand(request: HttpRequest, project_id: int) -> HttpResponse:
    from studio.views.projects import project_page_response

    project = selectors.project_get(user=request.user, project_id=project_id)
    form = ApiForm(
        ProjectSerializer,
        instance=project,
        data={"brand": brand_input(request.POST)},
        partial=True,
        values=request.POST,
        labels=FIELD_LABELS,
    )
    if not form.is_valid():
        return project_page_response(request, project, brand_form=form, status=form.status)
    services.object_update(obj=project, **form.validated_data)
    messages.success(request, "Brand saved. New previews and videos use it.")
    return redirect("project-page", project_id=project.pk)
