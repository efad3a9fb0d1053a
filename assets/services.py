"""Writes to the asset store: ingest, unlink, orphan cleanup."""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from PIL import Image

from assets import hashing, references, sniffing
from assets.inspection import Inspection, InvalidMedia, inspect, refine
from assets.models import Asset, Blob
from assets.uploads import clean_display_name, sweep_abandoned
from contentizer import storage
from contentizer.errors import (
    ApplicationError,
    Conflict,
    PayloadTooLarge,
    UnprocessableEntity,
    UnsupportedMediaType,
)
from contentizer.models import Project
from contentizer.storage import walk

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    asset: Asset
    deduplicated: bool


def asset_ingest(*, project: Project, upload: UploadedFile) -> IngestResult:
    """Store an upload once per distinct content and link it to the project.

    The upload is a temporary file already hashed by HashingUploadHandler. Whatever happens,
    the temporary file is gone when this returns, and a refused upload leaves no blob or row.
    """
    started = time.monotonic()
    try:
        name = clean_display_name(upload.name or "")
        if not upload.size:
            raise ApplicationError("The file is empty.", code="empty_file")
        sha256 = getattr(upload, "sha256", None) or hashing.sha256_stream(upload.open("rb"))[0]
        result = _ingest(project=project, upload=upload, sha256=sha256, name=name)
    finally:
        upload.close()
    logger.info(
        "asset ingested",
        extra={"event": "asset.ingested", "sha256": result.asset.blob.sha256,
               "deduplicated": result.deduplicated, "size": result.asset.blob.size,
               "duration": round(time.monotonic() - started, 3)},
    )
    return result


def _temporary_path(upload: UploadedFile) -> str:
    if hasattr(upload, "temporary_file_path"):
        return upload.temporary_file_path()
    raise ApplicationError("Uploads must be streamed to a temporary file.", code="upload_not_on_disk")


def _detect(upload: UploadedFile) -> sniffing.FileType:
    with open(_temporary_path(upload), "rb") as fh:
        filetype = refine(_temporary_path(upload), sniffing.sniff_file(fh))
    if not filetype.accepted:
        raise UnsupportedMediaType(
            f"Files of type {filetype.mime} are not accepted. Upload an image (png, jpeg, "
            "webp, gif), audio (wav, mp3, m4a, aac, ogg, flac, webm), video (mp4, webm, mov) or "
            "subtitles (srt, vtt).",
            details={"detected": filetype.mime},
        )
    limit = settings.ASSET_MAX_BYTES[filetype.kind]
    if upload.size > limit:
        raise PayloadTooLarge(
            f"{filetype.kind.capitalize()} files may be at most {limit} bytes; this one is "
            f"{upload.size}.",
            details={"kind": filetype.kind, "maxBytes": limit, "size": upload.size},
        )
    return filetype


def _inspect(upload: UploadedFile, filetype: sniffing.FileType) -> Inspection:
    try:
        return inspect(_temporary_path(upload), filetype)
    except InvalidMedia as exc:
        raise UnprocessableEntity(str(exc), details={"detected": filetype.mime, **exc.details}) from exc


def _ingest(*, project: Project, upload: UploadedFile, sha256: str, name: str) -> IngestResult:
    """Bytes stored already go through every step new bytes go through (detection, probing,
    the thumbnail, the store) and get the same checks and answers: a refusal, or an answer that
    came sooner, would tell one user that another has these bytes. Storing them again also
    repairs an object a disk cut short, or lost."""
    filetype = _detect(upload)
    inspection = _inspect(upload, filetype)
    known = Blob.objects.filter(sha256=sha256).first()
    key = known.storage_key if known else hashing.blob_key(sha256, filetype.ext)
    thumb_key = "" if inspection.preview is None else known.thumbnail_key if known else hashing.thumbnail_key(sha256)
    thumb_bytes = _thumbnail_webp(inspection.preview) if inspection.preview is not None else b""
    # Whatever lies at these keys without a Blob row was left by a crash and is not trusted:
    # the upload's bytes, whose hash names the key, replace it.
    written: list[str] = []
    try:
        written += _store_blob(key=key, upload=upload, sha256=sha256)
        if thumb_key:
            written += _store_bytes(thumb_key, thumb_bytes)
        with transaction.atomic():
            blob, _ = Blob.objects.get_or_create(
                sha256=sha256,
                defaults=dict(
                    kind=filetype.kind, mime=filetype.mime, ext=filetype.ext, size=upload.size,
                    width=inspection.width, height=inspection.height,
                    duration=inspection.duration, codecs=inspection.codecs,
                    storage_key=key, thumbnail_key=thumb_key,
                ),
            )
            # Only a duplicate of the caller's own uploads is reported as one: telling Bob
            # that Alice already has these bytes would leak it.
            mine = _owner_has(blob, project)
            asset = _link(project=project, blob=blob, name=name)
    except BaseException:
        # Only what no Blob row names: a concurrent upload of the same bytes may own it now.
        for stored in written:
            if not Blob.objects.filter(Q(storage_key=stored) | Q(thumbnail_key=stored)).exists():
                storage.remove(stored)
        raise
    return IngestResult(asset=asset, deduplicated=mine)


def _owner_has(blob: Blob, project: Project) -> bool:
    return Asset.objects.filter(blob=blob, project__owner_id=project.owner_id).exists()


def _store_blob(*, key: str, upload: UploadedFile, sha256: str) -> list[str]:
    upload.seek(0)
    try:
        storage.publish(key=key, content=upload, size=upload.size, sha256=sha256)
    except OSError as exc:
        logger.exception("storing an upload failed", extra={"event": "asset.store_failed", "sha256": sha256})
        raise storage.unavailable(exc, what="The file could not be stored") from exc
    return [key]


def _store_bytes(key: str, data: bytes) -> list[str]:
    try:
        storage.publish_bytes(key=key, data=data)
    except OSError as exc:
        logger.exception("storing a thumbnail failed", extra={"event": "asset.store_failed", "key": key})
        raise storage.unavailable(exc, what="The file could not be stored") from exc
    return [key]


def _thumbnail_webp(image: Image.Image) -> bytes:
    size = settings.ASSET_THUMBNAIL_SIZE
    thumb = image.copy()
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
    if thumb.mode not in ("RGB", "RGBA"):
        thumb = thumb.convert("RGBA" if "transparency" in thumb.info or thumb.mode in ("LA", "PA") else "RGB")
    out = io.BytesIO()
    thumb.save(out, format="WEBP", quality=80, method=4)
    return out.getvalue()


def _link(*, project: Project, blob: Blob, name: str) -> Asset:
    with transaction.atomic():
        Blob.objects.filter(pk=blob.pk).update(last_linked_at=timezone.now())
        try:
            with transaction.atomic():
                asset, _ = Asset.objects.get_or_create(
                    project=project, blob=blob, defaults={"original_name": name}
                )
        except IntegrityError:
            asset = Asset.objects.get(project=project, blob=blob)
    return asset


def asset_unlink(*, asset: Asset) -> None:
    """Remove a project's link; the blob stays for other links until orphan cleanup."""
    # a step's picture, or a step's narration recorded in the author's voice
    step_ids = sorted({*asset.steps.values_list("id", flat=True),
                       *asset.narration_recordings.values_list("step_id", flat=True)})
    if step_ids:
        raise Conflict(
            f"The asset is used by {len(step_ids)} step(s); change those steps first.",
            code="asset_in_use",
            details={"steps": step_ids},
        )
    asset.delete()


@dataclass(frozen=True)
class Orphan:
    key: str
    reason: str
    size: int | None = None


def orphans_cleanup(*, dry_run: bool, grace_seconds: int | None = None) -> list[Orphan]:
    """Delete blobs (and thumbnails) nothing references, untouched for the grace period.

    Three sources of orphans: Blob rows with no link, storage objects with no Blob row (a
    process died between storing and recording), and stale upload temporary files.
    """
    grace = settings.ASSET_ORPHAN_GRACE_SECONDS if grace_seconds is None else grace_seconds
    cutoff = timezone.now() - timedelta(seconds=grace)
    found = [
        *_orphan_blobs(cutoff=cutoff, dry_run=dry_run),
        *_stray_objects(cutoff=cutoff, dry_run=dry_run),
        *_stale_temporaries(cutoff=cutoff, dry_run=dry_run),
    ]
    logger.info(
        "orphan cleanup finished",
        extra={"event": "assets.orphans", "count": len(found), "dry_run": dry_run},
    )
    return found


def _unreferenced(cutoff) -> Q:
    return Q(assets__isnull=True, last_linked_at__lt=cutoff) & ~Q(pk__in=references.blob_ids_in_use())


def _orphan_blobs(*, cutoff, dry_run: bool) -> list[Orphan]:
    found = []
    for blob in Blob.objects.filter(_unreferenced(cutoff)).distinct():
        if not dry_run:
            # Conditional delete: a link made since the query above keeps the blob.
            deleted, _ = Blob.objects.filter(_unreferenced(cutoff), pk=blob.pk).delete()
            if not deleted:
                continue
            for key in filter(None, (blob.storage_key, blob.thumbnail_key)):
                storage.remove(key)
        found.append(Orphan(key=blob.storage_key, reason="no project links it", size=blob.size))
    return found


def _stray_objects(*, cutoff, dry_run: bool) -> list[Orphan]:
    found = []
    for prefix, field in (("assets", "storage_key"), ("thumbs", "thumbnail_key")):
        for key in walk(prefix):
            if Blob.objects.filter(**{field: key}).exists():
                continue
            if default_storage.get_modified_time(key) >= cutoff:
                continue
            if not dry_run:
                default_storage.delete(key)
            found.append(Orphan(key=key, reason="no blob record"))
    return found


def _stale_temporaries(*, cutoff, dry_run: bool) -> list[Orphan]:
    """Upload temporaries of dead requests (minutes, not the blob grace period), and storage
    temporaries of publishes whose writer died."""
    found = [Orphan(key=name, reason="abandoned upload temporary file")
             for name in sweep_abandoned(dry_run=dry_run)]
    older = timedelta(seconds=settings.STORAGE_INCOMING_GRACE_SECONDS)
    if not dry_run:
        found += [Orphan(key=key, reason="temporary object of an unfinished write")
                  for key in storage.incoming_sweep(older_than=older)]
    return found


def uploads_sweep() -> int:
    """Scheduled every few minutes (migration 0004) and run by each web process as uploads
    start: abandoned upload temporaries of this machine."""
    return len(sweep_abandoned())
