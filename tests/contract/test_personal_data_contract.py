"""``personal_data``: what an export shows, read by the store (no item keys in services)."""

from __future__ import annotations

from chalicelib.adapters.ports import Privacy
from tests.contract.registry import covers
from tests.contract.test_store_contract import commit_for, lead
from tests.support import T0


@covers(Privacy.personal_data)
def test_personal_data_is_the_profile_the_browsers_and_the_hand_overs_without_keys(backend):
    leads = backend.leads
    leads.create_lead(lead())
    leads.link_anonymous_id("aid-b-2", "L1", replace=True)
    leads.link_anonymous_id("aid-a-1", "L1", replace=True)
    leads.commit_scoring(commit_for("L1", 0, score=70, stage="sql"))
    claim = leads.claim_announcement("L1", 1, T0, 60.0)
    assert claim.granted
    leads.mark_announced("L1", 1, "msg-1", T0)

    held = leads.personal_data("L1")

    assert held.profile["lead_id"] == "L1" and held.profile["email"] == "jan@acme.nl"
    assert not {"pk", "sk", "scoring_state"} & set(held.profile)
    assert isinstance(held.profile.get("reasons", []), list)
    assert held.identities == ["aid-a-1", "aid-b-2"]
    [announced] = held.announcements
    assert announced["sk"].startswith("ANNOUNCE#") and announced["message_id"] == "msg-1"
    assert "pk" not in announced


@covers(Privacy.personal_data)
def test_the_profile_an_export_shows_holds_no_index_keys_or_store_bookkeeping(backend):
    leads = backend.leads
    leads.create_lead(lead())
    leads.commit_scoring(commit_for("L1", 0, score=70, stage="sql"))
    profile = leads.personal_data("L1").profile
    assert profile["stage"] == "sql" and profile["score"] == 70
    assert not {
        "stage_pk",
        "stage_sk",
        "list_pk",
        "quiet_pk",
        "score_version",
        "recent_events",
        "scored_only",
    } & set(profile)


@covers(Privacy.personal_data)
def test_personal_data_of_someone_unknown_is_empty(backend):
    leads = backend.leads
    held = leads.personal_data("nobody")
    assert (held.profile, held.identities, held.announcements) == ({}, [], [])
