"""Resumable uploads, tus 1.0 (core, creation, termination, expiration): the protocol's state.

A client creates an upload with its length and metadata (file name, project), then PATCHes
chunks at the offset the server confirms; a dropped connection or a reload asks HEAD for the
offset and goes on from there. Chunks stream from the request to
`FILE_UPLOAD_TEMP_DIR/tus/<uuid>` in 64 KiB pieces (constant memory whatever the size). When the
last byte arrives, the file goes through exactly `asset_ingest`, the same checks, limits and
dedup as `POST /api/projects/{id}/assets`; a refusal there deletes the upload, its file and its
row, and the final PATCH answers with that same error.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils import timezone

from assets.models import Upload
from assets.services import asset_ingest
from assets.uploads import clean_display_name, max_upload_bytes
from contentizer.errors import ApplicationError, Conflict, Gone, NotFound, PayloadTooLarge, TooBusy
from contentizer.models import Project

logger = logging.getLogger(__name__)

VERSION = "1.0.0"
EXTENSIONS = ("creation", "termination", "expiration")
CHUNK = 64 * 1024
LEASE_SECONDS = 30  # a writer renews its lease every few seconds; a dead one's runs out
_METADATA_KEY = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}")  # an HTTP token
MAX_METADATA_CHARS = 4096


def upload_dir() -> Path:
    return Path(settings.FILE_UPLOAD_TEMP_DIR) / "tus"


def upload_path(upload: Upload) -> Path:
    return upload_dir() / str(upload.id)


def parse_metadata(header: str) -> dict[str, str]:
    """`filename ZmlsZS5wbmc=,projectId Mw==` → {"filename": "file.png", "projectId": "3"}."""
    if len(header) > MAX_METADATA_CHARS:
        raise ApplicationError(f"Upload-Metadata may be at most {MAX_METADATA_CHARS} characters.",
                               code="invalid_metadata")
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in header.split(","))):
        key, _, value = item.partition(" ")
        if not _METADATA_KEY.fullmatch(key) or key in pairs:
            raise ApplicationError(f"Upload-Metadata has a bad or repeated key: {key[:64]!r}.", code="invalid_metadata")
        try:
            pairs[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8") if value.strip() else ""
        except (binascii.Error, UnicodeDecodeError):
            raise ApplicationError(f"Upload-Metadata: the value of {key!r} is not base64 of UTF-8 text.",
                           code="invalid_metadata") from None
    return pairs


def _too_many(active: int) -> TooBusy:
    return TooBusy(
        f"You have {active} unfinished uploads; finish or cancel some before starting another.",
        code="too_many_uploads", retry_after=60, details={"limit": settings.TUS_MAX_ACTIVE_UPLOADS},
    )


def upload_create(*, owner, project: Project, length: int, metadata: str, filename: str) -> Upload:
    if length <= 0:
        raise ApplicationError("The file is empty.", code="empty_file")
    if length > (limit := max_upload_bytes()):
        raise PayloadTooLarge(f"The upload is larger than the largest allowed asset ({limit} bytes).",
                              details={"maxBytes": limit, "length": length})
    now = timezone.now()
    active = Upload.objects.filter(owner=owner, asset__isnull=True, expires_at__gt=now).count()
    if active >= settings.TUS_MAX_ACTIVE_UPLOADS:
        raise _too_many(active)
    upload = Upload.objects.create(
        owner=owner, project=project, length=length, metadata=metadata, filename=clean_display_name(filename),
        expires_at=now + timedelta(seconds=settings.TUS_EXPIRY_SECONDS),
    )
    upload_dir().mkdir(parents=True, exist_ok=True)
    upload_path(upload).touch()
    logger.info("upload created", extra={"event": "tus.created", "uploadId": str(upload.id), "length": length})
    return upload


def check_alive(upload: Upload) -> None:
    if upload.asset_id is None and upload.expires_at <= timezone.now():
        raise Gone("This upload has expired; start it again.", code="upload_expired")


@dataclass(frozen=True)
class Appended:
    upload: Upload
    received: int


def upload_append(*, upload: Upload, offset: int, body: BinaryIO, content_length: int | None) -> Appended:
    """Write the request body at `offset`, which must be the upload's offset (else 409)."""
    check_alive(upload)
    if upload.finished:
        raise Conflict("This upload is already complete.", code="upload_complete",
                       details={"offset": upload.offset})
    if offset != upload.offset:
        raise Conflict(f"The upload is at byte {upload.offset}, not {offset}; ask for its offset (HEAD) and "
                       "send from there.", code="offset_mismatch",
                       details={"expected": upload.offset, "received": offset})
    remaining = upload.length - offset
    if content_length is not None and content_length > remaining:
        raise PayloadTooLarge(f"The chunk is {content_length} bytes, but only {remaining} remain of the upload.",
                              code="chunk_too_large", details={"remaining": remaining})
    _claim(upload, offset)
    try:
        received = _write(upload, offset, body, remaining)
    finally:
        Upload.objects.filter(pk=upload.pk).update(busy_until=None)
    now = timezone.now()
    if not Upload.objects.filter(pk=upload.pk, offset=offset).update(
            offset=offset + received, expires_at=now + timedelta(seconds=settings.TUS_EXPIRY_SECONDS)):
        upload_path(upload).unlink(missing_ok=True)  # terminated while the chunk arrived
        raise NotFound("This upload was cancelled.")
    upload.refresh_from_db()
    if upload.finished and upload.asset_id is None:
        _finish(upload)
    return Appended(upload=upload, received=received)


def _claim(upload: Upload, offset: int) -> None:
    now = timezone.now()
    free = Q(busy_until__isnull=True) | Q(busy_until__lt=now)
    if not Upload.objects.filter(free, pk=upload.pk, offset=offset).update(
            busy_until=now + timedelta(seconds=LEASE_SECONDS)):
        raise Conflict("Another request is writing to this upload right now; ask for its offset (HEAD) and "
                       "try again.", code="upload_busy")


def _write(upload: Upload, offset: int, body: BinaryIO, remaining: int) -> int:
    """Append what the request body holds, up to `remaining` bytes. A connection that drops
    midway keeps what arrived: that is the point of a resumable upload."""
    received, renewed = 0, time.monotonic()
    path = upload_path(upload)
    if (path.stat().st_size if path.exists() else -1) < offset:
        # The confirmed bytes are gone (a swept or lost disk, another web machine without a shared
        # upload directory): never pad with zeros. The client must start again.
        upload_terminate(upload=upload)
        raise Conflict("The part of this upload received so far is no longer on the server; start the upload "
                       "again.", code="upload_lost", details={"offset": offset})
    with open(path, "r+b") as fh:
        fh.truncate(offset)  # bytes past the recorded offset were never confirmed
        fh.seek(offset)
        while received < remaining:
            try:
                chunk = body.read(min(CHUNK, remaining - received))
            except OSError:  # the client went away (UnreadablePostError and gunicorn's errors are OSErrors)
                logger.info("upload interrupted", extra={"event": "tus.interrupted", "uploadId": str(upload.id)})
                break
            if not chunk:
                break
            fh.write(chunk)
            received += len(chunk)
            if time.monotonic() - renewed > LEASE_SECONDS / 6:
                renewed = time.monotonic()
                Upload.objects.filter(pk=upload.pk).update(
                    busy_until=timezone.now() + timedelta(seconds=LEASE_SECONDS))
        fh.flush()
        os.fsync(fh.fileno())
    return received


class _AssembledFile(UploadedFile):
    """The finished upload as Django's upload API sees it: a file on disk with a known size.
    Closing it removes it (unless storage already moved it into place), like a temporary upload."""

    def __init__(self, path: Path, *, name: str, size: int) -> None:
        super().__init__(open(path, "rb"), name=name, size=size)  # noqa: SIM115 - closed by asset_ingest
        self._path = path

    def temporary_file_path(self) -> str:
        return str(self._path)

    def close(self) -> None:
        try:
            self.file.close()
        finally:
            self._path.unlink(missing_ok=True)


def _finish(upload: Upload) -> None:
    """The last byte is in: ingest the file exactly as a direct upload is ingested."""
    path = upload_path(upload)
    try:
        result = asset_ingest(project=upload.project, upload=_AssembledFile(
            path, name=upload.filename, size=upload.length))
    except ApplicationError:
        upload_terminate(upload=upload)  # refused content leaves nothing: no file, no row
        raise
    except BaseException:
        path.unlink(missing_ok=True)
        Upload.objects.filter(pk=upload.pk).delete()
        raise
    Upload.objects.filter(pk=upload.pk).update(asset=result.asset, deduplicated=result.deduplicated)
    upload.asset, upload.deduplicated = result.asset, result.deduplicated
    logger.info("upload finished", extra={"event": "tus.finished", "uploadId": str(upload.id),
                                          "assetId": result.asset.pk})


def upload_terminate(*, upload: Upload) -> None:
    Upload.objects.filter(pk=upload.pk).delete()
    upload_path(upload).unlink(missing_ok=True)


def uploads_expire(*, now=None) -> int:
    """Remove uploads past their expiry, with their files, and files no upload row names (a
    process that died between creating the file and the row), untouched for a whole expiry
    period. An upload in flight renews its expiry with every chunk, so it is never swept."""
    now = now or timezone.now()
    removed = 0
    for upload in Upload.objects.filter(expires_at__lt=now):
        upload_terminate(upload=upload)
        removed += 1
    known = {str(pk) for pk in Upload.objects.values_list("id", flat=True)}
    cutoff = (now - timedelta(seconds=settings.TUS_EXPIRY_SECONDS)).timestamp()
    for entry in os.scandir(upload_dir()) if upload_dir().is_dir() else ():
        if entry.is_file() and entry.name not in known and entry.stat().st_mtime < cutoff:
            os.unlink(entry.path)
            removed += 1
    if removed:
        logger.info("uploads expired", extra={"event": "tus.expired", "count": removed})
    return removed
