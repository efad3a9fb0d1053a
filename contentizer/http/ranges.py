"""Serving stored files with HTTP Range support, through the storage API only.

One range per request (the form every player and download manager uses). A malformed Range
header is ignored (200 with the whole file, as RFC 9110 allows); a range that starts past
the end, or any range of an empty file, is 416 with `Content-Range: bytes */N`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.files.storage import Storage
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.utils.http import content_disposition_header

from contentizer import storage as ledger

logger = logging.getLogger(__name__)

CHUNK_SIZE = 256 * 1024
# At most 18 digits: enough for any real file, and int() never sees a hostile 5000-digit number.
_RANGE = re.compile(r"^bytes=(\d{0,18})-(\d{0,18})$")


class Unsatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """(first, last) inclusive for a satisfiable single range; None to send the whole file."""
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None
    first, last = match.groups()
    if not first:  # suffix range: the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - suffix), size - 1
    start = int(first)
    if last and int(last) < start:
        return None  # invalid, so ignored (RFC 9110 14.2)
    if start >= size:
        raise Unsatisfiable
    return start, min(int(last) if last else size - 1, size - 1)


class _FileSlice:
    """Iterates over a byte range of an open file; Django calls close() when the response
    ends, also when the client goes away midway, so the handle never leaks."""

    def __init__(self, fh, start: int, length: int) -> None:
        self.fh, self.remaining = fh, length
        fh.seek(start)

    def __iter__(self) -> Iterator[bytes]:
        while self.remaining > 0:
            chunk = self.fh.read(min(CHUNK_SIZE, self.remaining))
            if not chunk:
                break
            self.remaining -= len(chunk)
            yield chunk

    def close(self) -> None:
        self.fh.close()


class _AsyncFileSlice(_FileSlice):
    """The same slice for an ASGI server: each read runs in a thread, so a long download holds
    no worker thread between chunks and the event loop serves other requests meanwhile."""

    def __aiter__(self):
        return self._chunks()

    async def _chunks(self):
        read = sync_to_async(self.fh.read, thread_sensitive=False)
        while self.remaining > 0:
            chunk = await read(min(CHUNK_SIZE, self.remaining))
            if not chunk:
                break
            self.remaining -= len(chunk)
            yield chunk


def _is_asgi(request: HttpRequest) -> bool:
    return isinstance(getattr(request, "_request", request), ASGIRequest)


def presigned_url(storage: Storage, key: str, *, content_type: str, disposition: str | None) -> str | None:
    """A short-lived signed URL straight to the object when the storage offers one (S3)."""
    from storages.backends.s3 import S3Storage

    if not (settings.STORAGE_REDIRECTS and isinstance(storage, S3Storage)):
        return None
    params = {"ResponseContentType": content_type}
    if disposition:
        params["ResponseContentDisposition"] = disposition
    return storage.url(key, parameters=params, expire=settings.STORAGE_URL_SECONDS)


def serve_stored(
    request: HttpRequest, *, storage: Storage, key: str, content_type: str,
    filename: str | None = None, attachment: bool = False, size: int | None = None, redirect: bool = True,
) -> HttpResponse:
    """The one way stored media reaches a client; call it after the owner checks.

    The object is served only if its stored size is what the database recorded (`size`, else
    the storage ledger); on S3 the client is redirected to a presigned URL (which honours Range
    itself) rather than streamed through Django, unless `redirect=False` (HLS playlists, whose
    relative references must resolve against this server).
    """
    recorded = size if size is not None else getattr(ledger.record(key), "size", None)
    if recorded is not None and not ledger.trusted(key, size=recorded, storage=storage):
        raise Http404(f"{key} is missing or damaged in storage")
    try:
        size = storage.size(key)
    except (FileNotFoundError, OSError):
        raise Http404(f"{key} is no longer in storage") from None
    disposition = content_disposition_header(attachment, filename) if filename else None
    try:  # an impossible range is answered here, in the one format, before any redirect
        byte_range = parse_range(request.headers.get("Range"), size)
    except Unsatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response
    # A Range header we ignore (malformed) must be ignored by the storage too: stream that here.
    honoured = byte_range is not None or not request.headers.get("Range")
    if redirect and honoured and (url := presigned_url(storage, key, content_type=content_type,
                                                       disposition=disposition)):
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, max-age=60"  # the URL itself expires
        return response
    first, last = byte_range or (0, size - 1)
    length = max(0, last - first + 1)
    slicer = _AsyncFileSlice if _is_asgi(request) else _FileSlice
    body = slicer(storage.open(key, "rb"), first, length) if length else iter([b""])
    response = StreamingHttpResponse(body, content_type=content_type, status=206 if byte_range else 200)
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    if byte_range:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    if disposition:
        response["Content-Disposition"] = disposition
    return response
