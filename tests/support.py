"""Builders shared by the test tiers: in-memory services, events, stream records."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.attributes import to_item
from chalicelib.adapters.items import event_to_item
from chalicelib.adapters.memory import (
    MemoryEventStore,
    MemoryLeadStore,
    MemoryPublisher,
    MemoryQuarantine,
    MemorySightings,
)
from chalicelib.adapters.streams import event_deliveries, hit_deltas, qualifications
from chalicelib.domain.events import MachineLabel, MachineVerdict, TrackingEvent
from chalicelib.domain.scoring.model import ScoringModel, load_scoring_model
from chalicelib.services.container import Services, build_services
from chalicelib.services.context import RequestContext
from chalicelib.services.hits import HitBatchResult
from chalicelib.services.idempotency import MemoryPersistenceLayer
from chalicelib.services.notify import NotifyResult
from chalicelib.services.scoring import BatchResult
from chalicelib.settings import Settings

T0 = 1_795_000_000.0  # 2026-11-18, a fixed "now" for deterministic tests
DAY = 86_400.0
BROWSER_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
DIRECTOR = {
    "email": "jan.jansen@acme.nl",
    "first_name": "Jan",
    "last_name": "Jansen",
    "company": "Acme",
    "job_title": "Director of IT",
    "company_size": "400",
    "country": "NL",
    "phone": "06 12345678",
}
STUDENT = {"email": "kim1999@gmail.com", "first_name": "Kim", "job_title": "Student"}

_ids = itertools.count(1)


def settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "stage": "test",
        "leads_table": "leads",
        "events_table": "events",
        "quarantine_table": "quarantine",
        "idempotency_table": "idempotency",
        "hot_leads_topic_arn": "arn:aws:sns:eu-west-1:123456789012:trechter-test-hot-leads",
        "link_signing_secrets": ("test-signing-secret-0123456789",),
        "api_keys": ("test-key",),
        "allowed_origins": ("https://kb.example.nl",),
    }
    values.update(overrides)
    return Settings.model_validate(values)


class Clock:
    """A settable clock for services."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    """In-memory services plus handles on the fakes, and a stream pump."""

    services: Services
    leads: MemoryLeadStore
    events: MemoryEventStore
    quarantine: MemoryQuarantine
    publisher: MemoryPublisher
    clock: Clock
    _seen_events: set[tuple[str, str]]
    _lead_images: dict[tuple[str, str], dict[str, Any]]

    def ctx(self, **overrides: Any) -> RequestContext:
        values: dict[str, Any] = {
            "received_at": self.clock.now,
            "user_agent": BROWSER_UA,
            "source_ip": "192.0.2.10",
            "origin": "https://kb.example.nl",
            "base_url": "https://api.example.nl",
        }
        values.update(overrides)
        return RequestContext(**values)

    def new_event_records(self) -> list[dict[str, Any]]:
        """Stream records for events written since the last call (what DynamoDB Streams sends)."""
        records = []
        for key, item in sorted(
            self.events.table.items.items(), key=lambda kv: kv[1]["received_at"]
        ):
            if key in self._seen_events:
                continue
            self._seen_events.add(key)
            records.append(stream_record(item))
        return records

    def new_lead_records(self) -> list[dict[str, Any]]:
        """MODIFY/INSERT records for lead profile items that changed since the last call."""
        records = []
        for key, item in self.leads.table.items.items():
            if key[1] != "PROFILE" or not item.get("lead_id"):
                continue
            old = self._lead_images.get(key)
            if old == item:
                continue
            self._lead_images[key] = dict(item)
            records.append(
                stream_record(item, old, "MODIFY" if old else "INSERT", at=self.clock.now)
            )
        return records

    def score(self, records: list[dict[str, Any]]) -> BatchResult:
        """The scorer's stream handler: decode the events-stream records, score them."""
        return self.services.scoring.process(event_deliveries(records, self.clock.now))

    def notify(self, records: list[dict[str, Any]]) -> NotifyResult:
        """The notifier's stream handler: decode the leads-stream records, announce."""
        return self.services.notifier.process(qualifications(records, self.clock.now))

    def count_hits(self, records: list[dict[str, Any]]) -> HitBatchResult:
        """The hit counter's stream handler: decode the leads-stream records, count."""
        return self.services.hits.process(hit_deltas(records, self.clock.now))

    def pump(self, rounds: int = 5) -> None:
        """Run the stream handlers until nothing new arrives (scoring, then the leads
        stream's two readers: notification, and the funnel's hits)."""
        for _ in range(rounds):
            events = self.new_event_records()
            if events:
                self.score(events)
            leads = self.new_lead_records()
            if leads:
                self.notify(leads)
                self.count_hits(leads)
            if not events and not leads:
                return

    def lead_by_email(self, email: str) -> dict[str, Any]:
        lead_id = self.leads.lead_id_by_email(email)
        assert lead_id, f"no lead for {email}"
        return self.services.sales.view(lead_id).model_dump()


def world(model: ScoringModel | None = None, **setting_overrides: Any) -> World:
    clock = Clock()
    events = MemoryEventStore()
    leads = MemoryLeadStore(events)
    quarantine = MemoryQuarantine()
    publisher = MemoryPublisher()
    services = build_services(
        settings=settings(**setting_overrides),
        model=model or load_scoring_model(),
        leads=leads,
        events=events,
        quarantine=quarantine,
        publisher=publisher,
        sightings=MemorySightings(),
        idempotency=MemoryPersistenceLayer(),
        form_repeats=MemoryPersistenceLayer(),
    )
    for service in (
        services.sales,
        services.scoring,
        services.notifier,
        services.reports,
        services.rescore,
        services.outcomes,
        services.models,
    ):
        service._clock = clock  # type: ignore[attr-defined]
    return World(services, leads, events, quarantine, publisher, clock, set(), {})


_sequence = itertools.count(1000)


def stream_record(
    item: Mapping[str, Any],
    old: Mapping[str, Any] | None = None,
    name: str = "INSERT",
    at: float = T0,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Keys": to_item({"pk": item["pk"], "sk": item["sk"]}),
        "NewImage": to_item(dict(item)),
        "SequenceNumber": str(next(_sequence)),
        "StreamViewType": "NEW_AND_OLD_IMAGES",
        "ApproximateCreationDateTime": at,
    }
    if old is not None:
        body["OldImage"] = to_item(dict(old))
    return {
        "eventID": uuid.uuid4().hex,
        "eventName": name,
        "eventSource": "aws:dynamodb",
        "dynamodb": body,
    }


def event(
    type_: str,
    at: float,
    url: str = "",
    lead_id: str = "L1",
    title: str = "",
    properties: Mapping[str, Any] | None = None,
    machine: bool = False,
    **extra: Any,
) -> TrackingEvent:
    return TrackingEvent(
        event_id=extra.pop("event_id", f"e{next(_ids)}"),
        lead_id=lead_id,
        type=type_,
        occurred_at=at,
        received_at=at,
        url=url,
        title=title,
        properties=dict(properties or {}),
        machine=MachineVerdict(MachineLabel.CRAWLER, "test bot") if machine else None,
        **extra,
    )


def form_event(
    at: float,
    profile: Mapping[str, Any],
    kind: str = "whitepaper_download",
    form_id: str = "whitepaper",
    lead_id: str = "L1",
) -> TrackingEvent:
    from chalicelib.domain.submissions import FormSubmission

    normalised = FormSubmission.model_validate(dict(profile)).profile()
    return event(
        "form_submit",
        at,
        lead_id=lead_id,
        source="form",
        form_id=form_id,
        form_kind=kind,
        profile=normalised,
    )


def item_of(event_: TrackingEvent) -> dict[str, Any]:
    return {
        k: v
        for k, v in event_to_item(event_, int(event_.occurred_at + 400 * DAY)).items()
        if v is not None
    }


def tracker_body(
    aid: str, events: Iterable[Mapping[str, Any]], sent_at: str | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"anonymous_id": aid, "events": list(events)}
    if sent_at:
        body["sent_at"] = sent_at
    return body
