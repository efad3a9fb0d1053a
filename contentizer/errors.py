"""The product's own errors: what services raise when they refuse. They know nothing of HTTP; the
API layer (contentizer/api/errors.py) maps each class to a status and the one error body, and the
studio's pages show the message beside the field `details` names."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

STORAGE_RETRY_AFTER_SECONDS = 60  # a full or read-only disk is an operator's fix: minutes, not seconds


class ApplicationError(Exception):
    """A refusal: a `code` a client can branch on, a `message` a person can act on, and `details`
    (camelCase keys, as on the wire)."""

    default_code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.details = details or {}


class NotFound(ApplicationError):
    default_code = "not_found"


class Forbidden(ApplicationError):
    default_code = "forbidden"


class Gone(ApplicationError):
    default_code = "gone"


class Conflict(ApplicationError):
    default_code = "conflict"


class PayloadTooLarge(ApplicationError):
    default_code = "payload_too_large"


class UnsupportedMediaType(ApplicationError):
    default_code = "unsupported_media_type"


class UnprocessableEntity(ApplicationError):
    default_code = "invalid_media"


class TooBusy(ApplicationError):
    """Too much at once (queues, concurrent uploads): try again after `retry_after` seconds."""

    default_code = "too_busy"

    def __init__(self, message: str, *, retry_after: int | None = None, code: str | None = None,
                 details: dict | None = None) -> None:
        super().__init__(message, code=code, details=details)
        self.retry_after = retry_after


class StorageUnavailable(ApplicationError):
    """Storage refused a write (full, read-only, unreachable): nothing was kept; try again after
    `retry_after` seconds."""

    default_code = "storage_unavailable"

    def __init__(self, message: str, *, retry_after: int | None = STORAGE_RETRY_AFTER_SECONDS,
                 code: str | None = None, details: dict | None = None) -> None:
        super().__init__(message, code=code, details=details)
        self.retry_after = retry_after


class Locked(ApplicationError):
    """Another request is working on the object right now; try again shortly."""

    default_code = "locked"


class ChecksumMismatch(ApplicationError):
    """The bytes received are not the bytes the client's checksum describes."""

    default_code = "checksum_mismatch"
