"""Reading HTTP requests: bodies of every kind, the request context, CORS."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from chalice.app import Request

from chalicelib.domain.errors import (
    FieldError,
    InvalidInput,
    MalformedBody,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from chalicelib.services.context import RequestContext
from chalicelib.wiring import get_services

MAX_BODY_BYTES = 64 * 1024
#: Chalice's own content-type gate answers in its own format; we check types ourselves.
ANY_CONTENT_TYPE = ["*/*"]
FORM_ENCODED = "application/x-www-form-urlencoded"
GIF_1X1 = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
NO_STORE = {"Cache-Control": "no-store, no-cache, must-revalidate, max-age=0", "Pragma": "no-cache"}


def header(request: Request, name: str) -> str | None:
    value = request.headers.get(name)
    return str(value) if value is not None else None


def media_type(request: Request) -> str:
    return (header(request, "content-type") or "").split(";")[0].strip().lower()


def raw_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, refused over ``limit`` bytes (64 KiB unless a route allows more)."""
    body = request.raw_body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if len(body) > limit:
        raise PayloadTooLarge(f"body: {len(body)} bytes is over the limit of {limit}")
    return body


def json_body(
    request: Request, allowed: tuple[str, ...] = ("application/json",), limit: int = MAX_BODY_BYTES
) -> Any:
    """The body parsed as JSON, from one of the allowed media types."""
    kind = media_type(request)
    if kind not in allowed:
        raise UnsupportedMediaType(
            f"Content-Type: '{kind or 'none'}' is not accepted here; send {' or '.join(allowed)}"
        )
    data = raw_body(request, limit)
    if not data.strip():
        raise MalformedBody("body: a JSON object is required")
    return json_object(data)


def json_object(data: bytes) -> dict[str, Any]:
    """Bytes as one JSON object; ``MalformedBody`` naming ``body`` otherwise."""
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedBody(f"body: not valid JSON ({error})") from None
    if not isinstance(parsed, dict):
        raise MalformedBody("body: must be a JSON object")
    return parsed


def form_or_json_body(request: Request) -> tuple[dict[str, Any], bool]:
    """A plain HTML form post or JSON; (fields, True when it came from a plain form)."""
    kind = media_type(request)
    if kind == FORM_ENCODED:
        try:
            text = raw_body(request).decode("utf-8")
            fields = parse_qs(
                text, keep_blank_values=True, strict_parsing=False, max_num_fields=100
            )
        except (UnicodeDecodeError, ValueError) as error:
            raise MalformedBody(f"body: not a readable form post ({error})") from None
        duplicated = sorted(name for name, values in fields.items() if len(values) > 1)
        if duplicated:
            raise InvalidInput([FieldError(name, "was sent more than once") for name in duplicated])
        return {name: values[0] for name, values in fields.items()}, True
    return json_body(request, ("application/json",)), False


def query_params(request: Request) -> dict[str, str]:
    return {str(k): str(v) for k, v in (request.query_params or {}).items()}


def request_context(request: Request, base_url: str = "") -> RequestContext:
    """The facts of a request a service may use (no Chalice types beyond this point).

    ``base_url`` (every URL Trechter generates starts with it) is, in this order: the
    argument, ``PUBLIC_BASE_URL`` when it is set, the URL the caller reached us on.
    """

    identity = request.context.get("identity", {}) if request.context else {}
    return RequestContext(
        user_agent=header(request, "user-agent"),
        source_ip=identity.get("sourceIp"),
        origin=header(request, "origin"),
        referer=header(request, "referer"),
        method=request.method,
        purpose=header(request, "sec-purpose") or header(request, "purpose"),
        global_privacy_control=(header(request, "sec-gpc") or "").strip() == "1",
        idempotency_key=header(request, "idempotency-key"),
        base_url=base_url or public_base_url(request, get_services().settings.public_base_url),
    )


def public_base_url(request: Request, configured: str = "") -> str:
    """Where this API is reachable: ``configured`` (``PUBLIC_BASE_URL``, a custom domain)
    when set, else as the caller reached it (stage prefix included)."""
    if configured:
        return configured.rstrip("/")
    host = header(request, "host") or "localhost"
    proto = header(request, "x-forwarded-proto") or (
        "http" if host.startswith(("127.", "localhost")) else "https"
    )
    stage = (request.context or {}).get("stage", "")
    prefix = f"/{stage}" if stage and "execute-api" in host else ""
    return f"{proto}://{host}{prefix}"


def cors_headers(origin: str | None, allowed: tuple[str, ...]) -> dict[str, str]:
    """CORS headers for an allowed origin (landing pages, the console); none for any other.

    The console sends its bearer token in ``Authorization``: no cookies, so no credentials
    mode and no CSRF.
    """
    if not origin or origin not in allowed:
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": "GET,POST,DELETE,OPTIONS",
        # Authorization: the console's bearer token; analytics.js's write key as HTTP
        # Basic (/segment).
        "Access-Control-Allow-Headers": "Content-Type,Idempotency-Key,Accept,Authorization",
        "Access-Control-Max-Age": "600",
        "Vary": "Origin",
    }
