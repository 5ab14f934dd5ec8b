"""Redelivered stream records are recognised by the lead's recent event digests."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.redelivery import RECENT_EVENTS, event_digest, remember, was_applied
from tests.support import tracker_body, world

KB = "https://kb.example.nl"


def records_id(records) -> str:
    return records[0]["dynamodb"]["NewImage"]["event_id"]["S"]


@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=120, unique=True))
def test_the_last_events_applied_are_always_recognised_and_the_memory_stays_bounded(ids):
    recent = ""
    for start in range(0, len(ids), 7):
        recent = remember(recent, ids[start : start + 7])
    assert all(was_applied(recent, e) for e in ids[-RECENT_EVENTS:])
    assert len(recent) <= RECENT_EVENTS * len(event_digest("x"))


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_an_event_never_applied_is_not_taken_for_a_redelivery(applied, other):
    if applied != other and event_digest(applied) != event_digest(other):
        assert not was_applied(remember("", [applied]), other)


def test_a_redelivered_page_view_changes_nothing_and_is_in_the_ledger_once():
    w = world()
    body = tracker_body("anon-redeliver-1", [{"type": "page_view", "url": f"{KB}/careers"}])
    w.services.capture.track(body, w.ctx())
    records = w.new_event_records()
    w.services.scoring.process_records(records)
    lead_id = records[0]["dynamodb"]["NewImage"]["lead_id"]["S"]
    first = w.leads.get_lead(lead_id)
    again = w.services.scoring.process_records(records)
    assert again.duplicates == 1 and again.applied == 0
    after = w.leads.get_lead(lead_id)
    assert after.version == first.version
    assert after.state.events_applied == first.state.events_applied == 1
    assert [e.event_id for e in w.leads.ledger(lead_id)] == [records_id(records)]


def test_a_page_view_that_moves_nothing_a_list_shows_is_marked_for_the_stream_filter():
    w = world()
    aid = "anon-scored-only-1"
    marks = []
    for _ in range(5):  # a page view earns a point until the rule is capped (4 here)
        body = tracker_body(aid, [{"type": "page_view", "url": f"{KB}/careers"}])
        w.services.capture.track(body, w.ctx())
        w.pump()
        lead_id = w.leads.anonymous_link(aid).lead_id
        item = w.leads.table.items[(f"LEAD#{lead_id}", "PROFILE")]
        marks.append((item["score"], item.get("scored_only", False)))
    assert marks == [(1, False), (2, False), (3, False), (4, False), (4, True)]


def test_the_state_dictionary_is_frozen_and_old_states_still_read():
    import hashlib
    import json
    import zlib
    from pathlib import Path

    from chalicelib.adapters.items import decode_state, encode_state
    from chalicelib.domain.scoring.state import LeadScoreState

    frozen = Path("chalicelib/adapters/state_dictionary_v1.bin").read_bytes()
    # Stored states name this file in their zlib header: it may never change.
    assert hashlib.sha256(frozen).hexdigest() == (
        "4fa18359aaef9b0f5f9e2e7b8b6c04d4011c4166b03f5e179b318e032a9c98f1"
    )
    state = LeadScoreState(profile={"email": "jan@acme.nl"}, stage="lead", last_seen=1.79e9)
    assert decode_state(encode_state(state)).to_dict() == state.to_dict()
    plain = json.dumps(state.to_dict(), separators=(",", ":"))
    assert decode_state(zlib.compress(plain.encode(), 6)).to_dict() == state.to_dict()
    assert decode_state(plain).to_dict() == state.to_dict()
