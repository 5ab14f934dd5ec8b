"""The event store's readers across its shards and the legacy unsharded partition, on the
in-memory store and on DynamoDB (moto): timeline, history, move, delete and erasure."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.items import EVENT_SHARDS, event_pk, event_to_item, lead_pk
from chalicelib.adapters.ports import EventStore
from chalicelib.domain.events import TrackingEvent
from tests.contract.registry import covers
from tests.contract.test_store_contract import stores  # noqa: F401  (the fixture)
from tests.support import T0, event


def put_legacy(events: Any, tracked: TrackingEvent) -> None:
    """Store an event the way it was stored before sharding: under ``LEAD#<id>``."""
    values = {k: v for k, v in event_to_item(tracked, int(T0) + 10**6).items() if v is not None}
    values["pk"] = lead_pk(tracked.lead_id)
    if hasattr(events, "table"):
        events.table.items[(values["pk"], values["sk"])] = values
        return
    from chalicelib.adapters.attributes import to_item

    events._client.put_item(TableName=events._table, Item=to_item(values))


def busy_lead(events: Any, lead_id: str = "L1") -> list[TrackingEvent]:
    """24 events over every shard, the oldest four and one at a tie stored the legacy way."""
    written = [
        event("page_view", T0 + n, f"https://x.nl/{n}", lead_id=lead_id, event_id=f"{lead_id}-{n}")
        for n in range(24)
    ]
    assert {event_pk(lead_id, e.event_id) for e in written[4:]} == {
        f"LEAD#{lead_id}#{s}" for s in range(EVENT_SHARDS)
    }
    for tracked in written[:4]:
        put_legacy(events, tracked)
    events.put_events(written[4:])
    return written


@covers(EventStore.history, EventStore.put_events)
def test_history_merges_every_shard_and_the_legacy_partition_oldest_first(stores):  # noqa: F811
    _, events = stores
    written = busy_lead(events)
    busy_lead(events, "L2")
    assert [e.event_id for e in events.history("L1")] == [e.event_id for e in written]
    assert {e.lead_id for e in events.history("L1")} == {"L1"}


@covers(EventStore.timeline)
def test_timeline_is_the_newest_across_shards_for_any_limit(stores):  # noqa: F811
    _, events = stores
    written = busy_lead(events)
    newest_first = [e.event_id for e in reversed(written)]
    for limit in (1, 3, 7, 23, 24, 100):
        assert [e.event_id for e in events.timeline("L1", limit)] == newest_first[:limit]


@covers(EventStore.put_events, EventStore.put_event_if_absent)
def test_a_retried_put_hits_the_same_key_and_an_event_in_two_partitions_is_read_once(
    stores,  # noqa: F811
):
    _, events = stores
    written = busy_lead(events)
    assert events.put_event_if_absent(written[10]) is False
    # Written once the old way and once more after sharding: one event to every reader.
    events.put_events([written[0]])
    assert [e.event_id for e in events.history("L1")] == [e.event_id for e in written]
    assert len(events.timeline("L1", 100)) == len(written)
    # ...and deleting it takes every copy.
    assert events.delete_events("L1") == len(written)
    assert list(events.history("L1")) == []
    assert events.timeline("L1", 10) == []


@covers(EventStore.move_events)
def test_moving_a_visitors_events_takes_them_from_every_partition(stores):  # noqa: F811
    _, events = stores
    written = busy_lead(events, "V1")
    mine = event("page_view", T0 - 5, lead_id="L1", event_id="lead-own")
    events.put_events([mine])
    assert events.move_events("V1", "L1") == len(written)
    assert list(events.history("V1")) == []
    moved = list(events.history("L1"))
    assert [e.event_id for e in moved] == ["lead-own"] + [e.event_id for e in written]
    assert {e.lead_id for e in moved} == {"L1"}


@covers(EventStore.delete_events)
def test_erasure_deletes_the_events_in_every_partition(stores):  # noqa: F811
    leads, events = stores
    from tests.contract.test_store_contract import lead

    leads.create_lead(lead())
    written = busy_lead(events)
    assert events.delete_events("L1") == len(written)
    leads.erase("L1", None, T0 + 100)
    assert list(events.history("L1")) == []
