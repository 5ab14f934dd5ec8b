"""One contract, two implementations: the in-memory stores and DynamoDB (under moto)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.adapters.ports import (
    FUNNEL_TOTAL,
    AlreadyApplied,
    Announcements,
    Campaigns,
    Counters,
    EventStore,
    LeadLists,
    Privacy,
    Profiles,
    ScoreStates,
    ScoringCommit,
    VersionConflict,
)
from chalicelib.domain.errors import NotFound
from chalicelib.domain.lead import Lead
from chalicelib.domain.scoring.scorer import LedgerEntry
from chalicelib.domain.scoring.state import CompanyState, LeadScoreState
from tests.contract.conftest import Backend
from tests.contract.registry import covers
from tests.support import T0, event


@pytest.fixture
def stores(backend: Backend) -> tuple[object, object]:
    """(lead store, event store) of one backend."""
    return backend.leads, backend.events


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
        recommended_channel="email",
        ledger=entries,
        now=T0,
        **extra,
    )


@covers(Profiles.create_lead, Profiles.lead_id_by_email, Profiles.claim_email)
def test_an_email_belongs_to_one_lead(stores):
    leads, _ = stores
    assert leads.create_lead(lead("L1"))
    assert not leads.create_lead(lead("L2"))
    assert leads.lead_id_by_email("JAN@acme.nl") == "L1"
    assert leads.claim_email("jan@acme.nl", "L3") == "L1"


@covers(Profiles.update_profile)
def test_profile_updates_set_new_values_and_never_blank(stores):
    leads, _ = stores
    leads.create_lead(lead())
    merged = leads.update_profile(
        "L1", {"job_title": "CIO", "first_name": ""}, "acme.nl", None, T0 + 1
    )
    assert merged.profile["first_name"] == "Jan"
    assert merged.profile["job_title"] == "CIO"


@covers(Profiles.link_anonymous_id, Profiles.anonymous_link)
def test_an_anonymous_id_keeps_its_first_link_unless_replaced(stores):
    leads, _ = stores
    assert leads.link_anonymous_id("aid-12345678", "V1", replace=False) == "V1"
    assert leads.link_anonymous_id("aid-12345678", "V2", replace=False) == "V1"
    assert leads.link_anonymous_id("aid-12345678", "L1", replace=True) == "L1"
    assert leads.anonymous_link("aid-12345678").lead_id == "L1"


@covers(ScoreStates.commit_scoring, ScoreStates.ledger, Profiles.get_lead)
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


@covers(ScoreStates.commit_scoring, ScoreStates.get_for_scoring, Counters.funnel_counters)
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
            funnel={"2026-11-18": {"entered_mql": 1}, FUNNEL_TOTAL: {"entered_mql": 1}},
        )
    )
    assert [e.type for e in events.timeline("L1", 10)] == ["stage_changed"]
    _, stored = leads.get_for_scoring("L1", "acme.nl")
    assert stored.version == 1 and stored.state.readers == {"itsm": {"L1": T0}}
    days, totals = leads.funnel_counters("2026-11-01", "2026-11-30")
    assert days["entered_mql"] == 1 and totals["entered_mql"] == 1
    with pytest.raises(VersionConflict):
        leads.commit_scoring(commit_for("L1", 1, event_ids=("e9",), company=company))


@covers(LeadLists.list_leads)
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


@covers(LeadLists.list_leads)
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


@covers(LeadLists.list_leads)
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


@covers(LeadLists.list_leads)
def test_leads_written_before_the_lists_were_sharded_are_still_listed_in_order(backend):
    from chalicelib.adapters.items import stage_sort_key

    leads = backend.leads
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
    backend.put_lead_item(old)
    for stage in ("sql", None):
        assert _page_through(leads, stage, 1) == [["OLD"], ["NEW"]]
    # Its next scoring write moves it to its shard; it is listed once.
    leads.commit_scoring(commit_for("OLD", 0, score=70, event_ids=("o1",), stage="sql"))
    assert _page_through(leads, "sql", 5) == [["OLD", "NEW"]]


@covers(Announcements.claim_announcement, Announcements.mark_announced)
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


@covers(
    EventStore.put_events,
    EventStore.put_event_if_absent,
    EventStore.timeline,
    EventStore.history,
    EventStore.move_events,
)
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


@covers(Privacy.erase, Privacy.is_erased_email)
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


@covers(Privacy.erase)
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


@covers(Privacy.export_items)
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


@covers(Privacy.erase, ScoreStates.get_company)
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


@covers(Campaigns.bump_campaign, Campaigns.campaign, Campaigns.set_campaign_disabled)
def test_campaign_counters_add_up_over_their_shards_beside_the_kill_switch(stores):
    leads, _ = stores
    for _ in range(20):
        leads.bump_campaign("nov", "opens")
    leads.bump_campaign("nov", "machine_clicks")
    assert leads.campaign("nov") == {"opens": 20, "machine_clicks": 1}
    leads.set_campaign_disabled("nov", True)
    assert leads.campaign("nov") == {"opens": 20, "machine_clicks": 1, "disabled": True}
    assert leads.campaign("other") == {}


@covers(Counters.add_funnel_counts, Counters.funnel_counters)
def test_funnel_counts_added_outside_a_commit_are_reported(stores):
    leads, _ = stores
    leads.add_funnel_counts("L3", {"2026-11-18": {"hits": 4, "machine_hits": 1}})
    leads.add_funnel_counts("L5", {"2026-11-18": {"hits": 2}, "2026-11-19": {}})
    days, totals = leads.funnel_counters("2026-11-01", "2026-11-30")
    assert days == {"hits": 6, "machine_hits": 1}
    assert totals == {}


@covers(Counters.add_funnel_counts, Counters.funnel_counters)
def test_a_stream_batch_counted_again_on_the_same_counters_counts_once(stores):
    leads, _ = stores
    days = {"2026-11-18": {"hits": 3}, "2026-11-19": {"hits": 1, "machine_hits": 1}}
    leads.add_funnel_counts("b1", days, batch="b1")
    leads.add_funnel_counts("b1", days, batch="b1")  # delivered again
    leads.add_funnel_counts("b2", {"2026-11-18": {"hits": 2}}, batch="b2")
    assert leads.funnel_counters("2026-11-18", "2026-11-18")[0] == {"hits": 5}
    assert leads.funnel_counters("2026-11-01", "2026-11-30")[0] == {
        "hits": 6,
        "machine_hits": 1,
    }


@covers(Profiles.get_lead, Profiles.anonymous_link, ScoreStates.get_for_scoring)
def test_an_unknown_lead_company_or_browser_reads_as_absent(stores):
    leads, _ = stores
    assert leads.get_lead("nobody") is None
    assert leads.anonymous_link("aid-unknown") is None
    assert leads.lead_id_by_email("nobody@acme.nl") is None
    assert leads.get_for_scoring("nobody", None) == (None, None)
    _, company = leads.get_for_scoring("nobody", "acme.nl")
    assert (company.version, company.state.domain) == (0, "acme.nl")


@covers(Profiles.create_lead, Profiles.get_lead)
def test_a_new_lead_reads_back_with_profile_company_and_first_stage(stores):
    leads, _ = stores
    leads.create_lead(lead())
    record = leads.get_lead("L1")
    assert record.lead.profile == {"email": "jan@acme.nl", "first_name": "Jan"}
    assert record.lead.company_domain == "acme.nl"
    assert (record.lead.stage.value, record.version, record.merged_into, record.erased) == (
        "lead",
        0,
        None,
        False,
    )
    assert [r.lead.lead_id for r in leads.list_leads("lead", 10, None).items] == ["L1"]


@covers(Profiles.set_consent)
def test_consent_is_recorded_and_replaced_but_never_on_an_erased_lead(stores):
    leads, _ = stores
    leads.create_lead(lead())
    given = {"granted": True, "at": T0, "form_id": "demo", "page_url": "https://x.nl/demo"}
    leads.set_consent("L1", {**given, "text_version": "v1"}, T0 + 1)
    consent = leads.get_lead("L1").lead.consent
    assert (consent.granted, consent.form_id, consent.text_version) == (True, "demo", "v1")
    leads.set_consent("L1", {"granted": False, "at": T0 + 2, "page_url": None}, T0 + 2)
    consent = leads.get_lead("L1").lead.consent
    assert (consent.granted, consent.at, consent.form_id, consent.page_url) == (
        False,
        T0 + 2,
        None,
        None,
    )
    leads.erase("L1", None, T0 + 3)
    with pytest.raises(NotFound, match="lead_id"):
        leads.set_consent("L1", given, T0 + 4)
    assert not [i for i in leads.export_items("L1") if "consent" in i]


@covers(Profiles.mark_merged)
def test_a_merged_visitor_points_at_its_lead_leaves_the_lists_and_takes_no_more_scoring(
    stores,
):
    leads, _ = stores
    leads.commit_scoring(commit_for("V1", 0, score=40, stage="sql"))
    assert [r.lead.lead_id for r in leads.list_leads("sql", 10, None).items] == ["V1"]
    leads.mark_merged("V1", "L1", T0 + 5)
    record = leads.get_lead("V1")
    assert record.merged_into == "L1" and record.lead.updated_at == T0 + 5
    assert leads.list_leads("sql", 10, None).items == []
    assert leads.list_leads(None, 10, None).items == []
    with pytest.raises(VersionConflict):
        leads.commit_scoring(commit_for("V1", 1, event_ids=("e2",), stage="sql"))


@covers(ScoreStates.write_replayed_ledger, ScoreStates.ledger)
def test_a_replayed_ledger_is_kept_per_model_version_beside_the_streamed_one(stores):
    leads, _ = stores
    leads.commit_scoring(commit_for("L1", 0, event_ids=("e1",)))
    replayed = [
        LedgerEntry("e1", "page_view", 2.0, T0, "v2", "engagement", "behaviour", "Visited", True),
        LedgerEntry("e2", "pricing", 5.0, T0 + 1, "v2", "engagement", "behaviour", "Pricing", True),
        LedgerEntry("e2", "repeat", 1.0, T0 + 1, "v2", "engagement", "behaviour", "Again", True),
    ]
    leads.write_replayed_ledger("L1", "v2", replayed)
    leads.write_replayed_ledger("L1", "v2", replayed)  # a rescore run again overwrites
    entries = leads.ledger("L1")
    assert [(e.event_id, e.model_version) for e in entries] == [
        ("e1", "v1"),
        ("e1", "v2"),
        ("e2", "v2"),
        ("e2", "v2"),
    ]
    assert entries[1:] == replayed
    leads.erase("L1", None, T0 + 2)
    assert leads.ledger("L1") == []


@covers(Privacy.is_erased_email, Privacy.clear_erased_email)
def test_an_erased_email_stays_marked_until_cleared(stores):
    leads, _ = stores
    leads.create_lead(lead())
    assert not leads.is_erased_email("hash")
    leads.erase("L1", "hash", T0)
    assert leads.is_erased_email("hash") and not leads.is_erased_email("other")
    leads.clear_erased_email("hash")
    assert not leads.is_erased_email("hash")
    leads.clear_erased_email("hash")  # cleared already: nothing happens
    assert leads.create_lead(lead("L2"))


@covers(Privacy.export_items)
def test_an_export_holds_every_item_of_the_lead_and_nothing_of_others(stores):
    leads, _ = stores
    leads.create_lead(lead())
    leads.create_lead(lead("L2", "piet@acme.nl"))
    leads.link_anonymous_id("aid-12345678", "L1", replace=True)
    leads.commit_scoring(commit_for("L1", 0, event_ids=("e1",)))
    leads.claim_announcement("L1", 1, T0, 60)
    items = leads.export_items("L1")
    kinds = sorted(str(i["sk"]).split("#")[0] for i in items)
    assert kinds == ["ALIAS", "ANNOUNCE", "LEDGER", "PROFILE"]
    profile = next(i for i in items if i["sk"] == "PROFILE")
    assert (profile["lead_id"], profile["email"]) == ("L1", "jan@acme.nl")
    assert leads.export_items("nobody") == []


@covers(Privacy.audit)
def test_an_audit_record_keeps_action_lead_and_detail_outside_the_leads_partition(backend):
    backend.leads.audit("exported", "L1", {"who": "anna", "items": 3}, T0)
    assert backend.leads.export_items("L1") == []
    assert backend.leads.get_lead("L1") is None


@covers(EventStore.delete_events)
def test_deleting_a_leads_events_counts_them_and_leaves_other_leads_events(stores):
    _, events = stores
    events.put_events([event("page_view", T0 + i, lead_id="L1") for i in range(3)])
    events.put_events([event("page_view", T0, lead_id="L2")])
    assert events.delete_events("L1") == 3
    assert list(events.history("L1")) == [] and events.timeline("L1", 10) == []
    assert len(list(events.history("L2"))) == 1
    assert events.delete_events("L1") == 0


@covers(EventStore.put_events, EventStore.put_event_if_absent)
def test_an_event_is_stored_once_under_its_id_whatever_the_number_of_writes(stores):
    _, events = stores
    one = event("page_view", T0, "https://x.nl/a", lead_id="L1")
    events.put_events([one])
    events.put_events([one])
    assert events.put_event_if_absent(replace(one, url="https://x.nl/b")) is False
    assert [e.url for e in events.history("L1")] == ["https://x.nl/a"]
    other = event("form_submit", T0 + 1, lead_id="L1")
    assert events.put_event_if_absent(other) is True
    assert [e.type for e in events.timeline("L1", 10)] == [other.type, one.type]
    events.put_events([event("page_view", T0 + 2 + i, lead_id="L1") for i in range(30)])
    assert len(list(events.history("L1"))) == 32


@covers(Profiles.update_profile)
def test_a_profile_update_makes_a_visitor_item_and_is_refused_once_the_lead_is_erased(stores):
    leads, _ = stores
    visitor = leads.update_profile("V1", {"first_name": "Kim"}, None, None, T0)
    assert (visitor.lead_id, visitor.profile, visitor.created_at) == (
        "V1",
        {"first_name": "Kim"},
        T0,
    )
    leads.create_lead(lead())
    leads.erase("L1", None, T0 + 1)
    with pytest.raises(NotFound, match="lead_id"):
        leads.update_profile("L1", {"first_name": "Jan"}, "acme.nl", None, T0 + 2)
    assert leads.get_lead("L1") is None
    assert [i for i in leads.export_items("L1") if "first_name" in i] == []


@covers(Privacy.erase)
def test_an_erasure_counts_the_partition_items_and_the_email_claim_it_removed(stores):
    leads, _ = stores
    leads.create_lead(lead())
    leads.link_anonymous_id("aid-12345678", "L1", replace=True)
    leads.commit_scoring(commit_for("L1", 0, event_ids=("e1", "e2")))
    # profile, alias, two ledger items, and the e-mail claim
    assert leads.erase("L1", "hash", T0) == 5
    assert leads.erase("L1", "hash", T0 + 1) == 1  # only the tombstone was left
    assert leads.erase("nobody", None, T0) == 0


@covers(Announcements.claim_announcement, Announcements.mark_announced, Privacy.export_items)
def test_an_exported_announcement_shows_its_attempts_first_claim_and_message(stores):
    leads, _ = stores
    leads.claim_announcement("L1", 1, T0, 60)
    leads.claim_announcement("L1", 1, T0 + 61, 60)  # the first worker's lease ran out
    leads.mark_announced("L1", 1, "msg-1", T0 + 62)
    (item,) = leads.export_items("L1")
    assert item["sk"] == "ANNOUNCE#000001"
    assert {k: item[k] for k in item if k not in ("pk", "sk")} == {
        "status": "published",
        "claimed_until": T0 + 121,
        "attempts": 2,
        "created_at": T0,
        "message_id": "msg-1",
        "published_at": T0 + 62,
    }


@covers(EventStore.put_events, EventStore.history, EventStore.timeline)
def test_an_event_reads_back_exactly_as_it_was_written(stores):
    _, events = stores
    written = [
        event(
            "form_submit",
            T0,
            "https://x.nl/demo?utm_source=nb",
            title="Demo",
            properties={"fields": ["email"], "ratio": 0.5, "nested": {"a": [1, None]}},
            anonymous_id="aid-12345678",
            campaign_id="nov",
            message_id="m1",
            form_id="demo",
            form_kind="demo_request",
            profile={"email": "jan@acme.nl", "first_name": "Jan"},
            referrer="https://www.google.com/",
        ),
        event("page_view", T0 + 1, "https://x.nl/", machine=True),
    ]
    events.put_events(written)
    assert list(events.history("L1")) == written
    assert events.timeline("L1", 10) == written[::-1]
