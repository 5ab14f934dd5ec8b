"""The one place that turns domain errors into HTTP answers."""

from __future__ import annotations

from typing import Any

from chalice.app import Response
from pydantic import ValidationError

from chalicelib.domain.errors import (
    Conflict,
    FieldError,
    Forbidden,
    Gone,
    InvalidInput,
    MalformedBody,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    TrechterError,
    Unauthorized,
    UnsupportedMediaType,
)
from chalicelib.schemas import ErrorBody, FieldProblem

_STATUS: dict[type[TrechterError], int] = {
    InvalidInput: 422,
    MalformedBody: 400,
    UnsupportedMediaType: 415,
    NotFound: 404,
    Unauthorized: 401,
    Forbidden: 403,
    PayloadTooLarge: 413,
    RateLimited: 429,
    Gone: 410,
    Conflict: 409,
}


def error_response(error: TrechterError, headers: dict[str, str] | None = None) -> Response:
    """A JSON error body whose message names the offending field(s)."""
    status = next((code for kind, code in _STATUS.items() if isinstance(error, kind)), 400)
    problems: list[FieldError] = error.errors if isinstance(error, InvalidInput) else []
    body = ErrorBody(
        message=error.message,
        errors=[FieldProblem(field=p.field, message=p.message) for p in problems],
    )
    all_headers: dict[str, str | list[str]] = {
        "Content-Type": "application/json",
        **(headers or {}),
    }
    if isinstance(error, RateLimited):
        all_headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, Unauthorized):
        all_headers["WWW-Authenticate"] = 'ApiKey header="x-api-key", Bearer realm="trechter"'
    return Response(body=body.model_dump_json(), status_code=status, headers=all_headers)


def invalid(error: ValidationError, prefix: str = "") -> InvalidInput:
    """Pydantic's errors on a request model as a domain InvalidInput."""
    from chalicelib.domain.submissions import errors_from_validation

    return InvalidInput(errors_from_validation(error, prefix))


def parse_model(model: Any, data: Any) -> Any:
    """Validate request data into a model, or raise InvalidInput naming the fields."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise invalid(error) from None
