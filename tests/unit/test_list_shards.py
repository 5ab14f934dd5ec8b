"""The sharded lead lists: any page size walks every lead once, highest score first."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.adapters.items import LIST_SHARDS, list_shard, score_list_pk, stage_list_pk
from chalicelib.adapters.memory import MemoryEventStore, MemoryLeadStore
from tests.contract.test_store_contract import _page_through, commit_for


def test_a_leads_list_keys_carry_its_stable_shard():
    assert stage_list_pk("sql", "L1") == f"STAGE#sql#{list_shard('L1'):02d}"
    assert score_list_pk("L1") == f"LEADS#{list_shard('L1'):02d}"
    assert list_shard("L1") == list_shard("L1") < LIST_SHARDS


@settings(max_examples=40, deadline=None)
@given(
    scores=st.lists(st.integers(min_value=-50, max_value=200), min_size=0, max_size=60),
    limit=st.integers(min_value=1, max_value=30),
)
def test_paging_any_limit_lists_every_lead_once_highest_score_first(scores, limit):
    leads = MemoryLeadStore(MemoryEventStore())
    for n, score in enumerate(scores):
        leads.commit_scoring(commit_for(f"P{n}", 0, score=score, event_ids=(f"p{n}",), stage="mql"))
    expected = sorted(
        (f"P{n}" for n in range(len(scores))),
        key=lambda lead_id: (scores[int(lead_id[1:])], lead_id),
        reverse=True,
    )
    pages = _page_through(leads, "mql", limit)
    assert [lead_id for page in pages for lead_id in page] == expected
    assert all(len(page) == limit for page in pages[:-1])
