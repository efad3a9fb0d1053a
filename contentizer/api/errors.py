"""The one error format: {"error": {"code": "...", "message": "...", "details": {...}}}."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from contentizer.api.schema import camel
from contentizer.errors import (
    ApplicationError,
    ChecksumMismatch,
    Conflict,
    Forbidden,
    Gone,
    Locked,
    NotFound,
    PayloadTooLarge,
    StorageUnavailable,
    TooBusy,
    UnprocessableEntity,
    UnsupportedMediaType,
)

__all__ = [  # the application errors too, for the API handlers that raise them
    "ApiError", "ApplicationError", "ChecksumMismatch", "Conflict", "Forbidden", "Gone", "Locked", "NotFound",
    "PayloadTooLarge", "StorageUnavailable", "TooBusy", "UnprocessableEntity", "UnsupportedMediaType",
    "exception_handler", "http_status",
]

logger = logging.getLogger(__name__)


class ApiError(exceptions.APIException):
    """What an API handler itself refuses (a route's own checks); services raise the product's
    application errors (contentizer/errors.py) instead, which `exception_handler` maps the same way."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None,
                 status_code: int | None = None) -> None:
        super().__init__(detail=message, code=code or self.default_code)
        self.error_code = code or self.default_code
        self.details = details or {}
        if status_code is not None:
            self.status_code = status_code


# The one place an application error becomes an HTTP status (the nearest class in its MRO wins).
HTTP_STATUS: dict[type[ApplicationError], int] = {
    ApplicationError: status.HTTP_400_BAD_REQUEST,
    NotFound: status.HTTP_404_NOT_FOUND,
    Forbidden: status.HTTP_403_FORBIDDEN,
    Gone: status.HTTP_410_GONE,
    Conflict: status.HTTP_409_CONFLICT,
    PayloadTooLarge: status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    UnsupportedMediaType: status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    UnprocessableEntity: status.HTTP_422_UNPROCESSABLE_ENTITY,
    TooBusy: status.HTTP_429_TOO_MANY_REQUESTS,
    StorageUnavailable: status.HTTP_503_SERVICE_UNAVAILABLE,
    Locked: status.HTTP_423_LOCKED,
    ChecksumMismatch: 460,  # tus's own "Checksum Mismatch" (the checksum extension of tus 1.0)
}


def http_status(exc: ApplicationError) -> int:
    return next(HTTP_STATUS[cls] for cls in type(exc).__mro__ if cls in HTTP_STATUS)


def _application_response(exc: ApplicationError) -> Response:
    response = Response(error_body(exc.code, exc.message, exc.details), status=http_status(exc))
    if (wait := getattr(exc, "retry_after", None)) is not None:
        response["Retry-After"] = str(int(wait))
        response.data["error"]["details"].setdefault("retryAfter", int(wait))
    return response


def error_body(code: str, message: str, details: dict | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


_DRF_CODES = {
    exceptions.NotAuthenticated: ("not_authenticated", None),
    exceptions.AuthenticationFailed: ("authentication_failed", None),
    exceptions.PermissionDenied: ("permission_denied", None),
    exceptions.NotFound: ("not_found", "Not found."),
    exceptions.MethodNotAllowed: ("method_not_allowed", None),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", None),
    exceptions.ParseError: ("parse_error", None),
    exceptions.Throttled: ("throttled", None),
    exceptions.NotAcceptable: ("not_acceptable", None),
    exceptions.ValidationError: ("validation_error", "The request has invalid fields."),
}


def _close_uploads(context: dict) -> None:
    """A parse that failed midway leaves its upload handlers' temporary files open: drop them."""
    request = context.get("request")
    for handler in getattr(getattr(request, "_request", request), "_upload_handlers", []) or []:
        if (file := getattr(handler, "file", None)) is not None:
            file.close()


def exception_handler(exc: Exception, context: dict) -> Response | None:
    _close_uploads(context)
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(str(exc) or "The request body is too large.")
    if isinstance(exc, ApplicationError):
        set_rollback()  # as DRF does for the errors it handles
        return _application_response(exc)
    if isinstance(exc, SuspiciousOperation):
        exc = ApiError(str(exc) or "The request was refused.", code="bad_request")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_model_errors(exc))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if (wait := getattr(exc, "wait", None)) is not None and not response.has_header("Retry-After"):
        response["Retry-After"] = str(int(wait))
    response.data = _body_for(exc, response.data)
    return response


def _body_for(exc: exceptions.APIException, data: Any) -> dict[str, Any]:
    if isinstance(exc, ApiError):
        return error_body(exc.error_code, str(exc.detail), exc.details)
    for cls, (code, message) in _DRF_CODES.items():
        if isinstance(exc, cls):
            if isinstance(exc, exceptions.ValidationError):
                return error_body(code, message, {"fields": data})
            details = {"wait": exc.wait} if isinstance(exc, exceptions.Throttled) else {}
            return error_body(code, message or str(exc.detail), details)
    return error_body("error", str(exc.detail))


def _model_errors(exc: DjangoValidationError) -> dict[str, list[str]] | list[str]:
    """A model's or a service's ValidationError (full_clean) in the serializers' shape. Serializers
    already name their fields as the wire does (and an unknown field keeps the name the client
    sent); a model names its Python attributes (`transition_duration`), which the wire calls
    `transitionDuration`."""
    if not hasattr(exc, "error_dict"):
        return exc.messages
    return {api_settings.NON_FIELD_ERRORS_KEY if name == NON_FIELD_ERRORS else camel(name): messages
            for name, messages in exc.message_dict.items()}


def json_error_view(status_code: int, code: str, message: str):
    def view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
        return JsonResponse(error_body(code, message), status=status_code)

    return view
