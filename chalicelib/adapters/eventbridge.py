"""The lifecycle event bus on EventBridge (the ``EventBus`` port)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from chalicelib.domain.lifecycle_events import EVENT_SOURCE, LifecycleEvent

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient


class EventBusRejected(RuntimeError):
    """EventBridge did not accept the event (throttled, or an internal failure): retry."""


class EventBridgeBus:
    """Puts one event per call, so a failure never leaves a lead's events half-sent."""

    def __init__(self, client: EventBridgeClient, bus_name: str) -> None:
        self._client = client
        self._bus_name = bus_name

    def put(self, event: LifecycleEvent) -> str:
        """Raises EventBusRejected when the entry failed (PutEvents answers 200 even then)."""
        answer = self._client.put_events(
            Entries=[
                {
                    "EventBusName": self._bus_name,
                    "Source": EVENT_SOURCE,
                    "DetailType": event.detail_type.value,
                    "Detail": json.dumps(event.detail, ensure_ascii=False, separators=(",", ":")),
                    "Resources": [],
                    "Time": _time(event.occurred_at),
                }
            ]
        )
        entry = answer["Entries"][0]
        if answer.get("FailedEntryCount") or "EventId" not in entry:
            raise EventBusRejected(
                f"{event.detail_type} {event.event_id}: "
                f"{entry.get('ErrorCode', '?')} {entry.get('ErrorMessage', '')}"
            )
        return entry["EventId"]


def _time(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


class MemoryEventBus:
    """Keeps what was put, in order (tests and benchmarks)."""

    def __init__(self) -> None:
        self.events: list[LifecycleEvent] = []
        self.fail_next = 0
        self._lock = threading.Lock()

    def put(self, event: LifecycleEvent) -> str:
        with self._lock:
            if self.fail_next:
                self.fail_next -= 1
                raise EventBusRejected(f"{event.detail_type} {event.event_id}: injected failure")
            self.events.append(event)
            return f"bus-{len(self.events)}"
