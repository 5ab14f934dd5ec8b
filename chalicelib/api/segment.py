"""Segment's HTTP Tracking API under ``/segment``: point analytics.js or an SDK's host here.

``POST /segment/v1/{identify,track,page,screen,group,alias,batch}`` and analytics.js's
short paths ``/segment/v1/{i,t,p,s,g,a,b}``. Bodies are JSON sent as
``application/json`` or ``text/plain`` (analytics.js, to avoid a preflight),
optionally ``Content-Encoding: gzip`` (RudderStack's default).
"""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib.api.http import header, json_object, media_type, request_context
from chalicelib.api.registry import Param, operation
from chalicelib.domain.errors import MalformedBody, PayloadTooLarge, UnsupportedMediaType
from chalicelib.domain.segment import BATCH_PATHS, MAX_BATCH_BYTES, MAX_CALL_BYTES, PATH_TYPES
from chalicelib.schemas import SegmentAccepted, SegmentCall
from chalicelib.wiring import get_services

segment = Blueprint(__name__)

_MEDIA = ("application/json", "text/plain")
_AUTH = (
    Param(
        "Authorization",
        "HTTP Basic with the write key as user name and an empty password "
        "(or send writeKey in the body).",
    ),
    Param("Content-Encoding", "gzip, or none."),
)


def _limit(path: str) -> int:
    return MAX_BATCH_BYTES if path in BATCH_PATHS else MAX_CALL_BYTES


def _too_large(path: str, size: int | None = None) -> PayloadTooLarge:
    limit = _limit(path)
    what = "batch" if path in BATCH_PATHS else "call"
    got = f"{size} bytes is " if size is not None else ""
    return PayloadTooLarge(f"body: {got}over Segment's limit of {limit // 1024} KB per {what}")


def _body(request: Request, path: str) -> dict[str, Any]:
    """The call's JSON object, inflated when gzipped, refused over Segment's size limit."""
    kind = media_type(request)
    if kind not in _MEDIA:
        raise UnsupportedMediaType(
            f"Content-Type: '{kind or 'none'}' is not accepted here; send {' or '.join(_MEDIA)}"
        )
    data = request.raw_body or b""
    if isinstance(data, str):
        data = data.encode("utf-8")
    limit = _limit(path)
    if len(data) > limit:
        raise _too_large(path, len(data))
    encoding = (header(request, "content-encoding") or "").strip().lower()
    if encoding == "gzip":
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            # At most one byte over the limit: a gzip bomb never inflates further.
            data = inflater.decompress(data, limit + 1)
        except zlib.error as error:
            raise MalformedBody(f"body: not valid gzip ({error})") from None
        if len(data) > limit:
            raise _too_large(path)
    elif encoding not in ("", "identity"):
        raise UnsupportedMediaType(f"Content-Encoding: '{encoding}' is not accepted; send gzip")
    return json_object(data)


def _basic_user(request: Request) -> str | None:
    """The user name of an HTTP Basic ``Authorization`` header (Segment's write key)."""
    value = header(request, "authorization") or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        return None
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None


def _receive(path: str) -> Response:
    request = segment.current_request
    body = _body(request, path)
    accepted = get_services().segment.receive(
        path, body, _basic_user(request), request_context(request)
    )
    return Response(body=accepted.model_dump(), status_code=200)


def _register(path: str) -> None:
    long_name = PATH_TYPES.get(path, "batch")
    limit = _limit(path) // 1024

    def view() -> Response:
        return _receive(path)

    view.__name__ = f"segment_{path}"
    operation(
        segment,
        f"/segment/v1/{path}",
        "POST",
        summary=f"Segment {long_name} call ({limit} KB at most; 401 without a valid write key)",
        tag="segment",
        request=SegmentCall,
        request_media=_MEDIA,
        responses={
            200: ("Stored; a batch lists every message not stored.", SegmentAccepted),
            413: (f"Over Segment's limit of {limit} KB.", None),
        },
        headers=_AUTH,
    )(view)

    def preflight() -> Response:
        return Response(body="", status_code=204)

    preflight.__name__ = f"segment_{path}_preflight"
    operation(
        segment,
        f"/segment/v1/{path}",
        "OPTIONS",
        summary="CORS preflight (analytics.js sends Authorization)",
        tag="public",
        responses={204: ("The origin may post.", None)},
    )(preflight)


for _path in (*PATH_TYPES, "batch", "b"):
    _register(_path)
