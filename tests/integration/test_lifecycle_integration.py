"""The lifecycle wiring in-process under moto: the leads-stream handler and the hourly sweep."""

from __future__ import annotations

import json
import time

from infra.local_stack import FakeLambdaContext
from tests.contract.test_store_contract import commit_for, lead
from tests.lifecycle_support import validate

DAY = 86_400.0
SCHEDULED = {
    "version": "0",
    "id": "test",
    "detail-type": "Scheduled Event",
    "source": "aws.events",
    "account": "123456789012",
    "time": "2026-12-01T00:00:00Z",
    "region": "eu-west-1",
    "resources": [],
    "detail": {},
}


def test_the_hourly_sweep_and_the_stream_handler_put_lead_went_quiet_on_the_bus_once(
    harness, monkeypatch
):
    import boto3

    from chalicelib.services.container import get_services
    from chalicelib.settings import get_settings

    # Given the lifecycle bus with a subscriber's queue, and the app configured for it
    events = boto3.client("events", region_name="eu-west-1")
    events.create_event_bus(Name="trechter-test-lifecycle")
    queue = harness.sqs.create_queue(QueueName="nurture")["QueueUrl"]
    arn = harness.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events.put_rule(
        Name="nurture",
        EventBusName="trechter-test-lifecycle",
        EventPattern=json.dumps({"source": ["trechter"]}),
    )
    events.put_targets(
        Rule="nurture", EventBusName="trechter-test-lifecycle", Targets=[{"Id": "q", "Arn": arn}]
    )
    monkeypatch.setenv("EVENT_BUS_NAME", "trechter-test-lifecycle")
    get_settings.cache_clear()
    get_services.cache_clear()
    services = get_services()
    quiet_days = services.model.lifecycle.quiet_days
    # and a lead whose last engagement was longer ago than the model's quiet days
    services.leads.create_lead(lead("L9", "els@acme.nl"))
    commit = commit_for("L9", 0)
    commit.state.last_seen = time.time() - (quiet_days + 2) * DAY
    services.leads.commit_scoring(commit)
    harness.pump()

    # When the schedule runs twice, and the leads stream is delivered after each run
    first = harness.module.sweep_quiet_leads(SCHEDULED, FakeLambdaContext("sweep_quiet_leads"))
    harness.pump()
    second = harness.module.sweep_quiet_leads(SCHEDULED, FakeLambdaContext("sweep_quiet_leads"))
    harness.pump()

    # Then the lead went quiet once, and the subscriber received exactly one Lead Went Quiet
    assert (first["went_quiet"], second["went_quiet"]) == (1, 0)
    received = []
    while answer := harness.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get(
        "Messages"
    ):
        for message in answer:
            received.append(json.loads(message["Body"]))
            harness.sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    types = [e["detail-type"] for e in received if e["detail"]["lead_id"] == "L9"]
    assert types[0] == "Lead Created"
    assert types.count("Lead Went Quiet") == 1
    (quiet,) = [e for e in received if e["detail-type"] == "Lead Went Quiet"]
    assert quiet["detail"]["quiet_days"] == quiet_days
    validate(quiet)
