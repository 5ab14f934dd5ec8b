"""The follow-up advice through the Chalice app on DynamoDB and SNS under moto, in Dutch."""

from __future__ import annotations

import json

import pytest

from tests.support import DIRECTOR

KB = "https://kb.example.nl"
AID = "anon-0123456789"


@pytest.fixture
def dutch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SALES_LANGUAGE", "nl")
    monkeypatch.setenv("KNOWLEDGE_BASE_NAME", "ZBC")
    monkeypatch.setenv("CONSOLE_URL", "https://console.example.nl")


def test_a_dutch_deployment_hands_over_in_dutch_on_the_api_and_on_sns(dutch, harness):
    # Given a deployment with SALES_LANGUAGE=nl, and a director who downloads the evaluation
    harness.post("/v1/forms/whitepaper/submissions", {**DIRECTOR, "anonymous_id": AID})
    journey = [
        {"type": "page_view", "url": f"{KB}/articles/itsm/why-itil", "title": "Why ITIL"},
        {"type": "page_view", "url": f"{KB}/pricing", "title": "Pricing"},
        {
            "type": "download",
            "url": f"{KB}/downloads/evaluation-report.pdf",
            "title": "het evaluatierapport",
        },
    ]
    harness.post("/v1/t/events", {"anonymous_id": AID, "events": journey})
    # When the stream handlers have run
    harness.pump()
    # Then the lead reads Dutch, with an opener naming its own acts
    found = json.loads(harness.sales("GET", "/v1/leads?email=jan.jansen@acme.nl").body)["items"][0]
    lead = json.loads(harness.sales("GET", f"/v1/leads/{found['lead_id']}").body)
    assert lead["stage"] == "sql"
    advice = lead["follow_up"]
    assert advice["language"] == "nl" and advice["channel"] == "phone"
    assert "aan de ZBC-kennisbank" in advice["phone_opener"]
    assert "“het evaluatierapport” downloadde" in advice["phone_opener"]
    assert advice["email"]["subject"] == "RE: Artikelen ZBC"
    assert any(r["text"].startswith("Downloadde op ") for r in lead["reasons"])
    assert lead["recommended_channel_reason"] == "een hot lead die een telefoonnummer achterliet"
    assert all(" op " in entry["label"] for entry in lead["timeline"])
    # And the SQS subscriber gets the contract's JSON with the same follow_up
    messages = harness.sqs.receive_message(QueueUrl=harness.inbox, MaxNumberOfMessages=10)[
        "Messages"
    ]
    assert len(messages) == 1
    body = json.loads(messages[0]["Body"])
    assert body["version"] == 1 and body["type"] == "lead.sales_qualified"
    assert body["follow_up"] == advice
    assert [r["text"] for r in body["reasons"]] == [r["text"] for r in lead["reasons"]]
