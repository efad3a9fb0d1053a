"""The chapter page's translate buttons: which project languages a model translates the first one into."""

from __future__ import annotations

import logging
from typing import Any

from django import template

from contentizer.languages import language_name
from previews.translation import jobs as translation

logger = logging.getLogger(__name__)

register = template.Library()


@register.inclusion_tag("studio/_translate.html")
def translate_buttons(chapter, csrf_token) -> dict[str, Any]:
    targets = [{**target, "from_name": language_name(target["from"]), "to_name": language_name(target["to"])}
               for target in translation.translation_targets(chapter.project)]
    return {"chapter": chapter, "targets": targets, "csrf_token": csrf_token}
