"""Scores sales can trust, through the HTTP API on DynamoDB, SNS and SQS under moto:
mail scanners score nothing and publish nothing; every repeat counts once (issue 11)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from tests.support import DIRECTOR

KB = "https://kb.example.nl"
AID = "anon-0123456789"
GIF_MAGIC = b"GIF89a"
LINKS = [f"{KB}/pricing", f"{KB}/docs/install", f"{KB}/articles/itsm/why-itil", f"{KB}/about"]
CONSENTING = {**DIRECTOR, "consent_marketing": "true"}


def _lead(harness, lead_id):
    answer = harness.sales("GET", f"/v1/leads/{lead_id}")
    assert answer.status_code == 200
    return json.loads(answer.body)


def _items(harness, kind):
    return [i for i in harness._scan(harness.names["events"]) if i.get("type") == kind]


def _inbox(harness):
    return harness.sqs.receive_message(QueueUrl=harness.inbox, MaxNumberOfMessages=10).get(
        "Messages", []
    )


def test_a_mail_scanner_with_a_chrome_agent_changes_nothing_and_publishes_nothing(harness):
    # Given Jan, who asked for the whitepaper, and a personal follow-up mail with four links
    created = json.loads(harness.post("/v1/forms/whitepaper/submissions", CONSENTING).body)
    harness.pump()
    before = _lead(harness, created["lead_id"])
    links = harness.sales(
        "POST",
        "/v1/tracking-links",
        {
            "lead_id": created["lead_id"],
            "campaign_id": "follow-up",
            "message_id": "m-1",
            "links": LINKS,
            "personal": True,
        },
    )
    assert links.status_code == 201
    tracked = json.loads(links.body)
    # When a mail scanner fetches the pixel and all four links at once, as Chrome
    assert harness.get(urlsplit(tracked["open_pixel_url"]).path).body.startswith(GIF_MAGIC)
    for url in LINKS:
        answer = harness.get(urlsplit(tracked["links"][url]).path)
        assert (answer.status_code, answer.headers["Location"]) == (302, url)
    answers = harness.pump()
    # Then the lead's stage and score are unchanged, and no hot lead is published
    assert all(a == {"batchItemFailures": []} for a in answers)
    after = _lead(harness, created["lead_id"])
    assert (after["stage"], after["score"]) == (before["stage"], before["score"])
    assert after["stage"] != "sql"
    assert _inbox(harness) == []
    # And every hit is stored, labelled, and shows in the funnel's machine share
    hits = _items(harness, "email_open") + _items(harness, "email_click")
    assert len(hits) == 5
    assert all(i.get("machine") for i in _items(harness, "email_click"))
    funnel = json.loads(harness.sales("GET", "/v1/reports/funnel").body)
    assert funnel["machine_hits"] == 5


def test_a_repeated_beacon_is_one_event(harness):
    body = {
        "anonymous_id": AID,
        "events": [
            {"type": "page_view", "url": f"{KB}/pricing", "event_id": "7d1c2e9a-0c1b-4c1e-a111"},
            {"type": "page_view", "url": f"{KB}/about", "event_id": "7d1c2e9a-0c1b-4c1e-a112"},
        ],
    }
    answers = [harness.post("/v1/t/events", json.dumps(body), "text/plain") for _ in range(2)]
    assert [a.status_code for a in answers] == [202, 202]
    assert [json.loads(a.body) for a in answers] == [{"accepted": 2, "rejected": []}] * 2
    assert len(_items(harness, "page_view")) == 2


def test_a_bad_event_id_is_a_422_naming_the_event(harness):
    body = {"anonymous_id": AID, "events": [{"type": "page_view", "event_id": "no spaces ok"}]}
    answer = harness.post("/v1/t/events", body)
    assert answer.status_code == 422
    assert "events.0.event_id" in json.loads(answer.body)["message"]
    assert _items(harness, "page_view") == []


def test_a_double_submitted_whitepaper_form_is_one_submission_with_or_without_keys(harness):
    post = {**DIRECTOR, "anonymous_id": AID}
    answers = [
        harness.post("/v1/forms/whitepaper/submissions", post),
        harness.post("/v1/forms/whitepaper/submissions", post),
        harness.post("/v1/forms/whitepaper/submissions", post, **{"idempotency-key": "k-2"}),
        harness.post(
            "/v1/forms/whitepaper/submissions",
            "&".join(f"{k}={v}" for k, v in post.items()).replace(" ", "+"),
            "application/x-www-form-urlencoded",
        ),
    ]
    assert [a.status_code for a in answers] == [201, 201, 201, 303]
    assert len({a.body for a in answers[:3]}) == 1
    first = json.loads(answers[0].body)
    assert answers[3].headers["Location"] == first["redirect_url"]
    harness.pump()
    assert len(_items(harness, "form_submit")) == 1
    assert _lead(harness, first["lead_id"])["stage"] == "lead"  # not "submitted 2 forms"


def test_a_repeated_click_still_redirects_and_a_repeated_open_still_gets_its_gif(harness):
    created = json.loads(harness.post("/v1/forms/whitepaper/submissions", CONSENTING).body)
    tracked = json.loads(
        harness.sales(
            "POST",
            "/v1/tracking-links",
            {
                "lead_id": created["lead_id"],
                "campaign_id": "nov",
                "message_id": "m-2",
                "links": LINKS[:1],
            },
        ).body
    )
    for _ in range(3):
        assert harness.get(urlsplit(tracked["open_pixel_url"]).path).body.startswith(GIF_MAGIC)
        answer = harness.get(urlsplit(tracked["links"][LINKS[0]]).path)
        assert (answer.status_code, answer.headers["Location"]) == (302, LINKS[0])
    assert len(_items(harness, "email_open")) == 1
    assert len(_items(harness, "email_click")) == 1


def test_an_idempotency_key_keeps_its_day_after_a_keyless_post_in_the_same_container(harness):
    import time

    before = time.time()
    harness.post("/v1/forms/newsletter/submissions", {"email": "ann@acme.nl"})
    harness.post(
        "/v1/forms/newsletter/submissions", {"email": "bob@acme.nl"}, **{"idempotency-key": "k-9"}
    )
    expirations = sorted(r["expiration"] for r in harness._scan(harness.names["idempotency"]))
    # two 10-minute form-repeat records, and the key's record a day ahead
    assert expirations[:2] == [pytest.approx(before + 600, abs=60)] * 2
    assert expirations[2:] == [pytest.approx(before + 86_400, abs=60)]
