"""Leads that may go quiet, by the day they last engaged (the ``QuietLeads`` port).

The scoring commit keeps ``last_engaged_at`` and, for identified non-customer
leads, ``quiet_pk`` = ``ENGAGED#<day>#<shard>`` on the profile item: the sparse
index ``by_last_engaged`` (partition ``quiet_pk``, sort ``lead_id``, keys only),
16 shards a day by the lead id's CRC-32 (``items.quiet_pk``). A sweep reads every
shard of the days long enough ago (and each day's unsharded key, which leads
scored before the sharding carry), and marks each lead quiet with one
conditional write that copies ``last_engaged_at`` into ``quiet_for`` and
takes the lead out of the index. That write goes down the leads stream like
any other change, where it becomes ``Lead Went Quiet``; a new engagement
changes ``last_engaged_at`` and so ends the spell without another write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from chalicelib.adapters.attributes import to_attr
from chalicelib.adapters.items import (
    PROFILE_SK,
    QUIET_INDEX,
    lead_pk,
    quiet_bucket,
    quiet_partitions,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from chalicelib.adapters.memory import MemoryLeadStore

_MARK_CONDITION = (
    "attribute_exists(lead_id) AND attribute_exists(quiet_pk) "
    "AND attribute_not_exists(erased_at) AND attribute_not_exists(merged_into) "
    "AND last_engaged_at <= :before "
    "AND (attribute_not_exists(quiet_for) OR quiet_for <> last_engaged_at)"
)


#: The day's unsharded key (``ENGAGED#<day>``); kept importable for parallel branches.
bucket = quiet_bucket


class DynamoQuietLeads:
    """The sparse ``by_last_engaged`` index of the leads table."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self._client = client
        self._table = table

    def engaged_on(self, day: str) -> list[str]:
        """The ids of watched leads whose last engagement fell on ``day`` (yyyy-mm-dd).

        One Query per shard of the day and one for its legacy key, each paged to its end.
        """
        found: list[str] = []
        for partition in quiet_partitions(day):
            kwargs: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": QUIET_INDEX,
                "KeyConditionExpression": "quiet_pk = :day",
                "ExpressionAttributeValues": {":day": {"S": partition}},
            }
            while True:
                answer = self._client.query(**kwargs)
                found += [item["lead_id"]["S"] for item in answer.get("Items", [])]
                if "LastEvaluatedKey" not in answer:
                    break
                kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        return sorted(found)

    def mark_quiet(self, lead_id: str, engaged_before: float, now: float) -> bool:
        """Start a quiet spell if the lead last engaged before ``engaged_before``; True if so."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": lead_pk(lead_id)}, "sk": {"S": PROFILE_SK}},
                UpdateExpression="SET quiet_for = last_engaged_at, quiet_at = :now REMOVE quiet_pk",
                ConditionExpression=_MARK_CONDITION,
                ExpressionAttributeValues={
                    ":before": to_attr(engaged_before),
                    ":now": to_attr(now),
                },
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            return False
        return True


class MemoryQuietLeads:
    """The same over the in-memory leads table."""

    def __init__(self, leads: MemoryLeadStore) -> None:
        self._table = leads.table

    def engaged_on(self, day: str) -> list[str]:
        partitions = quiet_partitions(day)
        with self._table.lock:
            self._table.requests["Query"] += len(partitions)
            return sorted(
                str(item["lead_id"])
                for (_, sk), item in self._table.items.items()
                if sk == PROFILE_SK and item.get("quiet_pk") in partitions and "lead_id" in item
            )

    def mark_quiet(self, lead_id: str, engaged_before: float, now: float) -> bool:
        with self._table.lock:
            self._table.requests["UpdateItem"] += 1
            item = self._table.items.get((lead_pk(lead_id), PROFILE_SK))
            if (
                item is None
                or "lead_id" not in item
                or "quiet_pk" not in item
                or item.get("erased_at")
                or item.get("merged_into")
                or "last_engaged_at" not in item
                or item["last_engaged_at"] > engaged_before
                or item.get("quiet_for") == item["last_engaged_at"]
            ):
                return False
            item["quiet_for"] = item["last_engaged_at"]
            item["quiet_at"] = now
            del item["quiet_pk"]
            return True
