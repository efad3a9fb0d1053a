"""Each user's storage quota (VIDEO_QUOTA_BYTES): the bytes of what they keep, counted by the
apps that keep it (each registers a counter in its AppConfig.ready; this layer never imports
them), and checked before anything that would add to it starts: a video, a resumable upload."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings

from contentizer.errors import Forbidden

logger = logging.getLogger(__name__)

_counters: dict[str, Callable[[Any], int]] = {}


class QuotaExceeded(Forbidden):
    default_code = "quota_exceeded"


def register(name: str, counter: Callable[[Any], int]) -> None:
    """`counter(owner)` → the bytes of `name` (assets, videos...) the owner keeps."""
    _counters[name] = counter


def storage_usage(owner) -> int:
    return sum(counter(owner) for counter in _counters.values())


def quota_check(*, owner, adding: int = 0, what: str = "This needs") -> None:
    """Refuse (403 quota_exceeded) when the quota is used up, or would be by `adding` bytes more
    (`what` names them for the message)."""
    usage, quota = storage_usage(owner), settings.VIDEO_QUOTA_BYTES
    if usage >= quota:
        raise QuotaExceeded(
            f"Your storage quota of {quota} bytes is used up ({usage} bytes used); delete assets or videos first.",
            details={"quota": quota, "usage": usage},
        )
    if usage + adding > quota:
        raise QuotaExceeded(
            f"{what} {adding} bytes, but only {quota - usage} of your storage quota of {quota} bytes are "
            "left; delete assets or videos first.",
            details={"quota": quota, "usage": usage, "needed": adding},
        )
