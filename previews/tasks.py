"""django-q2 entry points of previews."""

from __future__ import annotations

from previews import services


def expire_previews() -> int:
    """Scheduled hourly (migration 0001): artifacts past PREVIEW_TTL and stale work dirs go."""
    return services.previews_expire()


def expire_videos() -> int:
    """Scheduled daily (migration 0003): superseded renders, unused cached pieces, cached objects
    nothing vouches for and the work folders of deleted dubs go."""
    from previews.dubs import services as dubs
    from previews.videos import services as videos

    return videos.videos_expire() + dubs.dubs_sweep()
