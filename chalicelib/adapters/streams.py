"""Stream records to domain values: the one place that knows a stream record's shape.

Four readers: the scorer reads the events stream (``event_deliveries``); the notifier
(``qualifications``), the lifecycle publisher (``lead_changes``) and the funnel's hit
counter (``hit_deltas``) read the leads stream.
Each record becomes its position and a domain value, or a poison delivery with the
reason the quarantine keeps: decoding never raises, so one bad record never fails a batch.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from chalicelib.adapters.attributes import from_item
from chalicelib.adapters.items import (
    HIT_ATTRIBUTES,
    PROFILE_SK,
    decode_state,
    event_from_item,
    stream_position,
)
from chalicelib.domain.clock import day_of
from chalicelib.domain.events import TrackingEvent
from chalicelib.domain.lead import CONTACT_FIELDS, PROFILE_FIELDS, Stage
from chalicelib.domain.lifecycle_events import LeadChange, LeadSnapshot
from chalicelib.domain.scoring.state import LeadScoreState
from chalicelib.domain.stream import (
    Delivery,
    HitDelta,
    Qualification,
    StreamChange,
    StreamPosition,
)

__all__ = [
    "StreamChange",  # re-exported: it lived here before it moved to the domain
    "event_deliveries",
    "event_delivery",
    "hit_deltas",
    "lead_change",
    "lead_changes",
    "qualification",
    "qualifications",
]

#: What decoding a damaged record raises (ArithmeticError: a number DynamoDB's JSON holds
#: as an unreadable string).
T = TypeVar("T")

_CORRUPT = (KeyError, ValueError, TypeError, AttributeError, ArithmeticError, zlib.error)


class PoisonRecord(ValueError):
    """A stream record that can never be applied (corrupt or foreign item)."""


def position(record: Mapping[str, Any], now: float) -> StreamPosition:
    """A record's sequence number and how long it waited (seconds before ``now``)."""
    sequence, lag = stream_position(record, now)
    return StreamPosition(sequence, lag)


# -- events stream: the scorer ----------------------------------------------------------


def event_deliveries(
    records: Sequence[Mapping[str, Any]], now: float
) -> list[Delivery[TrackingEvent]]:
    """Decode Lambda's DynamoDB stream records of the events table, in stream order."""
    return [event_delivery(record, now) for record in records]


def event_delivery(record: Mapping[str, Any], now: float) -> Delivery[TrackingEvent]:
    """One events-stream record: its event; nothing for a removal (TTL expiry, a move);
    poison, with the reason, for an item that is not an event Trechter wrote."""
    at = position(record, now)
    try:
        return Delivery(at, event_of(record))
    except PoisonRecord as error:
        return Delivery(at, None, str(error), dict(record))


def event_of(record: Mapping[str, Any]) -> TrackingEvent | None:
    """A Lambda stream record to an event; None for removals (TTL expiry, moves).

    Raises
    ------
    PoisonRecord
        the item is not an event Trechter wrote.
    """
    if record.get("eventName") == "REMOVE":
        return None
    try:
        image = record["dynamodb"]["NewImage"]
        values = from_item(image)
        if not str(values.get("sk", "")).startswith("EVENT#"):
            raise PoisonRecord(f"not an event item (sk={values.get('sk')!r})")
        return event_from_item(values)
    except PoisonRecord:
        raise
    except _CORRUPT as error:
        raise PoisonRecord(f"corrupt event record: {type(error).__name__}: {error}") from None


# -- leads stream: the notifier ---------------------------------------------------------


def qualifications(
    records: Sequence[Mapping[str, Any]], now: float
) -> list[Delivery[Qualification]]:
    """Decode Lambda's DynamoDB stream records of the leads table for the hand-over.

    A record carries a qualification when a lead profile enters ``sql`` (or qualifies
    again); any other record carries nothing; an unreadable one is poison.
    """
    return _lead_deliveries(records, now, qualification)


def _written_profile(record: Mapping[str, Any]) -> str | None:
    """The lead id of a record that inserts or modifies a lead profile item, else None."""
    if record.get("eventName") not in ("INSERT", "MODIFY"):
        return None
    keys = from_item(record["dynamodb"]["Keys"])
    pk = str(keys.get("pk", ""))
    if keys.get("sk") != PROFILE_SK or not pk.startswith("LEAD#"):
        return None
    return pk[len("LEAD#") :]


def _lead_deliveries(
    records: Sequence[Mapping[str, Any]],
    now: float,
    decode: Callable[[Mapping[str, Any]], T | None],
) -> list[Delivery[T]]:
    """Each leads-stream record's position and what ``decode`` finds in it; a record it
    cannot read (one of ``_CORRUPT``) is a poison delivery with the reason and the record."""
    deliveries: list[Delivery[T]] = []
    for record in records:
        at = position(record, now)
        try:
            found = decode(record)
        except _CORRUPT as error:
            deliveries.append(Delivery(at, None, f"corrupt lead record: {error}", dict(record)))
            continue
        deliveries.append(Delivery(at, found))
    return deliveries


def qualification(record: Mapping[str, Any]) -> Qualification | None:
    """The qualification of this record if it is a lead entering SQL, else None.

    Raises
    ------
    ValueError
        the record is corrupt.
    """
    if _written_profile(record) is None:
        return None
    images = record["dynamodb"]
    new = from_item(images.get("NewImage", {}))
    old = from_item(images.get("OldImage", {})) if images.get("OldImage") else {}
    if new.get("stage") != Stage.SQL:
        return None
    number = int(new.get("qualifications") or 0)
    if number < 1:
        raise ValueError("lead in sql without a qualification number")
    if old.get("stage") == Stage.SQL and int(old.get("qualifications") or 0) == number:
        return None
    raw_state = new.get("scoring_state")
    # Sentences stored on the item are read; without them (and with a state) they are
    # rendered from the state by the notifier.
    stored = new.get("reasons") is not None or not raw_state
    reasons = json.loads(new.get("reasons") or "[]") if stored else None
    updated_at = new.get("updated_at")
    return Qualification(
        lead_id=str(new["lead_id"]),
        number=number,
        state=decode_state(raw_state) if raw_state else LeadScoreState(),
        contact={name: new.get(name) for name in CONTACT_FIELDS},
        score=int(new.get("score") or 0),
        fit_score=int(new.get("fit_score") or 0),
        engagement_score=int(new.get("engagement_score") or 0),
        reasons=reasons,
        recommended_channel=new.get("recommended_channel") or None,
        channel_reason=new.get("channel_reason"),
        updated_at=float(updated_at) if updated_at else None,
    )


# -- leads stream: the lifecycle publisher ----------------------------------------------


def lead_changes(records: Sequence[Mapping[str, Any]], now: float) -> list[StreamChange]:
    """Decode Lambda's DynamoDB stream records of the leads table, in stream order.

    Records of other items (ledger, links, counters) carry no change (``None``);
    a record that cannot be read carries a ``problem`` and the raw record, for the
    quarantine.
    """
    changes: list[StreamChange] = []
    for record in records:
        sequence, lag = stream_position(record, now)
        try:
            change = lead_change(record)
        except _CORRUPT as error:
            changes.append(
                StreamChange(sequence, lag, None, f"corrupt lead record: {error}", record)
            )
            continue
        changes.append(StreamChange(sequence, lag, change))
    return changes


def lead_change(record: Mapping[str, Any]) -> LeadChange | None:
    """The lead change of one record, or None if it is not about a lead profile item."""
    images = record["dynamodb"]
    keys = from_item(images["Keys"])
    if keys.get("sk") != PROFILE_SK or not str(keys.get("pk", "")).startswith("LEAD#"):
        return None
    lead_id = str(keys["pk"])[len("LEAD#") :]
    new = from_item(images["NewImage"]) if images.get("NewImage") else None
    old = from_item(images["OldImage"]) if images.get("OldImage") else None
    if new is not None and new.get("erased_at") and not (old and old.get("erased_at")):
        return LeadChange(lead_id, None, None, erased_at=float(new["erased_at"]))
    return LeadChange(lead_id, snapshot(old), snapshot(new))


def snapshot(values: Mapping[str, Any] | None) -> LeadSnapshot | None:
    """A profile item image as a lead snapshot; None for no image, a tombstone or a stub."""
    if not values or values.get("erased_at") or not values.get("lead_id"):
        return None
    state = decode_state(values["scoring_state"]) if values.get("scoring_state") else None
    profile = {name: values[name] for name in PROFILE_FIELDS if values.get(name) not in (None, "")}
    if values.get("company_domain"):
        profile["company_domain"] = values["company_domain"]
    reasons = json.loads(values["reasons"]) if values.get("reasons") else []
    if not isinstance(reasons, list):
        raise ValueError("reasons must be a JSON list")
    quiet_for = values.get("quiet_for")
    return LeadSnapshot(
        lead_id=str(values["lead_id"]),
        stage=str(values.get("stage", "visitor")),
        score=int(values.get("score") or 0),
        fit_score=int(values.get("fit_score") or 0),
        engagement_score=int(values.get("engagement_score") or 0),
        reasons=tuple(r for r in reasons if isinstance(r, dict)),
        profile=profile,
        qualifications=int(values.get("qualifications") or 0),
        sales_status=state.sales_status if state is not None else None,
        stage_since=state.stage_since if state is not None else 0.0,
        created_at=float(values.get("created_at") or 0.0),
        updated_at=float(values.get("updated_at") or 0.0),
        last_engaged_at=float(values.get("last_engaged_at") or 0.0),
        quiet_for=float(quiet_for) if quiet_for is not None else None,
        quiet_at=float(values["quiet_at"]) if values.get("quiet_at") is not None else None,
        merged_into=values.get("merged_into"),
        state=state,
    )


# -- leads stream: the funnel's hit counter ---------------------------------------------


def hit_deltas(records: Sequence[Mapping[str, Any]], now: float) -> list[Delivery[HitDelta]]:
    """Decode leads-stream records into the funnel hits each lead write added.

    A lead item holds the hits the scorer applied to it, all time (``hits``,
    ``machine_hits``); a write's hits are the increase from its old image to its new one,
    counted on the day of the write (the record's creation time, else ``now``). Any other
    write (consent, feedback, a hand-over's mark, erasure) or item carries nothing; a
    decrease (an item rewritten without them) counts nothing. Only the two counters are
    decoded, never the score state.
    """
    return _lead_deliveries(records, now, lambda record: hit_delta(record, now))


def hit_delta(record: Mapping[str, Any], now: float) -> HitDelta | None:
    """The hits one leads-stream record added, or None (no increase, not a lead profile).

    Raises
    ------
    ValueError
        the record is corrupt.
    """
    lead_id = _written_profile(record)
    if lead_id is None:
        return None
    body = record["dynamodb"]

    def counters(image: Mapping[str, Any] | None) -> list[int]:
        values = from_item({k: image[k] for k in HIT_ATTRIBUTES if k in image}) if image else {}
        return [int(values.get(name) or 0) for name in HIT_ATTRIBUTES]

    new, old = counters(body.get("NewImage")), counters(body.get("OldImage"))
    hits, machine = (max(0, n - o) for n, o in zip(new, old, strict=True))
    if not hits and not machine:
        return None
    created = body.get("ApproximateCreationDateTime")
    written = float(created) if isinstance(created, int | float) else now
    return HitDelta(lead_id, day_of(written), hits, machine)
