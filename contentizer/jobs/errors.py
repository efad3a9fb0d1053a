"""How a job handler says what went wrong, so the runner knows whether to retry."""

from __future__ import annotations

from typing import Any


class PermanentJobError(Exception):
    """Retrying cannot help (a bad timeline, a missing asset): the job fails at once.

    With a `code` (and `details`), the job resource shows the failure in the one error format,
    e.g. the same code, message and details an API request doing the same work would have had.
    """

    def __init__(self, message: str, *, code: str = "", details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.details = code, details or {}

    @property
    def failure(self) -> dict[str, Any] | None:
        return {"code": self.code, "message": str(self), "details": self.details} if self.code else None


class TransientJobError(Exception):
    """Worth another attempt after a backoff (storage hiccup, a crashed encoder)."""


class JobCancelled(Exception):
    """The job was cancelled while it ran."""


class JobWaiting(Exception):  # noqa: N818 - not an error: the attempt ends on purpose
    """The handler fanned its work out to child jobs (services.job_fan_out) and the job is
    parked until the last of them ends: the attempt ends here without an outcome of its own."""
