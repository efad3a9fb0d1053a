"""Streaming uploads: the body goes to a temporary file in chunks, hashed on the way.

No upload is ever held in memory, whatever its size: Django hands each chunk to
HashingUploadHandler, which writes it to disk and feeds it to sha256 in the same pass. A
body over the largest per-kind limit is refused from its Content-Length before a byte is
read, or as soon as the bytes received pass the limit.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http.multipartparser import MultiPartParser as DjangoMultiPartParser
from django.http.multipartparser import MultiPartParserError
from rest_framework.exceptions import ParseError
from rest_framework.parsers import DataAndFiles, MultiPartParser

from contentizer.api.errors import ApiError, PayloadTooLarge

logger = logging.getLogger(__name__)

# Headroom for multipart boundaries and part headers around the one file.
MULTIPART_OVERHEAD = 64 * 1024
MAX_NAME_LENGTH = 255


def max_upload_bytes() -> int:
    return max(settings.ASSET_MAX_BYTES.values())


def _too_large(limit: int, received: int | None = None, what: str = "the largest allowed asset") -> PayloadTooLarge:
    return PayloadTooLarge(
        f"The upload is larger than {what} ({limit} bytes).",
        details={"max_bytes": limit, **({"received": received} if received else {})},
    )


class HashingUploadHandler(TemporaryFileUploadHandler):
    """TemporaryFileUploadHandler that also computes sha256 and enforces the size limit."""

    limit_name = "the largest allowed asset"

    def max_bytes(self) -> int:
        """The largest file this handler takes; a route with other limits subclasses it."""
        return max_upload_bytes()

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > self.max_bytes() + MULTIPART_OVERHEAD:
            raise _too_large(self.max_bytes(), what=self.limit_name)
        return None

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.sha256 = hashlib.sha256()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > self.max_bytes():
            self.file.close()  # a NamedTemporaryFile: closing it deletes it
            raise _too_large(self.max_bytes(), self.received, self.limit_name)
        self.sha256.update(raw_data)
        self.file.write(raw_data)

    def file_complete(self, file_size: int) -> TemporaryUploadedFile:
        file = super().file_complete(file_size)
        file.sha256 = self.sha256.hexdigest()
        return file


class _SafeNameParser(DjangoMultiPartParser):
    """Django drops path parts from file names silently; we refuse them instead."""

    def sanitize_file_name(self, file_name: str) -> str | None:
        if any(ch in file_name for ch in ("/", "\\", "\x00")):
            raise ApiError(
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
