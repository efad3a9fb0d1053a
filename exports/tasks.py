"""django-q2 entry points of exports."""

from __future__ import annotations

from exports import services


def expire_exports() -> int:
    """Scheduled hourly (migration 0001): exports older than EXPORT_TTL_SECONDS go."""
    return services.exports_expire()


def expire_imports() -> int:
    """Scheduled hourly (migration 0002): uploaded zips whose import ended or waited too long go."""
    return services.imports_expire()
