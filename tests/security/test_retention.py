"""Minimisation and retention: what is stored expires when docs/PRIVACY.md says it does,
no whole IP address is stored, and erasure leaves nothing that names the person."""

from __future__ import annotations

import json
import time

import pytest

from infra.definitions import table_names, ttl_attributes
from tests.security.conftest import client_address, in_process

DAY = 86_400
KB = "https://kb.example.nl"
PERSON = {
    "email": "sanne.devries@acme.nl",
    "first_name": "Sanne",
    "last_name": "de Vries",
    "phone": "+31 20 123 4567",
    "company": "Acme",
    "anonymous_id": "anon-retention-01",
    "page_url": f"{KB}/whitepapers/itsm",
}


def _all_items(app) -> str:
    return json.dumps(
        [app.scan(table) for table in ("leads", "events", "quarantine", "idempotency")],
        default=str,
    )


@pytest.mark.parametrize(("setting", "days"), [(None, 395), ("30", 30)])
def test_raw_events_expire_after_the_retention_period(setting, days):
    # Given the default retention, or EVENT_RETENTION_DAYS set
    env = {"EVENT_RETENTION_DAYS": setting} if setting else {}
    with in_process(**env) as app:
        # When a form post and a page view are stored
        app.request("POST", "/v1/forms/whitepaper/submissions", PERSON)
        app.request(
            "POST",
            "/v1/t/events",
            {"anonymous_id": PERSON["anonymous_id"], "events": [{"type": "page_view", "url": KB}]},
        )
        events = app.scan("events")
    # Then every event item expires that many days after it happened
    assert len(events) >= 2
    for item in events:
        assert item["expires_at"] == pytest.approx(item["occurred_at"] + days * DAY, abs=1)


def test_quarantined_submissions_expire_after_30_days():
    # Given a bot that fills the honeypot
    with in_process() as app:
        answer = app.request(
            "POST", "/v1/forms/whitepaper/submissions", {**PERSON, "website": "http://spam"}
        )
        quarantined = app.scan("quarantine")
        leads = app.scan("leads")
    # Then it is answered like a person, kept 30 days in the quarantine, and is no lead
    assert answer.status_code == 201
    assert len(quarantined) == 1
    assert quarantined[0]["expires_at"] == pytest.approx(quarantined[0]["at"] + 30 * DAY, abs=1)
    assert leads == []


def test_idempotency_records_expire_after_24_hours():
    # Given a form post with an Idempotency-Key
    with in_process() as app:
        before = time.time()
        app.request(
            "POST", "/v1/forms/whitepaper/submissions", PERSON, **{"Idempotency-Key": "k-1"}
        )
        records = app.scan("idempotency")
    # Then its record expires a day later (and the record that makes the same submission
    # count once without a key expires after the model's repeat window, 10 minutes)
    assert len(records) == 2
    expirations = sorted(r["expiration"] for r in records)
    assert expirations[1] == pytest.approx(before + DAY, abs=60)
    assert expirations[0] == pytest.approx(before + 10 * 60, abs=60)


def test_the_tables_with_expiring_items_have_ttl_switched_on():
    # Given the table definitions infra/ deploys and the local stack creates
    names = table_names("prod")
    ttl = ttl_attributes("prod")
    # Then DynamoDB deletes expired events, quarantine items and idempotency records
    assert ttl[names["events"]] == "expires_at"
    assert ttl[names["quarantine"]] == "expires_at"
    assert ttl[names["idempotency"]] == "expiration"


def test_no_whole_ip_address_is_stored_only_its_network():
    # Given a visitor at a public address
    with client_address("203.0.113.77"), in_process() as app:
        # When the visitor browses, posts a form and opens a tracked mail
        app.request(
            "POST",
            "/v1/t/events",
            {"anonymous_id": PERSON["anonymous_id"], "events": [{"type": "page_view", "url": KB}]},
        )
        app.request("GET", f"/v1/t/p.gif?aid={PERSON['anonymous_id']}&url={KB}/about")
        app.request("POST", "/v1/forms/whitepaper/submissions", PERSON)
        links = json.loads(
            app.sales(
                "POST",
                "/v1/tracking-links",
                {"email": PERSON["email"], "campaign_id": "c", "message_id": "m", "links": [KB]},
            ).body
        )
        app.request("GET", links["open_pixel_url"].split("/v1/", 1)[1].join(["/v1/", ""]))
        app.score_new_events()
        stored = _all_items(app)
    # Then the address is nowhere; the form event keeps its /24 for abuse analysis only
    assert "203.0.113.77" not in stored
    assert "203.0.113.0/24" in stored


def test_erasure_leaves_nothing_that_names_the_person():
    # Given a lead with a profile, events, a score and an export
    with in_process() as app:
        app.request(
            "POST", "/v1/forms/whitepaper/submissions", {**PERSON, "consent_marketing": "on"}
        )
        app.score_new_events()
        lead_id = app.scan("leads")[0]["lead_id"]
        assert app.sales("GET", f"/v1/leads/{lead_id}/export").status_code == 200
        # When the person is erased
        erased = app.sales("DELETE", f"/v1/leads/{lead_id}")
        stored = _all_items(app)
        after = app.sales("GET", f"/v1/leads/{lead_id}")
    # Then no item holds the address, the name or the phone, and the lead is gone
    assert erased.status_code == 204
    assert after.status_code == 404
    for value in ("sanne.devries", "Sanne", "de Vries", "123 4567", "1234567"):
        assert value not in stored, value
