"""drf-spectacular hooks."""

from __future__ import annotations


def drop_slash_aliases(endpoints: list, **kwargs) -> list:
    """Routes answer with and without a trailing slash; document each operation once."""
    paths = {path for path, *_ in endpoints}
    return [
        (path, regex, method, view)
        for path, regex, method, view in endpoints
        if not (path.endswith("/") and path.rstrip("/") in paths)
    ]
