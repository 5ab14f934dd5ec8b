"""One contract, two implementations: the in-memory stores and DynamoDB (under moto)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace

import pytest

from chalicelib.adapters.memory import MemoryEventStore, MemoryLeadStore
from chalicelib.adapters.ports import AlreadyApplied, ScoringCommit, VersionConflict
from chalicelib.domain.lead import Lead
from chalicelib.domain.scoring.scorer import LedgerEntry
from chalicelib.domain.scoring.state import CompanyState, LeadScoreState
from tests.support import T0, event


@pytest.fixture(params=["memory", "dynamodb"])
def stores(request) -> Iterator[tuple[object, object]]:
    if request.param == "memory":
        events = MemoryEventStore()
        yield MemoryLeadStore(events), events
        return
    from moto import mock_aws

    os.environ.update(
        AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="eu-west-1"
    )
    with mock_aws():
        import boto3

        from chalicelib.adapters.dynamodb import DynamoEventStore, DynamoLeadStore
        from infra.definitions import dynamodb_tables, table_names

        client = boto3.client("dynamodb", region_name="eu-west-1")
        for kwargs in dynamodb_tables("test"):
            client.create_table(**kwargs)
        names = table_names("test")
        event_store = DynamoEventStore(client, names["events"], 395)
        yield DynamoLeadStore(client, names["leads"], event_store), event_store


def lead(lead_id: str = "L1", email: str = "jan@acme.nl") -> Lead:
    return Lead(
        lead_id=lead_id,
        created_at=T0,
        profile={"email": email, "first_name": "Jan"},
        company_domain="acme.nl",
    )


def commit_for(
    lead_id: str, version: int, score: int = 10, event_ids=("e1",), stage: str = "lead", **extra
) -> ScoringCommit:
    state = LeadScoreState(profile={"email": "jan@acme.nl"}, stage=stage)
    entries = {
        eid: (
            T0,
            [LedgerEntry(eid, "page_view", 1.0, T0, "v1", "engagement", "behaviour", "Visited")],
        )
        for eid in event_ids
    }
    return ScoringCommit(
        lead_id=lead_id,
        expected_version=version,
        state=state,
        stage=stage,
        score=score,
        fit_score=0,
        engagement_score=score,
        reasons=[],
        recommended_channel="email",
        channel_reason="",
        ledger=entries,
        now=T0,
        **extra,
    )


def test_an_email_belongs_to_one_lead(stores):
    leads, _ = stores
    assert leads.create_lead(lead("L1"))
    assert not leads.create_lead(lead("L2"))
    assert leads.lead_id_by_email("JAN@acme.nl") == "L1"
    assert leads.claim_email("jan@acme.nl", "L3") == "L1"


def test_profile_updates_set_new_values_and_never_blank(stores):
    leads, _ = stores
    leads.create_lead(lead())
    merged = leads.update_profile(
        "L1", {"job_title": "CIO", "first_name": ""}, "acme.nl", None, T0 + 1
    )
    assert merged.profile["first_name"] == "Jan"
    assert merged.profile["job_title"] == "CIO"


def test_an_anonymous_id_keeps_its_first_link_unless_replaced(stores):
    leads, _ = stores
    assert leads.link_anonymous_id("aid-12345678", "V1", replace=False) == "V1"
    assert leads.link_anonymous_id("aid-12345678", "V2", replace=False) == "V1"
    assert leads.link_anonymous_id("aid-12345678", "L1", replace=True) == "L1"
    assert leads.anonymous_link("aid-12345678").lead_id == "L1"


def test_scoring_commits_are_optimistic_and_applied_once_per_event(stores):
    leads, events = stores
    leads.commit_scoring(commit_for("L1", 0, event_ids=("e1",)))
    with pytest.raises(VersionConflict):
        leads.commit_scoring(commit_for("L1", 0, event_ids=("e2",)))
    with pytest.raises(AlreadyApplied) as applied:
        leads.commit_scoring(commit_for("L1", 1, event_ids=("e1", "e3")))
    assert applied.value.event_ids == ("e1",)
    leads.commit_scoring(commit_for("L1", 1, event_ids=("e3",)))
    record = leads.get_lead("L1")
    assert record.version == 2
    assert [e.event_id for e in leads.ledger("L1")] == ["e1", "e3"]


def test_commit_writes_timeline_events_company_and_funnel_atomically(stores):
    leads, events = stores
    from chalicelib.adapters.ports import CompanyRecord

    stage_event = event("stage_changed", T0, lead_id="L1", properties={"from": "lead", "to": "mql"})
    company = CompanyRecord(CompanyState("acme.nl", readers={"itsm": {"L1": T0}}), 0)
    leads.commit_scoring(
        commit_for(
            "L1",
            0,
            events=[stage_event],
            company=company,
            funnel={"DAY#2026-11-18": {"entered_mql": 1}, "TOTAL": {"entered_mql": 1}},
            funnel_pk="FUNNEL#00",
        )
    )
    assert [e.type for e in events.timeline("L1", 10)] == ["stage_changed"]
    _, stored = leads.get_for_scoring("L1", "acme.nl")
    assert stored.version == 1 and stored.state.readers == {"itsm": {"L1": T0}}
    days, totals = leads.funnel_counters("2026-11-01", "2026-11-30")
    assert days["entered_mql"] == 1 and totals["entered_mql"] == 1
    with pytest.raises(VersionConflict):
        leads.commit_scoring(commit_for("L1", 1, event_ids=("e9",), company=company))


def test_leads_list_highest_score_first_with_cursor_pages(stores):
    leads, _ = stores
    for i, score in enumerate([5, 50, 20, 80, 1]):
        leads.commit_scoring(
            replace(commit_for(f"L{i}", 0, score=score, event_ids=(f"x{i}",)), stage="sql")
        )
    first = leads.list_leads("sql", 2, None)
    assert [r.lead.lead_id for r in first.items] == ["L3", "L1"]
    second = leads.list_leads("sql", 2, first.next_cursor)
    assert [r.lead.lead_id for r in second.items] == ["L2", "L0"]
    third = leads.list_leads("sql", 2, second.next_cursor)
    assert [r.lead.lead_id for r in third.items] == ["L4"]
    assert third.next_cursor is None or leads.list_leads("sql", 2, third.next_cursor).items == []
    assert leads.list_leads("mql", 10, None).items == []


def _page_through(leads, stage, limit):
    pages, cursor = [], None
    while True:
        page = leads.list_leads(stage, limit, cursor)
        pages.append([r.lead.lead_id for r in page.items])
        cursor = page.next_cursor
        if cursor is None or not page.items:
            return pages


def test_lists_spread_over_shards_page_highest_score_first_across_them(stores):
    from chalicelib.adapters.items import LIST_SHARDS, list_shard

    leads, _ = stores
    # 41 leads over many shards; scores repeat, so ties are broken by lead id.
    scores = {f"S{i:02d}": (i * 37) % 23 for i in range(41)}
    assert len({list_shard(lead_id) for lead_id in scores}) > LIST_SHARDS // 2
    for n, (lead_id, score) in enumerate(scores.items()):
        commit = commit_for(lead_id, 0, score=score, event_ids=(f"s{n}",), stage="sql")
        leads.commit_scoring(commit)
    expected = sorted(scores, key=lambda lead_id: (scores[lead_id], lead_id), reverse=True)
    for stage in ("sql", None):
        for limit in (6, 41):
            pages = _page_through(leads, stage, limit)
            assert [lead_id for page in pages for lead_id in page] == expected
            assert all(len(page) == limit for page in pages[:-1])
    assert leads.list_leads("mql", 10, None).items == []


def test_a_list_cursor_names_each_shards_position_and_refuses_forgeries(stores):
    from chalicelib.adapters.items import decode_list_cursor, encode_cursor

    leads, _ = stores
    for n, score in enumerate([90, 10]):
        leads.commit_scoring(commit_for(f"C{n}", 0, score=score, event_ids=(f"c{n}",), stage="sql"))
    first = leads.list_leads("sql", 1, None)
    position = decode_list_cursor(first.next_cursor)
    assert position.after is not None and position.after.endswith("#C0")
    assert position.done  # shards read to their end are not queried again
    for forged in ("bm90IGEgY3Vyc29y", encode_cursor({"stage_sk": {"S": "DROP TABLE"}})):
        with pytest.raises(ValueError, match="not a cursor this API returned"):
            decode_list_cursor(forged)


def test_leads_written_before_the_lists_were_sharded_are_still_listed_in_order(stores):
    from chalicelib.adapters.items import stage_sort_key

    leads, _ = stores
    leads.commit_scoring(commit_for("NEW", 0, score=30, event_ids=("n1",), stage="sql"))
    old = {  # a profile item as written before sharding: the bare list keys
        "pk": "LEAD#OLD",
        "sk": "PROFILE",
        "lead_id": "OLD",
        "email": "old@acme.nl",
        "stage": "sql",
        "score": 60,
        "stage_pk": "STAGE#sql",
        "stage_sk": stage_sort_key(60, "OLD"),
        "list_pk": "LEADS",
    }
    if isinstance(leads, MemoryLeadStore):
        leads.table.items[("LEAD#OLD", "PROFILE")] = old
    else:
        from chalicelib.adapters.attributes import to_item

        leads._client.put_item(TableName=leads._table, Item=to_item(old))
    for stage in ("sql", None):
        assert _page_through(leads, stage, 1) == [["OLD"], ["NEW"]]
    # Its next scoring write moves it to its shard; it is listed once.
    leads.commit_scoring(commit_for("OLD", 0, score=70, event_ids=("o1",), stage="sql"))
    assert _page_through(leads, "sql", 5) == [["OLD", "NEW"]]


def test_an_announcement_is_claimed_once_and_then_published(stores):
    leads, _ = stores
    assert leads.claim_announcement("L1", 1, T0, 60).granted
    held = leads.claim_announcement("L1", 1, T0 + 1, 60)
    assert (held.granted, held.already_published) == (False, False)
    assert leads.claim_announcement("L1", 1, T0 + 61, 60).granted  # the lease ran out
    leads.mark_announced("L1", 1, "msg-1", T0 + 62)
    done = leads.claim_announcement("L1", 1, T0 + 1000, 60)
    assert (done.granted, done.already_published) == (False, True)
    assert leads.claim_announcement("L1", 2, T0 + 1000, 60).granted


def test_events_timeline_newest_first_and_history_oldest_first(stores):
    _, events = stores
    items = [event("page_view", T0 + i, f"https://x.nl/{i}", lead_id="L1") for i in range(3)]
    events.put_events(items)
    assert [e.url for e in events.timeline("L1", 2)] == ["https://x.nl/2", "https://x.nl/1"]
    assert [e.url for e in events.history("L1")] == [
        "https://x.nl/0",
        "https://x.nl/1",
        "https://x.nl/2",
    ]
    assert events.put_event_if_absent(items[0]) is False
    assert events.move_events("L1", "L2") == 3
    assert list(events.history("L1")) == []
    assert len(list(events.history("L2"))) == 3


def test_erasure_removes_the_partition_and_leaves_tombstones(stores):
    leads, events = stores
    leads.create_lead(lead())
    leads.link_anonymous_id("aid-12345678", "L1", replace=True)
    leads.commit_scoring(commit_for("L1", 0))
    removed = leads.erase("L1", "hash", T0)
    assert removed >= 3
    assert leads.get_lead("L1") is None
    assert leads.lead_id_by_email("jan@acme.nl") is None
    assert leads.anonymous_link("aid-12345678").erased
    assert leads.is_erased_email("hash")
    assert leads.link_anonymous_id("aid-12345678", "V9", replace=True) == ""
    assert leads.ledger("L1") == []


def test_erasing_a_person_leaves_a_shared_browser_that_moved_on_to_someone_else(stores):
    # Given a browser Jan (L1) identified on, which Piet (L2) identified on after him
    leads, _ = stores
    leads.create_lead(lead())
    leads.link_anonymous_id("aid-12345678", "L1", replace=True)
    leads.link_anonymous_id("aid-12345678", "L2", replace=True)
    # When Jan is erased
    leads.erase("L1", "hash", T0)
    # Then the browser still belongs to Piet; Jan's own browsers are tombstoned as before
    link = leads.anonymous_link("aid-12345678")
    assert link is not None and not link.erased and link.lead_id == "L2"


def test_behaviour_ledger_expires_with_the_events_and_fit_ledger_stays(stores):
    leads, _ = stores
    fit = LedgerEntry("f1", "seniority_director", 20.0, T0, "v1", "fit", None, "Director")
    commit = commit_for("L1", 0, event_ids=("e1",))
    commit.ledger["f1"] = (T0, [fit])
    leads.commit_scoring(commit)
    expiry = {
        item["event_id"]: item.get("expires_at")
        for item in leads.export_items("L1")
        if item["sk"].startswith("LEDGER#")
    }
    assert expiry == {"e1": int(T0 + 395 * 86_400), "f1": None}


def test_erasure_takes_the_person_out_of_their_company_state(stores):
    leads, _ = stores
    from chalicelib.adapters.ports import CompanyRecord

    assert leads.get_company("acme.nl").version == 0
    leads.create_lead(lead())
    company = CompanyRecord(CompanyState("acme.nl", readers={"itsm": {"L1": T0, "L2": T0}}), 0)
    leads.commit_scoring(commit_for("L1", 0, company=company))
    leads.erase("L1", None, T0)
    stored = leads.get_company("acme.nl")
    assert stored.state.readers == {"itsm": {"L2": T0}}
    assert stored.version == 2


def test_campaign_counters_add_up_over_their_shards_beside_the_kill_switch(stores):
    leads, _ = stores
    for _ in range(20):
        leads.bump_campaign("nov", "opens")
    leads.bump_campaign("nov", "machine_clicks")
    assert leads.campaign("nov") == {"opens": 20, "machine_clicks": 1}
    leads.set_campaign_disabled("nov", True)
    assert leads.campaign("nov") == {"opens": 20, "machine_clicks": 1, "disabled": True}
    assert leads.campaign("other") == {}


def test_funnel_counts_added_outside_a_commit_are_reported(stores):
    leads, _ = stores
    leads.add_funnel_counts("FUNNEL#03", {"DAY#2026-11-18": {"hits": 4, "machine_hits": 1}})
    leads.add_funnel_counts("FUNNEL#05", {"DAY#2026-11-18": {"hits": 2}, "DAY#2026-11-19": {}})
    days, totals = leads.funnel_counters("2026-11-01", "2026-11-30")
    assert days == {"hits": 6, "machine_hits": 1}
    assert totals == {}
