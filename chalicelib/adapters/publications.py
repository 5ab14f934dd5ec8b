"""Exactly-once bookkeeping for what the stream handlers publish (the ``Publications`` port).

One item per published thing, in the lead's own partition of the leads table
(``LEAD#<lead_id>`` / ``PUB#<key>``), so erasure removes them with the lead:
``status`` pending or published, ``claimed_until`` (the lease), ``ref`` (the
destination's id), and a TTL. The marks only have to outlive a stream record
(24 hours of stream retention, 6 hours of maximum record age); they are kept
for 30 days.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.attributes import from_item, to_attr
from chalicelib.adapters.items import lead_pk
from chalicelib.adapters.ports import Claim

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from chalicelib.adapters.memory import MemoryLeadStore

KEEP_SECONDS = 30 * 86_400


def publication_sk(key: str) -> str:
    return f"PUB#{key}"


class DynamoPublications:
    """Claims and marks as conditional writes on the leads table."""

    def __init__(
        self, client: DynamoDBClient, table: str, keep_seconds: int = KEEP_SECONDS
    ) -> None:
        self._client = client
        self._table = table
        self._keep = keep_seconds

    def _key(self, lead_id: str, key: str) -> dict[str, Any]:
        return {"pk": {"S": lead_pk(lead_id)}, "sk": {"S": publication_sk(key)}}

    def claim(self, lead_id: str, key: str, now: float, lease_seconds: float) -> Claim:
        """Take the right to publish ``key`` unless it was published or is leased."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(lead_id, key),
                UpdateExpression="SET #s = :pending, claimed_until = :lease, "
                "attempts = if_not_exists(attempts, :zero) + :one, expires_at = :expires",
                ConditionExpression="attribute_not_exists(pk) OR "
                "(#s = :pending AND claimed_until < :now)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":pending": {"S": "pending"},
                    ":lease": to_attr(now + lease_seconds),
                    ":now": to_attr(now),
                    ":zero": {"N": "0"},
                    ":one": {"N": "1"},
                    ":expires": to_attr(int(now + self._keep)),
                },
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            answer = self._client.get_item(
                TableName=self._table, Key=self._key(lead_id, key), ConsistentRead=True
            )
            current = from_item(answer.get("Item", {}))
            return Claim(False, current.get("status") == "published")
        return Claim(True, False)

    def mark(self, lead_id: str, key: str, ref: str, now: float) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=self._key(lead_id, key),
            UpdateExpression="SET #s = :published, #r = :ref, published_at = :now",
            ExpressionAttributeNames={"#s": "status", "#r": "ref"},
            ExpressionAttributeValues={
                ":published": {"S": "published"},
                ":ref": {"S": ref},
                ":now": to_attr(now),
            },
        )

    def release(self, lead_id: str, key: str) -> None:
        """Drop a pending claim (never a published mark)."""
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=self._key(lead_id, key),
                ConditionExpression="#s = :pending",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":pending": {"S": "pending"}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise


class MemoryPublications:
    """The same, on the in-memory leads table (so an in-memory erasure removes them too)."""

    def __init__(self, leads: MemoryLeadStore, keep_seconds: int = KEEP_SECONDS) -> None:
        self._table = leads.table
        self._keep = keep_seconds

    def claim(self, lead_id: str, key: str, now: float, lease_seconds: float) -> Claim:
        with self._table.lock:
            self._table.requests["UpdateItem"] += 1
            item_key = (lead_pk(lead_id), publication_sk(key))
            item = self._table.items.get(item_key)
            if item is not None:
                if item["status"] == "published":
                    return Claim(False, True)
                if item["claimed_until"] >= now:
                    return Claim(False, False)
            self._table.items[item_key] = {
                "pk": item_key[0],
                "sk": item_key[1],
                "status": "pending",
                "claimed_until": now + lease_seconds,
                "attempts": int(item.get("attempts", 0)) + 1 if item else 1,
                "expires_at": int(now + self._keep),
            }
            return Claim(True, False)

    def mark(self, lead_id: str, key: str, ref: str, now: float) -> None:
        with self._table.lock:
            self._table.requests["UpdateItem"] += 1
            item = self._table.items[(lead_pk(lead_id), publication_sk(key))]
            item.update(status="published", ref=ref, published_at=now)

    def release(self, lead_id: str, key: str) -> None:
        with self._table.lock:
            self._table.requests["DeleteItem"] += 1
            item_key = (lead_pk(lead_id), publication_sk(key))
            if self._table.items.get(item_key, {}).get("status") == "pending":
                del self._table.items[item_key]
