"""Lifecycle events in tests: schema validation and an in-memory leads-stream pump."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from chalicelib.adapters.eventbridge import MemoryEventBus
from chalicelib.adapters.publications import MemoryPublications
from chalicelib.adapters.quiet import MemoryQuietLeads
from chalicelib.adapters.streams import lead_changes
from chalicelib.domain.lifecycle_events import DetailType, LifecycleEvent, Payload
from chalicelib.services.lifecycle import LifecyclePublisher, LifecycleResult, QuietSweep
from tests.support import World, stream_record

SCHEMAS = Path(__file__).resolve().parent.parent / "docs" / "events"


def schema_file(detail_type: str) -> Path:
    return SCHEMAS / f"{detail_type.lower().replace(' ', '-')}.schema.json"


@cache
def _validator(detail_type: str) -> Draft202012Validator:
    schema = json.loads(schema_file(detail_type).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate(envelope: dict[str, Any]) -> None:
    """Raise ValidationError unless ``envelope`` (detail-type, source, detail) fits its schema."""
    _validator(envelope["detail-type"]).validate(envelope)


def envelope(event: LifecycleEvent) -> dict[str, Any]:
    """What a target receives from EventBridge, as far as the schemas describe it."""
    return {"detail-type": event.detail_type.value, "source": "trechter", "detail": event.detail}


class LifecycleHarness:
    """A world's leads table read like the leads stream (tombstones too), into the publisher."""

    def __init__(self, w: World, payload: Payload = Payload.IDS) -> None:
        self.world = w
        self.bus = MemoryEventBus()
        self.publications = MemoryPublications(w.leads)
        self.publisher = LifecyclePublisher(
            w.services.model,
            self.publications,
            self.bus,
            w.quarantine,
            payload,
            clock=w.clock,
        )
        self.sweep = QuietSweep(w.services.model, MemoryQuietLeads(w.leads), clock=w.clock)
        self._images: dict[tuple[str, str], dict[str, Any]] = {}
        self.records: list[dict[str, Any]] = []

    def new_records(self) -> list[dict[str, Any]]:
        records = []
        for key, item in list(self.world.leads.table.items.items()):
            if key[1] != "PROFILE":
                continue
            old = self._images.get(key)
            if old == item:
                continue
            self._images[key] = dict(item)
            records.append(stream_record(item, old, "MODIFY" if old else "INSERT"))
        self.records += records
        return records

    def pump(self) -> LifecycleResult:
        """Score what is pending, then publish the lead changes it made."""
        self.world.pump()
        return self.deliver(self.new_records())

    def deliver(self, records: list[dict[str, Any]]) -> LifecycleResult:
        return self.publisher.process(lead_changes(records, self.world.clock.now))

    def types(self, lead_id: str | None = None) -> list[str]:
        return [
            e.detail_type.value for e in self.bus.events if lead_id is None or e.lead_id == lead_id
        ]

    def of_type(self, detail_type: DetailType) -> list[LifecycleEvent]:
        return [e for e in self.bus.events if e.detail_type is detail_type]
