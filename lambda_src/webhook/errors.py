"""Errors that map to an HTTP error response.

Every failure the handler turns into a response is a :class:`WebhookError`
carrying the status code, a stable snake_case ``code`` and a short, human
``message``.  Messages are written by us, never copied from an exception, so
they cannot leak exception text, resource names, ARNs or secrets.
"""

from __future__ import annotations


class WebhookError(Exception):
    """An outcome that becomes ``{"error": {"code": ..., "message": ...}}``."""

    def __init__(self, status: int, code: str, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        # For the log line only (e.g. an AWS error code), never for the response.
        self.detail = detail


class FieldError(WebhookError):
    """A payload field is missing or invalid (400); the message names the field."""

    def __init__(self, field: str, message: str, *, missing: bool = False) -> None:
        super().__init__(
            400,
            "missing_field" if missing else "invalid_field",
            f"{field}: {message}",
        )
        self.field = field
