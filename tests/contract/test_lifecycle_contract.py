"""The Publications and QuietLeads ports: one contract, in memory and on DynamoDB (moto)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from chalicelib.adapters.ports import EventBus, Publications, Publisher, QuietLeads
from tests.contract.conftest import Backend
from tests.contract.registry import covers
from tests.contract.test_store_contract import commit_for, lead
from tests.support import DAY, T0


@pytest.fixture
def ports(backend: Backend) -> dict[str, Any]:
    return {"leads": backend.leads, "publications": backend.publications, "quiet": backend.quiet}


# -- Publications ------------------------------------------------------------------------


@covers(Publications.claim, Publications.mark)
def test_a_claim_is_granted_once_and_a_mark_makes_it_published(ports):
    publications = ports["publications"]
    assert publications.claim("L1", "Lead Created#1", T0, 60).granted
    second = publications.claim("L1", "Lead Created#1", T0 + 1, 60)
    assert not second.granted and not second.already_published
    publications.mark("L1", "Lead Created#1", "bus-1", T0 + 2)
    third = publications.claim("L1", "Lead Created#1", T0 + 100, 60)
    assert not third.granted and third.already_published


@covers(Publications.claim, Publications.release)
def test_an_expired_lease_is_granted_again_and_a_released_claim_at_once(ports):
    publications = ports["publications"]
    assert publications.claim("L1", "k", T0, 60).granted
    assert publications.claim("L1", "k", T0 + 61, 60).granted
    publications.release("L1", "k")
    assert publications.claim("L1", "k", T0 + 62, 60).granted


@covers(Publications.release)
def test_release_never_undoes_a_published_mark(ports):
    publications = ports["publications"]
    publications.claim("L1", "k", T0, 60)
    publications.mark("L1", "k", "ref", T0)
    publications.release("L1", "k")
    assert publications.claim("L1", "k", T0 + 1, 60).already_published


@covers(Publications.claim)
def test_claims_are_per_lead_and_leave_with_an_erasure(ports):
    publications, leads = ports["publications"], ports["leads"]
    leads.create_lead(lead("L1"))
    publications.claim("L1", "k", T0, 60)
    publications.mark("L1", "k", "ref", T0)
    assert publications.claim("L2", "k", T0, 60).granted
    leads.erase("L1", None, T0 + 1)
    assert publications.claim("L1", "k", T0 + 2, 60).granted


# -- QuietLeads --------------------------------------------------------------------------


def engaged_lead(ports, lead_id: str, at: float, stage: str = "lead") -> None:
    ports["leads"].create_lead(lead(lead_id, f"{lead_id.lower()}@acme.nl"))
    commit = commit_for(lead_id, 0, stage=stage)
    commit.state.last_seen = at
    ports["leads"].commit_scoring(commit)


def day(at: float) -> str:
    from chalicelib.domain.clock import iso

    return iso(at)[:10]


@covers(QuietLeads.engaged_on)
def test_leads_are_found_by_the_day_they_last_engaged(ports):
    engaged_lead(ports, "L1", T0)
    engaged_lead(ports, "L2", T0 + 2 * DAY)
    assert ports["quiet"].engaged_on(day(T0)) == ["L1"]
    assert ports["quiet"].engaged_on(day(T0 + 2 * DAY)) == ["L2"]
    assert ports["quiet"].engaged_on(day(T0 + DAY)) == []


@covers(QuietLeads.mark_quiet, QuietLeads.engaged_on)
def test_a_lead_is_marked_quiet_once_and_leaves_the_index(ports):
    engaged_lead(ports, "L1", T0)
    quiet = ports["quiet"]
    assert not quiet.mark_quiet("L1", T0 - 1, T0 + DAY)  # engaged after the cutoff
    assert quiet.mark_quiet("L1", T0 + 21 * DAY, T0 + 21 * DAY)
    assert not quiet.mark_quiet("L1", T0 + 22 * DAY, T0 + 22 * DAY)
    assert quiet.engaged_on(day(T0)) == []


@covers(QuietLeads.engaged_on, QuietLeads.mark_quiet)
def test_customers_visitors_and_erased_leads_are_not_watched(ports):
    engaged_lead(ports, "L1", T0, stage="customer")
    engaged_lead(ports, "L2", T0)
    ports["leads"].erase("L2", None, T0 + 1)
    assert ports["quiet"].engaged_on(day(T0)) == []
    assert not ports["quiet"].mark_quiet("L1", T0 + 30 * DAY, T0 + 30 * DAY)
    assert not ports["quiet"].mark_quiet("L2", T0 + 30 * DAY, T0 + 30 * DAY)


# -- EventBus ----------------------------------------------------------------------------


def test_the_eventbridge_bus_delivers_the_event_to_a_rules_target_as_documented():
    from moto import mock_aws

    from chalicelib.adapters.eventbridge import EventBridgeBus, EventBusRejected
    from chalicelib.domain.lifecycle_events import LeadChange, lifecycle_events
    from tests.lifecycle_support import validate
    from tests.unit.test_lifecycle_events import snap

    os.environ.update(
        AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="eu-west-1"
    )
    with mock_aws():
        import json

        import boto3

        events = boto3.client("events", region_name="eu-west-1")
        sqs = boto3.client("sqs", region_name="eu-west-1")
        events.create_event_bus(Name="trechter-test-lifecycle")
        queue = sqs.create_queue(QueueName="crm")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(
            Name="crm",
            EventBusName="trechter-test-lifecycle",
            EventPattern=json.dumps({"source": ["trechter"]}),
        )
        events.put_targets(
            Rule="crm", EventBusName="trechter-test-lifecycle", Targets=[{"Id": "q", "Arn": arn}]
        )
        (event,) = lifecycle_events(LeadChange("L1", None, snap(created_at=T0)), (25,), 21)
        bus = EventBridgeBus(events, "trechter-test-lifecycle")
        assert bus.put(event)
        (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
        received = json.loads(message["Body"])
        assert received["detail-type"] == "Lead Created"
        assert received["detail"] == event.detail
        validate(received)
        # An entry EventBridge refuses (it still answers 200) is an error, never a silent loss.
        from botocore.stub import Stubber

        stubber = Stubber(events)
        stubber.add_response(
            "put_events",
            {
                "FailedEntryCount": 1,
                "Entries": [{"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"}],
            },
        )
        with stubber, pytest.raises(EventBusRejected, match="ThrottlingException"):
            bus.put(event)


@covers(EventBus.put)
def test_a_lifecycle_event_put_on_the_bus_reaches_a_rules_target_with_its_detail(backend):
    from chalicelib.domain.lifecycle_events import LeadChange, lifecycle_events
    from tests.unit.test_lifecycle_events import snap

    (event,) = lifecycle_events(LeadChange("L1", None, snap(created_at=T0)), (25,), 21)
    first, second = backend.bus.put(event), backend.bus.put(event)
    assert first and second and first != second  # the bus's own id, one per put
    delivered = backend.delivered()
    assert [(d["source"], d["detail-type"], d["detail"]) for d in delivered] == [
        ("trechter", "Lead Created", event.detail)
    ] * 2


# -- Publisher ---------------------------------------------------------------------------


@covers(Publisher.publish)
def test_a_published_message_reaches_subscribers_as_json_with_its_attributes(backend):
    message = {"lead_id": "L1", "stage": "sql", "score": 80, "name": "Jan Jansen"}
    attributes = {"stage": "sql", "score": 80}
    first = backend.publisher.publish(message, attributes, "Hot lead: Jan Jansen", "Jan is hot")
    second = backend.publisher.publish({"lead_id": "L2"}, {"stage": "mql"}, "Warm lead")
    assert first and second and first != second
    assert backend.published() == [
        (message, {"stage": "sql", "score": 80}, "Hot lead: Jan Jansen"),
        ({"lead_id": "L2"}, {"stage": "mql"}, "Warm lead"),
    ]


@covers(QuietLeads.engaged_on, QuietLeads.mark_quiet)
def test_the_sweep_reads_every_shard_of_a_day_and_its_legacy_key(ports):
    from chalicelib.adapters.items import QUIET_SHARDS, quiet_pk

    ids = [f"S{n}" for n in range(40)]
    for lead_id in ids:
        engaged_lead(ports, lead_id, T0)
    assert len({quiet_pk(T0, lead_id) for lead_id in ids}) > QUIET_SHARDS // 2
    # A lead scored before the index was sharded carries the day's bare key.
    engaged_lead(ports, "OLD", T0)
    leads = ports["leads"]
    if hasattr(leads, "table"):
        leads.table.items[("LEAD#OLD", "PROFILE")]["quiet_pk"] = f"ENGAGED#{day(T0)}"
    else:
        leads._client.update_item(
            TableName=leads._table,
            Key={"pk": {"S": "LEAD#OLD"}, "sk": {"S": "PROFILE"}},
            UpdateExpression="SET quiet_pk = :legacy",
            ExpressionAttributeValues={":legacy": {"S": f"ENGAGED#{day(T0)}"}},
        )
    assert ports["quiet"].engaged_on(day(T0)) == sorted([*ids, "OLD"])
    assert ports["quiet"].mark_quiet("OLD", T0 + 21 * DAY, T0 + 21 * DAY)
    assert ports["quiet"].engaged_on(day(T0)) == sorted(ids)
