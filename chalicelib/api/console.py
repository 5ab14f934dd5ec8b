"""Routes the console needs beyond the sales API: a lead's score history (sales), the
rule book (marketing), the quarantine and the audit log (admin)."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api.access import caller
from chalicelib.api.registry import operation
from chalicelib.domain.access import ADMIN, MARKETING, SALES
from chalicelib.schemas_console import (
    AuditLog,
    CompanyActivity,
    LeadLedger,
    QuarantineList,
    RedriveResult,
    RuleBook,
)
from chalicelib.services.console import ConsoleService, rule_book
from chalicelib.wiring import get_services

console = Blueprint(__name__)


def _service() -> ConsoleService:
    service = get_services().console
    if service is None:  # build_services always builds it
        raise RuntimeError("the console service is not wired")
    return service


@operation(
    console,
    "/v1/leads/{lead_id}/ledger",
    "GET",
    summary="Every score change of a lead, oldest first (the score's history)",
    tag="sales",
    roles=SALES,
    responses={200: ("The ledger.", LeadLedger)},
)
def lead_ledger(lead_id: str) -> dict[str, object]:
    return _service().ledger(lead_id).model_dump()


@operation(
    console,
    "/v1/scoring/rules",
    "GET",
    summary="The active scoring model's rules, points and sentences",
    tag="scoring",
    roles=MARKETING,
    responses={200: ("The rule book.", RuleBook)},
)
def scoring_rules() -> dict[str, object]:
    return rule_book(get_services().active_model.current()).model_dump()


@operation(
    console,
    "/v1/quarantine",
    "GET",
    summary="What was rejected after it was accepted, with the reason",
    tag="admin",
    roles=ADMIN,
    responses={200: ("Held items, newest first.", QuarantineList)},
)
def list_quarantine() -> dict[str, object]:
    return _service().held().model_dump()


@operation(
    console,
    "/v1/quarantine/{ref}/redrive",
    "POST",
    summary="Feed a held stream record to its handler again, once the cause is fixed",
    tag="admin",
    roles=ADMIN,
    responses={
        200: ("What happened.", RedriveResult),
        409: ("This source cannot be re-driven.", None),
    },
)
def redrive_quarantined(ref: str) -> dict[str, object]:
    return _service().redrive(ref, caller(console.current_request)).model_dump()


@operation(
    console,
    "/v1/quarantine/{ref}",
    "DELETE",
    summary="Let go of a held item for good",
    tag="admin",
    roles=ADMIN,
    responses={204: ("Deleted.", None)},
)
def delete_quarantined(ref: str) -> Response:
    _service().delete(ref, caller(console.current_request))
    return Response(body="", status_code=204)


@operation(
    console,
    "/v1/audit-log",
    "GET",
    summary="Erasures, denied access, re-drives: the newest audit records",
    tag="admin",
    roles=ADMIN,
    responses={200: ("The audit log.", AuditLog)},
)
def audit_log() -> dict[str, object]:
    return _service().audit_log().model_dump()


@operation(
    console,
    "/v1/leads/{lead_id}/colleagues",
    "GET",
    summary="Colleagues at the lead's company who read recently, newest first",
    tag="sales",
    roles=SALES,
    responses={200: ("The company's recent readers.", CompanyActivity)},
)
def lead_colleagues(lead_id: str) -> dict[str, object]:
    return _service().colleagues(lead_id).model_dump()
