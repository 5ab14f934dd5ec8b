"""How domain objects look as DynamoDB items (shared by the tables and the stream readers)."""

from __future__ import annotations

import base64
import functools
import heapq
import json
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.adapters.ports import FUNNEL_TOTAL, AuditRecord, LeadRecord, PersonalData
from chalicelib.domain.clock import iso
from chalicelib.domain.errors import InvalidCursor
from chalicelib.domain.events import MachineLabel, MachineVerdict, TrackingEvent
from chalicelib.domain.lead import PROFILE_FIELDS, Consent, Lead, Stage
from chalicelib.domain.scoring.state import LeadScoreState

PROFILE_SK = "PROFILE"
#: The funnel hits the scorer applied to a lead, all time (its writes ADD to them); the
#: leads stream's hit counter adds each write's increase to the day's funnel counters.
HIT_ATTRIBUTES = ("hits", "machine_hits")
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


def funnel_partition_of(lead_id: str) -> str:
    """The counter partition a lead's funnel counts go to (its shard)."""
    return funnel_pk(funnel_shard(lead_id))


def funnel_sort_key(period: str) -> str:
    """A funnel counter's item for a period: ``TOTAL`` for ``FUNNEL_TOTAL``, else the day's."""
    return "TOTAL" if period == FUNNEL_TOTAL else f"DAY#{period}"


def funnel_shard(lead_id: str) -> int:
    return sum(lead_id.encode()) % FUNNEL_SHARDS


#: Partitions per lead list (``by_stage`` per stage, ``by_score``). A partition takes
#: 1,000 WCU/s; at 10,000 lead writes a second, each moving its index entry (a delete
#: and a put: 2 WCU), one stage could take 20,000 WCU/s: 20 partitions, 32 for headroom
#: (docs/PERFORMANCE.md, "No hot key").
LIST_SHARDS = 32
#: Items written before the lists were sharded carry the bare keys (``STAGE#sql``,
#: ``LEADS``); the lists read that partition too, as one more shard.
LEGACY_SHARD = LIST_SHARDS
SCORE_LIST = "LEADS"
_STAGE_SK = re.compile(r"^\d{10}#.+$")


def list_shard(lead_id: str) -> int:
    """A lead's list shard: a stable hash of its id (CRC-32), not Python's salted hash."""
    return zlib.crc32(lead_id.encode()) % LIST_SHARDS


def stage_list_pk(stage: str, lead_id: str) -> str:
    """The ``by_stage`` partition of a lead: ``STAGE#sql#07``."""
    return f"STAGE#{stage}#{list_shard(lead_id):02d}"


def score_list_pk(lead_id: str) -> str:
    """The ``by_score`` partition of an identified lead: ``LEADS#07``."""
    return f"{SCORE_LIST}#{list_shard(lead_id):02d}"


def list_partitions(stage: str | None) -> list[tuple[int, str]]:
    """(shard, partition key) of every partition a list reads, the legacy one last."""
    base = f"STAGE#{stage}" if stage else SCORE_LIST
    return [(shard, f"{base}#{shard:02d}") for shard in range(LIST_SHARDS)] + [(LEGACY_SHARD, base)]


@dataclass(frozen=True)
class ListPosition:
    """Where a list page ends in every shard.

    The lists merge their shards by ``stage_sk`` (score, then lead id: a total order),
    so every shard resumes strictly below the last key returned; shards already read
    to their end are skipped.
    """

    after: str | None = None
    done: frozenset[int] = frozenset()


def encode_list_cursor(position: ListPosition) -> str | None:
    if position.after is None:
        return None
    mask = sum(1 << shard for shard in position.done)
    return encode_cursor({"stage_sk": {"S": position.after}, "done": {"N": str(mask)}})


def decode_list_cursor(cursor: str) -> ListPosition:
    """A list cursor back into its position; ``InvalidCursor`` if this API did not issue it.

    Cursors issued before the lists were sharded (a last key with ``stage_sk``) still work.
    """
    key = decode_cursor(cursor)
    after = key.get("stage_sk", {}).get("S")
    if not isinstance(after, str) or not _STAGE_SK.match(after):
        raise InvalidCursor()
    mask_text = key.get("done", {}).get("N", "0")
    if not isinstance(mask_text, str) or not mask_text.isdigit():
        raise InvalidCursor()
    mask = int(mask_text)
    if mask >= 1 << (LEGACY_SHARD + 1):
        raise InvalidCursor()
    return ListPosition(after, frozenset(s for s in range(LEGACY_SHARD + 1) if mask >> s & 1))


def merge_list_pages(
    pages: Mapping[int, tuple[list[dict[str, Any]], bool]],
    limit: int,
    position: ListPosition,
) -> tuple[list[dict[str, Any]], str | None]:
    """Scatter-gather: each shard's rows (highest first) and whether it has more, merged.

    Returns the ``limit`` highest rows across the shards and the cursor of the next page
    (None when every shard is read to its end).
    """
    rows = sorted(
        (row for shard_rows, _ in pages.values() for row in shard_rows),
        key=lambda row: str(row["stage_sk"]),
        reverse=True,
    )[:limit]
    if not rows:
        return [], None
    last = str(rows[-1]["stage_sk"])
    done = set(position.done)
    for shard, (shard_rows, more) in pages.items():
        if not more and all(str(row["stage_sk"]) >= last for row in shard_rows):
            done.add(shard)
    if len(done) == LEGACY_SHARD + 1:
        return rows, None
    return rows, encode_list_cursor(ListPosition(last, frozenset(done)))


def shards_to_read(position: ListPosition, stage: str | None) -> Iterable[tuple[int, str]]:
    return [(s, pk) for s, pk in list_partitions(stage) if s not in position.done]


#: Campaign counters are spread over this many items (``CAMPAIGN#<id>#<shard>``/``COUNTS``),
#: a random one per hit: a big send's opens and clicks stay under 1,000 writes/s per key.
#: The kill switch (``disabled``) and counts from before sharding stay on ``CAMPAIGN#<id>``.
CAMPAIGN_SHARDS = 8


def campaign_pk(campaign_id: str, shard: int | None = None) -> str:
    return f"CAMPAIGN#{campaign_id}" if shard is None else f"CAMPAIGN#{campaign_id}#{shard:02d}"


def sum_campaign(items: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """A campaign's counters summed over its items; ``disabled`` from the base item."""
    values: dict[str, Any] = {}
    for item in items:
        for name, value in item.items():
            if name in ("pk", "sk"):
                continue
            if isinstance(value, int) and not isinstance(value, bool):
                values[name] = int(values.get(name, 0)) + value
            else:
                values[name] = value
    return values


def lead_pk(lead_id: str) -> str:
    return f"LEAD#{lead_id}"


#: Partitions per lead in the events table. Every event is one write of about 1 KB; the
#: busiest lead of the scale workload gets 13.1 % of 10,000 page views a second, 1,310
#: WCU/s, over the 1,000 a partition takes. Four shards take 330 each, and one lead can
#: reach 4,000 events a second before a shard is full (docs/ARCHITECTURE.md, "events").
EVENT_SHARDS = 4


def event_shard(event_id: str) -> int:
    """An event's shard: the CRC-32 of its id, so a retried put hits the same key."""
    return zlib.crc32(event_id.encode()) % EVENT_SHARDS


def event_pk(lead_id: str, event_id: str) -> str:
    """The events-table partition of one event: ``LEAD#<lead>#<shard>``."""
    return f"{lead_pk(lead_id)}#{event_shard(event_id)}"


def event_partitions(lead_id: str) -> list[str]:
    """Every events-table partition of a lead: its shards, then the legacy ``LEAD#<lead>``
    that events written before the table was sharded still carry."""
    return [f"{lead_pk(lead_id)}#{shard}" for shard in range(EVENT_SHARDS)] + [lead_pk(lead_id)]


def merge_event_items(
    partitions: Iterable[Iterable[Mapping[str, Any]]],
    newest_first: bool = False,
    unique: bool = True,
) -> Iterator[dict[str, Any]]:
    """Event items of several partitions, each already in ``sk`` order, merged in time
    order (``sk`` is ``EVENT#<time>#<event id>``: a total order, the same in every shard).

    With ``unique``, an event stored in two partitions (the legacy one and its shard, say
    written again after the table was sharded) is yielded once; without, every copy is
    (to delete them all).
    """
    last: str | None = None
    for values in heapq.merge(
        *partitions, key=lambda values: str(values["sk"]), reverse=newest_first
    ):
        sk = str(values["sk"])
        if unique and sk == last:
            continue
        last = sk
        yield dict(values)


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
        "pk": event_pk(event.lead_id, event.event_id),
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
        recent=str(values.get("recent_events") or ""),
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


def _compact(value: Any) -> Any:
    """Numbers as stored: times (epoch seconds) to 1/100 s, other fractions to 1/10,000.

    Full float precision is noise (a decayed sum carries 17 digits) that compresses
    badly; the scorer's windows are seconds, its points whole numbers.
    """
    if isinstance(value, float):
        return round(value, 2) if abs(value) >= 1e6 else round(value, 4)
    if isinstance(value, dict):
        return {key: _compact(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_compact(item) for item in value]
    return value


def scored_only(commit: Any) -> bool:
    """A scoring commit that changes nothing a list, the hand-over or a lifecycle event
    reads: the lead item is marked ``scored_only`` and the notifier is not invoked."""
    return not (commit.list_changed or commit.events or commit.funnel)


@functools.cache
def _state_dictionary() -> bytes:
    """The preset dictionary states are compressed with (``tests/bench/state_dictionary.py``)."""
    return (Path(__file__).parent / "state_dictionary_v1.bin").read_bytes()


def encode_state(state: LeadScoreState) -> bytes:
    """The score state as stored: compact JSON, zlib-compressed (a binary attribute).

    DynamoDB bills a write per started KB of the item, so the state is kept small:
    numbers rounded (``_compact``), and compressed against a preset dictionary of
    what every state repeats (keys, rule ids, groups), which takes a typical state to
    about 60 % of plain zlib's size. The zlib header names the dictionary.
    """
    text = json.dumps(_compact(state.to_dict()), separators=(",", ":"))
    packer = zlib.compressobj(9, zdict=_state_dictionary())
    return packer.compress(text.encode()) + packer.flush()


def decode_state(value: bytes | str) -> LeadScoreState:
    """The inverse of ``encode_state``; states written before (plain zlib, or JSON text)
    are read too."""
    if isinstance(value, bytes | bytearray):
        if len(value) > 1 and value[1] & 0x20:  # FDICT: compressed against our dictionary
            unpacker = zlib.decompressobj(zdict=_state_dictionary())
            raw = unpacker.decompress(bytes(value)) + unpacker.flush()
        else:
            raw = zlib.decompress(value)
        return LeadScoreState.from_dict(json.loads(raw))
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
    """A page cursor back into DynamoDB's start key; ``InvalidCursor`` if tampered with."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError):
        raise InvalidCursor() from None
    if not isinstance(key, dict) or not all(isinstance(v, dict) for v in key.values()):
        raise InvalidCursor()
    return key


#: What a lead item holds for the store alone: its keys, the lists' and the quiet sweep's
#: index keys, the optimistic lock, the redelivery digests, the stream filter's mark and
#: the compressed score state. Not data about the person: an export leaves them out.
STORAGE_ATTRIBUTES = frozenset(
    {
        "pk",
        "sk",
        "scoring_state",
        "stage_pk",
        "stage_sk",
        "list_pk",
        "quiet_pk",
        "score_version",
        "recent_events",
        "scored_only",
    }
)


def personal_data(items: Iterable[Mapping[str, Any]]) -> PersonalData:
    """A lead partition's items (``export_items``) as the export shows them."""
    items = list(items)
    profile = next((i for i in items if i.get("sk") == PROFILE_SK), {})
    lead = {k: v for k, v in profile.items() if k not in STORAGE_ATTRIBUTES}
    if isinstance(lead.get("reasons"), str):
        lead["reasons"] = json.loads(lead["reasons"])
    return PersonalData(
        profile=lead,
        identities=sorted(
            str(i["anonymous_id"]) for i in items if str(i.get("sk", "")).startswith("ALIAS#")
        ),
        announcements=[
            {k: v for k, v in i.items() if k != "pk"}
            for i in items
            if str(i.get("sk", "")).startswith("ANNOUNCE#")
        ],
    )


def audit_record(values: Mapping[str, Any]) -> AuditRecord:
    """An audit-log item (``LeadStore.audit``) as a record; its detail is stored as JSON."""
    try:
        detail = json.loads(values.get("detail", "{}"))
    except json.JSONDecodeError:
        detail = {}
    return AuditRecord(
        action=str(values.get("action", "")),
        lead_id=str(values.get("lead_id", "-")),
        detail=detail if isinstance(detail, dict) else {},
        at=float(values.get("at", 0)),
    )


def add_day_counters(
    days: dict[str, dict[str, int]], sort_key: str, values: Mapping[str, Any]
) -> None:
    """Add one shard's ``DAY#<day>`` counter item to the per-day sums."""
    day = sort_key.removeprefix("DAY#")
    target = days.setdefault(day, {})
    for name, amount in values.items():
        if isinstance(amount, int) and not isinstance(amount, bool):
            target[name] = target.get(name, 0) + amount


#: The sparse index of leads that may go quiet: partition ``quiet_pk``, sort ``lead_id``.
QUIET_INDEX = "by_last_engaged"
#: Partitions per day of the quiet index. The index is keys only, so a lead's entry is
#: written only when its engagement moves to a new day; that happens to every active lead
#: just after midnight UTC. At 10,000 page views a second (Zipf s = 1.1 over 200,000
#: leads) about 3,300 distinct leads engage in the first second of a day: one day key
#: would take 3,300 WCU/s; 16 shards take about 210 each (docs/PERFORMANCE.md, "scale").
QUIET_SHARDS = 16


def quiet_bucket(day: str, shard: int | None = None) -> str:
    """A partition of the quiet index: ``ENGAGED#2026-12-02#07``, or the day's legacy one."""
    return f"ENGAGED#{day}" if shard is None else f"ENGAGED#{day}#{shard:02d}"


def quiet_pk(last_engaged_at: float, lead_id: str) -> str:
    """The quiet-index partition of a lead: the day of its last engagement and its shard.

    Keyed by day and projecting only keys, the index is written when a lead's
    engagement moves to a new day, at most once per lead per day, not on every event.
    The shard is the lead id's CRC-32, so a lead stays in one partition all day.
    """
    return quiet_bucket(iso(last_engaged_at)[:10], zlib.crc32(lead_id.encode()) % QUIET_SHARDS)


def quiet_partitions(day: str) -> list[str]:
    """Every partition of a day the sweep reads: its shards, and the legacy unsharded key
    (``ENGAGED#<day>``) that leads scored before the index was sharded still carry."""
    return [quiet_bucket(day, shard) for shard in range(QUIET_SHARDS)] + [quiet_bucket(day)]


def may_go_quiet(identified: bool, stage: str, last_engaged_at: float) -> bool:
    """Only identified leads that are not customers are watched for a quiet spell."""
    return identified and stage not in (Stage.VISITOR, Stage.CUSTOMER) and last_engaged_at > 0
