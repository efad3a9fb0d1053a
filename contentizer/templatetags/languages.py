"""Language names in templates, from the one language module."""

from __future__ import annotations

import logging

from django import template

from contentizer.languages import language_name

logger = logging.getLogger(__name__)
register = template.Library()


@register.filter
def language(tag: str) -> str:
    """`"de"|language` → "German"."""
    return language_name(tag)


@register.filter
def languages(tags: list[str]) -> str:
    """`["en", "de"]|languages` → "English, German"."""
    return ", ".join(language_name(tag) for tag in tags or [])
