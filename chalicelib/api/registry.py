"""Routes declare what they take and give once; the OpenAPI document is built from that."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalice.app import Blueprint
from pydantic import BaseModel

from chalicelib.api.errors import error_response
from chalicelib.api.http import ANY_CONTENT_TYPE
from chalicelib.domain.access import ADMIN, Role
from chalicelib.domain.errors import TrechterError


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    required: bool = False
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True)
class Operation:
    """One method on one path, as the contract describes it."""

    path: str
    method: str
    operation_id: str
    summary: str
    tag: str
    #: Who may call it; empty: public. The API key (a machine client) may call every one.
    roles: tuple[Role, ...] = ()
    request: type[BaseModel] | None = None
    request_media: tuple[str, ...] = ("application/json",)
    responses: dict[int, tuple[str, type[BaseModel] | str | None]] = field(default_factory=dict)
    query: tuple[Param, ...] = ()
    headers: tuple[Param, ...] = ()

    @property
    def authenticated(self) -> bool:
        return bool(self.roles)


OPERATIONS: list[Operation] = []


def _preflight(blueprint: Blueprint, path: str, operation_id: str, tag: str) -> None:
    """An OPTIONS route beside a path with roles: the console calls it cross-origin with
    ``Authorization``, so browsers ask first (the middleware answers every preflight)."""
    if (path, "OPTIONS") in _BY_ROUTE:
        return
    preflight = Operation(
        path=path,
        method="OPTIONS",
        operation_id=operation_id,
        summary="CORS preflight",
        tag=tag,
        responses={204: ("The origin may call this path.", None)},
    )
    OPERATIONS.append(preflight)
    _BY_ROUTE[(path, "OPTIONS")] = preflight

    def answer_preflight(**_: Any) -> Any:
        from chalice.app import Response

        return Response(body="", status_code=204)

    answer_preflight.__name__ = operation_id
    blueprint.route(path, methods=["OPTIONS"], content_types=ANY_CONTENT_TYPE)(answer_preflight)


def find_operation(path: str, method: str) -> Operation | None:
    """The operation Chalice routed a request to (``path`` as Chalice names it)."""
    return _BY_ROUTE.get((path, method.upper()))


_BY_ROUTE: dict[tuple[str, str], Operation] = {}


def operation(
    blueprint: Blueprint,
    path: str,
    method: str,
    *,
    summary: str,
    tag: str,
    roles: tuple[Role, ...] = (),
    authenticated: bool = False,
    request: type[BaseModel] | None = None,
    request_media: tuple[str, ...] = ("application/json",),
    responses: dict[int, tuple[str, type[BaseModel] | str | None]] | None = None,
    query: tuple[Param, ...] = (),
    headers: tuple[Param, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a Chalice route, who may call it, and its documentation together.

    ``roles``: the roles allowed (``chalicelib.domain.access``: ``SALES``, ``MARKETING``,
    ``ADMIN``); none makes the route public. ``authenticated=True`` without roles is
    the older spelling and allows admins only.
    """
    allowed = tuple(roles) or (ADMIN if authenticated else ())

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        declared = Operation(
            path=path,
            method=method,
            operation_id=view.__name__,
            summary=summary,
            tag=tag,
            roles=allowed,
            request=request,
            request_media=request_media,
            responses=responses or {},
            query=query,
            headers=headers,
        )
        OPERATIONS.append(declared)
        _BY_ROUTE[(path, method.upper())] = declared
        if allowed:
            _preflight(blueprint, path, f"{view.__name__}_preflight", tag)

        @functools.wraps(view)
        def answer(*args: Any, **kwargs: Any) -> Any:
            # Chalice turns any exception from a view into a 500 before middleware
            # sees it: domain errors become their 4xx here, the same for every route.
            try:
                return view(*args, **kwargs)
            except TrechterError as error:
                return error_response(error)

        return blueprint.route(path, methods=[method], content_types=ANY_CONTENT_TYPE)(answer)  # type: ignore[no-any-return]

    return register
