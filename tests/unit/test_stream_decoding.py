"""The stream adapters: Lambda's records become positions and domain values, or poison."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.adapters.items import encode_state, event_to_item
from chalicelib.adapters.streams import (
    event_deliveries,
    event_delivery,
    hit_deltas,
    qualifications,
)
from chalicelib.domain.clock import day_of
from chalicelib.domain.scoring.state import LeadScoreState
from chalicelib.domain.stream import HitDelta, StreamPosition
from tests.support import T0, event, stream_record

LEAD = {
    "pk": "LEAD#L7",
    "sk": "PROFILE",
    "lead_id": "L7",
    "email": "jan.jansen@acme.nl",
    "first_name": "Jan",
    "company": "Acme",
    "country": "NL",
    "stage": "sql",
    "score": 81,
    "fit_score": 40,
    "engagement_score": 41,
    "reasons": json.dumps([{"rule": "pricing", "points": 10, "text": "Read the prices"}]),
    "recommended_channel": "phone",
    "channel_reason": "a senior asked for a demo",
    "qualifications": 1,
    "updated_at": T0,
}


def _event_record(**changes: Any) -> dict[str, Any]:
    item = {**event_to_item(event("page_view", T0, "https://kb/a", event_id="E1"), 0), **changes}
    return stream_record(item)


# -- events stream ----------------------------------------------------------------------


def test_an_event_record_becomes_its_position_and_the_event():
    record = _event_record()
    delivery = event_delivery(record, T0 + 2.5)
    assert delivery.position == StreamPosition(record["dynamodb"]["SequenceNumber"], 2.5)
    assert delivery.value is not None and delivery.problem is None
    assert (delivery.value.event_id, delivery.value.type) == ("E1", "page_view")
    assert delivery.value.url == "https://kb/a"


def test_a_removal_delivers_nothing_and_is_not_poison():
    record = {"eventName": "REMOVE", "dynamodb": {"SequenceNumber": "9", "OldImage": {}}}
    delivery = event_delivery(record, T0)
    assert (delivery.value, delivery.problem, delivery.position.sequence) == (None, None, "9")


def test_a_foreign_item_on_the_events_stream_is_poison_with_its_reason_and_record():
    record = _event_record(sk="LINK")
    delivery = event_delivery(record, T0)
    assert delivery.poison and delivery.value is None
    assert delivery.problem == "not an event item (sk='LINK')"
    assert delivery.record == record


def test_a_corrupt_event_item_is_poison_naming_what_is_wrong():
    record = {
        "eventName": "INSERT",
        "dynamodb": {
            "SequenceNumber": "1",
            "NewImage": {"pk": {"S": "LEAD#x"}, "sk": {"S": "EVENT#x"}, "type": {"N": "7"}},
        },
    }
    delivery = event_delivery(record, T0)
    assert delivery.problem is not None
    assert delivery.problem.startswith("corrupt event record: KeyError")
    assert delivery.record == record


# -- leads stream: qualifications -------------------------------------------------------


def test_a_lead_entering_sql_becomes_a_qualification_with_what_the_hand_over_needs():
    state = LeadScoreState(stage="sql")
    item = {**LEAD, "scoring_state": encode_state(state)}
    record = stream_record(item, {**LEAD, "stage": "mql", "qualifications": 0}, "MODIFY")
    [delivery] = qualifications([record], T0 + 1)
    found = delivery.value
    assert delivery.position == StreamPosition(record["dynamodb"]["SequenceNumber"], 1.0)
    assert found is not None and (found.lead_id, found.number) == ("L7", 1)
    assert found.state.stage == "sql"
    assert found.contact["email"] == "jan.jansen@acme.nl" and found.contact["phone"] is None
    assert (found.score, found.fit_score, found.engagement_score) == (81, 40, 41)
    assert found.reasons == [{"rule": "pricing", "points": 10, "text": "Read the prices"}]
    assert (found.recommended_channel, found.channel_reason) == ("phone", LEAD["channel_reason"])
    assert found.updated_at == T0


def test_a_lead_item_without_stored_sentences_leaves_them_to_be_rendered_from_its_state():
    bare = {k: v for k, v in LEAD.items() if k not in ("reasons", "channel_reason")}
    with_state = stream_record({**bare, "scoring_state": encode_state(LeadScoreState())})
    without_state = stream_record(bare)
    rendered, empty = (d.value for d in qualifications([with_state, without_state], T0))
    assert rendered is not None and rendered.reasons is None
    assert empty is not None and empty.reasons == []


def test_records_that_are_no_new_qualification_deliver_nothing():
    again = stream_record(LEAD, LEAD, "MODIFY")  # still sql, same qualification number
    mql = stream_record({**LEAD, "stage": "mql"}, None, "INSERT")
    removed = {**stream_record(LEAD), "eventName": "REMOVE"}
    ledger = stream_record({"pk": "LEAD#L7", "sk": "LEDGER#1#e1", "stage": "sql"})
    for delivery in qualifications([again, mql, removed, ledger], T0):
        assert (delivery.value, delivery.problem) == (None, None)


def test_a_corrupt_lead_record_is_poison_with_the_reason_the_quarantine_keeps():
    no_number = stream_record({**LEAD, "qualifications": 0})
    bad_state = stream_record({**LEAD, "scoring_state": b"not zlib"})
    first, second = qualifications([no_number, bad_state], T0)
    assert first.problem == "corrupt lead record: lead in sql without a qualification number"
    assert first.record == no_number
    assert second.problem is not None and second.problem.startswith("corrupt lead record:")


def test_an_unreadable_number_in_a_lead_record_is_poison_not_a_failed_batch():
    record = stream_record({**LEAD, "qualifications": 1})
    record["dynamodb"]["NewImage"]["qualifications"] = {"N": "one"}
    (delivery,) = qualifications([record], T0)
    assert delivery.problem is not None and delivery.problem.startswith("corrupt lead record:")


# -- leads stream: the funnel's hits ------------------------------------------------------


def test_a_lead_write_delivers_the_hits_it_added_on_the_day_it_was_written():
    before = {**LEAD, "hits": 40, "machine_hits": 2}
    after = {**LEAD, "hits": 43, "machine_hits": 3}
    (delivery,) = hit_deltas([stream_record(after, before, "MODIFY", at=T0 + 86_400)], T0)
    assert delivery.value == HitDelta("L7", day_of(T0 + 86_400), 3, 1)
    (first,) = hit_deltas([stream_record({**LEAD, "hits": 1}, None, "INSERT")], T0)
    assert first.value == HitDelta("L7", day_of(T0), 1, 0)


def test_writes_that_add_no_hit_and_other_items_deliver_nothing():
    counted = {**LEAD, "hits": 5}
    consent = stream_record({**counted, "consent": "withdrawn"}, counted, "MODIFY")
    rewritten = stream_record(LEAD, counted, "MODIFY")  # an item put again without them
    removed = {**stream_record(counted), "eventName": "REMOVE"}
    counter = stream_record({"pk": "FUNNEL#03", "sk": "DAY#2026-11-18", "hits": 9})
    for delivery in hit_deltas([consent, rewritten, removed, counter], T0):
        assert (delivery.value, delivery.problem) == (None, None)


def test_an_unreadable_hit_count_is_poison_with_its_record():
    record = stream_record({**LEAD, "hits": 1})
    record["dynamodb"]["NewImage"]["hits"] = {"N": "many"}
    (delivery,) = hit_deltas([record], T0)
    assert delivery.problem is not None and delivery.problem.startswith("corrupt lead record:")
    assert delivery.record == record


# -- the law: decoding never raises, one delivery per record, in order ----------------

_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)
_records = st.fixed_dictionaries(
    {
        "eventName": st.sampled_from(["INSERT", "MODIFY", "REMOVE", "?"]),
        "dynamodb": st.fixed_dictionaries(
            {"SequenceNumber": st.text(min_size=1, max_size=5)},
            optional={
                "Keys": _values,
                "NewImage": _values,
                "OldImage": _values,
                "ApproximateCreationDateTime": st.floats(0, 2e9),
            },
        ),
    }
)


@given(st.lists(_records, max_size=5))
def test_any_batch_decodes_to_one_delivery_per_record_in_stream_order(records):
    for decode in (event_deliveries, qualifications, hit_deltas):
        deliveries = decode(records, T0)
        assert [d.position.sequence for d in deliveries] == [
            r["dynamodb"]["SequenceNumber"] for r in records
        ]
        assert all(d.value is None or d.problem is None for d in deliveries)
        assert all(d.record == r for d, r in zip(deliveries, records, strict=True) if d.poison)
