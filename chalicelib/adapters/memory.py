"""In-memory stores with the same contract as the DynamoDB ones (unit tests, benchmarks).

They count requests the way DynamoDB would bill them. E-mail owners, browsers'
links (``AnonymousLink``), campaign counters, erased e-mail hashes and the audit
log are held as domain values (ids, ints, hashes, ``AuditRecord``); the rest are
still plain item dicts keyed like the tables, because the scoring commit writes
them and the tests' stream pump reads them as stream images (the contract suite,
``tests/contract``, holds both stores to the same answers).
"""

from __future__ import annotations

import copy
import itertools
import json
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, replace
from typing import Any

from chalicelib.adapters.items import (
    CAMPAIGN_SHARDS,
    FUNNEL_SHARDS,
    HIT_ATTRIBUTES,
    LIST_ATTRIBUTES,
    PROFILE_SK,
    ListPosition,
    add_day_counters,
    decode_list_cursor,
    encode_state,
    event_from_item,
    event_partitions,
    event_to_item,
    funnel_partition_of,
    funnel_sort_key,
    lead_from_item,
    lead_pk,
    ledger_expiry,
    ledger_sk,
    may_go_quiet,
    merge_event_items,
    merge_list_pages,
    personal_data,
    quiet_pk,
    score_list_pk,
    scored_only,
    shards_to_read,
    stage_list_pk,
    stage_sort_key,
)
from chalicelib.adapters.ports import (
    AlreadyApplied,
    AnnouncementClaim,
    AnonymousLink,
    AuditRecord,
    CompanyRecord,
    LeadPage,
    LeadRecord,
    PersonalData,
    QuarantinedItem,
    ScoringCommit,
    VersionConflict,
)
from chalicelib.domain.clock import iso
from chalicelib.domain.errors import NotFound
from chalicelib.domain.events import TrackingEvent
from chalicelib.domain.lead import PROFILE_FIELDS, Lead, Stage
from chalicelib.domain.redelivery import remember, was_applied
from chalicelib.domain.scoring.scorer import LedgerEntry
from chalicelib.domain.scoring.state import CompanyState

Key = tuple[str, str]


class _Table:
    """A sorted key-value table: enough of DynamoDB for the stores."""

    def __init__(self) -> None:
        self.items: dict[Key, dict[str, Any]] = {}
        self.requests: Counter[str] = Counter()
        self.lock = threading.RLock()

    def get(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self.items.get((pk, sk))
        return copy.deepcopy(item) if item is not None else None

    def query(self, pk: str, prefix: str = "", reverse: bool = False) -> list[dict[str, Any]]:
        keys = sorted(k for k in self.items if k[0] == pk and k[1].startswith(prefix))
        if reverse:
            keys.reverse()
        return [copy.deepcopy(self.items[k]) for k in keys]


class MemoryEventStore:
    """The events table in memory."""

    def __init__(self, retention_days: int = 395) -> None:
        self.table = _Table()
        self._retention_seconds = retention_days * 86_400

    @property
    def retention_seconds(self) -> int:
        return self._retention_seconds

    def _item(self, event: TrackingEvent) -> dict[str, Any]:
        values = event_to_item(event, int(event.occurred_at + self._retention_seconds))
        return {k: v for k, v in values.items() if v is not None}

    def put_events(self, events: Sequence[TrackingEvent]) -> None:
        with self.table.lock:
            self.table.requests["PutItem" if len(events) == 1 else "BatchWriteItem"] += max(
                1, -(-len(events) // 25)
            )
            for event in events:
                item = self._item(event)
                self.table.items[(item["pk"], item["sk"])] = item

    def put_event_if_absent(self, event: TrackingEvent) -> bool:
        with self.table.lock:
            self.table.requests["PutItem"] += 1
            item = self._item(event)
            if (item["pk"], item["sk"]) in self.table.items:
                return False
            self.table.items[(item["pk"], item["sk"])] = item
            return True

    def _items(
        self, lead_id: str, newest_first: bool = False, unique: bool = True
    ) -> list[dict[str, Any]]:
        """A lead's event items over its shards and legacy partition, merged in time order."""
        partitions = event_partitions(lead_id)
        self.table.requests["Query"] += len(partitions)
        with self.table.lock:
            found = [self.table.query(pk, "EVENT#", reverse=newest_first) for pk in partitions]
        return list(merge_event_items(found, newest_first=newest_first, unique=unique))

    def timeline(self, lead_id: str, limit: int) -> list[TrackingEvent]:
        return [event_from_item(i) for i in self._items(lead_id, newest_first=True)[:limit]]

    def history(self, lead_id: str) -> Iterator[TrackingEvent]:
        for item in self._items(lead_id):
            yield event_from_item(item)

    def move_events(self, from_lead_id: str, to_lead_id: str) -> int:
        items = self._items(from_lead_id, unique=False)
        events = [event_from_item(i) for i in merge_event_items([items])]
        self.put_events([replace(e, lead_id=to_lead_id) for e in events])
        self._delete(items)
        return len(events)

    def _delete(self, items: Sequence[Mapping[str, Any]]) -> None:
        with self.table.lock:
            for item in items:
                self.table.items.pop((str(item["pk"]), str(item["sk"])), None)

    def delete_events(self, lead_id: str) -> int:
        items = self._items(lead_id, unique=False)
        self._delete(items)
        return len(list(merge_event_items([items])))


class MemoryLeadStore:
    """The leads table in memory, with DynamoDB's conditional semantics."""

    def __init__(self, events: MemoryEventStore) -> None:
        self.table = _Table()
        self._events = events
        #: Held as domain values, not items: e-mail owners, browsers' links, campaign
        #: counters per shard (plain ints) and kill switches, erased e-mail hashes, the audit log.
        self.emails: dict[str, str] = {}
        self.links: dict[str, AnonymousLink] = {}
        self.campaign_counts: dict[str, dict[int, dict[str, int]]] = {}
        self.campaign_disabled: dict[str, bool] = {}
        self.erased_emails: set[str] = set()
        self.audit_records: list[AuditRecord] = []
        #: Called inside ``commit_scoring`` before it applies (tests inject crashes/races).
        self.before_commit: list[Any] = []

    # -- reads -----------------------------------------------------------------------

    def get_lead(self, lead_id: str) -> LeadRecord | None:
        self.table.requests["GetItem"] += 1
        item = self.table.get(lead_pk(lead_id), PROFILE_SK)
        return lead_from_item(item) if item and item.get("lead_id") else None

    def get_for_scoring(
        self, lead_id: str, company_domain: str | None, consistent: bool = True
    ) -> tuple[LeadRecord | None, CompanyRecord | None]:
        self.table.requests["BatchGetItem"] += 1
        item = self.table.get(lead_pk(lead_id), PROFILE_SK)
        lead = lead_from_item(item) if item and item.get("lead_id") else None
        company = self._company(company_domain) if company_domain else None
        return lead, company

    def get_company(self, domain: str) -> CompanyRecord:
        self.table.requests["GetItem"] += 1
        return self._company(domain)

    def _company(self, domain: str) -> CompanyRecord:
        stored = self.table.get(f"COMPANY#{domain}", "STATE")
        if not stored:
            return CompanyRecord(CompanyState(domain), 0)
        state = CompanyState.from_dict(domain, json.loads(stored["state"]))
        return CompanyRecord(state, int(stored["version"]))

    def lead_id_by_email(self, email: str) -> str | None:
        self.table.requests["GetItem"] += 1
        return self.emails.get(email.lower())

    def anonymous_link(self, anonymous_id: str) -> AnonymousLink | None:
        self.table.requests["GetItem"] += 1
        return self.links.get(anonymous_id)

    # -- identity --------------------------------------------------------------------

    def link_anonymous_id(self, anonymous_id: str, lead_id: str, *, replace: bool) -> str:
        with self.table.lock:
            self.table.requests["PutItem"] += 1
            current = self.links.get(anonymous_id)
            if current is not None and (current.erased or not replace):
                return current.lead_id or ""
            self.links[anonymous_id] = AnonymousLink(lead_id)
            self.table.requests["PutItem"] += 1
            alias = (lead_pk(lead_id), f"ALIAS#{anonymous_id}")
            self.table.items[alias] = {"pk": alias[0], "sk": alias[1], "anonymous_id": anonymous_id}
            return lead_id

    def create_lead(self, lead: Lead) -> bool:
        email = lead.email
        assert email is not None
        with self.table.lock:
            self.table.requests["TransactWriteItems"] += 1
            lead_key = (lead_pk(lead.lead_id), PROFILE_SK)
            if email.lower() in self.emails or lead_key in self.table.items:
                return False
            self.emails[email.lower()] = lead.lead_id
            values = {n: lead.profile[n] for n in PROFILE_FIELDS if lead.profile.get(n)}
            values.update(
                pk=lead_key[0],
                sk=lead_key[1],
                lead_id=lead.lead_id,
                created_at=lead.created_at,
                updated_at=lead.created_at,
                stage=Stage.LEAD.value,
                score=0,
                fit_score=0,
                engagement_score=0,
                stage_pk=stage_list_pk(Stage.LEAD.value, lead.lead_id),
                stage_sk=stage_sort_key(0, lead.lead_id),
                list_pk=score_list_pk(lead.lead_id),
            )
            if lead.company_domain:
                values["company_domain"] = lead.company_domain
            if lead.consent is not None:
                values["consent"] = {k: v for k, v in asdict(lead.consent).items() if v is not None}
            self.table.items[lead_key] = values
            return True

    def claim_email(self, email: str, lead_id: str) -> str:
        with self.table.lock:
            self.table.requests["PutItem"] += 1
            return self.emails.setdefault(email.lower(), lead_id)

    def update_profile(
        self,
        lead_id: str,
        profile: Mapping[str, Any],
        company_domain: str | None,
        consent: Mapping[str, Any] | None,
        now: float,
    ) -> Lead:
        with self.table.lock:
            self.table.requests["UpdateItem"] += 1
            key = (lead_pk(lead_id), PROFILE_SK)
            item = self.table.items.setdefault(key, {"pk": key[0], "sk": key[1]})
            if item.get("erased_at"):
                raise NotFound(f"lead_id: lead '{lead_id[:64]}' was erased")
            for name in PROFILE_FIELDS:
                if profile.get(name) not in (None, ""):
                    item[name] = profile[name]
            item["lead_id"] = lead_id
            item["updated_at"] = now
            item.setdefault("created_at", now)
            item.setdefault("stage", Stage.LEAD.value)
            if company_domain:
                item["company_domain"] = company_domain
            if consent is not None:
                item["consent"] = {k: v for k, v in consent.items() if v is not None}
            return lead_from_item(copy.deepcopy(item)).lead

    def set_consent(self, lead_id: str, consent: Mapping[str, Any], now: float) -> None:
        with self.table.lock:
            self.table.requests["UpdateItem"] += 1
            item = self.table.items.get((lead_pk(lead_id), PROFILE_SK))
            if item is None or "lead_id" not in item or item.get("erased_at"):
                raise NotFound(f"lead_id: no lead '{lead_id[:64]}' (or it was erased)")
            item["consent"] = {k: v for k, v in consent.items() if v is not None}
            item["updated_at"] = now

    def mark_merged(self, lead_id: str, into_lead_id: str, now: float) -> None:
        with self.table.lock:
            self.table.requests["UpdateItem"] += 1
            key = (lead_pk(lead_id), PROFILE_SK)
            item = self.table.items.setdefault(key, {"pk": key[0], "sk": key[1]})
            item.update(merged_into=into_lead_id, lead_id=lead_id, updated_at=now)
            for name in ("stage_pk", "stage_sk", "list_pk", "quiet_pk"):
                item.pop(name, None)

    # -- scoring ---------------------------------------------------------------------

    def commit_scoring(self, commit: ScoringCommit) -> None:
        for hook in self.before_commit:
            hook(commit)
        with self.table.lock, self._events.table.lock:
            transactional = bool(commit.ledger or commit.events or commit.funnel)
            self.table.requests["TransactWriteItems" if transactional else "UpdateItem"] += 1
            if commit.company is not None and not transactional:
                self.table.requests["PutItem"] += 1
            key = (lead_pk(commit.lead_id), PROFILE_SK)
            item = self.table.items.get(key)
            if item is not None and (item.get("erased_at") or item.get("merged_into")):
                raise VersionConflict("lead erased or merged")
            version = int(item.get("score_version", 0)) if item else 0
            has_version = item is not None and "score_version" in item
            if (commit.expected_version == 0 and has_version) or (
                commit.expected_version != 0 and version != commit.expected_version
            ):
                raise VersionConflict(f"lead {commit.lead_id} changed")
            recent = str(item.get("recent_events") or "") if item else ""
            applied = [e for e in commit.applied_ids if was_applied(recent, e)]
            if applied:
                raise AlreadyApplied(applied)
            if commit.company is not None:
                stored = self.table.items.get((f"COMPANY#{commit.company.state.domain}", "STATE"))
                stored_version = int(stored["version"]) if stored else 0
                if stored_version != commit.company.version:
                    raise VersionConflict("company changed")
            # All conditions hold: apply every write.
            item = self.table.items.setdefault(key, {"pk": key[0], "sk": key[1]})
            item.update(
                lead_id=commit.lead_id,
                scoring_state=encode_state(commit.state),
                stage=commit.stage,
                score=commit.score,
                fit_score=commit.fit_score,
                engagement_score=commit.engagement_score,
                recommended_channel=commit.recommended_channel,
                stage_pk=stage_list_pk(commit.stage, commit.lead_id),
                stage_sk=stage_sort_key(commit.score, commit.lead_id),
                score_version=commit.expected_version + 1,
                qualifications=commit.state.qualifications,
                model_version=commit.state.model_version,
                recent_events=commit.recent or remember("", commit.applied_ids),
            )
            item.pop("reasons", None)
            item.pop("channel_reason", None)
            for name, amount in zip(
                HIT_ATTRIBUTES, (commit.hits, commit.machine_hits), strict=True
            ):
                if amount:
                    item[name] = int(item.get(name, 0)) + amount
            if scored_only(commit):
                item["scored_only"] = True
            else:
                item.pop("scored_only", None)
            if commit.list_changed or "updated_at" not in item:
                item["updated_at"] = commit.now
            item.setdefault("created_at", commit.now)
            if commit.state.profile.get("email"):
                item["list_pk"] = score_list_pk(commit.lead_id)
            engaged = commit.state.last_seen
            item["last_engaged_at"] = engaged
            if may_go_quiet(bool(commit.state.profile.get("email")), commit.stage, engaged):
                item["quiet_pk"] = quiet_pk(engaged, commit.lead_id)
            else:
                item.pop("quiet_pk", None)
            for event_id, (at, entries) in commit.ledger.items():
                ledger_key = (lead_pk(commit.lead_id), ledger_sk(at, event_id))
                self.table.items[ledger_key] = {
                    "pk": ledger_key[0],
                    "sk": ledger_key[1],
                    "event_id": event_id,
                    "entries": json.dumps([e.to_dict() for e in entries]),
                    "recorded_at": commit.now,
                    "expires_at": ledger_expiry(at, entries, self._events.retention_seconds),
                }
            for event in commit.events:
                values = self._events._item(event)
                self._events.table.items[(values["pk"], values["sk"])] = values
            if commit.company is not None:
                domain = commit.company.state.domain
                self.table.items[(f"COMPANY#{domain}", "STATE")] = {
                    "pk": f"COMPANY#{domain}",
                    "sk": "STATE",
                    "state": json.dumps(commit.company.state.to_dict()),
                    "version": commit.company.version + 1,
                }
            funnel_pk = funnel_partition_of(commit.lead_id)
            for period, counters in commit.funnel.items():
                sk = funnel_sort_key(period)
                funnel = self.table.items.setdefault((funnel_pk, sk), {"pk": funnel_pk, "sk": sk})
                for name, amount in counters.items():
                    funnel[name] = int(funnel.get(name, 0)) + amount

    def ledger(self, lead_id: str) -> list[LedgerEntry]:
        self.table.requests["Query"] += 1
        entries: list[LedgerEntry] = []
        for item in self.table.query(lead_pk(lead_id), "LEDGER"):
            entries.extend(LedgerEntry.from_dict(e) for e in json.loads(item["entries"]))
        return entries

    def write_replayed_ledger(
        self, lead_id: str, version: str, ledger: Sequence[LedgerEntry]
    ) -> None:
        with self.table.lock:
            by_event: dict[str, list[LedgerEntry]] = {}
            for entry in ledger:
                by_event.setdefault(entry.event_id, []).append(entry)
            for event_id, entries in by_event.items():
                key = (lead_pk(lead_id), f"LEDGERV#{version}#{ledger_sk(entries[0].at, event_id)}")
                self.table.items[key] = {
                    "pk": key[0],
                    "sk": key[1],
                    "event_id": event_id,
                    "entries": json.dumps([e.to_dict() for e in entries]),
                }

    # -- lists -----------------------------------------------------------------------

    def list_leads(self, stage: str | None, limit: int, cursor: str | None) -> LeadPage:
        """Like the DynamoDB store: one query per shard of the index, merged by score."""
        position = decode_list_cursor(cursor) if cursor else ListPosition()
        key = "stage_pk" if stage else "list_pk"
        # Like the indexes: keys and LIST_ATTRIBUTES only.
        keep = {"pk", "sk", "stage_pk", "stage_sk", "list_pk", *LIST_ATTRIBUTES}
        pages: dict[int, tuple[list[dict[str, Any]], bool]] = {}
        with self.table.lock:
            for shard, partition in shards_to_read(position, stage):
                self.table.requests["Query"] += 1
                rows = sorted(
                    (
                        {k: v for k, v in i.items() if k in keep}
                        for i in self.table.items.values()
                        if i.get(key) == partition
                        and (position.after is None or i["stage_sk"] < position.after)
                    ),
                    key=lambda i: str(i["stage_sk"]),
                    reverse=True,
                )
                pages[shard] = (copy.deepcopy(rows[:limit]), len(rows) > limit)
        rows, next_cursor = merge_list_pages(pages, limit, position)
        return LeadPage([lead_from_item(row) for row in rows], next_cursor)

    # -- announcements ---------------------------------------------------------------

    def claim_announcement(
        self, lead_id: str, number: int, now: float, lease_seconds: float
    ) -> AnnouncementClaim:
        with self.table.lock:
            self.table.requests["UpdateItem"] += 1
            key = (lead_pk(lead_id), f"ANNOUNCE#{number:06d}")
            item = self.table.items.get(key)
            if item is not None:
                if item["status"] == "published":
                    return AnnouncementClaim(False, True)
                if item["claimed_until"] >= now:
                    return AnnouncementClaim(False, False)
            self.table.items[key] = {
                "pk": key[0],
                "sk": key[1],
                "status": "pending",
                "claimed_until": now + lease_seconds,
                "attempts": int(item["attempts"]) + 1 if item else 1,
                "created_at": item["created_at"] if item else now,
            }
            return AnnouncementClaim(True, False)

    def mark_announced(self, lead_id: str, number: int, message_id: str, now: float) -> None:
        with self.table.lock:
            self.table.requests["UpdateItem"] += 1
            key = (lead_pk(lead_id), f"ANNOUNCE#{number:06d}")
            self.table.items[key].update(
                status="published", message_id=message_id, published_at=now
            )

    # -- counters --------------------------------------------------------------------

    def funnel_counters(
        self, first_day: str, last_day: str
    ) -> tuple[dict[str, int], dict[str, int]]:
        self.table.requests["Query"] += FUNNEL_SHARDS
        days: dict[str, int] = {}
        totals: dict[str, int] = {}
        with self.table.lock:
            for (pk, sk), item in self.table.items.items():
                if not pk.startswith("FUNNEL#"):
                    continue
                if sk == "TOTAL":
                    target = totals
                elif f"DAY#{first_day}" <= sk <= f"DAY#{last_day}":
                    target = days
                else:
                    continue
                for name, amount in item.items():
                    if isinstance(amount, int):
                        target[name] = target.get(name, 0) + amount
        return days, totals

    def add_funnel_counts(
        self, key: str, increments: Mapping[str, Mapping[str, int]], batch: str | None = None
    ) -> None:
        funnel_pk = funnel_partition_of(key)
        with self.table.lock:
            for period, counters in increments.items():
                if not counters:
                    continue
                self.table.requests["UpdateItem"] += 1
                sk = funnel_sort_key(period)
                funnel = self.table.items.setdefault((funnel_pk, sk), {"pk": funnel_pk, "sk": sk})
                if batch is not None:
                    if funnel.get("last_batch") == batch:
                        continue  # counted already: the batch was delivered again
                    funnel["last_batch"] = batch
                for name, amount in counters.items():
                    funnel[name] = int(funnel.get(name, 0)) + amount

    def bump_campaign(self, campaign_id: str, counter: str) -> None:
        shard = secrets.randbelow(CAMPAIGN_SHARDS)
        with self.table.lock:
            self.table.requests["UpdateItem"] += 1
            counts = self.campaign_counts.setdefault(campaign_id, {}).setdefault(shard, {})
            counts[counter] = counts.get(counter, 0) + 1

    def campaign(self, campaign_id: str) -> dict[str, Any]:
        self.table.requests["BatchGetItem"] += 1
        values: dict[str, Any] = {}
        with self.table.lock:
            for counts in self.campaign_counts.get(campaign_id, {}).values():
                for name, amount in counts.items():
                    values[name] = values.get(name, 0) + amount
            if campaign_id in self.campaign_disabled:
                values["disabled"] = self.campaign_disabled[campaign_id]
        return values

    def set_campaign_disabled(self, campaign_id: str, disabled: bool) -> None:
        with self.table.lock:
            self.table.requests["UpdateItem"] += 1
            self.campaign_disabled[campaign_id] = disabled

    # -- privacy ---------------------------------------------------------------------

    def erase(self, lead_id: str, email_hash: str | None, now: float) -> int:
        with self.table.lock:
            record = self.get_lead(lead_id)
            partition = [k for k in self.table.items if k[0] == lead_pk(lead_id)]
            aliases = {
                str(self.table.items[k]["anonymous_id"])
                for k in partition
                if k[1].startswith("ALIAS#")
            }
            for key in partition:
                del self.table.items[key]
            removed = len(partition)
            email = record.lead.email if record is not None else None
            if email and self.emails.pop(email.lower(), None):
                removed += 1
            self.table.items[(lead_pk(lead_id), PROFILE_SK)] = {
                "pk": lead_pk(lead_id),
                "sk": PROFILE_SK,
                "erased_at": now,
            }
            for aid in aliases:
                current = self.links.get(aid)
                if current is not None and current.lead_id not in (None, lead_id):
                    continue  # a shared browser that moved on to someone else
                self.links[aid] = AnonymousLink(None, erased=True)
            if email_hash:
                self.erased_emails.add(email_hash)
            if record is not None and record.lead.company_domain:
                stored = self.table.items.get((f"COMPANY#{record.lead.company_domain}", "STATE"))
                if stored:
                    state = CompanyState.from_dict(
                        record.lead.company_domain, json.loads(stored["state"])
                    ).without(lead_id)
                    stored["state"] = json.dumps(state.to_dict())
                    stored["version"] = int(stored["version"]) + 1
            return removed

    def is_erased_email(self, email_hash: str) -> bool:
        self.table.requests["GetItem"] += 1
        return email_hash in self.erased_emails

    def clear_erased_email(self, email_hash: str) -> None:
        with self.table.lock:
            self.table.requests["DeleteItem"] += 1
            self.erased_emails.discard(email_hash)

    def audit(self, action: str, lead_id: str, detail: Mapping[str, Any], now: float) -> None:
        # The detail as it reads back from DynamoDB's JSON (tuples become lists, and so on).
        stored = json.loads(json.dumps(dict(detail), default=str))
        with self.table.lock:
            self.table.requests["PutItem"] += 1
            self.audit_records.append(AuditRecord(action, lead_id, stored, now))

    def export_items(self, lead_id: str) -> list[dict[str, Any]]:
        return self.table.query(lead_pk(lead_id))

    def personal_data(self, lead_id: str) -> PersonalData:
        return personal_data(self.export_items(lead_id))

    def contents(self) -> str:
        """Everything this store holds, as text (for tests that look for what must be gone)."""
        with self.table.lock:
            held = (
                self.table.items,
                self.emails,
                self.links,
                self.campaign_counts,
                self.campaign_disabled,
                self.erased_emails,
                self.audit_records,
            )
            return repr(held)

    def audit_log(self) -> list[dict[str, Any]]:
        """The audit records, oldest first, as plain values."""
        return [asdict(r) for r in sorted(self.audit_records, key=lambda r: r.at)]


class MemoryQuarantine:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def put(self, source: str, reason: str, payload: Any, now: float) -> str:
        quarantine_id = f"q{next(self._ids)}"
        self.items.append(
            {
                "quarantine_id": quarantine_id,
                "source": source,
                "reason": reason,
                "payload": json.dumps(payload, default=str),
                "at": now,
            }
        )
        return quarantine_id

    def recent(self, limit: int) -> list[dict[str, Any]]:
        oldest_first = sorted(self.items, key=lambda i: i["at"])
        return oldest_first[::-1][:limit]

    def held(self, limit: int, days: int) -> list[QuarantinedItem]:
        since = time.time() - days * 86_400
        newest_first = sorted(self.items, key=lambda i: i["at"], reverse=True)
        return [_quarantined(i) for i in newest_first if i["at"] >= since][:limit]

    def get(self, ref: str) -> QuarantinedItem | None:
        found = next((i for i in self.items if i["quarantine_id"] == ref), None)
        return _quarantined(found) if found is not None else None

    def delete(self, ref: str) -> None:
        self.items = [i for i in self.items if i["quarantine_id"] != ref]


def _quarantined(item: Mapping[str, Any]) -> QuarantinedItem:
    return QuarantinedItem(
        ref=item["quarantine_id"],
        source=item["source"],
        reason=item["reason"],
        payload=json.loads(item["payload"]),
        at=item["at"],
    )


class MemoryFunnelSeries:
    """The in-memory lead store's funnel day counters, per day."""

    def __init__(self, leads: MemoryLeadStore) -> None:
        self._leads = leads

    def daily(self, first_day: str, last_day: str) -> dict[str, dict[str, int]]:
        days: dict[str, dict[str, int]] = {}
        with self._leads.table.lock:
            for (pk, sk), item in self._leads.table.items.items():
                if pk.startswith("FUNNEL#") and f"DAY#{first_day}" <= sk <= f"DAY#{last_day}":
                    add_day_counters(days, sk, item)
        return days


class MemoryAuditTrail:
    """The audit log the in-memory lead store keeps (its ``AUDIT#<month>`` items)."""

    def __init__(self, leads: MemoryLeadStore) -> None:
        self._leads = leads

    def recent(self, limit: int, months: int) -> list[AuditRecord]:
        year, month = (int(part) for part in iso(time.time())[:7].split("-"))
        back = year * 12 + month - 1 - (months - 1)  # the first month read, like DynamoDB
        first = f"{back // 12:04d}-{back % 12 + 1:02d}"
        kept = [r for r in self._leads.audit_records if iso(r.at)[:7] >= first]
        return sorted(kept, key=lambda r: r.at, reverse=True)[:limit]


class MemorySightings:
    """Keys and the moment their window ends (the in-memory ``Sightings``)."""

    def __init__(self) -> None:
        self.until: dict[str, float] = {}

    def first_seen(self, key: str, now: float, window_seconds: float) -> bool:
        if self.until.get(key, float("-inf")) > now:
            return False
        self.until[key] = now + window_seconds
        return True


class MemoryPublisher:
    """Collects published messages; ``fail_next`` simulates an SNS outage."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.fail_next = 0

    def publish(
        self,
        message: Mapping[str, Any],
        attributes: Mapping[str, str | float],
        subject: str,
        email_text: str = "",
        chat: Mapping[str, Any] | None = None,
    ) -> str:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("SNS unavailable (simulated)")
        message_id = uuid.uuid4().hex
        self.messages.append(
            {
                "message": dict(message),
                "attributes": dict(attributes),
                "subject": subject,
                "id": message_id,
                "email_text": email_text,
                "chat": dict(chat) if chat is not None else None,
            }
        )
        return message_id
