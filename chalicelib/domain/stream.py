"""What a stream delivers, as domain values: a position, and an event, a change or a poison.

The adapters (``chalicelib/adapters/streams.py``) alone read Lambda's stream records;
the stream handlers' services receive these values. A record that cannot be read is
not an exception but a delivery with a ``problem`` (the reason the quarantine keeps)
and the raw ``record`` (what it keeps), so one bad record never fails a batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from chalicelib.domain.lifecycle_events import LeadChange
from chalicelib.domain.scoring.state import LeadScoreState

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StreamPosition:
    """Where a record sits in its stream (the id a partial-batch failure names) and how
    long it waited there (``now`` minus the record's approximate creation time)."""

    sequence: str
    lag_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Delivery(Generic[T]):
    """One stream record: its position and its value, nothing, or why it is poison.

    ``value`` None and ``problem`` None: a record with nothing for this reader (a TTL
    removal, another item kind). ``problem`` set: the record can never be applied;
    ``record`` is the raw record for the quarantine.
    """

    position: StreamPosition
    value: T | None = None
    problem: str | None = None
    record: Mapping[str, Any] | None = None

    @property
    def poison(self) -> bool:
        return self.problem is not None


@dataclass(frozen=True, slots=True)
class Qualification:
    """A lead that entered ``sql``: qualification ``number`` and what its hand-over says.

    ``contact`` holds the person's stored contact fields (``CONTACT_FIELDS``, None when
    absent); ``state`` is the score state the follow-up advice is written from.
    ``reasons`` and ``channel_reason`` are the sentences the lead item stored, or None
    when it stores none: the notifier then renders them from ``state``.
    """

    lead_id: str
    number: int
    state: LeadScoreState
    contact: Mapping[str, Any] = field(default_factory=dict)
    score: int = 0
    fit_score: int = 0
    engagement_score: int = 0
    reasons: list[Any] | None = None
    recommended_channel: str | None = None
    channel_reason: str | None = None
    updated_at: float | None = None


@dataclass(frozen=True, slots=True)
class HitDelta:
    """The funnel hits one lead write added: ``hits`` scored hits (tracker, pixel, e-mail),
    ``machine_hits`` of them machine traffic (by label, by behaviour, or reversed later),
    counted on ``day`` (``YYYY-MM-DD``, the day of the write)."""

    lead_id: str
    day: str
    hits: int = 0
    machine_hits: int = 0


@dataclass(frozen=True, slots=True)
class StreamChange:
    """One leads-stream record: its position, and the lead change it holds (or why not)."""

    sequence: str
    lag_seconds: float
    change: LeadChange | None
    problem: str | None = None
    record: Mapping[str, Any] | None = None
