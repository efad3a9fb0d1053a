"""Structured JSON logging: every line carries the requestId (and jobId/stage when set)."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse
from pythonjsonlogger.json import JsonFormatter as _BaseJsonFormatter

logger = logging.getLogger(__name__)

_context: contextvars.ContextVar[dict[str, object]] = contextvars.ContextVar("log_context")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def log_context() -> dict[str, object]:
    return _context.get({})


def bind(**fields: object) -> contextvars.Token:
    """Add fields (requestId, jobId, stage...) to every log line of this context."""
    return _context.set({**log_context(), **fields})


def unbind(token: contextvars.Token) -> None:
    _context.reset(token)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in log_context().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


class JsonFormatter(_BaseJsonFormatter):
    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("fmt", "%(asctime)s %(levelname)s %(name)s %(message)s")
        kwargs.setdefault("rename_fields", {"asctime": "ts", "levelname": "level", "name": "logger"})
        super().__init__(*args, **kwargs)


class RequestIdMiddleware:
    """Takes X-Request-ID from the client when it is sane, else makes one; echoes it back.

    Both synchronous and asynchronous: under the ASGI server a sync-only middleware in the
    chain would cost every request extra hops between the event loop and threads.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.is_async:
            return self._acall(request)
        request_id, token = self._bind(request)
        try:
            response = self.get_response(request)
        finally:
            unbind(token)
        response["X-Request-ID"] = request_id
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        request_id, token = self._bind(request)
        try:
            response = await self.get_response(request)
        finally:
            unbind(token)
        response["X-Request-ID"] = request_id
        return response

    @staticmethod
    def _bind(request: HttpRequest) -> tuple[str, contextvars.Token]:
        supplied = request.headers.get("X-Request-ID", "")
        request.request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
        return request.request_id, bind(requestId=request.request_id)
