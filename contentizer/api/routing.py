"""URL helpers for the API."""

from __future__ import annotations

from django.urls import URLPattern, path


def route(pattern: str, view, name: str) -> list[URLPattern]:
    """The route with and without a trailing slash (clients send both); named once."""
    bare = pattern.rstrip("/")
    return [path(bare, view, name=name), path(bare + "/", view)]
