"""What each DynamoDB request the app makes would be billed, counted with botocore hooks.

``Meter`` registers ``provide-client-params.dynamodb`` (the request's parameters) and
``after-call.dynamodb`` (its answer) on the app's own cached client (``chalicelib.adapters.aws.dynamodb_client``), so it sees exactly the
requests the app sends, with their parameters and answers. moto's ConsumedCapacity is a
constant, so units are worked out here from item sizes, the way DynamoDB bills them:

- reads: 4 KB per read request unit, rounded up per item; eventually consistent reads
  half; a key that is not found still costs the minimum;
- writes: 1 KB per write request unit of the larger of the old and new item, rounded up
  per item; items in TransactWriteItems cost twice;
- global secondary indexes: one standard (not transactional) write of the new entry
  when a projected attribute changes, a delete and a put when its index key changes,
  each rounded up per 1 KB of the entry (the whole item for projection ALL, keys and
  the listed attributes for INCLUDE, keys alone for KEYS_ONLY: such an index is
  written only when its key changes).

Old and new images come from a second, unhooked client reading the same keys before
and after each write, so the meter slows the run: it is used only to count, never
while timing.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

WRITE_OPS = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
)


def attribute_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value (DynamoDB's item-size rules, closely enough)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return len(str(data).encode("utf-8"))
    if kind == "N":
        digits = str(Decimal(str(data)).normalize()).lstrip("-").replace(".", "").lstrip("0")
        return (len(digits) + 1) // 2 + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(attribute_size({kind[0]: v}) for v in data)
    if kind == "L":
        return 3 + sum(attribute_size(v) + 1 for v in data)
    if kind == "M":
        return 3 + sum(len(k.encode("utf-8")) + attribute_size(v) + 1 for k, v in data.items())
    raise ValueError(f"unknown attribute type {kind}")


def item_size(item: Mapping[str, Any] | None) -> int:
    """Bytes of a whole item in the low-level format (names plus values)."""
    if not item:
        return 0
    return sum(len(name.encode("utf-8")) + attribute_size(v) for name, v in item.items())


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def kind_of(key: Mapping[str, Any]) -> str:
    """What an item is, from its sort key (docs/ARCHITECTURE.md's item kinds)."""
    sk = str(next(iter(key.get("sk", {}).values()), "")) if "sk" in key else ""
    if not sk:
        return "idempotency"
    for prefix, kind in (
        ("PROFILE", "lead"),
        ("LEDGER#", "ledger"),
        ("EVENT#", "event"),
        ("DAY#", "funnel"),
        ("TOTAL", "funnel"),
        ("STATE", "company"),
        ("LINK", "anonymous_link"),
        ("ALIAS#", "alias"),
        ("ANNOUNCE#", "announcement"),
        ("LEAD", "email"),
    ):
        if sk.startswith(prefix):
            return kind
    return "other"


@dataclass
class Written:
    """One item a write request touched: its kind, sizes and index writes."""

    kind: str
    old_bytes: int
    new_bytes: int
    transactional: bool
    wru: float
    index_writes: list[int] = field(default_factory=list)  # bytes of each index entry written
    #: where: "<table>" and the item's partition key; each index write's "<table>/<index>" key
    partition: tuple[str, str] = ("", "")
    index_partitions: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Read:
    kind: str
    bytes: int
    consistent: bool
    rru: float
    partition: tuple[str, str] = ("", "")


@dataclass
class Call:
    """One request: where in the flow, which operation, what it would be billed."""

    phase: str
    operation: str
    reads: list[Read] = field(default_factory=list)
    writes: list[Written] = field(default_factory=list)

    @property
    def rru(self) -> float:
        return sum(r.rru for r in self.reads)

    @property
    def wru(self) -> float:
        return sum(w.wru for w in self.writes)

    @property
    def gsi_wru(self) -> float:
        return sum(write_units(b) for w in self.writes for b in w.index_writes)


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]
    projected: tuple[str, ...] | None = None  # None: projection ALL

    def entry(self, item: dict[str, Any]) -> dict[str, Any]:
        """What the index stores of an item: all of it, or its keys and projected attributes."""
        if self.projected is None:
            return item
        keep = {"pk", "sk", *self.keys, *self.projected}
        return {name: value for name, value in item.items() if name in keep}


class Meter:
    """Counts and prices the requests of one DynamoDB client while ``enabled``.

    Parameters
    ----------
    client
        the app's client; hooks are registered on its event system only.
    shadow
        another client on the same endpoint, used to read old and new images.
    indexes
        table name -> its global secondary indexes (from infra/definitions).
    """

    def __init__(self, client: Any, shadow: Any, indexes: Mapping[str, Iterable[Index]]) -> None:
        self._client = client
        self._shadow = shadow
        self._indexes = {table: tuple(found) for table, found in indexes.items()}
        self.enabled = False
        self.phase = "ingest"
        self.calls: list[Call] = []
        client.meta.events.register("provide-client-params.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def close(self) -> None:
        self._client.meta.events.unregister("provide-client-params.dynamodb", self._before)
        self._client.meta.events.unregister("after-call.dynamodb", self._after)

    # -- hooks ---------------------------------------------------------------------------

    def _before(self, model: Any, params: dict[str, Any], context: Any, **_: Any) -> None:
        if not self.enabled:
            return
        context["bench_params"] = params
        if model.name in WRITE_OPS:
            context["bench_before"] = [
                (table, key, self._image(table, key)) for table, key, _ in _written(params)
            ]

    def _after(self, model: Any, parsed: dict[str, Any], context: Any, **_: Any) -> None:
        if not self.enabled or "bench_params" not in context:
            return
        params = context["bench_params"]
        call = Call(self.phase, model.name)
        if model.name == "GetItem":
            consistent = bool(params.get("ConsistentRead"))
            size = item_size(parsed.get("Item"))
            call.reads.append(
                Read(
                    kind_of(params["Key"]),
                    size,
                    consistent,
                    read_units(size, consistent),
                    (params["TableName"], _partition_of(params["Key"])),
                )
            )
        elif model.name == "BatchGetItem":
            for table, request in params.get("RequestItems", {}).items():
                consistent = bool(request.get("ConsistentRead"))
                found = {kind_of(i): i for i in parsed.get("Responses", {}).get(table, [])}
                for key in request.get("Keys", []):
                    size = item_size(found.get(kind_of(key)))
                    call.reads.append(
                        Read(
                            kind_of(key),
                            size,
                            consistent,
                            read_units(size, consistent),
                            (table, _partition_of(key)),
                        )
                    )
        elif model.name in ("Query", "Scan"):
            consistent = bool(params.get("ConsistentRead"))
            total = sum(item_size(i) for i in parsed.get("Items", []))
            where = params["TableName"] + (
                f"/{params['IndexName']}" if "IndexName" in params else ""
            )
            values = params.get("ExpressionAttributeValues") or {}
            first = next(iter(values.values()), {})
            partition = str(next(iter(first.values()), "")) if first else "(scan)"
            call.reads.append(
                Read("query", total, consistent, read_units(total, consistent), (where, partition))
            )
        elif model.name in WRITE_OPS:
            # A failed condition is billed too; then old and new images are the same.
            transactional = model.name == "TransactWriteItems"
            for table, key, old in context.get("bench_before", []):
                new = self._image(table, key)
                size = max(item_size(old), item_size(new))
                index_writes = self._index_writes(table, old, new)
                call.writes.append(
                    Written(
                        kind_of(key),
                        item_size(old),
                        item_size(new),
                        transactional,
                        (2 if transactional else 1) * write_units(size),
                        [size for size, _ in index_writes],
                        (table, _partition_of(key)),
                        [where for _, where in index_writes],
                    )
                )
        self.calls.append(call)

    # -- helpers -------------------------------------------------------------------------

    def _image(self, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
        answer = self._shadow.get_item(TableName=table, Key=key, ConsistentRead=True)
        item = answer.get("Item")
        return dict(item) if item else None

    def _index_writes(
        self, table: str, old: dict[str, Any] | None, new: dict[str, Any] | None
    ) -> list[tuple[int, tuple[str, str]]]:
        """Bytes and partition of each index entry written (its projection of the item)."""
        writes: list[tuple[int, tuple[str, str]]] = []
        for index in self._indexes.get(table, ()):
            where = f"{table}/{index.name}"
            old_key = _index_key(index, old)
            new_key = _index_key(index, new)
            if old_key is None and new_key is None:
                continue
            if old_key is not None and new_key is not None and old_key == new_key:
                assert old is not None and new is not None
                if index.entry(old) != index.entry(new):
                    writes.append((item_size(index.entry(new)), (where, new_key[0])))
                continue
            if old is not None and old_key is not None:
                writes.append((item_size(index.entry(old)), (where, old_key[0])))
            if new is not None and new_key is not None:
                writes.append((item_size(index.entry(new)), (where, new_key[0])))
        return writes

    def take(self) -> list[Call]:
        calls, self.calls = self.calls, []
        return calls


def _index_key(index: Index, item: dict[str, Any] | None) -> tuple[str, ...] | None:
    """The index key of an item (partition value first), None if the item is not in it."""
    if not item or any(name not in item for name in index.keys):
        return None
    return tuple(str(next(iter(item[name].values()))) for name in index.keys)


def _partition_of(key: Mapping[str, Any]) -> str:
    """The partition key value of a low-level key (``pk``, or Powertools' ``id``)."""
    value = key.get("pk") or key.get("id") or {}
    return str(next(iter(value.values()), ""))


def partition_load(calls: Iterable[Call]) -> dict[tuple[str, str], dict[str, float]]:
    """Write and read units per (table or table/index, partition key) over the calls."""
    load: dict[tuple[str, str], dict[str, float]] = {}
    for call in calls:
        for w in call.writes:
            row = load.setdefault(w.partition, {"wcu": 0.0, "rcu": 0.0})
            row["wcu"] += w.wru
            for size, where in zip(w.index_writes, w.index_partitions, strict=True):
                row = load.setdefault(where, {"wcu": 0.0, "rcu": 0.0})
                row["wcu"] += write_units(size)
        for r in call.reads:
            row = load.setdefault(r.partition, {"wcu": 0.0, "rcu": 0.0})
            row["rcu"] += r.rru
    return load


def _written(params: Mapping[str, Any]) -> Iterable[tuple[str, dict[str, Any], str]]:
    """(table, key, kind) of every item a write request touches."""
    if "TransactItems" in params:
        for entry in params["TransactItems"]:
            ((kind, body),) = entry.items()
            if kind == "ConditionCheck":
                continue
            yield body["TableName"], _key_of(body), kind
        return
    if "RequestItems" in params:
        for table, requests in params["RequestItems"].items():
            for request in requests:
                ((kind, body),) = request.items()
                yield table, _key_of(body), kind
        return
    yield params["TableName"], _key_of(params), "Single"


def _key_of(body: Mapping[str, Any]) -> dict[str, Any]:
    if "Key" in body:
        return dict(body["Key"])
    item = body["Item"]
    return {"pk": item["pk"], "sk": item["sk"]} if "sk" in item else {"id": item["id"]}


def summarise(calls: Iterable[Call], hits: int) -> dict[str, Any]:
    """Per-hit averages by phase, operation and item kind, with billed units."""
    calls = list(calls)
    operations: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    written: dict[str, dict[str, float]] = {}
    read: dict[str, dict[str, float]] = {}
    for call in calls:
        operations[f"{call.phase}:{call.operation}"] += 1
        phases[call.phase] += 1
        for w in call.writes:
            row = written.setdefault(
                w.kind,
                {
                    "items": 0,
                    "transactional": 0,
                    "bytes": 0,
                    "wru": 0,
                    "gsi_writes": 0,
                    "gsi_wru": 0,
                },
            )
            row["items"] += 1
            row["transactional"] += w.transactional
            row["bytes"] += max(w.old_bytes, w.new_bytes)
            row["wru"] += w.wru
            row["gsi_writes"] += len(w.index_writes)
            row["gsi_wru"] += sum(write_units(b) for b in w.index_writes)
        for r in call.reads:
            row = read.setdefault(r.kind, {"items": 0, "consistent": 0, "bytes": 0, "rru": 0})
            row["items"] += 1
            row["consistent"] += r.consistent
            row["bytes"] += r.bytes
            row["rru"] += r.rru
    for table in (written, read):
        for row in table.values():
            count = row["items"] or 1
            row["bytes"] = round(row["bytes"] / count)  # average item size
            for key in row:
                if key != "bytes":
                    row[key] = round(row[key] / hits, 3)
    return {
        "requests": round(len(calls) / hits, 3),
        "by_phase": {phase: round(n / hits, 3) for phase, n in sorted(phases.items())},
        "by_operation": {op: round(n / hits, 3) for op, n in sorted(operations.items())},
        "rru": round(sum(c.rru for c in calls) / hits, 3),
        "wru_table": round(sum(c.wru for c in calls) / hits, 3),
        "wru_gsi": round(sum(c.gsi_wru for c in calls) / hits, 3),
        "writes_by_kind": written,
        "reads_by_kind": read,
    }
