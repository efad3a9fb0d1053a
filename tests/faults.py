"""Storages that fail the way real disks and buckets do, for fault-injection tests."""

from __future__ import annotations

import builtins
import errno
import io
import os
import time

from django.core.files import File, temp
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


# --- a disk that turns read-only or fills up, at the level of the operating system ---------------

_WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


class _FaultyFile:
    """A file on the faulty disk: each write waits `fault.delay` seconds (a slow disk), and with
    ENOSPC writes past the `fault.room` bytes left fail."""

    def __init__(self, fh, fault: DiskFault) -> None:
        self._fh, self._fault = fh, fault

    def write(self, data) -> int:
        time.sleep(self._fault.delay)
        if self._fault.code == errno.ENOSPC:
            if len(data) > self._fault.room:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self._fault.room -= len(data)
        return self._fh.write(data)

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __iter__(self):
        return iter(self._fh)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._fh.close()


class DiskFault:
    """Everything under `root` is on a disk that fails as real ones do, seen through Python's
    own calls (open, os.open, mkdir, remove, rename, upload temporaries; subprocesses are not
    affected): with EROFS every write, create, delete and rename fails; with ENOSPC files can
    be created and removed but only `room` more bytes fit; with `delay` (and no code) each write
    of a file opened by name takes that long, as on a slow disk.

    With `after` (a path under `root`) the disk is healthy until the first write there; from
    then on it fails in every process that installed the same fault (a marker file beside
    `root` says so), e.g. storage turning read-only mid-render.
    """

    def __init__(self, root: str | os.PathLike, *, code: int = errno.EROFS, room: int = 0, after: str = "",
                 delay: float = 0.0) -> None:
        self.root = os.path.realpath(root)
        self.code, self.room, self.delay = code, room, delay
        self.trigger = os.path.join(self.root, after) if after else ""
        self.marker = f"{self.root}.{errno.errorcode.get(code, 'slow')}"
        self.saved: dict[tuple[object, str], object] = {}

    @classmethod
    def from_spec(cls, root: str | os.PathLike, spec: str) -> DiskFault:
        """`EROFS:media` (read-only from the first write under media/), `ENOSPC`, `SLOW:0.005`
        (every write waits 5 ms)."""
        name, _, arg = spec.partition(":")
        if name == "SLOW":
            return cls(root, code=0, delay=float(arg))
        return cls(root, code=getattr(errno, name), after=arg)

    # -- state

    def active(self) -> bool:
        return not self.trigger or os.path.exists(self.marker)

    def _under(self, path, dir_fd=None) -> bool:
        if isinstance(path, int):
            return False
        path = os.fsdecode(path)
        if dir_fd is not None and not os.path.isabs(path):
            path = os.path.join(os.readlink(f"/proc/self/fd/{dir_fd}"), path)
        path = os.path.abspath(path)
        return path == self.root or path.startswith(self.root + os.sep)

    def _failing(self, path, dir_fd=None) -> bool:
        """Whether a write to `path` meets the fault (and trips it, at its trigger)."""
        if not self._under(path, dir_fd):
            return False
        if self.trigger and not self.active():
            where = os.path.abspath(os.fsdecode(path))
            if where != self.trigger and not where.startswith(self.trigger + os.sep):
                return False
            os.close(self.saved[(os, "open")](self.marker, os.O_CREAT | os.O_WRONLY, 0o644))
        return True

    def _refuse(self, path) -> OSError:
        return OSError(self.code, os.strerror(self.code), os.fsdecode(path))

    # -- the patched calls

    @property
    def _refusing(self) -> bool:
        """Whether even creating, removing and renaming fail (a read-only disk)."""
        return self.code not in (0, errno.ENOSPC)

    def _open(self, file, mode="r", *args, **kwargs):
        real = self.saved[(builtins, "open")]
        if any(flag in mode for flag in "wax+") and self._failing(file):
            if self._refusing:
                raise self._refuse(file)
            return _FaultyFile(real(file, mode, *args, **kwargs), self)
        return real(file, mode, *args, **kwargs)

    def _os_open(self, path, flags, mode=0o777, *, dir_fd=None):
        if flags & _WRITES and self._refusing and self._failing(path, dir_fd):
            raise self._refuse(path)
        return self.saved[(os, "open")](path, flags, mode, dir_fd=dir_fd)

    def _changing(self, name: str):
        def call(path, *args, **kwargs):
            if self._refusing and self._failing(path, kwargs.get("dir_fd") or kwargs.get("src_dir_fd")):
                raise self._refuse(path)
            return self.saved[(os, name)](path, *args, **kwargs)

        return call

    def _temporary(self, *args, **kwargs):
        made = self.saved[(temp, "NamedTemporaryFile")](*args, **kwargs)  # read-only: os.open refused it
        if not self._refusing and self._failing(made.name):
            made.file = _FaultyFile(made.file, self)
        return made

    def patches(self) -> list[tuple[object, str, object]]:
        changing = ("mkdir", "rmdir", "remove", "unlink", "rename", "replace")
        return [(builtins, "open", self._open), (io, "open", self._open), (os, "open", self._os_open),
                (temp, "NamedTemporaryFile", self._temporary),
                *((os, name, self._changing(name)) for name in changing)]

    def install(self, setattr_=setattr) -> DiskFault:
        """Patch this process (`setattr_` may be pytest's monkeypatch.setattr, which undoes it)."""
        for module, name, _ in self.patches():
            self.saved.setdefault((module, name), getattr(module, name))
        for module, name, replacement in self.patches():
            setattr_(module, name, replacement)
        return self
