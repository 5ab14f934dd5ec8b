"""Who is calling, and whether the route they called allows them.

Each route declares its roles (``operation(..., roles=...)``). A caller shows either
the API key (``x-api-key``: a machine client with full access) or a user pool token
(``Authorization: Bearer <JWT>``: a person with the roles of their Cognito groups).
A signed-in person without an allowed role gets 403 naming the role needed, and the
attempt is written to the audit log.
"""

from __future__ import annotations

import time

from chalice.app import Request

from chalicelib.api.http import header
from chalicelib.api.registry import Operation
from chalicelib.domain.access import MACHINE, Principal, authorize
from chalicelib.domain.errors import Forbidden, Unauthorized
from chalicelib.wiring import Services

_CALLER = "trechter.caller"


def authenticate(request: Request, services: Services) -> Principal:
    """The caller, from the API key or a bearer token.

    Raises
    ------
    Unauthorized
        no credentials, a wrong API key, or a token that does not verify.
    """
    key = header(request, "x-api-key")
    if key is not None:
        if services.api_keys.matches(key):
            return MACHINE
        raise Unauthorized("x-api-key: missing or not a valid API key")
    scheme, _, token = (header(request, "authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        if services.users is None:
            raise Unauthorized("Authorization: sign-in is not configured here; use x-api-key")
        return services.users.verify(token.strip())
    raise Unauthorized("x-api-key: missing or not a valid API key (or send Authorization: Bearer)")


def guard(request: Request, operation: Operation | None, services: Services) -> Principal | None:
    """Nothing to check on a public route; else the caller, who holds an allowed role.

    Raises
    ------
    Unauthorized
        see :func:`authenticate`.
    Forbidden
        a signed-in person without an allowed role (written to the audit log first).
    """
    if operation is None or not operation.roles:
        return None
    principal = authenticate(request, services)
    try:
        authorize(principal, operation.roles)
    except Forbidden:
        params = request.uri_params or {}
        services.leads.audit(
            "access_denied",
            str(params.get("lead_id", "-")),
            {
                "who": principal.email or principal.subject,
                "roles": sorted(principal.roles),
                "method": operation.method,
                "path": operation.path,
                "needed": list(operation.roles),
            },
            time.time(),
        )
        raise
    if request.context is not None:
        request.context[_CALLER] = principal
    return principal


def caller(request: Request) -> Principal:
    """Who called this route (set by :func:`guard` in the middleware)."""
    found = (request.context or {}).get(_CALLER)
    return found if isinstance(found, Principal) else MACHINE
