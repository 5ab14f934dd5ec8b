"""The cheap front door: the public tracking routes behind a Lambda function URL.

A function URL has no request charge (API Gateway REST costs 3.50 USD per million), but
it sends payload format 2.0 to a plain Lambda function (``front_door`` in app.py) and
expects a 2.0 answer. This small resolver turns such an event into the REST event the
Chalice app already understands and hands it to the app itself, so the same routes,
middleware (CORS, the one error table, log redaction) and pixel handling (a GIF for any
Accept header) answer; then it turns Chalice's answer back into the 2.0 format.

Only the routes in ``ROUTES`` are served here; CloudFront sends every other path to the
REST API (infra/template.yaml, "Front door"), so one base URL serves every route.
"""

from __future__ import annotations

import hmac
import re
from typing import Any, Protocol
from urllib.parse import parse_qs

from chalicelib.api.errors import error_response
from chalicelib.domain.errors import NotFound, TrechterError

#: CloudFront sets this header (a secret, ``FRONT_DOOR_SECRET``) on every origin request;
#: a request that lacks it came to the function URL directly, around the WAF.
ORIGIN_HEADER = "x-trechter-origin"
#: CloudFront's own header with the viewer's address (``ip:port``); trusted only with the
#: origin header, as anyone can send it to the function URL.
VIEWER_ADDRESS = "cloudfront-viewer-address"


class _App(Protocol):
    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]: ...


#: (method, path pattern, Chalice resource path) of every route behind the function URL.
ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(r"^/v1/t/events$"), "/v1/t/events"),
    ("OPTIONS", re.compile(r"^/v1/t/events$"), "/v1/t/events"),
    ("GET", re.compile(r"^/v1/t/p\.gif$"), "/v1/t/p.gif"),
    ("GET", re.compile(r"^/v1/t/o/(?P<token>[^/]+)$"), "/v1/t/o/{token}"),
    ("GET", re.compile(r"^/v1/t/c/(?P<token>[^/]+)$"), "/v1/t/c/{token}"),
)


def route(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """The Chalice resource path and path parameters of a front-door request, if any.

    A known path with another method is handed to Chalice too, which answers 405.
    """
    known: tuple[str, dict[str, str]] | None = None
    for route_method, pattern, resource in ROUTES:
        found = pattern.match(path)
        if found:
            if route_method == method:
                return resource, found.groupdict()
            known = (resource, found.groupdict())
    return known


def rest_event(event: dict[str, Any], resource: str, params: dict[str, str]) -> dict[str, Any]:
    """A payload-2.0 event as the API Gateway REST (1.0) event Chalice reads."""
    context = event.get("requestContext") or {}
    http = context.get("http") or {}
    method = str(http.get("method", "GET")).upper()
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    cookies = event.get("cookies") or []
    if cookies:
        headers["cookie"] = "; ".join(str(c) for c in cookies)
    source_ip = http.get("sourceIp")
    viewer = headers.get(VIEWER_ADDRESS)
    if viewer and ORIGIN_HEADER in headers:
        source_ip = viewer.rsplit(":", 1)[0].strip("[]")
    query = parse_qs(str(event.get("rawQueryString") or ""), keep_blank_values=True)
    path = str(event.get("rawPath") or http.get("path") or "/")
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": params or None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": path,
            "stage": "",
            "requestId": context.get("requestId", ""),
            "domainName": context.get("domainName", ""),
            "identity": {"sourceIp": source_ip, "userAgent": http.get("userAgent")},
        },
        "body": event.get("body"),
        "isBase64Encoded": bool(event.get("isBase64Encoded", False)),
    }


def url_response(answer: dict[str, Any]) -> dict[str, Any]:
    """Chalice's REST answer in the function URL's payload-2.0 response format."""
    headers: dict[str, str] = {str(k): str(v) for k, v in (answer.get("headers") or {}).items()}
    cookies: list[str] = []
    for name, values in (answer.get("multiValueHeaders") or {}).items():
        if str(name).lower() == "set-cookie":
            cookies += [str(v) for v in values]
        else:
            headers[str(name)] = ", ".join(str(v) for v in values)
    for name in [n for n in headers if n.lower() == "set-cookie"]:
        cookies.append(headers.pop(name))
    response: dict[str, Any] = {
        "statusCode": int(answer.get("statusCode", 200)),
        "headers": headers,
        "body": answer.get("body") or "",
        "isBase64Encoded": bool(answer.get("isBase64Encoded", False)),
    }
    if cookies:
        response["cookies"] = cookies
    return response


def _error(error: TrechterError) -> dict[str, Any]:
    return url_response(error_response(error).to_dict())


def resolve(
    app: _App, event: dict[str, Any], context: Any, origin_secret: str = ""
) -> dict[str, Any]:
    """Answer one function URL request through the Chalice app's own routes."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    if origin_secret and not _same(headers.get(ORIGIN_HEADER, ""), origin_secret):
        return _error(NotFound("path: not served here; use the public base URL"))
    if not origin_secret:
        headers.pop(ORIGIN_HEADER, None)  # nothing to verify it against: trust no viewer address
        event = {**event, "headers": headers}
    http = (event.get("requestContext") or {}).get("http") or {}
    path = str(event.get("rawPath") or http.get("path") or "/")
    found = route(str(http.get("method", "GET")).upper(), path)
    if found is None:
        return _error(NotFound(f"path: no route {path} here"))
    resource, params = found
    return url_response(app(rest_event(event, resource, params), context))


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
