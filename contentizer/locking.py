"""Short locks every web process and machine honours, on the shared cache (Redis or the
database cache): a check-then-act on per-user state (count, then create) holds one."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Iterator

from django.core.cache import cache

logger = logging.getLogger(__name__)


class Busy(Exception):
    """The lock stayed taken for longer than the caller would wait."""


@contextlib.contextmanager
def held(name: str, *, wait: float = 5.0, expire: int = 30) -> Iterator[None]:
    """Hold `name` for the block. `add` is atomic on every shared backend; `expire` frees a
    lock whose holder died. Raises Busy after `wait` seconds."""
    key, token, deadline = f"lock:{name}", uuid.uuid4().hex, time.monotonic() + wait
    while not cache.add(key, token, timeout=expire):
        if time.monotonic() > deadline:
            raise Busy(name)
        time.sleep(0.02)
    try:
        yield
    finally:
        if cache.get(key) == token:
            cache.delete(key)
