"""Share links: anyone with the link can watch a chapter's video until the link expires or is revoked.

A link follows the latest version: made from one video, it plays the newest finished video of that
video's chapter, shape and resolution (a fixed caption needs no new link); a dubbed recording's link
plays its own video. Lifetimes run from an hour to "until revoked". The share page's player counts
plays started and finished on the link's row (no third-party analytics).

The link is `/s/<token>/` where the token is the share's id signed with the secret key
(`django.core.signing`, its own salt). Everything the public page loads (playlists, segments,
subtitles, poster, the MP4 fallback) lives under that prefix, and every request looks the share
row up again: a tampered token, an expired, revoked or deleted share, or a video that is no longer
stored is a 404.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from django.core import signing
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from contentizer.errors import Conflict
from contentizer.jobs.models import JobStatus
from previews.models import Share, Video

logger = logging.getLogger(__name__)

SALT = "previews.share"
# one source for the choices the API and the studio offer: name -> (label, seconds)
LIFETIMES: dict[str, tuple[str, int | None]] = {
    "1h": ("1 hour", 3600), "1d": ("1 day", 86400), "7d": ("7 days", 7 * 86400), "30d": ("30 days", 30 * 86400),
    "never": ("until revoked", None)}
DEFAULT_LIFETIME = "1d"


class ShareNotFound(Http404):
    """Any reason a share link does not work; the page a person sees does not say which."""


def share_token(share: Share) -> str:
    return signing.Signer(salt=SALT).sign(share.id.hex)


def share_path(share: Share) -> str:
    return f"/s/{share_token(share)}/"


def share_create(*, video: Video, lifetime: str) -> Share:
    if not video.playable():
        raise Conflict("Only a finished video can be shared.", code="not_ready",
                       details={"status": video.job.status})
    seconds = LIFETIMES[lifetime][1]
    share = Share.objects.create(video=video, expires_at=timezone.now() + timedelta(seconds=seconds)
                                 if seconds is not None else None)
    logger.info("share created", extra={"event": "share.created", "shareId": str(share.id), "videoId": str(video.id)})
    return share


def share_revoke(*, share: Share) -> Share:
    if share.revoked_at is None:
        Share.objects.filter(pk=share.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        share.refresh_from_db()
        logger.info("share revoked", extra={"event": "share.revoked", "shareId": str(share.id)})
    return share


def share_active(share: Share, *, now=None) -> bool:
    return share.revoked_at is None and (share.expires_at is None or share.expires_at > (now or timezone.now()))


def active_shares(queryset):
    """Of `queryset` (Share rows), those that still work."""
    return queryset.filter(revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))


def share_playing(share: Share) -> Video | None:
    """What the link plays now: the newest finished, still stored video of the chapter in the shape and
    resolution it was made for (the video it was made for, for a dubbed recording); None when there is none."""
    made_for = share.video
    if made_for.chapter_id is None:  # watchable while it is made again after an edit (Video.playable)
        return made_for if made_for.playable() else None
    candidates = Video.objects.filter(chapter_id=made_for.chapter_id, aspect=made_for.aspect,
                                      height=made_for.height, superseded_at__isnull=True)
    return (candidates.filter(job__status=JobStatus.SUCCEEDED).exclude(mp4_key="").select_related("job", "chapter")
            .order_by("-finished_at").first())


def share_count_play(share: Share, event: str) -> None:
    """A play started or finished through the link: one conditional increment, safe across web processes."""
    field = {"started": "plays_started", "finished": "plays_finished"}[event]
    Share.objects.filter(pk=share.pk).update(**{field: F(field) + 1})


def share_resolve(token: str) -> Share:
    """The share a link names, if the link is genuine and still grants a video; `share.playing` is the
    video it plays now (`share_playing`)."""
    try:
        share_id = uuid.UUID(hex=signing.Signer(salt=SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        raise ShareNotFound("bad share token") from None
    share = Share.objects.select_related("video__job", "video__chapter").filter(pk=share_id).first()
    if share is None or not share_active(share):
        raise ShareNotFound("share gone, expired or revoked")
    share.playing = share_playing(share)
    if share.playing is None:
        raise ShareNotFound("video no longer available")
    return share
