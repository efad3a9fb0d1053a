"""Publishing local files into the configured storage without half-written objects."""

from __future__ import annotations

import logging
from pathlib import Path

from django.core.files import File
from django.core.files.storage import default_storage

logger = logging.getLogger(__name__)


class _FinishedFile(File):
    """A complete local file. Exposing temporary_file_path() lets FileSystemStorage move it
    into place with one rename; S3 storages upload it and publish the object when complete."""

    def __init__(self, path: Path) -> None:
        super().__init__(open(path, "rb"), name=path.name)  # noqa: SIM115 - closed by publish_file
        self._path = str(path)

    def temporary_file_path(self) -> str:
        return self._path


def publish_file(*, key: str, path: Path) -> int:
    """Store `path` under exactly `key`, replacing what was there; returns the size."""
    size = path.stat().st_size
    if default_storage.exists(key):
        default_storage.delete(key)
    content = _FinishedFile(path)
    try:
        saved = default_storage.save(key, content)
    finally:
        content.close()
    if saved != key:  # a concurrent writer took the name: ours is a duplicate
        default_storage.delete(saved)
    return size


def delete_prefix(prefix: str) -> int:
    """Delete every object under `prefix/` (one level of files); returns how many went."""
    try:
        _, files = default_storage.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    for name in files:
        default_storage.delete(f"{prefix}/{name}")
    return len(files)
