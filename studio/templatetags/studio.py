"""Template helpers of the studio pages."""

from __future__ import annotations

import logging
from typing import Any

from django import template

logger = logging.getLogger(__name__)
register = template.Library()


@register.filter
def get(mapping: Any, key: Any) -> Any:
    """`errors|get:"caption"`: a dict lookup with a key the template builds."""
    try:
        return mapping.get(key) if hasattr(mapping, "get") else None
    except TypeError:
        return None


@register.filter
def variant(video: Any) -> str:
    """A video's shape and resolution: "9:16 portrait · 720p"."""
    from previews.selectors import variant_name

    return variant_name(video)


@register.filter
def clock(seconds: float | None) -> str:
    """0:05, 1:02:03."""
    if seconds is None:
        return "—"
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.inclusion_tag("studio/_errors.html")
def field_errors(errors: dict[str, list[str]] | None, field: str, prefix: str = "") -> dict[str, Any]:
    """The messages of one field, with the id its control names in aria-describedby."""
    return {"problems": (errors or {}).get(field, []), "id": f"{prefix}{field.replace('.', '-')}-error"}
