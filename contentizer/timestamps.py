"""Timestamps on the wire: RFC 3339 in UTC ending in `Z`, as DRF's DateTimeField writes them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

logger = logging.getLogger(__name__)


def rfc3339(moment: datetime) -> str:
    """`2026-11-29T17:00:00.123456Z`; the same form every API response and webhook event uses."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
