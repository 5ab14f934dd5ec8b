"""The published OpenAPI document describes exactly the routes the app serves, with the
credentials and roles on exactly the operations that declare them, from the same pydantic
models."""

from __future__ import annotations

import json

import pytest

from chalicelib.api.openapi import openapi_document
from chalicelib.api.registry import OPERATIONS
from chalicelib.schemas import FormSubmissionBody, TrackerBatch, TrackingLinksRequest


@pytest.fixture(scope="module")
def routes() -> set[tuple[str, str]]:
    import app

    return {
        (path, method.lower()) for path, methods in app.app.routes.items() for method in methods
    }


@pytest.fixture(scope="module")
def document() -> dict[str, object]:
    return openapi_document()


def _operations(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_route_of_the_app_is_in_the_document_and_nothing_else(routes, document):
    # Given the Chalice app's routes and the published document
    documented = {(path, method) for path, method, _ in _operations(document)}
    # When they are compared
    # Then each lists exactly what the other does
    assert routes - documented == set(), "routes missing from /v1/openapi.json"
    assert documented - routes == set(), "documented operations the app does not serve"


def test_the_contract_s_operations_are_all_there(document):
    # Given the operations CONTRACT.md promises (and the campaign kill switch)
    promised = {
        ("/v1/health", "get"),
        ("/v1/openapi.json", "get"),
        ("/v1/forms/{form_id}/submissions", "post"),
        ("/v1/t/p.gif", "get"),
        ("/v1/t/events", "post"),
        ("/v1/t/o/{token}", "get"),
        ("/v1/t/c/{token}", "get"),
        ("/v1/tracking-links", "post"),
        ("/v1/leads", "get"),
        ("/v1/leads/{lead_id}", "get"),
        ("/v1/leads/{lead_id}/feedback", "post"),
        ("/v1/leads/{lead_id}", "delete"),
        ("/v1/leads/{lead_id}/export", "get"),
        ("/v1/reports/funnel", "get"),
        ("/v1/leads/{lead_id}/consent", "post"),
        ("/v1/campaigns/{campaign_id}", "get"),
        ("/v1/campaigns/{campaign_id}", "post"),
    }
    # Then the document has each of them
    documented = {(path, method) for path, method, _ in _operations(document)}
    assert promised <= documented


#: The routes anyone may call; every other route must declare the roles it allows.
PUBLIC = {
    ("/v1/health", "get"),
    ("/v1/openapi.json", "get"),
    ("/v1/forms/{form_id}/submissions", "post"),
    ("/v1/t/p.gif", "get"),
    ("/v1/t/events", "post"),
    ("/v1/t/o/{token}", "get"),
    ("/v1/t/c/{token}", "get"),
}


def test_every_route_but_the_public_ones_declares_its_roles():
    # Given every registered operation
    for op in OPERATIONS:
        route = (op.path, op.method.lower())
        # Then a public one (CORS preflights; Segment's ingest has its own write key)
        # declares none, and every other declares at least one role
        if route in PUBLIC or route[1] == "options" or route[0].startswith("/segment/"):
            continue
        assert op.roles, f"{route} declares no roles: add roles=SALES/MARKETING/ADMIN"
        assert set(op.roles) <= {"sales", "marketing", "admin"}, route


def test_the_roles_are_the_ones_each_team_needs():
    # Given the declared roles per route
    roles = {(op.path, op.method.lower()): set(op.roles) for op in OPERATIONS}
    everyone = {"sales", "marketing", "admin"}
    # Then sales reaches the lead lists, lead pages and feedback
    assert roles[("/v1/leads", "get")] == everyone
    assert roles[("/v1/leads/{lead_id}", "get")] == everyone
    assert roles[("/v1/leads/{lead_id}/feedback", "post")] == everyone
    # and marketing also the funnel, campaigns and tracking links
    for route in (
        ("/v1/reports/funnel", "get"),
        ("/v1/campaigns/{campaign_id}", "get"),
        ("/v1/campaigns/{campaign_id}", "post"),
        ("/v1/tracking-links", "post"),
    ):
        assert roles[route] == {"marketing", "admin"}, route
    # and only admins erase, export and record consent
    for route in (
        ("/v1/leads/{lead_id}", "delete"),
        ("/v1/leads/{lead_id}/export", "get"),
        ("/v1/leads/{lead_id}/consent", "post"),
    ):
        assert roles[route] == {"admin"}, route


def test_credentials_and_roles_are_documented_exactly_where_the_route_declares_roles(document):
    # Given the two credentials: the API key for machines, a user pool token for people
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {"type": "apiKey", "in": "header", "name": "x-api-key"}
    assert schemes["CognitoUser"]["scheme"] == "bearer"
    declared = {(op.path, op.method.lower()): [r.value for r in op.roles] for op in OPERATIONS}
    # Then every operation with roles names both, its roles, 401 and 403; no public one does
    for path, method, operation in _operations(document):
        roles = declared[(path, method)]
        authenticated = bool(roles)
        assert (operation.get("security") == [{"ApiKey": []}, {"CognitoUser": []}]) is (
            authenticated
        ), (path, method)
        assert operation.get("x-roles", []) == roles, (path, method)
        assert ("401" in operation["responses"]) is authenticated, (path, method)
        assert ("403" in operation["responses"]) is authenticated, (path, method)


def test_request_bodies_are_the_models_the_routes_validate_with(document):
    # Given the component schemas
    schemas = document["components"]["schemas"]
    # Then the request bodies point at the pydantic models' own schemas
    tracker = document["paths"]["/v1/t/events"]["post"]["requestBody"]["content"]
    assert set(tracker) == {"text/plain", "application/json"}
    assert tracker["text/plain"]["schema"] == {"$ref": "#/components/schemas/TrackerBatch"}
    form = document["paths"]["/v1/forms/{form_id}/submissions"]["post"]["requestBody"]["content"]
    assert set(form) == {"application/x-www-form-urlencoded", "application/json"}
    for model in (TrackerBatch, FormSubmissionBody, TrackingLinksRequest):
        assert set(schemas[model.__name__]["properties"]) == set(
            model.model_json_schema()["properties"]
        )


def test_every_operation_has_an_id_a_summary_and_answers(document):
    ids = [operation["operationId"] for _, _, operation in _operations(document)]
    assert len(ids) == len(set(ids))
    for path, method, operation in _operations(document):
        assert operation["summary"], (path, method)
        assert operation["responses"], (path, method)


def test_the_document_is_served_at_v1_openapi_json(app_in_process, document):
    # Given the app
    # When a client fetches the document
    answer = app_in_process.request("GET", "/v1/openapi.json")
    # Then it is the same document, as JSON, without credentials
    assert answer.status_code == 200
    served = json.loads(answer.body)
    assert served["openapi"].startswith("3.")
    assert served["paths"].keys() == document["paths"].keys()
