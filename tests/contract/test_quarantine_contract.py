"""The quarantine's and the audit log's reads, one contract on the fakes and on DynamoDB."""

from __future__ import annotations

import json
import time

import pytest

from chalicelib.adapters.ports import AuditTrail, FunnelSeries, Privacy, Quarantine
from tests.contract.conftest import Backend
from tests.contract.registry import covers


@pytest.fixture
def stores(backend: Backend) -> tuple[object, object, object]:
    """(quarantine, lead store, audit trail)."""
    return backend.quarantine, backend.leads, backend.audit


@covers(Quarantine.put, Quarantine.held)
def test_held_items_come_newest_first_with_source_reason_and_payload(stores):
    quarantine, _, _ = stores
    now = time.time()
    quarantine.put("stream:events", "bad record", {"n": 1}, now - 86_400)
    quarantine.put("form:demo", "honeypot", {"email": "x@example.org"}, now)
    held = quarantine.held(10, 30)
    assert [i.source for i in held] == ["form:demo", "stream:events"]
    assert held[0].reason == "honeypot"
    assert held[0].payload == {"email": "x@example.org"}
    assert quarantine.held(1, 30)[0].source == "form:demo"
    assert [i.source for i in quarantine.held(10, 1)] == ["form:demo"]


@covers(Quarantine.get, Quarantine.delete)
def test_an_item_is_found_by_its_ref_and_deleted_once(stores):
    quarantine, _, _ = stores
    quarantine.put("stream:leads", "corrupt", {"k": "v"}, time.time())
    ref = quarantine.held(10, 30)[0].ref
    assert quarantine.get(ref).payload == {"k": "v"}
    quarantine.delete(ref)
    assert quarantine.get(ref) is None
    assert quarantine.held(10, 30) == []
    quarantine.delete(ref)  # gone already: nothing happens


@covers(Quarantine.get, Quarantine.delete)
@pytest.mark.parametrize("ref", ["", "nope", "TEVBRCNMMQpQUk9GSUxF", "%%%", "a" * 400])
def test_a_ref_that_is_not_a_quarantine_ref_finds_nothing(stores, ref):
    quarantine, _, _ = stores
    quarantine.put("stream:leads", "corrupt", {}, time.time())
    assert quarantine.get(ref) is None
    quarantine.delete(ref)
    assert len(quarantine.held(10, 30)) == 1


@covers(AuditTrail.recent, Privacy.audit)
def test_the_audit_trail_reads_what_the_lead_store_audits_newest_first(stores):
    _, leads, trail = stores
    now = time.time()
    leads.audit("erased", "L1", {"who": "admin@trechter.local"}, now - 10)
    leads.audit("access_denied", "L2", {"needed": ["admin"]}, now)
    records = trail.recent(10, 2)
    assert [(r.action, r.lead_id) for r in records] == [("access_denied", "L2"), ("erased", "L1")]
    assert records[0].detail == {"needed": ["admin"]}
    assert len(trail.recent(1, 2)) == 1


@covers(FunnelSeries.daily)
def test_the_funnel_series_sums_each_day_over_its_shards(backend):
    # Given funnel counters on two shards and three days
    from dataclasses import replace

    from tests.contract.test_store_contract import commit_for

    leads = backend.leads
    bumps = [
        ("L1", "2026-11-17", {"entered_lead": 1, "hits": 3}),
        ("L2", "2026-11-17", {"entered_lead": 1, "machine_hits": 2}),
        ("L3", "2026-11-18", {"entered_mql": 1}),
        ("L4", "2026-12-02", {"entered_sql": 1}),
    ]
    for lead_id, day, counters in bumps:
        commit = commit_for(lead_id, 0, funnel={day: counters})
        leads.commit_scoring(replace(commit, lead_id=lead_id))
    series = backend.series
    # When the days of November are read
    days = series.daily("2026-11-01", "2026-11-30")
    # Then each day is summed over the shards, and days outside the range are left out
    assert set(days) == {"2026-11-17", "2026-11-18"}
    assert days["2026-11-17"]["entered_lead"] == 2
    assert days["2026-11-17"]["hits"] == 3 and days["2026-11-17"]["machine_hits"] == 2
    assert days["2026-11-18"]["entered_mql"] == 1


@covers(Quarantine.recent, Quarantine.put)
def test_recent_items_come_newest_first_as_stored_over_the_last_days(stores):
    quarantine, _, _ = stores
    now = time.time()
    first = quarantine.put("stream:events", "bad record", {"n": 1}, now - 86_400)
    second = quarantine.put("form:demo", "honeypot", {"n": 2}, now)
    recent = quarantine.recent(10)
    assert [(i["quarantine_id"], i["source"], i["reason"]) for i in recent] == [
        (second, "form:demo", "honeypot"),
        (first, "stream:events", "bad record"),
    ]
    assert json.loads(recent[0]["payload"]) == {"n": 2}
    assert [i["quarantine_id"] for i in quarantine.recent(1)] == [second]


@covers(AuditTrail.recent)
def test_the_audit_trail_reads_whole_calendar_months_back_from_this_one(stores):
    _, leads, trail = stores
    now = time.time()
    leads.audit("erased", "OLD", {}, now - 62 * 86_400)  # two or three months ago
    leads.audit("exported", "NEW", {"items": (1, 2)}, now)
    assert [r.lead_id for r in trail.recent(10, 1)] == ["NEW"]
    assert [r.lead_id for r in trail.recent(10, 2)] == ["NEW"]
    assert [r.lead_id for r in trail.recent(10, 4)] == ["NEW", "OLD"]
    assert trail.recent(10, 4)[0].detail == {"items": [1, 2]}
