"""Resumable uploads, tus 1.0 (core, creation, termination, expiration, checksum): the protocol's state.

A client creates an upload with its length and metadata (file name, project), then PATCHes
chunks at the offset the server confirms; a dropped connection or a reload asks HEAD for the
offset and goes on from there. Chunks stream from the request to
`FILE_UPLOAD_TEMP_DIR/tus/<uuid>` in 64 KiB pieces (constant memory whatever the size), and the
offset moves only past bytes flushed to disk. When the last byte arrives, the file goes through
exactly `asset_ingest`, the same checks, limits and dedup as `POST /api/projects/{id}/assets`; a
refusal there deletes the upload, its file and its row, and the final PATCH answers with that
same error. A finish cut short (a web worker killed, storage unavailable) keeps the whole file:
the next HEAD or PATCH finishes it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
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
from django.db.models import Q, Sum
from django.utils import timezone

from assets.models import Upload
from assets.services import asset_ingest
from assets.uploads import clean_display_name, max_upload_bytes
from contentizer import storage
from contentizer.errors import (
    ApplicationError,
    ChecksumMismatch,
    Conflict,
    Gone,
    Locked,
    NotFound,
    PayloadTooLarge,
    StorageUnavailable,
    TooBusy,
)
from contentizer.models import Project
from contentizer.quota import quota_check

logger = logging.getLogger(__name__)

VERSION = "1.0.0"
EXTENSIONS = ("creation", "termination", "expiration", "checksum")
CHECKSUM_ALGORITHMS = ("sha1", "sha256", "sha512")
CHUNK = 64 * 1024
LEASE_SECONDS = 30  # a writer renews its lease every few seconds; a dead one's runs out
# Turning the file into an asset (hash, probe, thumbnail, store) holds the upload this long at
# most; a finish whose web worker died is taken up by the next HEAD or PATCH after it.
FINISH_LEASE_SECONDS = 120
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


@dataclass(frozen=True)
class Checksum:
    algorithm: str
    digest: bytes


def parse_checksum(header: str) -> Checksum:
    """`sha1 Kq5sNclPz7QV2+lfQIuc6R7oRu0=` (tus checksum extension) → the algorithm and digest."""
    algorithm, _, encoded = header.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise ApplicationError(f"Upload-Checksum: {algorithm[:32]!r} is not a supported algorithm; use one of "
                               f"{', '.join(CHECKSUM_ALGORITHMS)}.", code="unsupported_checksum_algorithm",
                               details={"supported": list(CHECKSUM_ALGORITHMS)})
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        digest = b""
    if len(digest) != hashlib.new(algorithm).digest_size:
        raise ApplicationError(f"Upload-Checksum must be '{algorithm} <base64 of the chunk's {algorithm} digest>'.",
                               code="invalid_header", details={"header": "Upload-Checksum"})
    return Checksum(algorithm=algorithm, digest=digest)


def upload_create(*, owner, project: Project, length: int, metadata: str, filename: str) -> Upload:
    if length <= 0:
        raise ApplicationError("The file is empty.", code="empty_file")
    if length > (limit := max_upload_bytes()):
        raise PayloadTooLarge(f"The upload is larger than the largest allowed asset ({limit} bytes).",
                              details={"maxBytes": limit, "length": length})
    now = timezone.now()
    unfinished = Upload.objects.filter(owner=owner, asset__isnull=True, expires_at__gt=now)
    if (active := unfinished.count()) >= settings.TUS_MAX_ACTIVE_UPLOADS:
        raise _too_many(active)
    # What unfinished uploads will store is as good as used: twenty of them cannot pass the quota
    quota_check(owner=owner, adding=length + (unfinished.aggregate(n=Sum("length"))["n"] or 0),
                what="This upload, with your other unfinished ones, needs")
    upload = Upload.objects.create(
        owner=owner, project=project, length=length, metadata=metadata, filename=clean_display_name(filename),
        expires_at=now + timedelta(seconds=settings.TUS_EXPIRY_SECONDS),
    )
    try:
        upload_dir().mkdir(parents=True, exist_ok=True)
        upload_path(upload).touch()
    except OSError as exc:
        Upload.objects.filter(pk=upload.pk).delete()
        raise _unavailable(exc, "The upload could not be started", upload) from exc
    logger.info("upload created", extra={"event": "tus.created", "uploadId": str(upload.id), "length": length})
    return upload


def _unavailable(exc: OSError, what: str, upload: Upload) -> StorageUnavailable:
    logger.error("writing an upload failed", exc_info=exc, extra={"event": "tus.write_failed",
                                                                   "uploadId": str(upload.id)})
    return storage.unavailable(exc, what=what)


def check_alive(upload: Upload) -> None:
    if upload.asset_id is None and upload.expires_at <= timezone.now():
        raise Gone("This upload has expired; start it again.", code="upload_expired")


def upload_state(*, upload: Upload) -> Upload:
    """What HEAD answers. An upload whose bytes are all in but that is no asset yet (the request
    that sent its last byte died while finishing it) is finished now, so the client that asks
    where to go on learns its asset."""
    check_alive(upload)
    if upload.finished and upload.asset_id is None:
        _finish(upload)
    return upload


@dataclass(frozen=True)
class Appended:
    upload: Upload
    received: int


def upload_append(*, upload: Upload, offset: int, body: BinaryIO, content_length: int | None,
                  checksum: Checksum | None = None) -> Appended:
    """Write the request body at `offset`, which must be the upload's offset (else 409). With
    `checksum`, a chunk whose bytes do not match it is discarded (460) and the offset stays."""
    check_alive(upload)
    if upload.asset_id is not None:
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
    received = _append(upload, offset, body, remaining, content_length, checksum) if remaining else 0
    upload.refresh_from_db()
    if upload.finished and upload.asset_id is None:
        _finish(upload)
    return Appended(upload=upload, received=received)


def _append(upload: Upload, offset: int, body: BinaryIO, remaining: int, declared: int | None,
            checksum: Checksum | None) -> int:
    _claim(upload, offset)
    try:
        received = _write(upload, offset, body, remaining if declared is None else declared, declared is not None,
                          checksum)
    finally:
        Upload.objects.filter(pk=upload.pk).update(busy_until=None)
    now = timezone.now()
    if not Upload.objects.filter(pk=upload.pk, offset=offset).update(
            offset=offset + received, expires_at=now + timedelta(seconds=settings.TUS_EXPIRY_SECONDS)):
        _remove_file(upload)  # terminated while the chunk arrived
        raise NotFound("This upload was cancelled.")
    return received


def _lease(upload: Upload, *, offset: int, seconds: int = LEASE_SECONDS) -> bool:
    now = timezone.now()
    free = Q(busy_until__isnull=True) | Q(busy_until__lt=now)
    return bool(Upload.objects.filter(free, pk=upload.pk, offset=offset, asset__isnull=True).update(
        busy_until=now + timedelta(seconds=seconds)))


def _claim(upload: Upload, offset: int) -> None:
    if not _lease(upload, offset=offset):
        raise Conflict("Another request is writing to this upload right now; ask for its offset (HEAD) and "
                       "try again.", code="upload_busy")


def _write(upload: Upload, offset: int, body: BinaryIO, size: int, declared: bool, checksum: Checksum | None) -> int:
    """Append what the request body holds, up to `size` bytes (all of it when `declared`: its
    Content-Length), and return how many were written durably. A connection that drops midway
    keeps what arrived (that is the point of a resumable upload), unless a checksum was sent for
    the whole chunk: a part cannot be verified, so it is discarded. A disk that refuses the bytes
    is a 503, and the offset stays where it was."""
    path = upload_path(upload)
    if (path.stat().st_size if path.exists() else -1) < offset:
        # The confirmed bytes are gone (a swept or lost disk, another web machine without a shared
        # upload directory): never pad with zeros. The client must start again.
        upload_terminate(upload=upload)
        raise Conflict("The part of this upload received so far is no longer on the server; start the upload "
                       "again.", code="upload_lost", details={"offset": offset})
    digest = hashlib.new(checksum.algorithm) if checksum else None
    try:
        with open(path, "r+b") as fh:
            fh.truncate(offset)  # bytes past the recorded offset were never confirmed
            fh.seek(offset)
            received, aborted = _copy(upload, body, fh, size, declared, digest)
            rejected = digest is not None and (aborted or digest.digest() != checksum.digest)
            if rejected:
                fh.truncate(offset)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        _cut(path, offset)
        raise _unavailable(exc, "The chunk could not be written", upload) from exc
    if rejected and not aborted:
        raise ChecksumMismatch(f"The chunk's {checksum.algorithm} is not the one sent in Upload-Checksum; it was "
                               "discarded: send it again.", details={"algorithm": checksum.algorithm,
                                                                      "offset": offset})
    return 0 if rejected else received


def _copy(upload: Upload, body: BinaryIO, fh: BinaryIO, size: int, declared: bool, digest) -> tuple[int, bool]:
    """Copy up to `size` bytes of the body; returns (bytes copied, whether the client went away)."""
    received, renewed, gone = 0, time.monotonic(), False
    while received < size:
        chunk = _read(body, min(CHUNK, size - received))
        if not chunk:
            gone = chunk is None or declared
            break
        fh.write(chunk)
        if digest is not None:
            digest.update(chunk)
        received += len(chunk)
        if time.monotonic() - renewed > LEASE_SECONDS / 6:
            renewed = time.monotonic()
            Upload.objects.filter(pk=upload.pk).update(busy_until=timezone.now() + timedelta(seconds=LEASE_SECONDS))
    if gone:
        logger.info("upload chunk cut short: the client went away", extra={
            "event": "tus.client_aborted", "uploadId": str(upload.id), "received": received,
            **({"expected": size} if declared else {})})
    return received, gone


def _read(body: BinaryIO, size: int) -> bytes | None:
    """The next bytes of the body, b"" at its end, None once the client went away. Under WSGI a
    dropped connection is an OSError (UnreadablePostError, gunicorn's errors); under the ASGI
    server Django closes the spooled body when the client disconnects while the view still reads
    it, and reading a closed file is a ValueError."""
    try:
        return body.read(size)
    except (OSError, ValueError):
        return None


def _cut(path: Path, offset: int) -> None:
    """Back to the confirmed bytes after a failed write (a disk that just failed may refuse this
    too; the next chunk cuts the file back before it writes)."""
    try:
        with open(path, "r+b") as fh:
            fh.truncate(offset)
    except OSError:
        logger.warning("an upload's unconfirmed bytes could not be cut off", exc_info=True,
                       extra={"event": "tus.cut_failed"})


class _AssembledFile(UploadedFile):
    """The finished upload as Django's upload API sees it: a file on disk with a known size.
    Closing it leaves the file: `_finish` decides whether it goes (an asset now, or refused) or
    stays for the next attempt to finish it."""

    def __init__(self, path: Path, *, name: str, size: int) -> None:
        super().__init__(open(path, "rb"), name=name, size=size)  # noqa: SIM115 - closed by asset_ingest
        self._path = path

    def temporary_file_path(self) -> str:
        return str(self._path)

    def close(self) -> None:
        self.file.close()


def _finish(upload: Upload) -> None:
    """The last byte is in: ingest the file exactly as a direct upload is ingested. One request
    at a time does it (a lease); one that fails without refusing the content (storage
    unavailable, a crash, a killed worker) leaves the whole file and the row for the next HEAD or
    PATCH to finish."""
    if not _lease(upload, offset=upload.length, seconds=FINISH_LEASE_SECONDS):
        raise Locked("The upload is complete and is being stored as an asset right now; ask again in a moment.",
                     code="upload_finishing")
    path = upload_path(upload)
    if not _whole(path, upload.length):
        upload_terminate(upload=upload)
        raise Conflict("This upload's file is no longer on the server; start the upload again.", code="upload_lost",
                       details={"offset": upload.offset})
    try:
        result = asset_ingest(project=upload.project, upload=_AssembledFile(
            path, name=upload.filename, size=upload.length))
    except BaseException as exc:
        if isinstance(exc, ApplicationError) and not isinstance(exc, StorageUnavailable):
            upload_terminate(upload=upload)  # refused content leaves nothing: no file, no row
        elif _whole(path, upload.length):
            Upload.objects.filter(pk=upload.pk).update(busy_until=None)  # kept for the next attempt
        else:
            upload_terminate(upload=upload)  # its bytes went with the failed store: start again
        raise
    Upload.objects.filter(pk=upload.pk).update(asset=result.asset, deduplicated=result.deduplicated, busy_until=None)
    upload.asset, upload.deduplicated = result.asset, result.deduplicated
    _remove_file(upload)  # moved into storage already, unless it was a duplicate or storage copied it
    logger.info("upload finished", extra={"event": "tus.finished", "uploadId": str(upload.id),
                                          "assetId": result.asset.pk})


def _whole(path: Path, length: int) -> bool:
    try:
        return path.stat().st_size == length
    except OSError:
        return False


def _remove_file(upload: Upload) -> None:
    try:
        upload_path(upload).unlink(missing_ok=True)
    except OSError:  # a read-only disk: the expiry sweep removes files no upload names
        logger.warning("an upload's file could not be removed", exc_info=True, extra={"event": "tus.remove_failed"})


def upload_terminate(*, upload: Upload) -> None:
    Upload.objects.filter(pk=upload.pk).delete()
    _remove_file(upload)


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
