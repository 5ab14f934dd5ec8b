"""DynamoDB implementations of the stores (low-level client, one request per step).

The table design and its access patterns are in docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict
from itertools import islice
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.attributes import from_item, to_attr, to_item
from chalicelib.adapters.items import (
    CAMPAIGN_SHARDS,
    FUNNEL_SHARDS,
    HIT_ATTRIBUTES,
    PROFILE_SK,
    ListPosition,
    add_day_counters,
    audit_record,
    campaign_pk,
    decode_list_cursor,
    encode_state,
    event_from_item,
    event_partitions,
    event_to_item,
    funnel_partition_of,
    funnel_pk,
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
    sum_campaign,
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
from chalicelib.domain.redelivery import event_digest, remember, was_applied
from chalicelib.domain.scoring.scorer import LedgerEntry
from chalicelib.domain.scoring.state import CompanyState

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_BATCH_WRITE = 25
_BATCH_GET = 100


def _is_condition_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def put_if_absent(client: DynamoDBClient, table: str, values: Mapping[str, Any]) -> bool:
    """Write an item only if its key is new: True when written, False when it existed."""
    try:
        client.put_item(
            TableName=table, Item=to_item(values), ConditionExpression="attribute_not_exists(pk)"
        )
    except ClientError as error:
        if _is_condition_failure(error):
            return False
        raise
    return True


def newest_first(
    client: DynamoDBClient, table: str, partitions: Sequence[str], limit: int
) -> list[dict[str, Any]]:
    """Up to ``limit`` items, newest first, from time partitions given newest first (each
    read newest first, the next only while the limit is not reached)."""
    found: list[dict[str, Any]] = []
    for pk in partitions:
        if len(found) >= limit:
            break
        answer = client.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": pk}},
            ScanIndexForward=False,
            Limit=limit - len(found),
        )
        found += [from_item(i) for i in answer.get("Items", [])]
    return found


def _days_back(days: int) -> list[str]:
    """The quarantine's day partitions, today first."""
    now = time.time()
    return [f"Q#{iso(now - back * 86_400)[:10]}" for back in range(days)]


def batch_write(client: DynamoDBClient, table: str, requests: list[dict[str, Any]]) -> None:
    """BatchWriteItem in chunks of 25, re-sending unprocessed items with backoff."""
    for start in range(0, len(requests), _BATCH_WRITE):
        pending: list[Any] = requests[start : start + _BATCH_WRITE]
        attempt = 0
        while pending:
            answer = client.batch_write_item(RequestItems={table: pending})
            pending = list(answer.get("UnprocessedItems", {}).get(table, []))
            if pending:
                attempt += 1
                if attempt > 8:
                    raise RuntimeError(f"DynamoDB kept {len(pending)} writes unprocessed")
                time.sleep(min(0.05 * 2**attempt, 1.0))


class DynamoLeadStore:
    """The leads table (see docs/ARCHITECTURE.md for every item kind)."""

    def __init__(self, client: DynamoDBClient, table: str, events: DynamoEventStore) -> None:
        self._client = client
        self._table = table
        self._events = events

    # -- reads -----------------------------------------------------------------------

    def _get(self, pk: str, sk: str, consistent: bool = True) -> dict[str, Any] | None:
        answer = self._client.get_item(
            TableName=self._table,
            Key={"pk": {"S": pk}, "sk": {"S": sk}},
            ConsistentRead=consistent,
        )
        item = answer.get("Item")
        return from_item(item) if item else None

    def get_lead(self, lead_id: str) -> LeadRecord | None:
        values = self._get(lead_pk(lead_id), PROFILE_SK)
        return lead_from_item(values) if values and values.get("lead_id") else None

    def get_for_scoring(
        self, lead_id: str, company_domain: str | None, consistent: bool = True
    ) -> tuple[LeadRecord | None, CompanyRecord | None]:
        """The lead and its company in one BatchGetItem (eventually consistent reads cost
        half: a stale one only makes the conditional write fail and the scorer read again)."""
        keys = [{"pk": {"S": lead_pk(lead_id)}, "sk": {"S": PROFILE_SK}}]
        if company_domain:
            keys.append({"pk": {"S": f"COMPANY#{company_domain}"}, "sk": {"S": "STATE"}})
        request: Any = {self._table: {"Keys": keys, "ConsistentRead": consistent}}
        found: list[dict[str, Any]] = []
        while request:
            answer = self._client.batch_get_item(RequestItems=request)
            found.extend(from_item(i) for i in answer.get("Responses", {}).get(self._table, []))
            request = answer.get("UnprocessedKeys") or None
        lead = None
        company_values = None
        for values in found:
            if values["sk"] == PROFILE_SK and values.get("lead_id"):
                lead = lead_from_item(values)
            elif values["sk"] == "STATE":
                company_values = values
        company = _company(company_domain, company_values) if company_domain else None
        return lead, company

    def get_company(self, domain: str) -> CompanyRecord:
        """A company's account state (an empty one, version 0, if none is stored yet)."""
        return _company(domain, self._get(f"COMPANY#{domain}", "STATE"))

    def lead_id_by_email(self, email: str) -> str | None:
        values = self._get(f"EMAIL#{email.lower()}", "LEAD")
        return str(values["lead_id"]) if values else None

    def anonymous_link(self, anonymous_id: str) -> AnonymousLink | None:
        values = self._get(f"ANON#{anonymous_id}", "LINK", consistent=False)
        if values is None:
            return None
        return AnonymousLink(values.get("lead_id"), erased=bool(values.get("erased_at")))

    # -- identity --------------------------------------------------------------------

    def link_anonymous_id(self, anonymous_id: str, lead_id: str, *, replace: bool) -> str:
        """Point an anonymous id at a lead; without ``replace`` the first link stands.

        The lead's partition gets an ``ALIAS#`` item too, so erasure finds every
        anonymous id that ever pointed at the lead.
        """
        condition = "attribute_not_exists(erased_at)" if replace else "attribute_not_exists(pk)"
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(
                    {
                        "pk": f"ANON#{anonymous_id}",
                        "sk": "LINK",
                        "lead_id": lead_id,
                        "linked_at": time.time(),
                    }
                ),
                ConditionExpression=condition,
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            current = self._get(f"ANON#{anonymous_id}", "LINK") or {}
            return str(current.get("lead_id") or "")
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    "pk": lead_pk(lead_id),
                    "sk": f"ALIAS#{anonymous_id}",
                    "anonymous_id": anonymous_id,
                }
            ),
        )
        return lead_id

    def create_lead(self, lead: Lead) -> bool:
        """Create a lead and claim its e-mail atomically; False if the e-mail is taken."""
        email = lead.email
        assert email is not None
        values = self._profile_values(lead.profile)
        values.update(
            {
                "pk": lead_pk(lead.lead_id),
                "sk": PROFILE_SK,
                "lead_id": lead.lead_id,
                "created_at": lead.created_at,
                "updated_at": lead.created_at,
                "company_domain": lead.company_domain,
                "stage": Stage.LEAD.value,
                "score": 0,
                "fit_score": 0,
                "engagement_score": 0,
                "stage_pk": stage_list_pk(Stage.LEAD.value, lead.lead_id),
                "stage_sk": stage_sort_key(0, lead.lead_id),
                "list_pk": score_list_pk(lead.lead_id),
            }
        )
        if lead.consent is not None:
            values["consent"] = _consent_values(asdict(lead.consent))
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(
                                {
                                    "pk": f"EMAIL#{email.lower()}",
                                    "sk": "LEAD",
                                    "lead_id": lead.lead_id,
                                }
                            ),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(values),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                return False
            raise
        return True

    def claim_email(self, email: str, lead_id: str) -> str:
        """Make ``lead_id`` the owner of ``email`` unless another lead owns it; the owner."""
        claim = {"pk": f"EMAIL#{email.lower()}", "sk": "LEAD", "lead_id": lead_id}
        if put_if_absent(self._client, self._table, claim):
            return lead_id
        return self.lead_id_by_email(email) or lead_id

    @staticmethod
    def _profile_values(profile: Mapping[str, Any]) -> dict[str, Any]:
        return {
            name: profile[name] for name in PROFILE_FIELDS if profile.get(name) not in (None, "")
        }

    def update_profile(
        self,
        lead_id: str,
        profile: Mapping[str, Any],
        company_domain: str | None,
        consent: Mapping[str, Any] | None,
        now: float,
    ) -> Lead:
        """Set the given non-empty fields (newer values win, nothing blanked); the merged lead."""
        values = self._profile_values(profile)
        values["updated_at"] = now
        values["lead_id"] = lead_id
        if company_domain:
            values["company_domain"] = company_domain
        if consent is not None:
            values["consent"] = _consent_values(consent)
        names = {f"#f{i}": name for i, name in enumerate(values)}
        sets = [f"#f{i} = :v{i}" for i in range(len(values))]
        attribute_values = {f":v{i}": to_attr(value) for i, value in enumerate(values.values())}
        sets.append("created_at = if_not_exists(created_at, :now)")
        sets.append("stage = if_not_exists(stage, :lead)")
        attribute_values[":now"] = to_attr(now)
        attribute_values[":lead"] = to_attr(Stage.LEAD.value)
        try:
            answer = self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": lead_pk(lead_id)}, "sk": {"S": PROFILE_SK}},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="attribute_not_exists(erased_at)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=attribute_values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            raise NotFound(f"lead_id: lead '{lead_id[:64]}' was erased") from error
        return lead_from_item(from_item(answer["Attributes"])).lead

    def set_consent(self, lead_id: str, consent: Mapping[str, Any], now: float) -> None:
        """Record consent on a lead; ``NotFound`` when there is none (or it was erased)."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": lead_pk(lead_id)}, "sk": {"S": PROFILE_SK}},
                UpdateExpression="SET consent = :c, updated_at = :t",
                ConditionExpression="attribute_exists(lead_id) AND attribute_not_exists(erased_at)",
                ExpressionAttributeValues={
                    ":c": to_attr(_consent_values(consent)),
                    ":t": to_attr(now),
                },
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            raise NotFound(f"lead_id: no lead '{lead_id[:64]}' (or it was erased)") from error

    def mark_merged(self, lead_id: str, into_lead_id: str, now: float) -> None:
        """A visitor merged into a lead: its item stays as a pointer, out of every list."""
        self._client.update_item(
            TableName=self._table,
            Key={"pk": {"S": lead_pk(lead_id)}, "sk": {"S": PROFILE_SK}},
            UpdateExpression="SET merged_into = :m, lead_id = :id, updated_at = :t "
            "REMOVE stage_pk, stage_sk, list_pk, quiet_pk",
            ExpressionAttributeValues={
                ":m": {"S": into_lead_id},
                ":id": {"S": lead_id},
                ":t": to_attr(now),
            },
        )

    # -- scoring ---------------------------------------------------------------------

    def commit_scoring(self, commit: ScoringCommit) -> None:
        """The lead's new state, conditional on its version and its recent events.

        A commit that writes nothing but the lead (and its company) is one conditional
        ``UpdateItem`` (after the company's own conditional put): most page views earn
        nothing, and a transaction bills every item twice. One with ledger items,
        timeline events or funnel counters is one transaction: none of them may exist
        without the state that counted them. (A company holds who read what when: the
        same reads applied again change nothing, so it needs no transaction with the lead.)
        """
        lead = self._lead_update(commit)
        if not (commit.ledger or commit.events or commit.funnel):
            if commit.company is not None:
                # First, on its own version: applying a lead's reads to its company twice
                # (this write, then a retry after the lead's refusal) changes nothing.
                try:
                    self._client.put_item(**self._company_put(commit.company, commit.now)["Put"])
                except ClientError as error:
                    if _is_condition_failure(error):
                        raise VersionConflict(f"the company of {commit.lead_id} changed") from error
                    raise
            try:
                self._client.update_item(**lead["Update"])
            except ClientError as error:
                if _is_condition_failure(error):
                    self._raise_lead_conflict(commit, error)
                raise
            return
        items: list[Any] = [lead]
        items.extend({"Put": self._ledger_put(commit, event_id)} for event_id in commit.ledger)
        items.extend(self._events.put_request(event) for event in commit.events)
        if commit.company is not None:
            items.append(self._company_put(commit.company, commit.now))
        items.extend(
            self._funnel_update(
                funnel_partition_of(commit.lead_id),
                funnel_sort_key(period),
                counters,
            )
            for period, counters in commit.funnel.items()
        )
        try:
            self._client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            codes = [r.get("Code", "None") for r in error.response.get("CancellationReasons", [])]
            if codes and codes[0] == "ConditionalCheckFailed":
                self._raise_lead_conflict(commit, error)
            raise VersionConflict(
                f"scoring commit for {commit.lead_id} cancelled: {codes}"
            ) from error

    def _ledger_put(self, commit: ScoringCommit, event_id: str) -> dict[str, Any]:
        at, entries = commit.ledger[event_id]
        values = {
            "pk": lead_pk(commit.lead_id),
            "sk": ledger_sk(at, event_id),
            "event_id": event_id,
            "entries": json.dumps([e.to_dict() for e in entries], separators=(",", ":")),
            "recorded_at": commit.now,
            "expires_at": ledger_expiry(at, entries, self._events.retention_seconds),
        }
        return {"TableName": self._table, "Item": to_item(values)}

    def _raise_lead_conflict(self, commit: ScoringCommit, error: ClientError) -> None:
        """Why the lead's condition failed: events applied before, or someone else's write."""
        values = self._get(lead_pk(commit.lead_id), PROFILE_SK) or {}
        recent = str(values.get("recent_events") or "")
        version = int(values.get("score_version", 0)) if "score_version" in values else 0
        applied = [e for e in commit.applied_ids if was_applied(recent, e)]
        if applied and version == commit.expected_version:
            raise AlreadyApplied(applied) from error
        raise VersionConflict(f"lead {commit.lead_id} changed since it was read") from error

    def _lead_update(self, commit: ScoringCommit) -> dict[str, Any]:
        identified = bool(commit.state.profile.get("email"))
        values: dict[str, Any] = {
            ":state": to_attr(encode_state(commit.state)),
            ":stage": to_attr(commit.stage),
            ":score": to_attr(commit.score),
            ":fit": to_attr(commit.fit_score),
            ":eng": to_attr(commit.engagement_score),
            ":channel": to_attr(commit.recommended_channel),
            ":stage_pk": to_attr(stage_list_pk(commit.stage, commit.lead_id)),
            ":stage_sk": to_attr(stage_sort_key(commit.score, commit.lead_id)),
            ":new_version": to_attr(commit.expected_version + 1),
            ":id": to_attr(commit.lead_id),
            ":now": to_attr(commit.now),
            ":qualifications": to_attr(commit.state.qualifications),
            ":model_version": to_attr(commit.state.model_version),
        }
        sets = [
            "scoring_state = :state",
            "stage = :stage",
            "score = :score",
            "fit_score = :fit",
            "engagement_score = :eng",
            "recommended_channel = :channel",
            "stage_pk = :stage_pk",
            "stage_sk = :stage_sk",
            "score_version = :new_version",
            "lead_id = :id",
            "created_at = if_not_exists(created_at, :now)",
            "qualifications = :qualifications",
            "model_version = :model_version",
        ]
        # Lists show updated_at: moving it only when they would show a change keeps a page
        # view that changes nothing a list shows from rewriting both list indexes.
        sets.append(
            "updated_at = :now"
            if commit.list_changed
            else "updated_at = if_not_exists(updated_at, :now)"
        )
        recent = commit.recent or remember("", commit.applied_ids)
        if recent:
            sets.append("recent_events = :recent")
            values[":recent"] = to_attr(recent)
        if identified:
            sets.append("list_pk = :list")
            values[":list"] = to_attr(score_list_pk(commit.lead_id))
        # The quiet sweep's sparse index (docs/EVENTS.md, "Went quiet").
        engaged = commit.state.last_seen
        sets.append("last_engaged_at = :engaged")
        values[":engaged"] = to_attr(engaged)
        # Reasons and the channel's sentence are rendered from the state when read.
        removes = " REMOVE reasons, channel_reason"
        # A write that moves nothing the hand-over or the lifecycle events read (no stage,
        # score or channel change, no stage event) is marked, and the leads stream's event
        # source mapping filters it out (infra/template.yaml): no notifier invocation.
        if scored_only(commit):
            sets.append("scored_only = :scored_only")
            values[":scored_only"] = to_attr(True)
        else:
            removes += ", scored_only"
        if may_go_quiet(identified, commit.stage, engaged):
            sets.append("quiet_pk = :quiet_pk")
            values[":quiet_pk"] = to_attr(quiet_pk(engaged, commit.lead_id))
        else:
            removes += ", quiet_pk"
        if commit.expected_version == 0:
            condition = "attribute_not_exists(score_version)"
        else:
            condition = "score_version = :expected"
            values[":expected"] = to_attr(commit.expected_version)
        condition += " AND attribute_not_exists(erased_at) AND attribute_not_exists(merged_into)"
        for n, event_id in enumerate(commit.applied_ids):
            condition += f" AND NOT contains(recent_events, :d{n})"
            values[f":d{n}"] = to_attr(event_digest(event_id))
        # The funnel's hits ride on the lead's own write: the leads stream's hit counter
        # adds each write's increase up per day (no counter write per page view).
        adds = []
        for name, amount in zip(HIT_ATTRIBUTES, (commit.hits, commit.machine_hits), strict=True):
            if amount:
                adds.append(f"{name} :{name}")
                values[f":{name}"] = to_attr(amount)
        added = " ADD " + ", ".join(adds) if adds else ""
        return {
            "Update": {
                "TableName": self._table,
                "Key": {"pk": {"S": lead_pk(commit.lead_id)}, "sk": {"S": PROFILE_SK}},
                "UpdateExpression": "SET " + ", ".join(sets) + removes + added,
                "ConditionExpression": condition,
                "ExpressionAttributeValues": values,
            }
        }

    def _company_put(self, company: CompanyRecord, now: float) -> dict[str, Any]:
        values: dict[str, Any] = {
            "pk": f"COMPANY#{company.state.domain}",
            "sk": "STATE",
            "state": json.dumps(company.state.to_dict(), separators=(",", ":")),
            "version": company.version + 1,
            "updated_at": now,
        }
        put: dict[str, Any] = {"TableName": self._table, "Item": to_item(values)}
        if company.version == 0:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :v"
            put["ExpressionAttributeValues"] = {":v": to_attr(company.version)}
        return {"Put": put}

    def _funnel_update(
        self, pk: str, sk: str, counters: Mapping[str, int], batch: str | None = None
    ) -> dict[str, Any]:
        """A counter item's increments; with ``batch``, only if its last batch was another."""
        names = {f"#c{i}": name for i, name in enumerate(counters)}
        adds = [f"#c{i} :c{i}" for i in range(len(counters))]
        values = {f":c{i}": to_attr(n) for i, n in enumerate(counters.values())}
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"pk": {"S": pk}, "sk": {"S": sk}},
            "UpdateExpression": "ADD " + ", ".join(adds),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        if batch is not None:
            update["UpdateExpression"] += " SET last_batch = :batch"
            update["ConditionExpression"] = (
                "attribute_not_exists(last_batch) OR last_batch <> :batch"
            )
            values[":batch"] = to_attr(batch)
        return {"Update": update}

    def ledger(self, lead_id: str) -> list[LedgerEntry]:
        """Stream ledger items and rescore (replayed) ledger items, oldest first."""
        entries: list[LedgerEntry] = []
        for values in self._query_partition(lead_pk(lead_id), "LEDGER"):
            entries.extend(LedgerEntry.from_dict(e) for e in json.loads(values["entries"]))
        return entries

    def write_replayed_ledger(
        self, lead_id: str, version: str, ledger: Sequence[LedgerEntry]
    ) -> None:
        """A rescore's ledger, one item per event, under the model version's own prefix."""
        by_event: dict[str, list[LedgerEntry]] = {}
        for entry in ledger:
            by_event.setdefault(entry.event_id, []).append(entry)
        puts = [
            {
                "PutRequest": {
                    "Item": to_item(
                        {
                            "pk": lead_pk(lead_id),
                            "sk": f"LEDGERV#{version}#{ledger_sk(entries[0].at, event_id)}",
                            "event_id": event_id,
                            "entries": json.dumps(
                                [e.to_dict() for e in entries], separators=(",", ":")
                            ),
                        }
                    )
                }
            }
            for event_id, entries in by_event.items()
        ]
        batch_write(self._client, self._table, puts)

    def _query_partition(self, pk: str, prefix: str | None = None) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
        }
        if prefix:
            kwargs["KeyConditionExpression"] += " AND begins_with(sk, :prefix)"
            kwargs["ExpressionAttributeValues"][":prefix"] = {"S": prefix}
        while True:
            answer = self._client.query(**kwargs)
            yield from (from_item(i) for i in answer.get("Items", []))
            if "LastEvaluatedKey" not in answer:
                return
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    # -- lists -----------------------------------------------------------------------

    def list_leads(self, stage: str | None, limit: int, cursor: str | None) -> LeadPage:
        """Highest score first, from a GSI (never a scan): one Query per shard, merged."""
        position = decode_list_cursor(cursor) if cursor else ListPosition()
        index, key = ("by_stage", "stage_pk") if stage else ("by_score", "list_pk")
        pages: dict[int, tuple[list[dict[str, Any]], bool]] = {}
        for shard, partition in shards_to_read(position, stage):
            kwargs: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": index,
                "ScanIndexForward": False,
                "Limit": limit,
                "KeyConditionExpression": f"{key} = :p",
                "ExpressionAttributeValues": {":p": {"S": partition}},
            }
            if position.after is not None:
                kwargs["KeyConditionExpression"] += " AND stage_sk < :after"
                kwargs["ExpressionAttributeValues"][":after"] = {"S": position.after}
            answer = self._client.query(**kwargs)
            rows = [from_item(i) for i in answer.get("Items", [])]
            pages[shard] = (rows, "LastEvaluatedKey" in answer)
        rows, next_cursor = merge_list_pages(pages, limit, position)
        return LeadPage([lead_from_item(row) for row in rows], next_cursor)

    # -- announcements ---------------------------------------------------------------

    def claim_announcement(
        self, lead_id: str, number: int, now: float, lease_seconds: float
    ) -> AnnouncementClaim:
        """Take the right to publish qualification ``number``, unless published or leased."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": lead_pk(lead_id)}, "sk": {"S": f"ANNOUNCE#{number:06d}"}},
                UpdateExpression="SET #s = :pending, claimed_until = :lease, "
                "attempts = if_not_exists(attempts, :zero) + :one, "
                "created_at = if_not_exists(created_at, :now)",
                ConditionExpression="attribute_not_exists(pk) OR "
                "(#s = :pending AND claimed_until < :now)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":pending": {"S": "pending"},
                    ":lease": to_attr(now + lease_seconds),
                    ":now": to_attr(now),
                    ":zero": {"N": "0"},
                    ":one": {"N": "1"},
                },
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise
            current = self._get(lead_pk(lead_id), f"ANNOUNCE#{number:06d}") or {}
            return AnnouncementClaim(False, current.get("status") == "published")
        return AnnouncementClaim(True, False)

    def mark_announced(self, lead_id: str, number: int, message_id: str, now: float) -> None:
        self._client.update_item(
            TableName=self._table,
            Key={"pk": {"S": lead_pk(lead_id)}, "sk": {"S": f"ANNOUNCE#{number:06d}"}},
            UpdateExpression="SET #s = :published, message_id = :m, published_at = :now",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={
                ":published": {"S": "published"},
                ":m": {"S": message_id},
                ":now": to_attr(now),
            },
        )

    # -- counters --------------------------------------------------------------------

    def funnel_counters(
        self, first_day: str, last_day: str
    ) -> tuple[dict[str, int], dict[str, int]]:
        """(sums over the days in range, all-time totals), over every counter shard."""
        days: dict[str, int] = {}
        totals: dict[str, int] = {}
        for shard in range(FUNNEL_SHARDS):
            answer = self._client.query(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
                ExpressionAttributeValues={
                    ":pk": {"S": funnel_pk(shard)},
                    ":a": {"S": f"DAY#{first_day}"},
                    ":b": {"S": "TOTAL"},
                },
            )
            for item in answer.get("Items", []):
                values = from_item(item)
                target = totals if values["sk"] == "TOTAL" else days
                if values["sk"] != "TOTAL" and values["sk"] > f"DAY#{last_day}":
                    continue
                for name, amount in values.items():
                    if isinstance(amount, int):
                        target[name] = target.get(name, 0) + amount
        return days, totals

    def add_funnel_counts(
        self, key: str, increments: Mapping[str, Mapping[str, int]], batch: str | None = None
    ) -> None:
        pk = funnel_partition_of(key)
        for period, counters in increments.items():
            if not counters:
                continue
            update = self._funnel_update(pk, funnel_sort_key(period), counters, batch)["Update"]
            try:
                self._client.update_item(**update)
            except ClientError as error:
                if not (batch is not None and _is_condition_failure(error)):
                    raise
                # This batch was counted here already (delivered again after its write).

    def bump_campaign(self, campaign_id: str, counter: str) -> None:
        shard = secrets.randbelow(CAMPAIGN_SHARDS)
        self._client.update_item(
            TableName=self._table,
            Key={"pk": {"S": campaign_pk(campaign_id, shard)}, "sk": {"S": "COUNTS"}},
            UpdateExpression="ADD #c :one",
            ExpressionAttributeNames={"#c": counter},
            ExpressionAttributeValues={":one": {"N": "1"}},
        )

    def campaign(self, campaign_id: str) -> dict[str, Any]:
        """The kill switch and the counts summed over the base item and every shard."""
        pks = [campaign_pk(campaign_id)] + [
            campaign_pk(campaign_id, shard) for shard in range(CAMPAIGN_SHARDS)
        ]
        request: dict[str, Any] = {
            self._table: {"Keys": [{"pk": {"S": pk}, "sk": {"S": "COUNTS"}} for pk in pks]}
        }
        found: list[dict[str, Any]] = []
        for _attempt in range(5):
            answer = self._client.batch_get_item(RequestItems=request)
            found += [from_item(i) for i in answer.get("Responses", {}).get(self._table, [])]
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
        return sum_campaign(found)

    def set_campaign_disabled(self, campaign_id: str, disabled: bool) -> None:
        self._client.update_item(
            TableName=self._table,
            Key={"pk": {"S": f"CAMPAIGN#{campaign_id}"}, "sk": {"S": "COUNTS"}},
            UpdateExpression="SET disabled = :d",
            ExpressionAttributeValues={":d": {"BOOL": disabled}},
        )

    # -- privacy ---------------------------------------------------------------------

    def erase(self, lead_id: str, email_hash: str | None, now: float) -> int:
        """Delete everything in the lead's partition and its links; leave tombstones."""
        record = self.get_lead(lead_id)
        partition = list(self._query_partition(lead_pk(lead_id)))
        keys = [{"pk": {"S": values["pk"]}, "sk": {"S": values["sk"]}} for values in partition]
        aliases = {str(v["anonymous_id"]) for v in partition if str(v["sk"]).startswith("ALIAS#")}
        anonymous_ids = sorted(aliases)
        if record is not None and record.lead.email:
            keys.append({"pk": {"S": f"EMAIL#{record.lead.email.lower()}"}, "sk": {"S": "LEAD"}})
        batch_write(self._client, self._table, [{"DeleteRequest": {"Key": k}} for k in keys])
        tombstones: list[dict[str, Any]] = [
            {"pk": lead_pk(lead_id), "sk": PROFILE_SK, "erased_at": now},
        ]
        for aid in anonymous_ids:
            self._tombstone_link(aid, lead_id, now)
        if email_hash:
            tombstones.append({"pk": f"ERASED#{email_hash}", "sk": "TOMBSTONE", "erased_at": now})
        batch_write(
            self._client,
            self._table,
            [{"PutRequest": {"Item": to_item(t)}} for t in tombstones],
        )
        if record is not None and record.lead.company_domain:
            self._forget_in_company(record.lead.company_domain, lead_id, now)
        return len(keys)

    def _tombstone_link(self, anonymous_id: str, lead_id: str, now: float) -> None:
        """Tombstone a browser of the erased lead, unless it has since moved on to someone
        else (a shared browser belongs to whoever identified on it last)."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item({"pk": f"ANON#{anonymous_id}", "sk": "LINK", "erased_at": now}),
                ConditionExpression="attribute_not_exists(lead_id) OR lead_id = :lead",
                ExpressionAttributeValues={":lead": {"S": lead_id}},
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise

    def _forget_in_company(self, domain: str, lead_id: str, now: float) -> None:
        for _attempt in range(5):
            company = self.get_company(domain)
            if company.version == 0:
                return
            company = CompanyRecord(company.state.without(lead_id), company.version)
            try:
                self._client.transact_write_items(TransactItems=[self._company_put(company, now)])  # type: ignore[list-item]
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
                continue
            return

    def is_erased_email(self, email_hash: str) -> bool:
        return self._get(f"ERASED#{email_hash}", "TOMBSTONE", consistent=False) is not None

    def clear_erased_email(self, email_hash: str) -> None:
        self._client.delete_item(
            TableName=self._table,
            Key={"pk": {"S": f"ERASED#{email_hash}"}, "sk": {"S": "TOMBSTONE"}},
        )

    def audit(self, action: str, lead_id: str, detail: Mapping[str, Any], now: float) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    "pk": f"AUDIT#{iso(now)[:7]}",
                    "sk": f"{iso(now)}#{uuid.uuid4().hex[:12]}",
                    "action": action,
                    "lead_id": lead_id,
                    "detail": json.dumps(dict(detail), separators=(",", ":"), default=str),
                    "at": now,
                }
            ),
        )

    def export_items(self, lead_id: str) -> list[dict[str, Any]]:
        return list(self._query_partition(lead_pk(lead_id)))

    def personal_data(self, lead_id: str) -> PersonalData:
        return personal_data(self.export_items(lead_id))


def _company(domain: str, values: Mapping[str, Any] | None) -> CompanyRecord:
    if not values:
        return CompanyRecord(CompanyState(domain), 0)
    state = CompanyState.from_dict(domain, json.loads(values.get("state", "{}")))
    return CompanyRecord(state, int(values.get("version", 0)))


def _consent_values(consent: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in consent.items() if v is not None}


class DynamoEventStore:
    """The events table: a few partitions per lead (``items.event_pk``), sorted by event
    time; every reader merges them with the legacy ``LEAD#<id>`` partition."""

    def __init__(self, client: DynamoDBClient, table: str, retention_days: int) -> None:
        self._client = client
        self._table = table
        self._retention_seconds = retention_days * 86_400

    @property
    def retention_seconds(self) -> int:
        return self._retention_seconds

    def item(self, event: TrackingEvent) -> dict[str, Any]:
        """The event as a DynamoDB item, expiring after the retention period."""
        return to_item(self._values(event))

    def _values(self, event: TrackingEvent) -> dict[str, Any]:
        return event_to_item(event, int(event.occurred_at + self._retention_seconds))

    def put_events(self, events: Sequence[TrackingEvent]) -> None:
        if len(events) == 1:
            self._client.put_item(TableName=self._table, Item=self.item(events[0]))
            return
        batch_write(
            self._client,
            self._table,
            [{"PutRequest": {"Item": self.item(event)}} for event in events],
        )

    def put_request(self, event: TrackingEvent) -> dict[str, Any]:
        """A conditional Put for a transaction (an event is written once)."""
        return {
            "Put": {
                "TableName": self._table,
                "Item": self.item(event),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def put_event_if_absent(self, event: TrackingEvent) -> bool:
        return put_if_absent(self._client, self._table, self._values(event))

    def _partition(
        self, pk: str, newest_first: bool = False, limit: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """One events partition's EVENT# items in time order, paged to its end or ``limit``."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :e)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":e": {"S": "EVENT#"}},
            "ScanIndexForward": not newest_first,
        }
        if limit is not None:
            kwargs["Limit"] = limit
        while True:
            answer = self._client.query(**kwargs)
            yield from (from_item(i) for i in answer.get("Items", []))
            if "LastEvaluatedKey" not in answer or limit is not None:
                return
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def _items(self, lead_id: str, unique: bool = True) -> Iterator[dict[str, Any]]:
        """A lead's event items over all its partitions, merged oldest first."""
        partitions = (self._partition(pk) for pk in event_partitions(lead_id))
        yield from merge_event_items(partitions, unique=unique)

    def timeline(self, lead_id: str, limit: int) -> list[TrackingEvent]:
        """The newest ``limit`` events: the newest ``limit`` of each partition, merged."""
        newest = (
            self._partition(pk, newest_first=True, limit=limit) for pk in event_partitions(lead_id)
        )
        merged = merge_event_items(newest, newest_first=True)
        return [event_from_item(values) for values in islice(merged, limit)]

    def history(self, lead_id: str) -> Iterator[TrackingEvent]:
        for values in self._items(lead_id):
            yield event_from_item(values)

    def move_events(self, from_lead_id: str, to_lead_id: str) -> int:
        """Re-home a merged visitor's events under the lead (same ids, new partitions)."""
        from dataclasses import replace

        items = list(self._items(from_lead_id, unique=False))
        events = [event_from_item(values) for values in merge_event_items([items])]
        puts = [{"PutRequest": {"Item": self.item(replace(e, lead_id=to_lead_id))}} for e in events]
        batch_write(self._client, self._table, puts)
        self._delete(items)
        return len(events)

    def _delete(self, items: Sequence[Mapping[str, Any]]) -> None:
        """Delete event items by their stored keys (a shard's or the legacy partition's)."""
        deletes = [
            {"DeleteRequest": {"Key": {"pk": {"S": str(v["pk"])}, "sk": {"S": str(v["sk"])}}}}
            for v in items
        ]
        batch_write(self._client, self._table, deletes)

    def delete_events(self, lead_id: str) -> int:
        """Delete every stored copy of the lead's events; the number of events."""
        items = list(self._items(lead_id, unique=False))
        self._delete(items)
        return len(list(merge_event_items([items])))


class DynamoSightings:
    """First sightings on the idempotency table (``id = "seen#<key>"``), expiring by TTL.

    One conditional PutItem per sighting: it succeeds when the key is new or its
    window has passed (DynamoDB's TTL deletes items late, so the window is checked
    in the condition, not left to the TTL).
    """

    #: How long after its window an item may linger before the TTL removes it.
    _TTL_SLACK_SECONDS = 3600

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def first_seen(self, key: str, now: float, window_seconds: float) -> bool:
        until = now + window_seconds
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(
                    {
                        "id": f"seen#{key}",
                        "seen_at": now,
                        "seen_until": until,
                        "expiration": int(until) + self._TTL_SLACK_SECONDS,
                    }
                ),
                ConditionExpression="attribute_not_exists(id) OR seen_until <= :now",
                ExpressionAttributeValues={":now": to_attr(now)},
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True


class DynamoQuarantine:
    """Rejected-after-accepted input, kept 30 days with the reason."""

    def __init__(self, client: DynamoDBClient, table: str, retention_days: int) -> None:
        self._client = client
        self._table = table
        self._retention_seconds = retention_days * 86_400

    def put(self, source: str, reason: str, payload: Any, now: float) -> str:
        quarantine_id = uuid.uuid4().hex
        text = json.dumps(payload, default=str, separators=(",", ":"))
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    "pk": f"Q#{iso(now)[:10]}",
                    "sk": f"{iso(now)}#{quarantine_id}",
                    "quarantine_id": quarantine_id,
                    "source": source,
                    "reason": reason[:1000],
                    "payload": text[:100_000],
                    "at": now,
                    "expires_at": int(now + self._retention_seconds),
                }
            ),
        )
        return quarantine_id

    def recent(self, limit: int) -> list[dict[str, Any]]:
        """The newest items first, as stored, from every day of the retention period."""
        return newest_first(
            self._client, self._table, _days_back(max(1, self._retention_seconds // 86_400)), limit
        )

    def held(self, limit: int, days: int) -> list[QuarantinedItem]:
        items = newest_first(self._client, self._table, _days_back(days), limit)
        return [_quarantined(values) for values in items]

    def get(self, ref: str) -> QuarantinedItem | None:
        key = _quarantine_key(ref)
        if key is None:
            return None
        answer = self._client.get_item(TableName=self._table, Key=key, ConsistentRead=True)
        return _quarantined(from_item(answer["Item"])) if "Item" in answer else None

    def delete(self, ref: str) -> None:
        key = _quarantine_key(ref)
        if key is not None:
            self._client.delete_item(TableName=self._table, Key=key)


def _quarantine_ref(pk: str, sk: str) -> str:
    return base64.urlsafe_b64encode(f"{pk}\n{sk}".encode()).decode().rstrip("=")


def _quarantine_key(ref: str) -> dict[str, Any] | None:
    """The item key behind a ref, or None for anything that is not a quarantine ref."""
    try:
        text = base64.urlsafe_b64decode(ref + "=" * (-len(ref) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    pk, _, sk = text.partition("\n")
    if not pk.startswith("Q#") or not sk or len(text) > 200:
        return None
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _quarantined(values: Mapping[str, Any]) -> QuarantinedItem:
    try:
        payload = json.loads(values.get("payload", "null"))
    except json.JSONDecodeError:
        payload = values.get("payload")
    return QuarantinedItem(
        ref=_quarantine_ref(str(values["pk"]), str(values["sk"])),
        source=str(values.get("source", "")),
        reason=str(values.get("reason", "")),
        payload=payload,
        at=float(values.get("at", 0)),
    )


class DynamoFunnelSeries:
    """The funnel's ``DAY#`` counter items, per day, over every shard."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def daily(self, first_day: str, last_day: str) -> dict[str, dict[str, int]]:
        days: dict[str, dict[str, int]] = {}
        for shard in range(FUNNEL_SHARDS):
            pages = self._client.get_paginator("query").paginate(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :a AND :b",
                ExpressionAttributeValues={
                    ":pk": {"S": funnel_pk(shard)},
                    ":a": {"S": f"DAY#{first_day}"},
                    ":b": {"S": f"DAY#{last_day}"},
                },
            )
            for page in pages:
                for item in page.get("Items", []):
                    values = from_item(item)
                    add_day_counters(days, str(values["sk"]), values)
        return days


class DynamoAuditTrail:
    """The audit log: ``AUDIT#<month>`` partitions of the leads table, newest first."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def recent(self, limit: int, months: int) -> list[AuditRecord]:
        year, month = (int(part) for part in iso(time.time())[:7].split("-"))
        partitions = []
        for _ in range(months):
            partitions.append(f"AUDIT#{year:04d}-{month:02d}")
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        return [audit_record(v) for v in newest_first(self._client, self._table, partitions, limit)]
