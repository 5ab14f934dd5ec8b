"""Funnel hits ride on each lead's own write and are added up by the leads stream's hit
counter, once per batch and once per delivery; campaign counters are sharded."""

from __future__ import annotations

from chalicelib.adapters.items import CAMPAIGN_SHARDS
from chalicelib.domain.clock import day_of
from tests.support import T0, tracker_body, world

KB = "https://kb.example.nl"


def _visit(w, n: int) -> None:
    body = tracker_body(f"anon-batch-{n:04d}", [{"type": "page_view", "url": f"{KB}/p{n}"}])
    w.services.capture.track(body, w.ctx(received_at=T0 + n))


def _counter_writes(w) -> list[dict[str, int]]:
    """Every funnel-hits counter update: in a lead's commit or one of its own."""
    seen: list[dict[str, int]] = []
    w.leads.before_commit.append(
        lambda commit: seen.extend(
            counters for counters in commit.funnel.values() if "hits" in counters
        )
    )
    add = w.leads.add_funnel_counts

    def counted(key, increments, batch=None):
        seen.extend(counters for counters in increments.values() if "hits" in counters)
        return add(key, increments, batch=batch)

    w.leads.add_funnel_counts = counted
    return seen


def _hits(w) -> int:
    return w.services.reports.funnel(None, None).hits


def test_the_scorer_writes_no_counter_each_lead_write_carries_its_own_hits():
    w = world()
    for n in range(6):
        _visit(w, n)
    carried = _counter_writes(w)
    w.score(w.new_event_records())
    assert carried == []  # no counter write on the scoring path
    leads = [i for k, i in w.leads.table.items.items() if k[1] == "PROFILE"]
    assert sorted(i.get("hits") for i in leads) == [1] * 6
    assert _hits(w) == 0  # counted when the leads stream is read


def test_the_leads_stream_reader_adds_a_batch_of_lead_writes_in_one_counter_update():
    w = world()
    for n in range(6):
        _visit(w, n)
    w.score(w.new_event_records())
    carried = _counter_writes(w)
    w.count_hits(w.new_lead_records())
    assert carried == [{"hits": 6}]  # one update for the whole batch
    assert _hits(w) == 6


def test_a_redelivered_events_batch_counts_no_hit_twice():
    w = world()
    for n in range(3):
        _visit(w, n)
    records = w.new_event_records()
    w.score(records)
    w.score(records)  # the stream delivers at least once
    w.score(list(reversed(records)))
    w.pump()
    assert _hits(w) == 3


def test_a_redelivered_leads_batch_counts_no_hit_twice():
    w = world()
    for n in range(3):
        _visit(w, n)
    w.score(w.new_event_records())
    records = w.new_lead_records()
    w.count_hits(records)
    w.count_hits(records)  # Lambda retries an invocation with the same records
    assert _hits(w) == 3


def test_a_lead_write_that_adds_no_hit_counts_nothing():
    w = world()
    _visit(w, 0)
    w.pump()
    assert _hits(w) == 1
    lead_id = next(i["lead_id"] for k, i in w.leads.table.items.items() if k[1] == "PROFILE")
    item = w.leads.table.items[(f"LEAD#{lead_id}", "PROFILE")]
    item["consent"] = "granted"  # any other write of the lead item: its hits stay
    records = w.new_lead_records()
    assert records
    assert w.count_hits(records).hits == 0
    assert _hits(w) == 1


def test_hits_are_counted_on_the_day_of_the_lead_write():
    w = world()
    _visit(w, 0)
    w.clock.now = T0 + 86_400
    w.pump()
    daily = w.services.reports.funnel(None, None, daily=True).daily
    by_day = {d.day: d.hits for d in daily if d.hits}
    assert by_day == {day_of(T0 + 86_400): 1}


def test_campaign_counts_spread_over_shards_and_add_up():
    w = world()
    for _ in range(40):
        w.leads.bump_campaign("nov", "opens")
    w.leads.bump_campaign("nov", "clicks")
    w.leads.set_campaign_disabled("nov", True)
    shards = set(w.leads.campaign_counts["nov"])
    assert 1 < len(shards) <= CAMPAIGN_SHARDS
    assert w.leads.campaign("nov") == {"opens": 40, "clicks": 1, "disabled": True}


def test_when_the_counter_write_fails_the_whole_batch_is_retried_and_counted_once():
    w = world()
    for n in range(3):
        _visit(w, n)
    w.score(w.new_event_records())
    records = w.new_lead_records()
    add = w.leads.add_funnel_counts

    def unavailable(key, increments, batch=None):
        raise ConnectionError("DynamoDB unreachable")

    w.leads.add_funnel_counts = unavailable
    result = w.count_hits(records)
    assert result.failed == [r["dynamodb"]["SequenceNumber"] for r in records]
    assert _hits(w) == 0
    w.leads.add_funnel_counts = add
    assert w.count_hits(records).failed == []
    assert _hits(w) == 3


def test_an_unreadable_leads_record_goes_to_the_quarantine_and_the_rest_is_counted():
    w = world()
    for n in range(2):
        _visit(w, n)
    w.score(w.new_event_records())
    records = w.new_lead_records()
    records[0]["dynamodb"]["NewImage"]["hits"] = {"N": "lots"}
    result = w.count_hits(records)
    assert (result.quarantined, result.failed, _hits(w)) == (1, [], 1)
    (kept,) = w.quarantine.recent(10)
    assert kept["source"] == "stream:hits" and "corrupt lead record" in kept["reason"]
