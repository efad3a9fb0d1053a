"""Publishing into the configured storage so that nothing half-written is ever trusted.

Every object the product publishes (asset blobs, thumbnails, caches, render pieces, final
videos, exports, previews) goes through `publish()`: the bytes are written completely under a
temporary key (`incoming/…`), their size checked, then moved into place (one rename on local
disk, a server-side copy on S3), checked again, and recorded in the StoredObject ledger with
their size and sha256. A disk that fills up mid-write leaves at most a temporary object, never
a cut file at the final key.

Readers never trust an existing object on its existence alone: `trusted()` compares its stored
size with what the database recorded (the ledger, or the caller's own record such as a Blob
row), and `fetch()` checks size and hash while copying. A wrong object is removed (repaired by
whoever publishes it next), never reused.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from contentizer.errors import StorageUnavailable

logger = logging.getLogger(__name__)

INCOMING = "incoming"  # temporary keys; swept by `incoming_sweep` when a writer died
CHUNK = 1024 * 1024


class IntegrityFailure(OSError):
    """A stored object does not hold what was written or recorded (cut, truncated, replaced)."""


@dataclass(frozen=True)
class Published:
    key: str
    size: int
    sha256: str


class _FinishedFile(File):
    """A complete local file. Exposing temporary_file_path() lets FileSystemStorage move it
    with one rename; S3 storages upload it and publish the object when complete."""

    def __init__(self, path: Path) -> None:
        super().__init__(open(path, "rb"), name=path.name)  # noqa: SIM115 - closed by publish
        self._path = str(path)

    def temporary_file_path(self) -> str:
        return self._path


def _ledger():
    from contentizer.models import StoredObject  # the storage module loads before the apps

    return StoredObject


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# --- storage refusing writes -------------------------------------------------------------------

READ_ONLY, FULL = "read_only", "full"
_FAULTS = {errno.EROFS: READ_ONLY, errno.ENOSPC: FULL, errno.EDQUOT: FULL}
FAULT_TEXT = {READ_ONLY: "the server's storage is read-only", FULL: "the server's disk is full"}


def fault_cause(exc: BaseException) -> str | None:
    """READ_ONLY or FULL when `exc`, or an error it was raised from, is storage refusing writes."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno in _FAULTS:
            return _FAULTS[seen.errno]
        seen = seen.__cause__ or seen.__context__
    return None


def fault_in_text(text: str) -> str | None:
    """The same, from what a program printed (FFmpeg says "Read-only file system")."""
    return next((cause for code, cause in _FAULTS.items() if os.strerror(code) in text), None)


def unavailable(exc: BaseException, *, what: str) -> StorageUnavailable:
    """The 503 for a write that storage refused: says why (read-only, full) without the path."""
    cause = fault_cause(exc)
    reason = FAULT_TEXT.get(cause, "the server's storage failed")
    return StorageUnavailable(f"{what}: {reason}. Nothing was kept; try again later.",
                              details={"cause": cause or "unavailable"})


# --- writing ----------------------------------------------------------------------------------

def publish(*, key: str, content: File, size: int, sha256: str = "", storage: Storage | None = None) -> Published:
    """Store `content` (exactly `size` bytes) under exactly `key`, replacing what was there.

    Raises OSError (IntegrityFailure when the bytes that arrived are not the bytes sent); then
    neither the temporary object nor anything at `key` from this call remains.
    """
    _ledger().objects.filter(key=key).delete()  # a crash from here on leaves an untrusted object
    _store(key=key, content=content, size=size, storage=storage or default_storage)
    _record(key=key, size=size, sha256=sha256)
    return Published(key=key, size=size, sha256=sha256)


def _store(*, key: str, content: File, size: int, storage: Storage) -> None:
    """The object's bytes at `key`, complete and checked (the ledger is the caller's)."""
    temporary = f"{INCOMING}/{uuid.uuid4().hex}-{key.rsplit('/', 1)[-1]}"
    try:
        saved = storage.save(temporary, content)
    except BaseException:
        _quietly_delete(storage, temporary)  # what a full disk let through
        raise
    try:
        _expect_size(storage, saved, size)
        _move(storage, saved, key)
    finally:
        _quietly_delete(storage, saved)  # gone already after a rename
    _expect_size(storage, key, size, remove=True)


def publish_file(*, key: str, path: Path, storage: Storage | None = None) -> int:
    """Publish a complete local file (the file is moved or uploaded); returns its size."""
    return publish_files([(key, path)], storage=storage)


def publish_files(files: Sequence[tuple[str, Path]], *, storage: Storage | None = None) -> int:
    """Publish complete local files (key, path), each moved or uploaded as `publish` stores an
    object, with the ledger written once for all: their old rows go first, the new ones together
    after the last object is in place, so a failure part-way leaves objects that are not trusted.
    Returns the bytes published."""
    storage = storage or default_storage
    ledger, rows = _ledger(), []
    ledger.objects.filter(key__in=[key for key, _ in files]).delete()  # a crash from here on: untrusted
    for key, path in files:
        size, digest = path.stat().st_size, sha256_file(path)
        content = _FinishedFile(path)
        try:
            _store(key=key, content=content, size=size, storage=storage)
        finally:
            content.close()
        rows.append(ledger(key=key, size=size, sha256=digest))
    with transaction.atomic():  # a concurrent publish of the same key: same content, the last row stands
        ledger.objects.bulk_create(rows, update_conflicts=True, unique_fields=["key"],
                                   update_fields=["size", "sha256", "published_at"])
    return sum(row.size for row in rows)


def publish_bytes(*, key: str, data: bytes, storage: Storage | None = None) -> int:
    publish(key=key, content=ContentFile(data), size=len(data), sha256=hashlib.sha256(data).hexdigest(),
            storage=storage)
    return len(data)


def _expect_size(storage: Storage, key: str, size: int, *, remove: bool = False) -> None:
    stored = storage.size(key)
    if stored != size:
        if remove:
            _quietly_delete(storage, key)
        raise IntegrityFailure(f"storage holds {stored} bytes of {key}; {size} were written")


def _move(storage: Storage, source: str, target: str) -> None:
    """Put the complete object `source` at `target` in one step readers cannot see half-done."""
    if isinstance(storage, FileSystemStorage):
        destination = storage.path(target)  # the storage module is the one place that may
        os.makedirs(os.path.dirname(destination), exist_ok=True)
        os.replace(storage.path(source), destination)
        return
    from storages.backends.s3 import S3Storage
    from storages.utils import clean_name

    if isinstance(storage, S3Storage):
        # A server-side copy: the object appears at `target` only once it is complete.
        bucket, name = storage.bucket_name, storage._normalize_name  # noqa: SLF001 - its key mapping
        storage.connection.meta.client.copy(
            {"Bucket": bucket, "Key": name(clean_name(source))}, bucket, name(clean_name(target)))
        return
    with storage.open(source, "rb") as fh:  # any other storage: a streamed copy, verified after
        if storage.exists(target):
            storage.delete(target)
        saved = storage.save(target, File(fh, name=target))
    if saved != target:
        _quietly_delete(storage, saved)
        raise IntegrityFailure(f"{target} was taken by a concurrent writer")


def _record(*, key: str, size: int, sha256: str) -> None:
    ledger = _ledger()
    try:
        with transaction.atomic():
            ledger.objects.update_or_create(key=key, defaults={"size": size, "sha256": sha256})
    except IntegrityError:  # a concurrent publish of the same key: same content, its row stands
        ledger.objects.filter(key=key).update(size=size, sha256=sha256)


def _quietly_delete(storage: Storage, key: str) -> None:
    try:
        storage.delete(key)
    except OSError:
        logger.exception("could not delete a stored object", extra={"event": "storage.delete_failed", "key": key})


# --- reading and trusting -----------------------------------------------------------------------

def record(key: str):
    return _ledger().objects.filter(key=key).first()


def trusted(key: str, *, size: int | None = None, storage: Storage | None = None) -> bool:
    """Whether `key` holds a complete object: its stored size equals `size` (or, without it,
    what the ledger recorded). Unknown objects are not trusted; wrong ones are removed."""
    storage = storage or default_storage
    if size is None:
        entry = record(key)
        if entry is None:
            return False
        size = entry.size
    try:
        stored = storage.size(key)
    except (FileNotFoundError, OSError):
        return False
    if stored != size:
        logger.warning("untrusted object removed", extra={
            "event": "storage.untrusted", "key": key, "size": stored, "expected": size})
        remove(key, storage=storage)
        return False
    return True


def fetch(key: str, target: Path, *, size: int | None = None, sha256: str | None = None,
          storage: Storage | None = None) -> Path:
    """Copy a stored object to a local file (FFmpeg reads local files; storage may be S3),
    checking its size and hash against `size`/`sha256` or the ledger's record on the way."""
    storage = storage or default_storage
    entry = record(key) if size is None and sha256 is None else None
    if entry is not None:
        size, sha256 = entry.size, entry.sha256 or None
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, copied = hashlib.sha256(), 0
    with storage.open(key, "rb") as src, open(target, "wb") as dst:
        while chunk := src.read(CHUNK):
            dst.write(chunk)
            digest.update(chunk)
            copied += len(chunk)
    if (size is not None and copied != size) or (sha256 and digest.hexdigest() != sha256):
        target.unlink(missing_ok=True)
        if entry is not None:  # a derived object: removing it makes the next run remake it
            remove(key, storage=storage)
        raise IntegrityFailure(f"{key} in storage is damaged ({copied} bytes, expected {size})")
    return target


def hash_stored(key: str, *, storage: Storage | None = None) -> tuple[str, int]:
    """sha256 and size of a stored object, read in chunks."""
    storage = storage or default_storage
    digest, size = hashlib.sha256(), 0
    with storage.open(key, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


# --- removing ---------------------------------------------------------------------------------

def remove(key: str, *, storage: Storage | None = None) -> None:
    (storage or default_storage).delete(key)
    _ledger().objects.filter(key=key).delete()


def walk(prefix: str, *, storage: Storage | None = None) -> Iterator[str]:
    """Every object key under `prefix`, at any depth."""
    storage = storage or default_storage
    try:
        dirs, files = storage.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{prefix}/{name}"
    for sub in dirs:
        yield from walk(f"{prefix}/{sub}", storage=storage)


def delete_tree(prefix: str, *, storage: Storage | None = None) -> int:
    """Every object under `prefix`, their ledger records and, on local disk, the folders
    themselves. Returns the number of objects removed."""
    storage = storage or default_storage
    keys = list(walk(prefix, storage=storage))
    for key in keys:
        storage.delete(key)
    _ledger().objects.filter(key__startswith=f"{prefix}/").delete()
    _remove_empty_folders(prefix, storage=storage)
    return len(keys)


def _remove_empty_folders(prefix: str, *, storage: Storage) -> None:
    """FileSystemStorage.delete() leaves a file's folder behind (S3 has no folders): the
    tree's folders go too, deepest first. One a concurrent writer filled again stays."""
    if not isinstance(storage, FileSystemStorage):
        return
    for folder, _, _ in os.walk(storage.path(prefix), topdown=False):
        try:
            os.rmdir(folder)
        except OSError:  # not empty (written meanwhile) or gone already
            continue


def forget_missing(prefix: str, *, present: set[str], recorded_before) -> int:
    """Ledger records under `prefix` of objects a listing (`present`, taken after
    `recorded_before`) did not find: their objects are gone. Returns how many were forgotten."""
    ledger = _ledger()
    gone = [key for key in ledger.objects.filter(key__startswith=f"{prefix}/", published_at__lt=recorded_before)
            .values_list("key", flat=True).iterator() if key not in present]
    for start in range(0, len(gone), 500):  # bounded IN lists
        ledger.objects.filter(key__in=gone[start:start + 500], published_at__lt=recorded_before).delete()
    return len(gone)


def incoming_sweep(*, older_than: timedelta, storage: Storage | None = None) -> list[str]:
    """Temporary objects of publishes whose writer died (a killed worker, a full disk)."""
    storage = storage or default_storage
    cutoff, removed = timezone.now() - older_than, []
    for key in list(walk(INCOMING, storage=storage)):
        try:
            if storage.get_modified_time(key) < cutoff:
                storage.delete(key)
                removed.append(key)
        except (FileNotFoundError, OSError):
            continue
    return removed
