"""Event time and identity decisions."""

from __future__ import annotations

import pytest

from chalicelib.domain.clock import EventTimeError, event_time, parse_instant
from chalicelib.domain.identity import IdentityOutcome, KnownLead, company_domain, decide_identity

NOW = 1_795_000_000.0


def test_sender_clock_skew_is_cancelled_by_sent_at():
    # Given a browser clock 1 hour fast: it says the event was 5 s before sending
    sent_at, ts = NOW + 3600, NOW + 3595
    # Then the event happened 5 s before the server received it
    assert event_time(NOW, ts, sent_at) == NOW - 5


def test_events_older_than_400_days_are_refused():
    with pytest.raises(EventTimeError, match="400 days"):
        event_time(NOW, NOW - 401 * 86_400, None)


def test_events_in_the_future_are_refused():
    with pytest.raises(EventTimeError, match="future"):
        event_time(NOW, NOW + 3600, None)


def test_unreadable_time_is_refused():
    with pytest.raises(EventTimeError):
        parse_instant("yesterday")


def test_company_domain_is_the_registered_domain():
    assert company_domain("jan@mail.acme.co.uk") == "acme.co.uk"
    assert company_domain("jan@Acme.NL") == "acme.nl"


def test_new_email_without_browser_history_is_a_new_lead():
    assert decide_identity(None, None).outcome is IdentityOutcome.NEW_LEAD


def test_anonymous_visitor_becomes_the_lead_keeping_its_older_id():
    decision = decide_identity(None, KnownLead("V1", identified=False))
    assert (decision.outcome, decision.lead_id) == (IdentityOutcome.VISITOR_IDENTIFIED, "V1")


def test_anonymous_visitor_of_a_known_lead_is_merged_into_it():
    decision = decide_identity(KnownLead("L1", True), KnownLead("V1", False))
    assert (decision.outcome, decision.lead_id, decision.merge_from) == (
        IdentityOutcome.VISITOR_MERGED,
        "L1",
        "V1",
    )


def test_two_identified_leads_are_never_merged_and_the_browser_goes_to_the_last_one():
    # Issue 11: a shared browser credits the person who identified last (HubSpot's rule)
    decision = decide_identity(KnownLead("L2", True), KnownLead("L1", True))
    assert decision.outcome is IdentityOutcome.SHARED_DEVICE
    assert decision.lead_id == "L2"
    assert decision.merge_from is None
    assert decision.link_anonymous_id is True
    assert decision.switched_from == "L1"


def test_a_new_person_on_a_known_persons_browser_becomes_a_new_lead_owning_it():
    decision = decide_identity(None, KnownLead("L1", True))
    assert (decision.outcome, decision.lead_id, decision.merge_from) == (
        IdentityOutcome.SHARED_DEVICE,
        None,
        None,
    )
    assert (decision.link_anonymous_id, decision.switched_from) == (True, "L1")
