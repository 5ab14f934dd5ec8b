"""The sharded events table and quiet-leads index: keys in range, stable, and every
event of a lead found again across its shards and the legacy unsharded partition."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.adapters.items import (
    EVENT_SHARDS,
    QUIET_SHARDS,
    event_partitions,
    event_pk,
    event_shard,
    event_sk,
    event_to_item,
    lead_pk,
    quiet_partitions,
    quiet_pk,
)
from chalicelib.adapters.memory import MemoryEventStore
from chalicelib.domain.clock import iso
from chalicelib.domain.events import TrackingEvent
from tests.support import DAY, T0

ids = st.text(alphabet="0123456789abcdef-", min_size=1, max_size=40)


@given(lead_id=ids, event_id=ids)
def test_an_events_shard_is_in_range_stable_and_one_of_the_leads_partitions(lead_id, event_id):
    assert 0 <= event_shard(event_id) < EVENT_SHARDS
    assert event_shard(event_id) == event_shard(event_id)
    assert event_pk(lead_id, event_id) == f"LEAD#{lead_id}#{event_shard(event_id)}"
    assert event_pk(lead_id, event_id) in event_partitions(lead_id)
    assert event_partitions(lead_id)[-1] == lead_pk(lead_id)  # the legacy partition, read too


@given(lead_id=ids, at=st.floats(min_value=T0 - 400 * DAY, max_value=T0 + 400 * DAY))
def test_a_leads_quiet_key_is_a_stable_shard_of_its_engagement_day(lead_id, at):
    key = quiet_pk(at, lead_id)
    day = iso(at)[:10]
    assert key == quiet_pk(at, lead_id)
    assert key.startswith(f"ENGAGED#{day}#")
    assert 0 <= int(key.rsplit("#", 1)[1]) < QUIET_SHARDS
    assert key in quiet_partitions(day)
    assert f"ENGAGED#{day}" in quiet_partitions(day)  # leads scored before sharding


def test_a_retried_event_lands_on_the_same_key():
    first = TrackingEvent(
        event_id="e-1", lead_id="L1", type="page_view", occurred_at=T0, received_at=T0
    )
    again = TrackingEvent(
        event_id="e-1", lead_id="L1", type="page_view", occurred_at=T0, received_at=T0
    )
    store = MemoryEventStore()
    assert store.put_event_if_absent(first)
    assert not store.put_event_if_absent(again)
    assert len(store.table.items) == 1


def test_a_busy_leads_events_spread_over_every_shard():
    keys = {event_pk("L1", f"event-{n}") for n in range(200)}
    assert keys == set(event_partitions("L1")[:EVENT_SHARDS])


@settings(max_examples=60, deadline=None)
@given(
    stored=st.lists(
        st.tuples(ids, st.integers(min_value=0, max_value=10_000), st.booleans()),
        max_size=40,
        unique_by=lambda row: row[0],
    ),
    limit=st.integers(min_value=1, max_value=50),
)
def test_a_leads_events_are_always_found_across_shards_in_time_order(stored, limit):
    """Whether written sharded or (before sharding) under ``LEAD#<id>``, history has every
    event once, oldest first, and the timeline the newest ``limit``, newest first."""
    store = MemoryEventStore()
    events = [
        TrackingEvent(
            event_id=eid, lead_id="L1", type="page_view", occurred_at=T0 + seconds, received_at=T0
        )
        for eid, seconds, _ in stored
    ]
    for (_, _, legacy), tracked in zip(stored, events, strict=True):
        if legacy:
            item = {k: v for k, v in event_to_item(tracked, 0).items() if v is not None}
            item["pk"] = lead_pk("L1")
            store.table.items[(item["pk"], item["sk"])] = item
        else:
            store.put_events([tracked])
    store.put_events(
        [TrackingEvent(event_id="other", lead_id="L2", type="x", occurred_at=T0, received_at=T0)]
    )
    in_time_order = [e.event_id for e in sorted(events, key=event_sk)]
    assert [e.event_id for e in store.history("L1")] == in_time_order
    assert [e.event_id for e in store.timeline("L1", limit)] == in_time_order[::-1][:limit]
    assert store.delete_events("L1") == len(events)
    assert list(store.history("L1")) == []
    assert [e.event_id for e in store.history("L2")] == ["other"]


def test_a_batch_of_one_leads_events_from_several_shards_makes_one_commit():
    """The scorer groups stream records by the item's ``lead_id``, not by its key."""
    from tests.support import DIRECTOR, tracker_body, world

    w = world()
    w.services.capture.submit_form(
        "whitepaper", {**DIRECTOR, "anonymous_id": "anon-0123456789"}, w.ctx()
    )
    w.pump()
    commits: list[str] = []
    original = w.leads.commit_scoring

    def counting(commit):  # type: ignore[no-untyped-def]
        commits.append(commit.lead_id)
        original(commit)

    w.leads.commit_scoring = counting  # type: ignore[method-assign]
    pages = [{"type": "page_view", "url": f"https://kb.example.nl/p/{n}"} for n in range(12)]
    w.services.capture.track(tracker_body("anon-0123456789", pages), w.ctx())
    records = w.new_event_records()
    keys = {r["dynamodb"]["Keys"]["pk"]["S"] for r in records}
    assert len(keys) > 1  # 12 events over 4 shards
    w.services.scoring.process_records(records)
    lead_id = w.leads.lead_id_by_email(DIRECTOR["email"])
    assert commits == [lead_id]
    assert len(list(w.events.history(str(lead_id)))) >= 12 + 1
