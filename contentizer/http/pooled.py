"""Django's ASGI handler with the synchronous views run on a fixed pool of threads.

Django serves a synchronous view under ASGI by hopping from the event loop to a thread made
for that request and back, once per sync-only layer, and each new thread opens its own
database connection. Our views are synchronous (DRF), so this handler builds the middleware
chain in synchronous mode and runs it whole, view included, on a pool of long-lived threads,
the way a threaded WSGI server does: one hop per request, persistent connections
(CONN_MAX_AGE). What stays asynchronous is what must not hold a thread: reading the request
body, and streaming responses with asynchronous iterators (Server-Sent Events, downloads),
which the event loop drives after the view has returned.
"""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor

from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponseBase

from contentizer import storage
from contentizer.api.errors import error_body, http_status

logger = logging.getLogger(__name__)


class _BodyNotStored(Exception):
    """The request body could not be spooled to disk (full or read-only)."""


class PooledASGIHandler(ASGIHandler):
    def __init__(self, *, threads: int) -> None:
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="django-view")

    async def read_body(self, receive):
        try:
            return await super().read_body(receive)
        except OSError as exc:  # Django spools bodies past FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file
            raise _BodyNotStored from exc

    async def handle(self, scope, receive, send) -> None:
        try:
            await super().handle(scope, receive, send)
        except _BodyNotStored as exc:  # raised before anything was answered: the server would say 500
            logger.error("spooling a request body failed", exc_info=exc.__cause__,
                         extra={"event": "http.body_not_stored"})
            await _refuse(send, storage.unavailable(exc.__cause__, what="The request could not be received"))

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await asyncio.get_running_loop().run_in_executor(self.pool, self._respond, request)

    def _respond(self, request: HttpRequest) -> HttpResponseBase:
        close_old_connections()  # what WSGI's request_started does, in the thread that owns them
        try:
            return self.get_response(request)
        finally:
            close_old_connections()


async def _refuse(send, error) -> None:
    body = json.dumps(error_body(error.code, error.message, error.details)).encode()
    await send({"type": "http.response.start", "status": http_status(error), "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(error.retry_after).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
