"""Stream records to domain values: the one place that knows a leads-stream record's shape."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.attributes import from_item
from chalicelib.adapters.items import PROFILE_SK, decode_state, stream_position
from chalicelib.domain.lead import PROFILE_FIELDS
from chalicelib.domain.lifecycle_events import LeadChange, LeadSnapshot


@dataclass(frozen=True, slots=True)
class StreamChange:
    """One leads-stream record: its position, and the lead change it holds (or why not)."""

    sequence: str
    lag_seconds: float
    change: LeadChange | None
    problem: str | None = None
    record: Mapping[str, Any] | None = None


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
        except (KeyError, ValueError, TypeError, AttributeError) as error:
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
