"""django-q2 entry points of the asset store: thin calls into services."""

from __future__ import annotations

import logging

from assets import services

logger = logging.getLogger(__name__)


def sweep_uploads() -> int:
    """Scheduled every five minutes (migration 0004): abandoned upload temporaries go."""
    return services.uploads_sweep()


def cleanup_orphans() -> int:
    """Scheduled hourly (see the 0002 migration); returns how many objects went."""
    return len(services.orphans_cleanup(dry_run=False))


def expire_uploads() -> int:
    """Scheduled every 15 minutes (migration 0005): unfinished resumable uploads past their expiry go."""
    from assets import tus

    return tus.uploads_expire()
