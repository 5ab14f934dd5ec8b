"""The contract suite's one pair of backends: every port in memory, and on AWS under moto.

A contract test takes ``backend`` (or a fixture built on it) and so runs twice:
once on the in-memory fakes and once on the DynamoDB/SNS/EventBridge adapters
with the tables of ``infra/definitions.py``. Mark it with ``covers(...)``
(``tests/contract/registry.py``) so ``test_port_coverage`` knows which port
methods it holds to the contract.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest


class Backend:
    """Every port of one backend, wired to the same tables, each built when first used.

    Ports: ``leads``, ``events``, ``quarantine``, ``sightings``, ``audit``, ``series``,
    ``publications``, ``quiet``, ``outcomes``, ``models``, ``publisher``, ``bus``; and
    ``published()`` (what reached the publisher's subscribers: (message, attributes,
    subject) per publish) and ``delivered()`` (the envelope per event a bus rule delivered).
    """

    def __init__(
        self,
        kind: str,
        factories: dict[str, Callable[[], Any]],
        client: Any = None,
        tables: dict[str, str] | None = None,
    ) -> None:
        self.kind = kind
        self.client = client
        self.tables = tables or {}
        self._factories = factories

    def __getattr__(self, name: str) -> Any:
        factories = self.__dict__.get("_factories", {})
        if name not in factories:
            raise AttributeError(name)
        value = factories[name]()
        setattr(self, name, value)
        return value

    def put_lead_item(self, values: dict[str, Any]) -> None:
        """Write a raw leads-table item (a row as an older release wrote it)."""
        if self.kind == "memory":
            self.leads.table.items[(values["pk"], values["sk"])] = dict(values)
            return
        from chalicelib.adapters.attributes import to_item

        self.client.put_item(TableName=self.tables["leads"], Item=to_item(values))


def _memory() -> Backend:
    from chalicelib.adapters.eventbridge import MemoryEventBus
    from chalicelib.adapters.learning import MemoryModelStore, MemoryOutcomeStore
    from chalicelib.adapters.memory import (
        MemoryAuditTrail,
        MemoryEventStore,
        MemoryFunnelSeries,
        MemoryLeadStore,
        MemoryPublisher,
        MemoryQuarantine,
        MemorySightings,
    )
    from chalicelib.adapters.parameters import MemoryParameters
    from chalicelib.adapters.publications import MemoryPublications
    from chalicelib.adapters.quiet import MemoryQuietLeads

    events = MemoryEventStore()
    parameters = MemoryParameters()
    leads = MemoryLeadStore(events)
    publisher = MemoryPublisher()
    bus = MemoryEventBus()

    def published() -> list[tuple[dict[str, Any], dict[str, Any], str]]:
        return [(m["message"], m["attributes"], m["subject"]) for m in publisher.messages]

    def delivered() -> list[dict[str, Any]]:
        return [
            {"source": "trechter", "detail-type": e.detail_type.value, "detail": e.detail}
            for e in bus.events
        ]

    return Backend(
        "memory",
        {
            "leads": lambda: leads,
            "events": lambda: events,
            "quarantine": MemoryQuarantine,
            "sightings": MemorySightings,
            "audit": lambda: MemoryAuditTrail(leads),
            "series": lambda: MemoryFunnelSeries(leads),
            "publications": lambda: MemoryPublications(leads),
            "quiet": lambda: MemoryQuietLeads(leads),
            "outcomes": MemoryOutcomeStore,
            "models": MemoryModelStore,
            "publisher": lambda: publisher,
            "bus": lambda: bus,
            "published": lambda: published,
            "delivered": lambda: delivered,
            "parameters": lambda: parameters,
            "put_parameter": lambda: parameters.values.__setitem__,
        },
    )


def _queue(sqs: Any, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return url, arn


def _drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    bodies = []
    while True:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        messages = answer.get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _aws() -> Backend:
    import boto3

    from chalicelib.adapters.dynamodb import (
        DynamoAuditTrail,
        DynamoEventStore,
        DynamoFunnelSeries,
        DynamoLeadStore,
        DynamoQuarantine,
        DynamoSightings,
    )
    from chalicelib.adapters.eventbridge import EventBridgeBus
    from chalicelib.adapters.learning import DynamoModelStore, DynamoOutcomeStore
    from chalicelib.adapters.parameters import SsmParameters
    from chalicelib.adapters.publications import DynamoPublications
    from chalicelib.adapters.quiet import DynamoQuietLeads
    from chalicelib.adapters.sns import SnsPublisher
    from infra.definitions import dynamodb_tables, table_names

    client = boto3.client("dynamodb", region_name="eu-west-1")
    for kwargs in dynamodb_tables("test"):
        client.create_table(**kwargs)
    names = table_names("test")
    events = DynamoEventStore(client, names["events"], 395)

    @functools.cache
    def messaging() -> dict[str, Any]:
        """The hot-lead topic and the lifecycle bus, each with a queue behind it."""
        sqs = boto3.client("sqs", region_name="eu-west-1")
        sns = boto3.client("sns", region_name="eu-west-1")
        topic = sns.create_topic(Name="trechter-test-hot-leads")["TopicArn"]
        hot_url, hot_arn = _queue(sqs, "hot")
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=hot_arn)
        eventbridge = boto3.client("events", region_name="eu-west-1")
        eventbridge.create_event_bus(Name="trechter-test-lifecycle")
        crm_url, crm_arn = _queue(sqs, "crm")
        eventbridge.put_rule(
            Name="crm",
            EventBusName="trechter-test-lifecycle",
            EventPattern=json.dumps({"source": ["trechter"]}),
        )
        eventbridge.put_targets(
            Rule="crm",
            EventBusName="trechter-test-lifecycle",
            Targets=[{"Id": "q", "Arn": crm_arn}],
        )

        def published() -> list[tuple[dict[str, Any], dict[str, Any], str]]:
            found = []
            for envelope in _drain(sqs, hot_url):
                attributes: dict[str, Any] = {}
                for name, value in envelope.get("MessageAttributes", {}).items():
                    number = value["Type"] == "Number"
                    attributes[name] = float(value["Value"]) if number else value["Value"]
                found.append((json.loads(envelope["Message"]), attributes, envelope["Subject"]))
            return found

        return {
            "publisher": SnsPublisher(sns, topic),
            "bus": EventBridgeBus(eventbridge, "trechter-test-lifecycle"),
            "published": published,
            "delivered": lambda: _drain(sqs, crm_url),
        }

    leads = names["leads"]
    return Backend(
        "dynamodb",
        {
            "leads": lambda: DynamoLeadStore(client, leads, events),
            "events": lambda: events,
            "quarantine": lambda: DynamoQuarantine(client, names["quarantine"], 30),
            "sightings": lambda: DynamoSightings(client, names["idempotency"]),
            "audit": lambda: DynamoAuditTrail(client, leads),
            "series": lambda: DynamoFunnelSeries(client, leads),
            "publications": lambda: DynamoPublications(client, leads),
            "quiet": lambda: DynamoQuietLeads(client, leads),
            "outcomes": lambda: DynamoOutcomeStore(client, leads),
            "models": lambda: DynamoModelStore(client, leads),
            "publisher": lambda: messaging()["publisher"],
            "bus": lambda: messaging()["bus"],
            "published": lambda: messaging()["published"],
            "delivered": lambda: messaging()["delivered"],
            "parameters": lambda: SsmParameters("eu-west-1"),
            "put_parameter": _ssm_put,
        },
        client=client,
        tables=names,
    )


def _ssm_put() -> Callable[[str, str], None]:
    """Sets a SecureString parameter (the SSM client is made in this moto context)."""
    import boto3

    from chalicelib.adapters.aws import reset_clients

    reset_clients()
    ssm = boto3.client("ssm", region_name="eu-west-1")

    def put(name: str, value: str) -> None:
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)

    return put


@pytest.fixture(params=["memory", "dynamodb"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """Every port, in memory and then on AWS under moto (fresh tables per test)."""
    if request.param == "memory":
        yield _memory()
        return
    from moto import mock_aws

    os.environ.update(
        AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="eu-west-1"
    )
    with mock_aws():
        yield _aws()
