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


def walk(prefix: str):
    """Every object key under `prefix`, at any depth."""
    try:
        dirs, files = default_storage.listdir(prefix)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in files:
        yield f"{prefix}/{name}"
    for sub in dirs:
        yield from walk(f"{prefix}/{sub}")


def delete_tree(prefix: str) -> int:
    keys = list(walk(prefix))
    for key in keys:
        default_storage.delete(key)
    return len(keys)


def fetch(key: str, target: Path) -> Path:
    """Copy a stored object to a local file (FFmpeg reads local files; storage may be S3)."""
    import shutil

    target.parent.mkdir(parents=True, exist_ok=True)
    with default_storage.open(key, "rb") as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, 1024 * 1024)
    return target
