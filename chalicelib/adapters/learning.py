"""The two small stores adaptive scoring needs: closed deals and scoring model versions.

Both live in the leads table under their own partitions, next to the funnel
counters and the audit log:

- ``OUTCOMES#<yyyy-mm>`` / ``<closed_at iso>#<lead_id>#<outcome>``: one item per
  closed deal, partitioned by the month it closed, so the learner reads a period
  with one query per month, never a scan. Written only if absent (idempotent).
- ``LEAD#<lead_id>`` / ``OUTCOME#<closed_at iso>#<outcome>``: the same deal in the lead's
  own partition, written with it in one transaction, so the lead's export shows its deals
  and its erasure finds and removes them (``of_lead``, ``forget``).
- ``MODELS`` / ``VERSION#<version>``: one item per uploaded model version, its
  text as uploaded (YAML or JSON), its source and when it was last promoted.
- ``MODELS`` / ``ACTIVE``: which version scores, who promoted it and when.

Each store has an in-memory twin with the same contract (``tests/contract``).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.attributes import from_item, to_item
from chalicelib.adapters.dynamodb import batch_write, put_if_absent
from chalicelib.adapters.ports import ActiveModel, ModelStore, OutcomeStore, StoredModel
from chalicelib.domain.clock import iso
from chalicelib.domain.outcomes import DealOutcome, month_of, months_between

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

__all__ = [  # the ports lived here before they moved to ports.py: still importable from here
    "ActiveModel",
    "DynamoModelStore",
    "DynamoOutcomeStore",
    "MemoryModelStore",
    "MemoryOutcomeStore",
    "ModelStore",
    "OutcomeStore",
    "StoredModel",
]

MODELS_PK = "MODELS"
ACTIVE_SK = "ACTIVE"


# -- outcomes ----------------------------------------------------------------------------


def _outcome_key(outcome: DealOutcome) -> tuple[str, str]:
    return (
        f"OUTCOMES#{month_of(outcome.closed_at)}",
        f"{iso(outcome.closed_at)}#{outcome.lead_id}#{outcome.outcome}",
    )


def _outcome_item(outcome: DealOutcome) -> dict[str, Any]:
    pk, sk = _outcome_key(outcome)
    item: dict[str, Any] = {
        "pk": pk,
        "sk": sk,
        "lead_id": outcome.lead_id,
        "outcome": outcome.outcome,
        "closed_at": outcome.closed_at,
        "recorded_at": outcome.recorded_at,
    }
    if outcome.amount is not None:
        item["amount"] = outcome.amount
    if outcome.source:
        item["source"] = outcome.source
    return item


def _lead_copy(outcome: DealOutcome) -> dict[str, Any]:
    """The deal's copy in the lead's partition (``of_lead``, ``forget``)."""
    pk, sk = _outcome_key(outcome)
    return {
        **_outcome_item(outcome),
        "pk": f"LEAD#{outcome.lead_id}",
        "sk": f"OUTCOME#{iso(outcome.closed_at)}#{outcome.outcome}",
        "outcome_pk": pk,
        "outcome_sk": sk,
    }


def _outcome_of(values: dict[str, Any]) -> DealOutcome:
    amount = values.get("amount")
    return DealOutcome(
        lead_id=str(values["lead_id"]),
        outcome=str(values["outcome"]),
        closed_at=float(values["closed_at"]),
        recorded_at=float(values["recorded_at"]),
        amount=float(amount) if amount is not None else None,
        source=str(values["source"]) if values.get("source") else None,
    )


class MemoryOutcomeStore:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()

    def record(self, outcome: DealOutcome) -> bool:
        key = _outcome_key(outcome)
        copy = _lead_copy(outcome)
        with self._lock:
            if key in self.items:
                return False
            self.items[key] = _outcome_item(outcome)
            self.items[(copy["pk"], copy["sk"])] = copy
            return True

    def of_lead(self, lead_id: str) -> list[DealOutcome]:
        with self._lock:
            keys = sorted(k for k in self.items if k[0] == f"LEAD#{lead_id}")
            return [_outcome_of(self.items[k]) for k in keys]

    def forget(self, lead_id: str) -> int:
        with self._lock:
            copies = [k for k in self.items if k[0] == f"LEAD#{lead_id}"]
            for key in copies:
                copy = self.items.pop(key)
                self.items.pop((copy["outcome_pk"], copy["outcome_sk"]), None)
            return len(copies)

    def between(self, first: float, last: float) -> list[DealOutcome]:
        found = []
        for month in months_between(first, last):
            pk = f"OUTCOMES#{month}"
            for key in sorted(k for k in self.items if k[0] == pk):
                outcome = _outcome_of(self.items[key])
                if first <= outcome.closed_at <= last:
                    found.append(outcome)
        return found


class DynamoOutcomeStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def record(self, outcome: DealOutcome) -> bool:
        """The deal, and its copy in the lead's partition, in one transaction; False (and
        nothing written) when the deal was recorded before."""
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(_outcome_item(outcome)),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": {"TableName": self._table, "Item": to_item(_lead_copy(outcome))}},
                ]
            )
        except ClientError as error:
            reasons = error.response.get("CancellationReasons") or [{}]
            if reasons[0].get("Code") == "ConditionalCheckFailed":
                return False  # recorded before
            raise
        return True

    def _copies(self, lead_id: str) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :outcome)",
            "ExpressionAttributeValues": {
                ":pk": {"S": f"LEAD#{lead_id}"},
                ":outcome": {"S": "OUTCOME#"},
            },
            "ConsistentRead": True,
        }
        found: list[dict[str, Any]] = []
        while True:
            page = self._client.query(**kwargs)
            found += [from_item(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def of_lead(self, lead_id: str) -> list[DealOutcome]:
        return [_outcome_of(values) for values in self._copies(lead_id)]

    def forget(self, lead_id: str) -> int:
        copies = self._copies(lead_id)
        keys = [(c["outcome_pk"], c["outcome_sk"]) for c in copies]
        keys += [(c["pk"], c["sk"]) for c in copies]
        batch_write(
            self._client,
            self._table,
            [{"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}} for pk, sk in keys],
        )
        return len(copies)

    def between(self, first: float, last: float) -> list[DealOutcome]:
        found = []
        for month in months_between(first, last):
            kwargs: dict[str, Any] = {
                "TableName": self._table,
                "KeyConditionExpression": "pk = :pk AND sk BETWEEN :a AND :b",
                "ExpressionAttributeValues": {
                    ":pk": {"S": f"OUTCOMES#{month}"},
                    ":a": {"S": iso(first)},
                    ":b": {"S": iso(last) + "#~"},
                },
            }
            while True:
                page = self._client.query(**kwargs)
                found += [_outcome_of(from_item(item)) for item in page.get("Items", [])]
                if "LastEvaluatedKey" not in page:
                    break
                kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return [o for o in found if first <= o.closed_at <= last]


# -- model versions ----------------------------------------------------------------------


def _model_item(model: StoredModel) -> dict[str, Any]:
    item = {
        "pk": MODELS_PK,
        "sk": f"VERSION#{model.version}",
        "version": model.version,
        "text": model.text,
        "source": model.source,
        "created_at": model.created_at,
        "created_by": model.created_by,
        "promoted_at": model.promoted_at,
        "promoted_by": model.promoted_by,
    }
    return {k: v for k, v in item.items() if v is not None}


def _model_of(values: dict[str, Any]) -> StoredModel:
    promoted_at = values.get("promoted_at")
    return StoredModel(
        version=str(values["version"]),
        text=str(values["text"]),
        source=str(values.get("source", "")),
        created_at=float(values.get("created_at", 0)),
        created_by=values.get("created_by"),
        promoted_at=float(promoted_at) if promoted_at is not None else None,
        promoted_by=values.get("promoted_by"),
    )


class MemoryModelStore:
    def __init__(self) -> None:
        self.models: dict[str, StoredModel] = {}
        self.current: ActiveModel | None = None
        self._lock = threading.Lock()

    def put_version(self, model: StoredModel) -> bool:
        with self._lock:
            if model.version in self.models:
                return False
            self.models[model.version] = model
            return True

    def get_version(self, version: str) -> StoredModel | None:
        return self.models.get(version)

    def versions(self) -> list[StoredModel]:
        return [self.models[v] for v in sorted(self.models)]

    def active(self) -> ActiveModel | None:
        return self.current

    def promote(self, version: str, by: str, now: float) -> bool:
        with self._lock:
            if version not in self.models:
                return False
            self.models[version] = replace(self.models[version], promoted_at=now, promoted_by=by)
            self.current = ActiveModel(version, now, by)
            return True


class DynamoModelStore:
    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def put_version(self, model: StoredModel) -> bool:
        return put_if_absent(self._client, self._table, _model_item(model))

    def get_version(self, version: str) -> StoredModel | None:
        answer = self._client.get_item(
            TableName=self._table,
            Key={"pk": {"S": MODELS_PK}, "sk": {"S": f"VERSION#{version}"}},
            ConsistentRead=True,
        )
        item = answer.get("Item")
        return _model_of(from_item(item)) if item else None

    def versions(self) -> list[StoredModel]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :v)",
            "ExpressionAttributeValues": {":pk": {"S": MODELS_PK}, ":v": {"S": "VERSION#"}},
        }
        found = []
        while True:
            page = self._client.query(**kwargs)
            found += [_model_of(from_item(item)) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def active(self) -> ActiveModel | None:
        answer = self._client.get_item(
            TableName=self._table,
            Key={"pk": {"S": MODELS_PK}, "sk": {"S": ACTIVE_SK}},
            ConsistentRead=True,
        )
        item = answer.get("Item")
        if not item:
            return None
        values = from_item(item)
        return ActiveModel(
            str(values["version"]), float(values["promoted_at"]), str(values["promoted_by"])
        )

    def promote(self, version: str, by: str, now: float) -> bool:
        """One transaction: the version must exist; it records the promotion and becomes active."""
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": {"pk": {"S": MODELS_PK}, "sk": {"S": f"VERSION#{version}"}},
                            "UpdateExpression": "SET promoted_at = :at, promoted_by = :by",
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeValues": to_item({":at": now, ":by": by}),
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(
                                {
                                    "pk": MODELS_PK,
                                    "sk": ACTIVE_SK,
                                    "version": version,
                                    "promoted_at": now,
                                    "promoted_by": by,
                                }
                            ),
                        }
                    },
                ]
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                return False
            raise
        return True
