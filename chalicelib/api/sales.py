"""Authenticated routes (a signed-in role or ``x-api-key``): tracking links, leads, feedback,
privacy, reports. Each declares the roles it allows."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api.errors import parse_model
from chalicelib.api.http import json_body, query_params, request_context
from chalicelib.api.registry import Param, operation
from chalicelib.domain.access import ADMIN, MARKETING, SALES
from chalicelib.domain.errors import FieldError, InvalidInput
from chalicelib.schemas import (
    ConsentRequest,
    FeedbackRequest,
    FunnelReport,
    LeadExport,
    LeadList,
    LeadListFilter,
    LeadView,
    TrackingLinksRequest,
    TrackingLinksResponse,
)
from chalicelib.wiring import get_services

sales = Blueprint(__name__)


def _limit(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit():
        raise InvalidInput([FieldError("limit", "must be a whole number from 1 to 100")])
    return int(value)


@operation(
    sales,
    "/v1/tracking-links",
    "POST",
    summary="Sign an open pixel and tracked links",
    tag="sales",
    roles=MARKETING,
    request=TrackingLinksRequest,
    responses={
        201: ("The pixel and the tracked links.", TrackingLinksResponse),
        410: ("The person was erased.", None),
    },
)
def create_tracking_links() -> Response:
    request = sales.current_request
    body = parse_model(TrackingLinksRequest, json_body(request))
    links = get_services().capture.create_tracking_links(body, request_context(request))
    return Response(body=links.model_dump(), status_code=201)


@operation(
    sales,
    "/v1/leads",
    "GET",
    summary="Leads, highest score first",
    tag="sales",
    roles=SALES,
    responses={200: ("A page of leads.", LeadList)},
    query=(
        Param("stage", "visitor, lead, mql, sql, customer or recycled."),
        Param("email", "Find the lead with this e-mail address."),
        Param("user_id", "Find the lead with this Segment userId."),
        Param(
            "limit",
            "1 to 100 (default 25).",
            schema={"type": "integer", "minimum": 1, "maximum": 100},
        ),
        Param("cursor", "next_cursor of the previous page."),
        Param("country", "Only leads from this country (as stored, e.g. NL)."),
        Param(
            "channel",
            "Only leads whose advised channel is this.",
            schema={"type": "string", "enum": ["phone", "email"]},
        ),
        Param("company", "Only leads whose company name or domain contains this."),
    ),
)
def list_leads() -> dict[str, object]:
    params = query_params(sales.current_request)
    where = parse_model(
        LeadListFilter, {k: params[k] for k in ("country", "channel", "company") if k in params}
    )
    found = get_services().sales.list_leads(
        params.get("stage"),
        params.get("email"),
        _limit(params.get("limit")),
        params.get("cursor"),
        where,
        user_id=params.get("user_id"),
    )
    return found.model_dump()


@operation(
    sales,
    "/v1/leads/{lead_id}",
    "GET",
    summary="A lead with reasons and timeline",
    tag="sales",
    roles=SALES,
    responses={200: ("The lead.", LeadView)},
)
def get_lead(lead_id: str) -> dict[str, object]:
    return get_services().sales.view(lead_id).model_dump()


@operation(
    sales,
    "/v1/leads/{lead_id}",
    "DELETE",
    summary="Erase a person (GDPR art. 17)",
    tag="privacy",
    roles=ADMIN,
    responses={204: ("Erased.", None)},
)
def erase_lead(lead_id: str) -> Response:
    get_services().sales.erase(lead_id)
    return Response(body="", status_code=204)


@operation(
    sales,
    "/v1/leads/{lead_id}/feedback",
    "POST",
    summary="Sales feedback on a lead",
    tag="sales",
    roles=SALES,
    request=FeedbackRequest,
    responses={
        200: ("The lead after the transition.", LeadView),
        409: ("The outcome does not fit the lead's stage.", None),
    },
)
def lead_feedback(lead_id: str) -> dict[str, object]:
    body = parse_model(FeedbackRequest, json_body(sales.current_request))
    return get_services().sales.feedback(lead_id, body).model_dump()


@operation(
    sales,
    "/v1/leads/{lead_id}/consent",
    "POST",
    summary="Record consent given or withdrawn",
    tag="privacy",
    roles=ADMIN,
    request=ConsentRequest,
    responses={200: ("The lead.", LeadView)},
)
def lead_consent(lead_id: str) -> dict[str, object]:
    body = parse_model(ConsentRequest, json_body(sales.current_request))
    return get_services().sales.set_consent(lead_id, body).model_dump()


@operation(
    sales,
    "/v1/leads/{lead_id}/export",
    "GET",
    summary="Everything held about a person (GDPR art. 15, 20)",
    tag="privacy",
    roles=ADMIN,
    responses={200: ("The export.", LeadExport)},
)
def export_lead(lead_id: str) -> dict[str, object]:
    return get_services().sales.export(lead_id).model_dump()


@operation(
    sales,
    "/v1/reports/funnel",
    "GET",
    summary="Counts per stage and conversion",
    tag="reports",
    roles=MARKETING,
    responses={200: ("The funnel.", FunnelReport)},
    query=(
        Param("from", "First day (YYYY-MM-DD), default 30 days ago."),
        Param("to", "Last day (YYYY-MM-DD), default today."),
        Param(
            "daily",
            "true: add the entries per stage per day (`daily`).",
            schema={"type": "string", "enum": ["true", "false"]},
        ),
    ),
)
def funnel_report() -> dict[str, object]:
    params = query_params(sales.current_request)
    daily = params.get("daily", "false") == "true"
    report = get_services().reports.funnel(params.get("from"), params.get("to"), daily)
    return report.model_dump(exclude=None if daily else {"daily"})
