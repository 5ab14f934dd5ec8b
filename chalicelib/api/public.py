"""Public routes: health, OpenAPI, forms, the tracker, pixels and tracked links."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import BaseModel

from chalicelib.api.http import (
    GIF_1X1,
    NO_STORE,
    form_or_json_body,
    json_body,
    query_params,
    request_context,
)
from chalicelib.api.openapi import openapi_document
from chalicelib.api.registry import Param, operation
from chalicelib.schemas import (
    FormSubmissionBody,
    Health,
    SubmissionAccepted,
    TrackerAccepted,
    TrackerBatch,
)
from chalicelib.wiring import get_services

public = Blueprint(__name__)

_GIF: dict[int, tuple[str, type[BaseModel] | str | None]] = {
    200: ("A 1x1 transparent GIF, always.", "gif")
}


def gif() -> Response:
    return Response(
        body=GIF_1X1, status_code=200, headers={"Content-Type": "image/gif", **NO_STORE}
    )


@operation(
    public, "/v1/health", "GET", summary="Liveness", tag="public", responses={200: ("Up.", Health)}
)
def health() -> dict[str, str]:
    return Health(status="ok").model_dump()


@operation(
    public,
    "/v1/openapi.json",
    "GET",
    summary="This API as OpenAPI 3",
    tag="public",
    responses={200: ("The OpenAPI document.", None)},
)
def openapi() -> dict[str, object]:
    return openapi_document()


@operation(
    public,
    "/v1/forms/{form_id}/submissions",
    "POST",
    summary="Submit a landing-page form (plain HTML form post: 303; JSON: 201)",
    tag="capture",
    request=FormSubmissionBody,
    request_media=("application/x-www-form-urlencoded", "application/json"),
    responses={
        201: ("The lead (JSON).", SubmissionAccepted),
        303: ("Redirect to the form's page.", None),
    },
    headers=(Param("Idempotency-Key", "Retry safely: the same key returns the first answer."),),
)
def submit_form(form_id: str) -> Response:
    services = get_services()
    request = public.current_request
    ctx = request_context(request)
    fields, plain_form = form_or_json_body(request)
    services.capture.form(form_id)
    # Only form posts need Powertools' idempotency utility: loaded on first use.
    from chalicelib.services.idempotency import run_once

    accepted = run_once(
        services.idempotency,
        services.settings.idempotency_ttl_seconds,
        ctx.idempotency_key,
        f"form:{form_id}",
        fields,
        SubmissionAccepted,
        lambda: services.capture.submit_form_once(form_id, fields, ctx),
    )
    if plain_form:
        return Response(
            body="",
            status_code=303,
            headers={"Location": accepted.redirect_url, "Content-Type": "text/plain"},
        )
    return Response(body=accepted.model_dump(), status_code=201)


@operation(
    public,
    "/v1/t/events",
    "POST",
    summary="Tracker beacon (sendBeacon text/plain or JSON)",
    tag="tracking",
    request=TrackerBatch,
    request_media=("text/plain", "application/json"),
    responses={202: ("Accepted, with per-event rejections.", TrackerAccepted)},
)
def track_events() -> Response:
    request = public.current_request
    body = json_body(request, ("text/plain", "application/json"))
    accepted = get_services().capture.track(body, request_context(request))
    return Response(body=accepted.model_dump(), status_code=202)


@operation(
    public,
    "/v1/t/p.gif",
    "GET",
    summary="Page-view pixel for pages without JavaScript",
    tag="tracking",
    responses=_GIF,
    query=(
        Param("aid", "The visitor's anonymous id."),
        Param("url", "The page URL."),
        Param("ref", "The referrer."),
        Param("title", "The page title."),
    ),
)
def page_pixel() -> Response:
    request = public.current_request
    get_services().capture.page_pixel(query_params(request), request_context(request))
    return gif()


@operation(
    public, "/v1/t/o/{token}", "GET", summary="E-mail open pixel", tag="tracking", responses=_GIF
)
def email_open(token: str) -> Response:
    get_services().capture.email_open(token, request_context(public.current_request))
    return gif()


@operation(
    public,
    "/v1/t/c/{token}",
    "GET",
    summary="Tracked link: redirect to the signed URL",
    tag="tracking",
    responses={302: ("Redirect to the link's target.", None)},
)
def email_click(token: str) -> Response:
    result = get_services().capture.email_click(token, request_context(public.current_request))
    return Response(body="", status_code=302, headers={"Location": result.target_url, **NO_STORE})


@operation(
    public,
    "/v1/forms/{form_id}/submissions",
    "OPTIONS",
    summary="CORS preflight",
    tag="public",
    responses={204: ("The origin may post.", None)},
)
def submit_form_preflight(form_id: str) -> Response:
    return Response(body="", status_code=204)


@operation(
    public,
    "/v1/t/events",
    "OPTIONS",
    summary="CORS preflight",
    tag="public",
    responses={204: ("The origin may post.", None)},
)
def track_events_preflight() -> Response:
    return Response(body="", status_code=204)
