"""Storages that fail the way real disks and buckets do, for fault-injection tests."""

from __future__ import annotations

import errno

from django.core.files import File
from django.core.files.storage import FileSystemStorage


class _CutReader:
    """Reads like the file it wraps until `limit` bytes, then the disk is full."""

    def __init__(self, fh, limit: int) -> None:
        self.fh, self.left = fh, limit

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        chunk = self.fh.read(self.left if size < 0 else min(size, self.left))
        self.left -= len(chunk)
        return chunk


class FailingStorage(FileSystemStorage):
    """Local storage whose writes of names ending in one of `cut_after`'s suffixes stop with
    ENOSPC after that many bytes, leaving the partial file where the write went (what
    FileSystemStorage really does on a full disk); `read_only` makes every write and delete
    fail with EROFS, as a storage remounted read-only does."""

    cut_after: dict[str, int] = {}
    read_only = False
    cuts: list[str] = []

    def _save(self, name, content):
        if self.read_only:
            raise OSError(errno.EROFS, "Read-only file system")
        for suffix, limit in self.cut_after.items():
            if name.endswith(suffix):
                self.cuts.append(name)
                content.seek(0)
                # A plain File (no temporary_file_path) so the storage copies chunk by chunk.
                return super()._save(name, File(_CutReader(content, limit), name=name))
        return super()._save(name, content)

    def delete(self, name):
        if self.read_only:
            raise OSError(errno.EROFS, "Read-only file system")
        return super().delete(name)

    @classmethod
    def heal(cls) -> None:
        cls.cut_after, cls.read_only, cls.cuts = {}, False, []
