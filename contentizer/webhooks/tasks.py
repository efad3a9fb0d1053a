"""django-q2 entry points of webhooks."""

from __future__ import annotations

from contentizer.webhooks import services


def expire() -> int:
    """Scheduled hourly (migration 0002): delivery logs older than WEBHOOK_LOG_TTL_SECONDS go."""
    return services.webhooks_expire()
