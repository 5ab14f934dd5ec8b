"""Funnel hits are counted per stream batch and written once; campaign counters are sharded."""

from __future__ import annotations

from chalicelib.adapters.items import CAMPAIGN_SHARDS
from tests.support import T0, tracker_body, world

KB = "https://kb.example.nl"


def _visit(w, n: int) -> None:
    body = tracker_body(f"anon-batch-{n:04d}", [{"type": "page_view", "url": f"{KB}/p{n}"}])
    w.services.capture.track(body, w.ctx(received_at=T0 + n))


def _funnel_writes(w) -> list[dict[str, int]]:
    """Every funnel-hits counter update, whether in a lead's commit or one of its own."""
    seen: list[dict[str, int]] = []
    w.leads.before_commit.append(
        lambda commit: seen.extend(
            counters for counters in commit.funnel.values() if "hits" in counters
        )
    )
    add = w.leads.add_funnel_counts

    def counted(pk, increments):
        seen.extend(counters for counters in increments.values() if "hits" in counters)
        return add(pk, increments)

    w.leads.add_funnel_counts = counted
    return seen


def test_a_batch_of_many_leads_writes_its_hits_once_and_the_report_counts_each():
    w = world()
    for n in range(6):
        _visit(w, n)
    carried = _funnel_writes(w)
    w.pump()
    assert carried == [{"hits": 6}]  # one update for the whole batch
    assert w.services.reports.funnel(None, None).hits == 6


def test_a_redelivered_batch_counts_no_hit_twice():
    w = world()
    for n in range(3):
        _visit(w, n)
    records = w.new_event_records()
    w.score(records)
    w.score(records)  # the stream delivers at least once
    w.score(list(reversed(records)))
    assert w.services.reports.funnel(None, None).hits == 3


def test_when_the_last_lead_commits_nothing_the_hits_get_one_update_of_their_own():
    w = world()
    for n in range(3):
        _visit(w, n)
    first = w.new_event_records()
    w.score(first[-1:])  # the last lead is already scored
    carried = _funnel_writes(w)
    w.score(first)
    assert carried == [{"hits": 2}]
    assert w.services.reports.funnel(None, None).hits == 3


def test_campaign_counts_spread_over_shards_and_add_up():
    w = world()
    for _ in range(40):
        w.leads.bump_campaign("nov", "opens")
    w.leads.bump_campaign("nov", "clicks")
    w.leads.set_campaign_disabled("nov", True)
    shards = set(w.leads.campaign_counts["nov"])
    assert 1 < len(shards) <= CAMPAIGN_SHARDS
    assert w.leads.campaign("nov") == {"opens": 40, "clicks": 1, "disabled": True}
