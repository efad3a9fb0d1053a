"""Content hashing and the content-addressed storage keys derived from it."""

from __future__ import annotations

import hashlib
import re
from typing import BinaryIO

CHUNK_SIZE = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def sha256_stream(stream: BinaryIO) -> tuple[str, int]:
    """Hash a stream in fixed-size chunks; returns (hex digest, byte count)."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def is_sha256(value: str) -> bool:
    return bool(_SHA256.match(value))


def _fanout(prefix: str, sha256: str, ext: str) -> str:
    if not is_sha256(sha256):
        raise ValueError(f"not a sha256 hex digest: {sha256!r}")
    if not ext.isalnum():
        raise ValueError(f"not a safe extension: {ext!r}")
    return f"{prefix}/{sha256[:2]}/{sha256[2:4]}/{sha256}.{ext}"


def blob_key(sha256: str, ext: str) -> str:
    """`assets/<aa>/<bb>/<sha256>.<ext>`: computed from the content, never from a file name."""
    return _fanout("assets", sha256, ext)


def thumbnail_key(sha256: str) -> str:
    return _fanout("thumbs", sha256, "webp")
