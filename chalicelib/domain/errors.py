"""Domain errors. The API maps each to one HTTP status in ``chalicelib.api.errors``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one named input field."""

    field: str
    message: str


class TrechterError(Exception):
    """Base of every error a caller can cause and be told about."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(TrechterError):
    """The input is malformed or breaks a rule; ``errors`` names each field."""

    def __init__(self, errors: list[FieldError], message: str | None = None) -> None:
        self.errors = errors
        names = ", ".join(dict.fromkeys(e.field for e in errors))
        super().__init__(message or f"Invalid input: {names}")


class InvalidCursor(InvalidInput, ValueError):
    """A page cursor this API did not issue (forged, altered, or another list's).

    Raised by the stores that read cursors: to services a cursor is an opaque string.
    Also a ``ValueError``, as the cursor readers raised before it existed.
    """

    def __init__(self, reason: str = "not a cursor this API returned") -> None:
        super().__init__([FieldError("cursor", reason)], f"Invalid input: cursor: {reason}")


class MalformedBody(TrechterError):
    """The body cannot be read at all (not JSON, not form-encoded, wrong type)."""


class UnsupportedMediaType(TrechterError):
    """The Content-Type is not one this endpoint reads."""


class NotFound(TrechterError):
    """The named thing does not exist (or was erased)."""


class Unauthorized(TrechterError):
    """Missing or wrong credentials."""


class PayloadTooLarge(TrechterError):
    """The request body is over the limit."""


class RateLimited(TrechterError):
    """Too many requests; ``retry_after`` seconds until the next one may pass."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Gone(TrechterError):
    """The person was erased; nothing may recreate them through this path."""


class Conflict(TrechterError):
    """The request conflicts with the current state (e.g. a transition not allowed)."""


class Forbidden(TrechterError):
    """Signed in, but without a role this operation allows; the message names the role needed."""
