"""Lifecycle events on in-memory stores: what each change means, exactly once, in order."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.lifecycle_events import (
    DetailType,
    LeadChange,
    LeadSnapshot,
    Payload,
    crossed,
    lifecycle_events,
)
from chalicelib.schemas import FeedbackRequest
from tests.lifecycle_support import LifecycleHarness, envelope, validate
from tests.support import DAY, DIRECTOR, tracker_body, world
from tests.unit.test_handover import AID, JOURNEY

THRESHOLDS = (25, 50, 100)
EMAIL = {"email": "jan@acme.nl", "first_name": "Jan"}


def snap(stage: str = "lead", score: int = 0, **extra) -> LeadSnapshot:
    values = {"lead_id": "L1", "stage": stage, "score": score, "profile": EMAIL, **extra}
    return LeadSnapshot(**values)


def events_of(before, after, **kw) -> list[str]:
    change = LeadChange("L1", before, after, **kw)
    return [e.detail_type.value for e in lifecycle_events(change, THRESHOLDS, 21)]


# -- the pure rules ----------------------------------------------------------------------


def test_a_new_identified_lead_is_created_once_and_a_visitor_is_nobody_yet():
    assert events_of(None, snap()) == ["Lead Created"]
    assert events_of(snap(), snap(updated_at=5.0)) == []
    assert events_of(None, snap(stage="visitor", profile={})) == []
    assert events_of(snap("visitor"), snap("lead")) == ["Lead Created"]


def test_a_merged_visitor_record_produces_nothing():
    assert events_of(snap(), snap(merged_into="L2")) == []


def test_stage_change_carries_from_to_and_the_reasons():
    reasons = ({"rule": "pricing_view", "points": 10, "text": "Viewed pricing"},)
    change = LeadChange("L1", snap("mql", 40), snap("sql", 40, reasons=reasons, stage_since=9.0))
    (event,) = lifecycle_events(change, THRESHOLDS, 21)
    assert event.detail_type is DetailType.LEAD_STAGE_CHANGED
    assert event.detail["from"] == "mql" and event.detail["to"] == "sql"
    assert event.detail["reasons"] == [{"rule": "pricing_view", "points": 10}]
    validate(envelope(event))
    # The sentences name what the person did: only with the profile.
    (full,) = lifecycle_events(change, THRESHOLDS, 21, Payload.PROFILE)
    assert full.detail["reasons"] == [dict(reasons[0])]
    validate(envelope(full))


@given(
    st.integers(-200, 300),
    st.integers(-200, 300),
    st.lists(st.integers(-100, 200), unique=True).map(sorted),
)
def test_crossing_there_and_back_passes_the_same_thresholds_in_reverse(a, b, thresholds):
    there = crossed(a, b, thresholds)
    back = crossed(b, a, thresholds)
    assert [t for t, _ in there] == [t for t, _ in reversed(back)]
    assert all(d == ("up" if b > a else "down") for _, d in there)
    assert len(there) == sum(1 for t in thresholds if min(a, b) < t <= max(a, b))


def test_a_score_crossing_thresholds_emits_one_event_per_threshold_in_order():
    types = events_of(snap(score=20), snap(score=60))
    assert types == ["Lead Score Crossed", "Lead Score Crossed"]
    change = LeadChange("L1", snap(score=60), snap(score=20))
    assert [
        (e.detail["threshold"], e.detail["direction"])
        for e in lifecycle_events(change, THRESHOLDS, 21)
    ] == [(50, "down"), (25, "down")]


def test_an_outcome_is_recorded_before_the_stage_change_it_causes():
    before = snap("sql", 80)
    after = snap("recycled", 80, sales_status="lost")
    assert events_of(before, after) == ["Sales Outcome Recorded", "Lead Stage Changed"]
    assert events_of(snap("sql"), snap("sql", sales_status="accepted")) == [
        "Sales Outcome Recorded"
    ]
    # The same status again, without a move, records nothing new.
    accepted = snap("sql", sales_status="accepted")
    assert events_of(accepted, accepted) == []
    # Rejected a second time after coming back as an MQL: a new outcome.
    again = events_of(
        snap("mql", sales_status="rejected"), snap("recycled", sales_status="rejected")
    )
    assert again == ["Sales Outcome Recorded", "Lead Stage Changed"]


def test_quiet_is_announced_when_the_spell_starts_and_ends_with_new_engagement():
    engaged = snap(last_engaged_at=100.0)
    quiet = snap(last_engaged_at=100.0, quiet_for=100.0, quiet_at=200.0)
    assert events_of(engaged, quiet) == ["Lead Went Quiet"]
    assert events_of(quiet, snap(last_engaged_at=100.0, quiet_for=100.0, updated_at=300.0)) == []
    back = snap(last_engaged_at=400.0, quiet_for=100.0)
    assert not back.is_quiet
    assert events_of(quiet, back) == []


def test_erasure_is_announced_without_any_personal_data():
    (event,) = lifecycle_events(
        LeadChange("L1", None, None, erased_at=1000.0), THRESHOLDS, 21, Payload.PROFILE
    )
    assert event.detail_type is DetailType.LEAD_ERASED
    assert set(event.detail) == {"version", "event_id", "lead_id", "occurred_at"}
    validate(envelope(event))


def test_event_ids_are_the_same_for_the_same_change():
    change = LeadChange("L1", snap(score=20), snap("mql", 60, updated_at=7.0))
    first = [e.event_id for e in lifecycle_events(change, THRESHOLDS, 21)]
    second = [e.event_id for e in lifecycle_events(change, THRESHOLDS, 21)]
    assert first == second and len(set(first)) == len(first) == 3


# -- the publisher over the leads stream --------------------------------------------------


def qualified(payload: Payload = Payload.IDS) -> tuple[LifecycleHarness, str]:
    h = LifecycleHarness(world(), payload)
    answer = h.world.services.capture.submit_form(
        "whitepaper", {**DIRECTOR, "anonymous_id": AID}, h.world.ctx()
    )
    lead_id = answer.lead_id
    h.pump()
    h.world.services.capture.track(tracker_body(AID, JOURNEY), h.world.ctx())
    h.pump()
    return h, lead_id


def test_a_journey_from_form_to_sql_to_lost_puts_exactly_the_expected_events_in_order():
    h, lead_id = qualified()
    h.world.clock.now += 3600
    h.world.services.sales.feedback(lead_id, FeedbackRequest(outcome="lost", note="budget"))
    h.pump()
    assert h.types(lead_id) == [
        "Lead Created",
        "Lead Score Crossed",
        "Lead Score Crossed",
        "Lead Stage Changed",
        "Lead Score Crossed",
        "Sales Outcome Recorded",
        "Lead Stage Changed",
    ]
    stages = [(e.detail["from"], e.detail["to"]) for e in h.of_type(DetailType.LEAD_STAGE_CHANGED)]
    assert stages == [("lead", "sql"), ("sql", "recycled")]
    (outcome,) = h.of_type(DetailType.SALES_OUTCOME_RECORDED)
    assert outcome.detail["outcome"] == "lost"
    for event in h.bus.events:
        validate(envelope(event))
    published = json.dumps([e.detail for e in h.bus.events]).lower()
    assert "jan" not in published and "acme" not in published


def test_profile_mode_adds_who_the_lead_is_and_still_fits_the_schemas():
    h, _ = qualified(Payload.PROFILE)
    created = h.of_type(DetailType.LEAD_CREATED)[0]
    assert created.detail["profile"]["email"] == DIRECTOR["email"]
    assert created.detail["profile"]["country"] == "NL"
    for event in h.bus.events:
        validate(envelope(event))


def test_stream_redelivery_and_reordering_publish_nothing_twice():
    h, _ = qualified()
    published = list(h.bus.events)
    result = h.deliver(list(reversed(h.records)))
    assert h.bus.events == published
    assert result.published == 0 and result.suppressed == len(published)


def test_a_failed_put_holds_back_the_leads_later_changes_and_the_retry_keeps_the_order():
    h = LifecycleHarness(world())
    h.world.services.capture.submit_form(
        "whitepaper", {**DIRECTOR, "anonymous_id": AID}, h.world.ctx()
    )
    h.world.pump()
    h.world.services.capture.track(tracker_body(AID, JOURNEY), h.world.ctx())
    h.world.pump()
    h.new_records()
    records = h.records
    h.bus.fail_next = 1
    first = h.deliver(records)
    assert len(first.failed) == len(records)  # created failed: everything after it waits
    assert h.bus.events == []
    retry = h.deliver(records)
    assert retry.failed == []
    assert h.types()[0] == "Lead Created"
    assert h.types().count("Lead Created") == 1


def test_a_lease_held_by_another_worker_makes_the_record_retry_later():
    h, lead_id = qualified()
    h.world.clock.now += 60
    h.world.services.sales.feedback(lead_id, FeedbackRequest(outcome="accepted"))
    h.world.pump()
    records = h.new_records()
    (event,) = lifecycle_events(
        __import__("chalicelib.adapters.streams", fromlist=["lead_change"]).lead_change(records[0]),
        THRESHOLDS,
        21,
    )
    key = f"{event.detail_type.value}#{event.event_id}"
    assert h.publications.claim(lead_id, key, h.world.clock.now, 60).granted
    assert h.deliver(records).failed == [records[0]["dynamodb"]["SequenceNumber"]]
    h.world.clock.now += 61
    assert h.deliver(records).failed == []
    assert h.types(lead_id).count("Sales Outcome Recorded") == 1


def test_erasure_emits_lead_erased():
    h, lead_id = qualified()
    h.world.services.sales.erase(lead_id)
    h.deliver(h.new_records())
    assert h.types(lead_id)[-1] == "Lead Erased"
    validate(envelope(h.bus.events[-1]))


# -- went quiet, on a clock we control ----------------------------------------------------


def test_a_lead_quiet_for_the_models_days_goes_quiet_once_and_again_after_new_engagement():
    h, lead_id = qualified()
    quiet_days = h.world.services.model.lifecycle.quiet_days
    h.world.clock.now += (quiet_days - 1) * DAY
    assert h.sweep.run().went_quiet == 0
    h.deliver(h.new_records())
    assert "Lead Went Quiet" not in h.types(lead_id)

    h.world.clock.now += 2 * DAY
    assert h.sweep.run().went_quiet == 1
    h.deliver(h.new_records())
    assert h.sweep.run().went_quiet == 0  # the next hourly sweep: still one spell
    h.world.clock.now += 5 * DAY
    assert h.sweep.run().went_quiet == 0
    h.deliver(h.new_records())
    (quiet,) = h.of_type(DetailType.LEAD_WENT_QUIET)
    assert quiet.detail["quiet_days"] == quiet_days
    validate(envelope(quiet))

    # A new engagement ends the spell; the next quiet spell is announced again.
    h.world.services.capture.track(
        tracker_body(AID, [{"type": "page_view", "url": "https://kb.example.nl/blog/x"}]),
        h.world.ctx(),
    )
    h.pump()
    h.world.clock.now += (quiet_days + 1) * DAY
    assert h.sweep.run().went_quiet == 1
    h.deliver(h.new_records())
    assert len(h.of_type(DetailType.LEAD_WENT_QUIET)) == 2


def test_customers_never_go_quiet():
    h, lead_id = qualified()
    h.world.services.sales.feedback(lead_id, FeedbackRequest(outcome="won"))
    h.pump()
    h.world.clock.now += 100 * DAY
    assert h.sweep.run().went_quiet == 0


@pytest.mark.parametrize("bad", [[50, 25], [25, 25]])
def test_the_model_refuses_unordered_thresholds(bad):
    from chalicelib.domain.scoring.model import Lifecycle

    with pytest.raises(ValueError, match="ascending"):
        Lifecycle(score_thresholds=tuple(bad))


def test_an_unknown_payload_setting_stops_start_up_naming_the_variable():
    from chalicelib.settings import Settings, SettingsError

    environ = {
        "LEADS_TABLE": "leads",
        "EVENTS_TABLE": "events",
        "QUARANTINE_TABLE": "quarantine",
        "IDEMPOTENCY_TABLE": "idempotency",
        "LINK_SIGNING_SECRETS": "a-secret-of-sixteen-chars",
        "API_KEYS": "key",
        "EVENT_BUS_NAME": "trechter-dev-lifecycle",
    }
    assert Settings.from_environ(environ).lifecycle_event_payload == "ids"
    with pytest.raises(SettingsError, match="LIFECYCLE_EVENT_PAYLOAD"):
        Settings.from_environ({**environ, "LIFECYCLE_EVENT_PAYLOAD": "everything"})
    with pytest.raises(SettingsError, match="EVENT_BUS_NAME"):
        Settings.from_environ({**environ, "EVENT_BUS_NAME": "no spaces allowed"})


def test_a_corrupt_lead_record_is_quarantined_and_blocks_nothing():
    h, lead_id = qualified()
    published = len(h.bus.events)
    corrupt = {
        "eventName": "MODIFY",
        "dynamodb": {
            "Keys": {"pk": {"S": "LEAD#broken"}, "sk": {"S": "PROFILE"}},
            "NewImage": {
                "pk": {"S": "LEAD#broken"},
                "sk": {"S": "PROFILE"},
                "lead_id": {"S": "broken"},
                "email": {"S": "x@y.nl"},
                "stage": {"S": "lead"},
                "reasons": {"S": "{not json"},
            },
            "SequenceNumber": "1",
        },
    }
    h.world.services.sales.feedback(lead_id, FeedbackRequest(outcome="accepted"))
    h.world.pump()
    result = h.deliver([corrupt, *h.new_records()])
    assert result.quarantined == 1 and result.failed == []
    assert h.world.quarantine.recent(5)[0]["reason"].startswith("corrupt lead record")
    assert len(h.bus.events) == published + 1  # the accepted outcome still went out


def test_records_of_other_items_and_deletions_mean_nothing():
    from chalicelib.adapters.streams import lead_change

    ledger = {
        "eventName": "INSERT",
        "dynamodb": {"Keys": {"pk": {"S": "LEAD#L1"}, "sk": {"S": "LEDGER#x"}}},
    }
    assert lead_change(ledger) is None
    removed = {
        "eventName": "REMOVE",
        "dynamodb": {
            "Keys": {"pk": {"S": "LEAD#L1"}, "sk": {"S": "PROFILE"}},
            "OldImage": {"lead_id": {"S": "L1"}, "email": {"S": "a@b.nl"}, "stage": {"S": "sql"}},
        },
    }
    change = lead_change(removed)
    assert change is not None and change.after is None
    assert lifecycle_events(change, THRESHOLDS, 21) == []
