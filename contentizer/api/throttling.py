"""Per-user throttles counted atomically in the shared cache.

DRF's throttles keep a list of timestamps: read it, append, write it back. Across processes that
shares the count but races: requests arriving together read the same list and all pass. These
count in fixed windows with one atomic step per request: Redis INCR, or (the database cache) a
read and write inside one transaction, which SQLite's `BEGIN IMMEDIATE` serialises.
"""

from __future__ import annotations

import logging
import time

from django.core.cache import cache
from django.db import transaction
from rest_framework import throttling

logger = logging.getLogger(__name__)


def _count(key: str, ttl: int) -> int:
    if hasattr(getattr(cache, "_cache", None), "get_client"):  # Redis
        cache.add(key, 0, ttl)
        return cache.incr(key)
    with transaction.atomic():
        count = (cache.get(key) or 0) + 1
        cache.set(key, count, ttl)
    return count


class _SharedCounting:
    def allow_request(self, request, view) -> bool:
        if self.rate is None or (key := self.get_cache_key(request, view)) is None:
            return True
        now = time.time()
        window = int(now // self.duration)
        self.wait_seconds = (window + 1) * self.duration - now
        return _count(f"{key}:{window}", int(self.duration) + 1) <= self.num_requests

    def wait(self) -> float:
        return self.wait_seconds


class UserRateThrottle(_SharedCounting, throttling.UserRateThrottle):
    pass


class ScopedRateThrottle(_SharedCounting, throttling.ScopedRateThrottle):
    def allow_request(self, request, view) -> bool:
        # DRF's scoped throttle learns its rate from the view; then count as above.
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)
