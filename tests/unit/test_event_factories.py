"""Events are built in one place (``domain/events.py``): same ids and fields as before."""

from __future__ import annotations

import uuid

from chalicelib.domain.events import (
    EventType,
    account_signal_event,
    identity_linked_event,
    stage_change_event,
    system_event,
    tracked_event,
    tracker_event_id,
)
from chalicelib.domain.scoring.scorer import AccountSurge, StageTransition
from tests.support import T0


def _uuid5(text: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, text).hex


def test_a_stage_change_has_the_id_a_retried_commit_writes_again():
    move = StageTransition("mql", "sql", T0, "asked for a demo")
    by_system = stage_change_event("L1", move)
    by_sales = stage_change_event("L1", move, by="anna")
    assert by_system.event_id == by_sales.event_id == _uuid5(f"stage:L1:mql:sql:{T0}")
    assert (by_system.source, by_sales.source) == ("system", "sales")
    assert by_system.type == EventType.STAGE_CHANGED
    assert by_system.occurred_at == by_system.received_at == T0
    assert by_system.properties == {"from": "mql", "to": "sql", "reason": "asked for a demo"}
    assert by_sales.properties["by"] == "anna"


def test_an_account_signal_has_one_id_per_surge_window_and_colleague():
    surge = AccountSurge("acme.nl", "pricing", 3, 2926, ("L2", "L3"), T0, "L3")
    event = account_signal_event(surge, "L2")
    assert event.event_id == _uuid5("account:acme.nl:pricing:2926:L2")
    assert account_signal_event(surge, "L2") == event
    assert (event.lead_id, event.type, event.source) == ("L2", "account_signal", "system")
    assert event.properties == {
        "domain": "acme.nl",
        "topic": "pricing",
        "readers": 3,
        "hierarchy": True,
        "senior_lead_id": "L3",
    }


def test_a_tracker_event_naming_its_own_id_keeps_one_id_for_every_retry():
    assert tracker_event_id("aid-1", "e-9") == _uuid5("tracker:aid-1:e-9")


def test_an_event_from_outside_gets_a_fresh_id_unless_it_names_one():
    first = tracked_event("L1", EventType.PAGE_VIEW, T0 - 5, T0, "tracker", url="https://kb/a")
    second = tracked_event("L1", EventType.PAGE_VIEW, T0 - 5, T0, "tracker", url="https://kb/a")
    named = tracked_event("L1", EventType.PAGE_VIEW, T0, T0, "pixel", event_id="fixed")
    assert first.event_id != second.event_id and len(first.event_id) == 32
    assert named.event_id == "fixed"
    assert (first.occurred_at, first.received_at, first.source) == (T0 - 5, T0, "tracker")


def test_a_system_event_happened_when_it_was_recorded():
    event = system_event("L1", EventType.CONSENT_CHANGED, T0, {"granted": False}, source="api")
    assert event.occurred_at == event.received_at == T0
    assert (event.source, event.properties) == ("api", {"granted": False})


def test_an_identity_link_names_the_browser_and_the_merged_visitor_only_when_there_is_one():
    plain = identity_linked_event("L1", T0, "aid-1", "linked")
    merged = identity_linked_event("L1", T0, "aid-1", "merged", merge_from="V9", source="segment")
    assert plain.properties == {"anonymous_id": "aid-1", "outcome": "linked"}
    assert merged.properties["merge_from"] == "V9" and merged.source == "segment"
    assert plain.anonymous_id == "aid-1" and plain.type == EventType.IDENTITY_LINKED
