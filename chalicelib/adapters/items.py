"""How domain objects look as DynamoDB items (shared by the tables and the stream readers)."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from typing import Any

from chalicelib.adapters.ports import LeadRecord
from chalicelib.domain.clock import iso
from chalicelib.domain.events import MachineLabel, MachineVerdict, TrackingEvent
from chalicelib.domain.lead import PROFILE_FIELDS, Consent, Lead, Stage
from chalicelib.domain.scoring.state import LeadScoreState

PROFILE_SK = "PROFILE"
#: What the lead-list indexes (``by_stage``, ``by_score``) project besides their keys.
LIST_ATTRIBUTES = (
    "lead_id",
    "email",
    "first_name",
    "last_name",
    "company",
    "company_domain",
    "job_title",
    "country",
    "stage",
    "score",
    "fit_score",
    "engagement_score",
    "recommended_channel",
    "model_version",
    "merged_into",
    "created_at",
    "updated_at",
)
SCORE_WIDTH = 10
SCORE_OFFSET = 1_000_000  # stage_sk sorts as a string: shift scores to be non-negative


FUNNEL_SHARDS = 8


def funnel_pk(shard: int) -> str:
    """Funnel counters are spread over a few partitions so scoring never queues on one."""
    return f"FUNNEL#{shard:02d}"


def funnel_shard(lead_id: str) -> int:
    return sum(lead_id.encode()) % FUNNEL_SHARDS


def lead_pk(lead_id: str) -> str:
    return f"LEAD#{lead_id}"


def event_sk(event: TrackingEvent) -> str:
    return f"EVENT#{iso(event.occurred_at)}#{event.event_id}"


def ledger_sk(at: float, event_id: str) -> str:
    return f"LEDGER#{iso(at)}#{event_id}"


def stage_sort_key(score: int, lead_id: str) -> str:
    """Sorts by score as a string; the index is read backwards for highest first."""
    shifted = max(0, min(score + SCORE_OFFSET, 10**SCORE_WIDTH - 1))
    return f"{shifted:0{SCORE_WIDTH}d}#{lead_id}"


def event_to_item(event: TrackingEvent, expires_at: int) -> dict[str, Any]:
    """A tracking event as a plain dict ready for ``to_item``."""
    values: dict[str, Any] = {
        "pk": lead_pk(event.lead_id),
        "sk": event_sk(event),
        "event_id": event.event_id,
        "lead_id": event.lead_id,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "received_at": event.received_at,
        "source": event.source,
        "url": event.url or None,
        "title": event.title or None,
        "referrer": event.referrer or None,
        "properties": json.dumps(event.properties, separators=(",", ":"), default=str)
        if event.properties
        else None,
        "anonymous_id": event.anonymous_id,
        "campaign_id": event.campaign_id,
        "message_id": event.message_id,
        "form_id": event.form_id,
        "form_kind": event.form_kind,
        "profile": json.dumps(event.profile, separators=(",", ":"), default=str)
        if event.profile is not None
        else None,
        "expires_at": expires_at,
    }
    if event.machine is not None:
        values["machine"] = event.machine.label.value
        values["machine_reason"] = event.machine.reason
    return values


def event_from_item(values: Mapping[str, Any]) -> TrackingEvent:
    """The inverse of ``event_to_item``; raises KeyError/ValueError on a corrupt item."""
    machine = None
    if values.get("machine"):
        machine = MachineVerdict(
            MachineLabel(values["machine"]), str(values.get("machine_reason", ""))
        )
    properties = json.loads(values["properties"]) if values.get("properties") else {}
    profile = json.loads(values["profile"]) if values.get("profile") else None
    if not isinstance(properties, dict) or (profile is not None and not isinstance(profile, dict)):
        raise ValueError("properties and profile must be JSON objects")
    return TrackingEvent(
        event_id=str(values["event_id"]),
        lead_id=str(values["lead_id"]),
        type=str(values["type"]),
        occurred_at=float(values["occurred_at"]),
        received_at=float(values.get("received_at", values["occurred_at"])),
        source=str(values.get("source", "tracker")),
        url=str(values.get("url") or ""),
        title=str(values.get("title") or ""),
        referrer=str(values.get("referrer") or ""),
        properties=properties,
        machine=machine,
        anonymous_id=values.get("anonymous_id"),
        campaign_id=values.get("campaign_id"),
        message_id=values.get("message_id"),
        form_id=values.get("form_id"),
        form_kind=values.get("form_kind"),
        profile=profile,
    )


def consent_from(values: Mapping[str, Any] | None) -> Consent | None:
    if not values:
        return None
    return Consent(
        granted=bool(values.get("granted")),
        at=float(values.get("at", 0.0)),
        form_id=values.get("form_id"),
        page_url=values.get("page_url"),
        text_version=values.get("text_version"),
    )


def lead_from_item(values: Mapping[str, Any]) -> LeadRecord:
    """A lead profile item (as plain values) to a record."""
    profile = {name: values[name] for name in PROFILE_FIELDS if values.get(name) not in (None, "")}
    state = (
        decode_state(values["scoring_state"]) if values.get("scoring_state") else LeadScoreState()
    )
    lead = Lead(
        lead_id=str(values["lead_id"]),
        created_at=float(values.get("created_at", 0.0)),
        profile=profile,
        company_domain=values.get("company_domain"),
        consent=consent_from(values.get("consent")),
        stage=Stage(values.get("stage", Stage.VISITOR)),
        score=float(values.get("score", 0)),
        recommended_channel=values.get("recommended_channel"),
        model_version=values.get("model_version"),
        fit_score=float(values.get("fit_score", 0)),
        engagement_score=float(values.get("engagement_score", 0)),
        updated_at=float(values.get("updated_at", 0.0)),
    )
    return LeadRecord(
        lead=lead,
        state=state,
        version=int(values.get("score_version", 0)),
        merged_into=values.get("merged_into"),
        erased=bool(values.get("erased_at")),
    )


def ledger_expiry(at: float, entries: list[Any], retention_seconds: float) -> int | None:
    """When a ledger item may go: with its event, if it only holds fading behaviour.

    Behaviour points decay (a 30-day half-life leaves 1/8000 of them after the
    13-month retention), so their ledger goes with the raw events. Fit and
    non-decaying entries (newsletter status, sales outcomes) explain the current
    score for as long as the lead exists, and stay until erasure.
    """
    if all(e.kind == "engagement" and e.decay is not None for e in entries):
        return int(at + retention_seconds)
    return None


def encode_state(state: LeadScoreState) -> bytes:
    """The score state as stored: compact JSON, zlib-compressed (a binary attribute).

    Compression halves the lead item, and DynamoDB bills writes per started KB of
    the item (twice in a transaction, again in each index with projection ALL).
    """
    return zlib.compress(json.dumps(state.to_dict(), separators=(",", ":")).encode(), 6)


def decode_state(value: bytes | str) -> LeadScoreState:
    """The inverse of ``encode_state``; plain JSON text (items written before) is read too."""
    if isinstance(value, bytes | bytearray):
        return LeadScoreState.from_dict(json.loads(zlib.decompress(value)))
    return LeadScoreState.from_dict(json.loads(value))


def stream_position(record: Mapping[str, Any], now: float) -> tuple[str, float]:
    """A Lambda stream record's sequence number, and how long it waited (seconds)."""
    body = record.get("dynamodb") or {}
    created = body.get("ApproximateCreationDateTime")
    lag = now - float(created) if isinstance(created, int | float) else 0.0
    return str(body.get("SequenceNumber", "")), lag


def encode_cursor(key: Mapping[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str) -> dict[str, Any]:
    """A page cursor back into DynamoDB's start key; ValueError if it was tampered with."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        raise ValueError("not a cursor this API returned") from None
    if not isinstance(key, dict) or not all(isinstance(v, dict) for v in key.values()):
        raise ValueError("not a cursor this API returned")
    return key


#: The sparse index of leads that may go quiet: partition ``quiet_pk``, sort ``lead_id``.
QUIET_INDEX = "by_last_engaged"


def quiet_pk(last_engaged_at: float) -> str:
    """The day bucket of a lead's last engagement (``ENGAGED#yyyy-mm-dd``).

    Keyed by day and projecting only keys, the index is written when a lead's
    engagement moves to a new day, at most once per lead per day, not on every event.
    """
    return f"ENGAGED#{iso(last_engaged_at)[:10]}"


def may_go_quiet(identified: bool, stage: str, last_engaged_at: float) -> bool:
    """Only identified leads that are not customers are watched for a quiet spell."""
    return identified and stage not in (Stage.VISITOR, Stage.CUSTOMER) and last_engaged_at > 0
