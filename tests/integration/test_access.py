"""Roles on the routes, end to end in-process: Cognito tokens from the emulated user pool,
the API key for machines, 403 naming the role with the attempt in the audit log."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from chalicelib.adapters.attributes import from_item
from tests.integration.conftest import API_KEY, AppHarness


def _call(harness: AppHarness, method: str, path: str, token: str, body: Any = None) -> Any:
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    call = getattr(harness.client.http, method.lower())
    if body is None:
        return call(path, headers=headers)
    return call(path, headers=headers, body=json.dumps(body))


def _lead(harness: AppHarness) -> str:
    answer = harness.post(
        "/v1/forms/whitepaper/submissions",
        {"email": "jan@acme.nl", "first_name": "Jan", "company": "Acme"},
    )
    assert answer.status_code == 201, answer.body
    harness.pump()
    return str(json.loads(answer.body)["lead_id"])


def _audit(harness: AppHarness) -> list[dict[str, Any]]:
    answer = harness.dynamodb.scan(TableName=harness.names["leads"])
    items = [from_item(i) for i in answer["Items"]]
    return [i for i in items if str(i["pk"]).startswith("AUDIT#")]


def test_sales_reads_leads_and_gives_feedback_with_a_pool_token(harness, signed_in):
    lead_id = _lead(harness)
    assert _call(harness, "GET", "/v1/leads?stage=lead", signed_in["sales"]).status_code == 200
    assert _call(harness, "GET", f"/v1/leads/{lead_id}", signed_in["sales"]).status_code == 200
    feedback = _call(
        harness,
        "POST",
        f"/v1/leads/{lead_id}/feedback",
        signed_in["sales-access"],
        {"outcome": "won", "note": "signed"},
    )
    assert feedback.status_code == 200, feedback.body
    assert json.loads(feedback.body)["stage"] == "customer"


def test_sales_gets_403_from_erasure_naming_admin_and_the_attempt_is_audited(harness, signed_in):
    # Given a lead and a salesperson
    lead_id = _lead(harness)
    # When she tries to erase it
    answer = _call(harness, "DELETE", f"/v1/leads/{lead_id}", signed_in["sales"])
    # Then she is refused, told the role needed, and the lead is still there
    assert answer.status_code == 403
    assert "admin" in json.loads(answer.body)["message"]
    assert _call(harness, "GET", f"/v1/leads/{lead_id}", signed_in["sales"]).status_code == 200
    # And the attempt is in the audit log, with who, what and the role needed
    denied = [a for a in _audit(harness) if a["action"] == "access_denied"]
    assert len(denied) == 1
    assert denied[0]["lead_id"] == lead_id
    detail = json.loads(denied[0]["detail"])
    assert detail["who"] == "sales@trechter.local"
    assert detail["path"] == "/v1/leads/{lead_id}"
    assert detail["method"] == "DELETE"
    assert detail["needed"] == ["admin"]


def test_sales_cannot_see_the_funnel_but_marketing_can(harness, signed_in):
    assert _call(harness, "GET", "/v1/reports/funnel", signed_in["sales"]).status_code == 403
    assert _call(harness, "GET", "/v1/reports/funnel", signed_in["marketing"]).status_code == 200


def test_marketing_cannot_export_but_admin_can_and_erases(harness, signed_in):
    lead_id = _lead(harness)
    path = f"/v1/leads/{lead_id}/export"
    assert _call(harness, "GET", path, signed_in["marketing"]).status_code == 403
    assert _call(harness, "GET", path, signed_in["admin"]).status_code == 200
    assert _call(harness, "DELETE", f"/v1/leads/{lead_id}", signed_in["admin"]).status_code == 204


def test_the_api_key_still_reaches_every_role_s_routes(harness, signed_in):
    lead_id = _lead(harness)
    assert harness.sales("GET", f"/v1/leads/{lead_id}/export").status_code == 200
    assert harness.sales("GET", "/v1/reports/funnel").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": "Bearer not-a-token"},
        {"authorization": "Basic c2FsZXM6cHc="},
        {"x-api-key": "wrong-key"},
    ],
)
def test_no_or_bad_credentials_get_401_and_are_never_believed(harness, signed_in, headers):
    answer = harness.client.http.get("/v1/leads", headers=headers)
    assert answer.status_code == 401
    assert "Bearer" in answer.headers["WWW-Authenticate"]


def test_a_wrong_api_key_is_refused_even_beside_a_good_token(harness, signed_in):
    answer = harness.client.http.get(
        "/v1/leads",
        headers={"x-api-key": "wrong-key", "authorization": f"Bearer {signed_in['admin']}"},
    )
    assert answer.status_code == 401
    assert API_KEY != "wrong-key"


def test_the_console_origin_may_send_its_bearer_token_cross_origin(harness):
    answer = harness.client.http.request(
        "OPTIONS",
        "/v1/leads",
        headers={"origin": "https://kb.example.nl", "access-control-request-method": "GET"},
    )
    assert answer.status_code == 204
    assert "Authorization" in answer.headers["Access-Control-Allow-Headers"]
    assert "DELETE" in answer.headers["Access-Control-Allow-Methods"]


# -- the console's own routes -----------------------------------------------------------


def test_sales_reads_a_lead_s_ledger_oldest_first_with_sentences(harness, signed_in):
    lead_id = _lead(harness)
    answer = _call(harness, "GET", f"/v1/leads/{lead_id}/ledger", signed_in["sales"])
    assert answer.status_code == 200
    entries = json.loads(answer.body)["entries"]
    assert entries, "a whitepaper download earns points"
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    assert all(e["text"] and e["kind"] in ("fit", "engagement", "outcome") for e in entries)
    missing = _call(harness, "GET", "/v1/leads/nope/ledger", signed_in["sales"])
    assert missing.status_code == 404


def test_marketing_reads_the_rule_book_and_sales_may_not(harness, signed_in):
    from chalicelib.domain.scoring.model import load_scoring_model

    assert _call(harness, "GET", "/v1/scoring/rules", signed_in["sales"]).status_code == 403
    answer = _call(harness, "GET", "/v1/scoring/rules", signed_in["marketing"])
    assert answer.status_code == 200
    book = json.loads(answer.body)
    model = load_scoring_model(None)
    assert book["version"] == model.version
    ids = {r["id"] for r in book["rules"]}
    assert {r.id for r in model.fit_rules} <= ids
    assert {r.id for r in model.engagement_rules} <= ids
    assert all(r["text"] for r in book["rules"])


def _held_stream_record(harness: AppHarness) -> None:
    from chalicelib.adapters.streams import event_deliveries
    from chalicelib.services.container import get_services

    poison = {"eventID": "1", "eventName": "INSERT", "dynamodb": {"SequenceNumber": "1"}}
    get_services().scoring.process(event_deliveries([poison], time.time()))


def test_admin_lists_the_quarantine_and_others_may_not(harness, signed_in):
    _held_stream_record(harness)
    for role in ("sales", "marketing"):
        assert _call(harness, "GET", "/v1/quarantine", signed_in[role]).status_code == 403
    answer = _call(harness, "GET", "/v1/quarantine", signed_in["admin"])
    assert answer.status_code == 200
    items = json.loads(answer.body)["items"]
    assert [i["source"] for i in items] == ["stream:events"]
    assert items[0]["reason"] and items[0]["can_redrive"] is True


def test_a_redrive_of_a_still_broken_record_keeps_it_held_with_the_reason(harness, signed_in):
    _held_stream_record(harness)
    ref = json.loads(_call(harness, "GET", "/v1/quarantine", signed_in["admin"]).body)["items"][0][
        "ref"
    ]
    answer = _call(harness, "POST", f"/v1/quarantine/{ref}/redrive", signed_in["admin"])
    assert answer.status_code == 200
    assert json.loads(answer.body)["outcome"] == "rejected_again"
    held = json.loads(_call(harness, "GET", "/v1/quarantine", signed_in["admin"]).body)["items"]
    assert [i["ref"] for i in held] == [ref]


def test_a_redrive_of_a_fixed_record_scores_it_and_lets_it_go(harness, signed_in):
    # Given a lead's event whose stream record was held (say, during an outage)
    from chalicelib.services.container import get_services
    from tests.support import stream_record

    lead_id = _lead(harness)
    before = _call(harness, "GET", f"/v1/leads/{lead_id}/ledger", signed_in["admin"])
    event_items = harness._scan(harness.names["events"])
    record = stream_record(event_items[0])
    get_services().quarantine.put("stream:events", "scoring failed (outage)", record, time.time())
    ref = json.loads(_call(harness, "GET", "/v1/quarantine", signed_in["admin"]).body)["items"][0][
        "ref"
    ]
    # When an admin re-drives it
    answer = _call(harness, "POST", f"/v1/quarantine/{ref}/redrive", signed_in["admin"])
    # Then it is processed (idempotently: the ledger is unchanged) and let go, and audited
    assert json.loads(answer.body)["outcome"] == "processed", answer.body
    after = _call(harness, "GET", f"/v1/leads/{lead_id}/ledger", signed_in["admin"])
    assert json.loads(after.body) == json.loads(before.body)
    assert (
        json.loads(_call(harness, "GET", "/v1/quarantine", signed_in["admin"]).body)["items"] == []
    )
    log = json.loads(_call(harness, "GET", "/v1/audit-log", signed_in["admin"]).body)["items"]
    assert log[0]["action"] == "quarantine_redriven"
    assert log[0]["detail"]["who"] == "admin@trechter.local"


def test_admin_deletes_a_held_item_and_the_audit_log_says_who(harness, signed_in):
    from chalicelib.services.container import get_services

    get_services().quarantine.put("form:demo", "honeypot field 'website' was filled in", {}, 1.0)
    get_services().quarantine.put(
        "form:demo", "honeypot field 'website' was filled in", {}, time.time()
    )
    ref = json.loads(_call(harness, "GET", "/v1/quarantine", signed_in["admin"]).body)["items"][0][
        "ref"
    ]
    redrive = _call(harness, "POST", f"/v1/quarantine/{ref}/redrive", signed_in["admin"])
    assert redrive.status_code == 409
    assert _call(harness, "DELETE", f"/v1/quarantine/{ref}", signed_in["sales"]).status_code == 403
    assert _call(harness, "DELETE", f"/v1/quarantine/{ref}", signed_in["admin"]).status_code == 204
    assert _call(harness, "DELETE", f"/v1/quarantine/{ref}", signed_in["admin"]).status_code == 404
    log = json.loads(_call(harness, "GET", "/v1/audit-log", signed_in["admin"]).body)["items"]
    actions = [entry["action"] for entry in log]
    assert actions[0] == "quarantine_deleted"
    assert "access_denied" in actions
    assert _call(harness, "GET", "/v1/audit-log", signed_in["marketing"]).status_code == 403


def test_the_funnel_gives_entries_per_stage_per_day_when_asked(harness, signed_in):
    _lead(harness)
    plain = json.loads(_call(harness, "GET", "/v1/reports/funnel", signed_in["marketing"]).body)
    assert "daily" not in plain
    assert "machine_share" in plain
    answer = _call(
        harness,
        "GET",
        "/v1/reports/funnel?from=2026-06-01&to=2027-06-01&daily=true",
        signed_in["marketing"],
    )
    report = json.loads(answer.body)
    days = report["daily"]
    assert len(days) == 366
    assert [d["day"] for d in days] == sorted(d["day"] for d in days)
    assert sum(d["entered"]["lead"] for d in days) == report["entered"]["lead"] >= 1


def test_a_held_lead_record_is_not_re_driven_by_the_api_and_says_what_to_do(harness, signed_in):
    from chalicelib.services.container import get_services

    get_services().quarantine.put("stream:leads", "corrupt lead record", {"x": 1}, time.time())
    items = json.loads(_call(harness, "GET", "/v1/quarantine", signed_in["admin"]).body)["items"]
    assert items[0]["can_redrive"] is False
    answer = _call(harness, "POST", f"/v1/quarantine/{items[0]['ref']}/redrive", signed_in["admin"])
    assert answer.status_code == 409
    assert "make rescore" in json.loads(answer.body)["message"]


def test_sales_sees_the_colleagues_who_read_recently_newest_first(harness, signed_in):
    # Given three people at one company who read about ITSM, one after the other
    ids = []
    for n in range(3):
        aid = f"anon-colleague-{n:04d}"
        answer = harness.post(
            "/v1/forms/whitepaper/submissions",
            {"email": f"p{n}@acme-corp.nl", "first_name": f"P{n}", "anonymous_id": aid},
        )
        assert answer.status_code == 201, answer.body
        ids.append(json.loads(answer.body)["lead_id"])
        harness.pump()
        beacon = harness.post(
            "/v1/t/events",
            {
                "anonymous_id": aid,
                "events": [
                    {
                        "type": "page_view",
                        "url": "https://kb.example.nl/articles/itsm/why-itil",
                        "title": "Why ITIL",
                    }
                ],
            },
        )
        assert beacon.status_code == 202, beacon.body
        harness.pump()
    # When a salesperson looks at the first one's colleagues
    answer = _call(harness, "GET", f"/v1/leads/{ids[0]}/colleagues", signed_in["sales"])
    # Then the other two are listed, newest reader first, with what they read
    assert answer.status_code == 200, answer.body
    activity = json.loads(answer.body)
    assert activity["company_domain"] == "acme-corp.nl"
    assert [c["lead_id"] for c in activity["colleagues"]] == [ids[2], ids[1]]
    assert activity["colleagues"][0]["topics"] == ["itsm"]
    assert activity["colleagues"][0]["first_name"] == "P2"


def test_lead_data_is_never_cached_by_a_browser_or_a_proxy(harness, signed_in):
    lead_id = _lead(harness)
    answer = _call(harness, "GET", f"/v1/leads/{lead_id}", signed_in["sales"])
    assert "no-store" in answer.headers["Cache-Control"]
    health = harness.client.http.get("/v1/health")
    assert "no-store" not in health.headers.get("Cache-Control", "")
