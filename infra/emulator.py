"""The local AWS emulator: moto's server with one request at a time.

moto keeps its state in plain Python objects without locks, and backs up and
restores whole tables around each TransactWriteItems call; served by a threaded
server, concurrent requests can then lose each other's writes. Serialising the
requests makes the emulator behave like one consistent DynamoDB.

moto's backup is a deep copy of every table a transaction touches, streams
included: its cost grows with everything ever written, and a restore swaps the
table object under the stream readers. Here a transaction instead saves only
the items it names and the streams' lengths, and puts those back on failure.

    python -m infra.emulator --port 4566
"""

from __future__ import annotations

import argparse
import copy
import threading
from collections.abc import Callable, Iterable
from typing import Any


class Serialised:
    """A WSGI wrapper that runs one request at a time, body included."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


class _CopyExceptTables:
    """``copy`` for moto's DynamoDB module, except that tables are not copied."""

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        if type(value).__name__ == "Table":
            return value
        return copy.deepcopy(value, memo)


def cheap_transactions() -> None:
    """Make moto's TransactWriteItems back up only what it touches (see the module doc)."""
    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType

    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[Any, Any, Any, Any]] = []
        streams: dict[int, tuple[Any, int]] = {}
        for entry in transact_items:
            operation = next(iter(entry.values()))
            table = self.tables.get(operation.get("TableName"))
            attributes = operation.get("Key") or operation.get("Item") or {}
            if table is None or table.hash_key_attr not in attributes:
                continue
            hash_key = DynamoType(attributes[table.hash_key_attr])
            range_key = None
            if table.range_key_attr is not None:
                if table.range_key_attr not in attributes:
                    continue
                range_key = DynamoType(attributes[table.range_key_attr])
            current = table.get_item(hash_key, range_key)
            saved.append((table, hash_key, range_key, copy.deepcopy(current)))
            if table.stream_shard is not None:
                streams[id(table)] = (table.stream_shard, len(table.stream_shard.items))
        models.copy = _CopyExceptTables()  # type: ignore[attr-defined,assignment]
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                if range_key is None:
                    table.items.pop(hash_key, None)
                    if item is not None:
                        table.items[hash_key] = item
                else:
                    table.items[hash_key].pop(range_key, None)
                    if item is not None:
                        table.items[hash_key][range_key] = item
            for shard, length in streams.values():
                del shard.items[length:]
            raise
        finally:
            models.copy = copy  # type: ignore[attr-defined]

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def main() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4566)
    args = parser.parse_args()
    cheap_transactions()
    app = Serialised(DomainDispatcherApplication(create_backend_app))
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
