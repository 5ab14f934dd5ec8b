"""End-to-end on the local stack: lifecycle events on the bus, received by an SQS target."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable

import boto3
import pytest

from tests.e2e.test_journeys import journey, unique_email
from tests.lifecycle_support import validate

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bus_target(local_stack):
    """A subscriber's rule on the bus delivering to its own SQS queue, as the README shows."""
    session = boto3.session.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name="eu-west-1"
    )
    events = session.client("events", endpoint_url=local_stack.emulator_url)
    sqs = session.client("sqs", endpoint_url=local_stack.emulator_url)
    buses = [b["Name"] for b in events.list_event_buses()["EventBuses"] if "trechter" in b["Name"]]
    assert len(buses) == 1, buses
    assert "lifecycle bus  " + buses[0] in local_stack.log()
    queue = sqs.create_queue(QueueName=f"e2e-crm-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    rule = f"e2e-crm-{uuid.uuid4().hex[:6]}"
    events.put_rule(
        Name=rule, EventBusName=buses[0], EventPattern=json.dumps({"source": ["trechter"]})
    )
    events.put_targets(Rule=rule, EventBusName=buses[0], Targets=[{"Id": "crm", "Arn": arn}])
    received: list[dict] = []

    def drain() -> None:
        answer = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
        for message in answer.get("Messages", []):
            received.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        if not answer.get("Messages"):
            time.sleep(0.3)

    def events_for(lead_id: str, done: Callable[[list[dict]], bool], wait: float = 20.0):
        """This lead's events once ``done`` holds, and whatever follows within a second."""
        deadline = time.monotonic() + wait
        while not done(mine := [e for e in received if e["detail"]["lead_id"] == lead_id]):
            if time.monotonic() > deadline:
                return mine
            drain()
        settle = time.monotonic() + 1.0  # nothing unexpected may follow
        while time.monotonic() < settle:
            drain()
        return [e for e in received if e["detail"]["lead_id"] == lead_id]

    return events_for


def test_a_journey_from_form_to_sql_to_lost_puts_exactly_the_expected_events_on_the_bus(
    local_stack, bus_target
):
    email = unique_email()
    lead_id = journey(local_stack, email, f"anon-{uuid.uuid4().hex}", form="whitepaper")
    local_stack.wait_for(
        lambda: (local_stack.get_lead_by_email(email) or {}).get("stage") == "sql", timeout=10
    )
    answer = local_stack.sales(
        "POST", f"/v1/leads/{lead_id}/feedback", {"outcome": "lost", "note": "went elsewhere"}
    )
    assert answer.status == 200, answer.body
    received = bus_target(
        lead_id, lambda got: any(e["detail"].get("to") == "recycled" for e in got)
    )
    types = [e["detail-type"] for e in received]
    # Exactly these events: how the stream batches the tracker's hits decides only whether a
    # threshold is crossed in the same change as the stage (then after it) or before it.
    assert sorted(types) == sorted(
        [
            "Lead Created",
            "Lead Score Crossed",
            "Lead Score Crossed",
            "Lead Score Crossed",
            "Lead Stage Changed",
            "Sales Outcome Recorded",
            "Lead Stage Changed",
        ]
    )
    # and in order for the lead: created first, thresholds upwards, then the outcome and the
    # stage change it caused, last
    assert types[0] == "Lead Created"
    assert types[-2:] == ["Sales Outcome Recorded", "Lead Stage Changed"]
    crossings = [e["detail"]["threshold"] for e in received if "threshold" in e["detail"]]
    assert crossings == [25, 50, 100]
    for event in received:
        assert event["source"] == "trechter"
        validate(event)
    stages = [(e["detail"]["from"], e["detail"]["to"]) for e in received if "from" in e["detail"]]
    assert stages == [("lead", "sql"), ("sql", "recycled")]
    assert len({e["detail"]["event_id"] for e in received}) == len(received)
    published = json.dumps(received)  # ids only by default: not even the company domain
    assert email not in published and email.split("@")[1] not in published
    printed = "[lifecycle] Sales Outcome Recorded: lead " + lead_id  # make run prints them
    local_stack.wait_for(lambda: printed in local_stack.log(), timeout=5)


def test_erasure_emits_lead_erased(local_stack, bus_target):
    email = unique_email()
    answer = local_stack.api(
        "POST", "/v1/forms/newsletter/submissions", {"email": email, "first_name": "Els"}
    )
    lead_id = answer.json()["lead_id"]
    assert bus_target(lead_id, lambda got: len(got) > 0)[0]["detail-type"] == "Lead Created"
    assert local_stack.sales("DELETE", f"/v1/leads/{lead_id}").status == 204
    received = bus_target(lead_id, lambda got: any(e["detail-type"] == "Lead Erased" for e in got))
    types = [e["detail-type"] for e in received]
    assert types[0] == "Lead Created" and types[-1] == "Lead Erased"
    assert types.count("Lead Erased") == 1
    assert set(received[-1]["detail"]) == {"version", "event_id", "lead_id", "occurred_at"}
    validate(received[-1])
