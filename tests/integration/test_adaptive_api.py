"""Adaptive scoring through the HTTP API on DynamoDB (moto): outcomes and live models."""

from __future__ import annotations

import json

import yaml

from chalicelib.domain.scoring.model import DEFAULT_MODEL_PATH
from tests.integration.conftest import API_KEY
from tests.support import DIRECTOR


def submitted(harness, profile=DIRECTOR, form="whitepaper") -> str:
    answer = harness.post(f"/v1/forms/{form}/submissions", profile)
    assert answer.status_code in (200, 201, 303), answer.body
    harness.pump()
    listed = json.loads(harness.sales("GET", f"/v1/leads?email={profile['email']}").body)
    return listed["items"][0]["lead_id"]


def model_text(version: str, name_points: int = 5) -> str:
    data = yaml.safe_load(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))
    data["version"] = version
    for rule in data["fit_rules"]:
        if rule["id"] == "complete_name":
            rule["points"] = name_points
    return yaml.safe_dump(data, allow_unicode=True)


def test_outcomes_need_the_api_key(harness) -> None:
    answer = harness.post("/v1/outcomes", {"outcomes": []})
    assert answer.status_code == 401


def test_outcomes_apply_per_row_and_a_bad_envelope_names_the_field(harness) -> None:
    lead_id = submitted(harness)
    answer = harness.sales(
        "POST",
        "/v1/outcomes",
        {
            "outcomes": [
                {"email": DIRECTOR["email"], "outcome": "won", "closed_at": "2026-11-10T10:00Z"},
                {"email": "who@nowhere.nl", "outcome": "lost", "closed_at": "2026-11-10T10:00Z"},
            ]
        },
    )
    assert answer.status_code == 200, answer.body
    body = json.loads(answer.body)
    assert body["applied"] == 1
    assert [r["index"] for r in body["rejected"]] == [1]
    lead = json.loads(harness.sales("GET", f"/v1/leads/{lead_id}").body)
    assert lead["stage"] == "customer"
    bad = harness.sales("POST", "/v1/outcomes", {"rows": []})
    assert bad.status_code == 422
    assert {e["field"] for e in json.loads(bad.body)["errors"]} >= {"outcomes"}


def test_a_promoted_model_scores_new_events_without_a_deploy_and_rolls_back(harness) -> None:
    listed = json.loads(harness.sales("GET", "/v1/scoring/models").body)
    first = listed["active"]
    assert [i["source"] for i in listed["items"]] == ["packaged"]
    answer = harness.client.http.post(
        "/v1/scoring/models?by=anna",
        headers={"x-api-key": API_KEY, "content-type": "application/yaml"},
        body=model_text("2099.1.1", name_points=33),
    )
    assert answer.status_code == 201, answer.body
    assert json.loads(answer.body)["active"] is False
    promoted = harness.sales("POST", "/v1/scoring/models/2099.1.1/promote", {"by": "anna"})
    assert promoted.status_code == 200, promoted.body
    listed = json.loads(harness.sales("GET", "/v1/scoring/models").body)
    assert listed["active"] == "2099.1.1"
    item = next(i for i in listed["items"] if i["version"] == "2099.1.1")
    assert item["promoted_by"] == "anna" and item["promoted_at"]

    lead_id = submitted(harness)
    ledger = json.loads(harness.sales("GET", f"/v1/leads/{lead_id}/export").body)["ledger"]
    form_points = [e for e in ledger if e["rule"] == "complete_name"]
    assert [(e["points"], e["model_version"]) for e in form_points] == [(33, "2099.1.1")]

    back = harness.sales("POST", f"/v1/scoring/models/{first}/promote", {"by": "bram"})
    assert back.status_code == 200
    assert json.loads(harness.sales("GET", "/v1/scoring/models").body)["active"] == first


def test_an_invalid_model_gets_422_naming_the_line_and_nothing_is_stored(harness) -> None:
    text = model_text("2099.2.1").replace("min_forms: 2", "min_forms: zero")
    answer = harness.client.http.post(
        "/v1/scoring/models",
        headers={"x-api-key": API_KEY, "content-type": "application/yaml"},
        body=text,
    )
    assert answer.status_code == 422
    errors = json.loads(answer.body)["errors"]
    assert any("line" in e["message"] and "min_forms" in e["message"] for e in errors), errors
    assert harness.sales("GET", "/v1/scoring/models/2099.2.1").status_code == 404


def test_a_model_as_json_is_accepted_and_readable(harness) -> None:
    data = yaml.safe_load(model_text("2099.3.1"))
    answer = harness.sales("POST", "/v1/scoring/models", data)
    assert answer.status_code == 201, answer.body
    got = json.loads(harness.sales("GET", "/v1/scoring/models/2099.3.1").body)
    assert got["model"]["version"] == "2099.3.1"
    assert got["source"] == "upload"
    again = dict(data, reasons_shown=3)
    assert harness.sales("POST", "/v1/scoring/models", again).status_code == 409
    assert harness.sales("POST", "/v1/scoring/models/nope/promote").status_code == 404
