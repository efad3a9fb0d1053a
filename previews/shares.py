"""Share links: anyone with the link can watch one video until it expires or is revoked.

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
from django.http import Http404
from django.utils import timezone

from contentizer.errors import Conflict
from contentizer.jobs.models import JobStatus
from previews.models import Share, Video

logger = logging.getLogger(__name__)

SALT = "previews.share"
# one source for the choices the API and the studio offer: name -> (label, seconds)
LIFETIMES: dict[str, tuple[str, int]] = {"1h": ("1 hour", 3600), "1d": ("1 day", 86400), "7d": ("7 days", 7 * 86400)}
DEFAULT_LIFETIME = "1d"


class ShareNotFound(Http404):
    """Any reason a share link does not work; the page a person sees does not say which."""


def share_token(share: Share) -> str:
    return signing.Signer(salt=SALT).sign(share.id.hex)


def share_path(share: Share) -> str:
    return f"/s/{share_token(share)}/"


def share_create(*, video: Video, lifetime: str) -> Share:
    if video.job.status != JobStatus.SUCCEEDED or not video.mp4_key:
        raise Conflict("Only a finished video can be shared.", code="not_ready",
                       details={"status": video.job.status})
    share = Share.objects.create(video=video, expires_at=timezone.now() + timedelta(seconds=LIFETIMES[lifetime][1]))
    logger.info("share created", extra={"event": "share.created", "shareId": str(share.id), "videoId": str(video.id)})
    return share


def share_revoke(*, share: Share) -> Share:
    if share.revoked_at is None:
        Share.objects.filter(pk=share.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        share.refresh_from_db()
        logger.info("share revoked", extra={"event": "share.revoked", "shareId": str(share.id)})
    return share


def share_active(share: Share, *, now=None) -> bool:
    return share.revoked_at is None and share.expires_at > (now or timezone.now())


def share_resolve(token: str) -> Share:
    """The share a link names, if the link is genuine and the share still grants its video."""
    try:
        share_id = uuid.UUID(hex=signing.Signer(salt=SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        raise ShareNotFound("bad share token") from None
    share = Share.objects.select_related("video__job", "video__chapter").filter(pk=share_id).first()
    if share is None or not share_active(share):
        raise ShareNotFound("share gone, expired or revoked")
    video = share.video
    if video.job.status != JobStatus.SUCCEEDED or not video.mp4_key:
        raise ShareNotFound("video no longer available")
    return share
