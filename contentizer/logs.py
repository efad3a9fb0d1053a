"""Structured JSON logging: every line carries the requestId (and jobId/stage when set)."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

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
    """Takes X-Request-ID from the client when it is sane, else makes one; echoes it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        supplied = request.headers.get("X-Request-ID", "")
        request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
        request.request_id = request_id
        token = bind(requestId=request_id)
        try:
            response = self.get_response(request)
        finally:
            unbind(token)
        response["X-Request-ID"] = request_id
        return response
