"""Who else holds on to blobs: a registry that higher layers (job outputs, exports) fill.

The asset store sits below those apps and must not import them; each registers a callable
that returns the ids of the blobs it still needs, and orphan cleanup spares them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

_providers: list[Callable[[], Iterable[int]]] = []


def register(provider: Callable[[], Iterable[int]]) -> Callable[[], Iterable[int]]:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def blob_ids_in_use() -> set[int]:
    ids: set[int] = set()
    for provider in _providers:
        ids.update(provider())
    return ids
