"""Streaming uploads: the body goes to a temporary file in chunks, hashed on the way.

No upload is ever held in memory, whatever its size: Django hands each chunk to
HashingUploadHandler, which writes it to disk and feeds it to sha256 in the same pass. A
body over the largest per-kind limit is refused from its Content-Length before a byte is
read, or as soon as the bytes received pass the limit.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
import unicodedata
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; the sweep then goes by age alone
    fcntl = None

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError, TooManyFilesSent
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, MultiPartParser

from contentizer import storage
from contentizer.errors import ApplicationError, PayloadTooLarge, StorageUnavailable

logger = logging.getLogger(__name__)

# Headroom for multipart boundaries and part headers around the one file.
MULTIPART_OVERHEAD = 64 * 1024
MAX_NAME_LENGTH = 255


def max_upload_bytes() -> int:
    return max(settings.ASSET_MAX_BYTES.values())


def _too_large(limit: int, received: int | None = None, what: str = "the largest allowed asset") -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The upload is larger than {what} ({limit} bytes).",
        details={"maxBytes": limit, **({"received": received} if received else {})},
    )


class HashingUploadHandler(TemporaryFileUploadHandler):
    """TemporaryFileUploadHandler that also computes sha256 and enforces the size limit.

    Its temporary file carries an exclusive advisory lock for as long as the request holds it
    open (through checks and storing), so the sweep can tell an upload in flight, however
    slow, from one whose web worker died: the kernel drops the lock with the process.
    """

    limit_name = "the largest allowed asset"
    max_files = 1  # file parts a request may carry; a view that takes more installs a subclass

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.files_started = 0

    def max_bytes(self) -> int:
        """The largest file this handler takes; a route with other limits subclasses it."""
        return max_upload_bytes()

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        sweep_now_and_then()
        if content_length and content_length > self.max_bytes() + MULTIPART_OVERHEAD:
            raise _too_large(self.max_bytes(), what=self.limit_name)
        return None

    def new_file(self, *args, **kwargs) -> None:
        self.files_started += 1
        if self.files_started > self.max_files:  # as Django's own cap does, before a byte of it is read
            raise TooManyFilesSent(f"The number of files exceeded {self.max_files}.")
        try:
            super().new_file(*args, **kwargs)
        except OSError as exc:  # the upload directory is read-only or full
            raise _refused(exc) from exc
        if fcntl is not None:
            fcntl.flock(self.file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.sha256 = hashlib.sha256()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > self.max_bytes():
            self.discard()
            raise _too_large(self.max_bytes(), self.received, self.limit_name)
        self.sha256.update(raw_data)
        try:
            self.file.write(raw_data)
        except OSError as exc:
            self.discard()
            raise _refused(exc) from exc

    def file_complete(self, file_size: int) -> TemporaryUploadedFile:
        try:
            file = super().file_complete(file_size)  # flushes what the file still buffers
        except OSError as exc:
            self.discard()
            raise _refused(exc) from exc
        file.sha256 = self.sha256.hexdigest()
        return file

    def discard(self) -> None:
        """Close (and so delete) the temporary file; a disk that just failed may fail this too."""
        try:
            self.file.close()  # a NamedTemporaryFile: closing it deletes it
        except OSError:
            logger.warning("an upload temporary could not be removed; the sweep will",
                           exc_info=True, extra={"event": "uploads.discard_failed"})


def _refused(exc: OSError) -> StorageUnavailable:
    logger.error("writing an upload temporary failed", exc_info=exc, extra={"event": "uploads.write_failed"})
    return storage.unavailable(exc, what="The upload could not be written")


# --- abandoned temporaries ------------------------------------------------------------------------

_last_sweep = 0.0
_sweep_lock = threading.Lock()


def sweep_now_and_then() -> None:
    """Called as each upload starts: at most once a minute per process, the web machine's own
    temporary files of dead requests go (workers may run on other machines)."""
    global _last_sweep
    now = time.monotonic()
    if now - _last_sweep < settings.UPLOAD_SWEEP_SECONDS or not _sweep_lock.acquire(blocking=False):
        return
    try:
        _last_sweep = now
        sweep_abandoned()
    except OSError:
        logger.exception("sweeping upload temporaries failed", extra={"event": "uploads.sweep_failed"})
    finally:
        _sweep_lock.release()


def sweep_abandoned(*, grace_seconds: float | None = None, dry_run: bool = False) -> list[str]:
    """Delete upload temporaries nobody holds: untouched for `grace_seconds`
    (UPLOAD_TEMP_GRACE_SECONDS) and not locked by a live request. Only plain files directly in
    FILE_UPLOAD_TEMP_DIR: folders there (resumable uploads' `tus/`) keep their own expiry."""
    grace = settings.UPLOAD_TEMP_GRACE_SECONDS if grace_seconds is None else grace_seconds
    root, cutoff, removed = Path(settings.FILE_UPLOAD_TEMP_DIR), time.time() - grace, []
    entries = list(os.scandir(root)) if root.is_dir() else []
    for entry in entries:
        if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < cutoff and _abandoned(entry.path):
            if not dry_run:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
            removed.append(entry.name)
    if removed:
        logger.info("upload temporaries swept", extra={"event": "uploads.swept", "count": len(removed)})
    return removed


def _abandoned(path: str) -> bool:
    if fcntl is None:
        return True
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a request still holds it
    finally:
        os.close(fd)
    return True


class _SafeNameParser(DjangoMultiPartParser):
    """Django drops path parts from file names silently; we refuse them instead."""

    def sanitize_file_name(self, file_name: str) -> str | None:
        if any(ch in file_name for ch in ("/", "\\", "\x00")):
            raise ApplicationError(
                "The file name may not contain path separators or NUL bytes.",
                code="unsafe_file_name",
            )
        return clean_display_name(file_name)


class AssetUploadParser(MultiPartParser):
    """DRF's MultiPartParser, with the name check above."""

    def parse(self, stream, media_type=None, parser_context=None) -> DataAndFiles:
        request = parser_context["request"]
        meta = request.META.copy()
        meta["CONTENT_TYPE"] = media_type
        try:
            parser = _SafeNameParser(meta, stream, request.upload_handlers, "utf-8")
            data, files = parser.parse()
        except MultiPartParserError as exc:
            raise ParseError(f"Multipart form parse error: {exc}") from exc
        return DataAndFiles(data, files)


def clean_display_name(name: str) -> str:
    """A name fit for display: no control or bidi characters, at most 255 characters.

    It is only ever shown, never used as a path: storage keys come from the content hash.
    """
    name = unicodedata.normalize("NFC", name)
    name = "".join(" " if ch.isspace() else ch for ch in name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co"))
    name = " ".join(name.split()).strip(". ")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        keep = ext if dot and len(ext) <= 10 else ""
        name = name[: MAX_NAME_LENGTH - len(keep) - 1].rstrip() + ("." + keep if keep else "")
    return name or "upload"
