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
    authenticated: bool = False
    request: type[BaseModel] | None = None
    request_media: tuple[str, ...] = ("application/json",)
    responses: dict[int, tuple[str, type[BaseModel] | str | None]] = field(default_factory=dict)
    query: tuple[Param, ...] = ()
    headers: tuple[Param, ...] = ()


OPERATIONS: list[Operation] = []


def operation(
    blueprint: Blueprint,
    path: str,
    method: str,
    *,
    summary: str,
    tag: str,
    authenticated: bool = False,
    request: type[BaseModel] | None = None,
    request_media: tuple[str, ...] = ("application/json",),
    responses: dict[int, tuple[str, type[BaseModel] | str | None]] | None = None,
    query: tuple[Param, ...] = (),
    headers: tuple[Param, ...] = (),
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a Chalice route and its documentation together."""

    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        OPERATIONS.append(
            Operation(
                path=path,
                method=method,
                operation_id=view.__name__,
                summary=summary,
                tag=tag,
                authenticated=authenticated,
                request=request,
                request_media=request_media,
                responses=responses or {},
                query=query,
                headers=headers,
            )
        )

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
