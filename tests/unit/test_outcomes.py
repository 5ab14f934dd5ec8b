"""CRM outcomes: per-row results, idempotence, the lifecycle move where the stage allows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.clock import iso
from chalicelib.schemas import OutcomesRequest
from tests.support import DAY, DIRECTOR, STUDENT, T0, world


def imported(w, *rows):
    return w.services.outcomes.import_outcomes(OutcomesRequest(outcomes=list(rows)))


def known_lead(w, profile=DIRECTOR, form="whitepaper"):
    w.services.capture.submit_form(form, profile, w.ctx())
    w.pump()
    return w.leads.lead_id_by_email(profile["email"])


def test_a_won_deal_makes_the_lead_a_customer_and_shows_on_its_timeline() -> None:
    w = world()
    lead_id = known_lead(w)
    result = imported(
        w,
        {"email": "Jan.Jansen@ACME.nl", "outcome": "won", "closed_at": iso(T0), "amount": 1200},
    )
    assert (result.applied, result.rejected) == (1, [])
    view = w.services.sales.view(lead_id)
    assert view.stage == "customer"
    deal = next(e for e in view.timeline if e.type == "sales_feedback")
    assert deal.source == "crm"
    assert deal.properties["outcome"] == "won"
    assert deal.properties["amount"] == 1200
    (stored,) = w.services.outcome_store.between(T0 - DAY, T0 + DAY)
    assert (stored.lead_id, stored.outcome, stored.amount) == (lead_id, "won", 1200)


def test_a_lost_deal_the_stage_does_not_allow_is_still_recorded_for_learning() -> None:
    w = world()
    lead_id = known_lead(w, STUDENT)
    assert w.services.sales.view(lead_id).stage == "lead"
    result = imported(w, {"lead_id": lead_id, "outcome": "lost", "closed_at": iso(T0)})
    assert result.applied == 1
    view = w.services.sales.view(lead_id)
    assert view.stage == "lead"
    deal = next(e for e in view.timeline if e.type == "sales_feedback")
    assert deal.properties["stage_before"] == deal.properties["stage_after"] == "lead"
    assert len(w.services.outcome_store.between(T0 - DAY, T0 + DAY)) == 1


def test_the_same_export_sent_twice_records_each_deal_once() -> None:
    w = world()
    lead_id = known_lead(w)
    row = {"lead_id": lead_id, "outcome": "won", "closed_at": "2026-11-10T09:00:00Z"}
    imported(w, row)
    w.clock.now += 60
    again = imported(w, row)
    assert again.applied == 1
    view = w.services.sales.view(lead_id)
    assert sum(1 for e in view.timeline if e.type == "sales_feedback") == 1
    assert sum(1 for e in view.timeline if e.type == "stage_changed" and e.source == "sales") == 1
    assert len(w.services.outcome_store.between(T0 - 30 * DAY, T0 + DAY)) == 1


def test_unknown_leads_and_bad_rows_are_rejected_alone() -> None:
    w = world()
    lead_id = known_lead(w)
    result = imported(
        w,
        {"email": "nobody@example.nl", "outcome": "won", "closed_at": iso(T0)},
        {"lead_id": lead_id, "outcome": "maybe", "closed_at": iso(T0)},
        {"lead_id": lead_id, "outcome": "won", "closed_at": "last tuesday"},
        {"outcome": "won", "closed_at": iso(T0)},
        "not a row",
        {"lead_id": lead_id, "outcome": "won", "closed_at": iso(T0), "amount": -5},
        {"lead_id": lead_id, "outcome": "won", "closed_at": iso(T0)},
    )
    assert result.applied == 1
    messages = {r.index: r.message for r in result.rejected}
    assert sorted(messages) == [0, 1, 2, 3, 4, 5]
    assert messages[0].startswith("email:")
    assert messages[1].startswith("outcome:")
    assert messages[2].startswith("closed_at:")
    assert "email or lead_id" in messages[3]
    assert messages[5].startswith("amount:")
    assert w.services.sales.view(lead_id).stage == "customer"


def test_an_envelope_over_1000_rows_is_refused_naming_the_field() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="outcomes"):
        OutcomesRequest(outcomes=[{}] * 1001)


def test_sales_feedback_still_refuses_an_outcome_the_stage_does_not_allow() -> None:
    from chalicelib.domain.errors import Conflict
    from chalicelib.schemas import FeedbackRequest

    w = world()
    lead_id = known_lead(w, STUDENT)
    with pytest.raises(Conflict):
        w.services.sales.feedback(lead_id, FeedbackRequest(outcome="lost"))


def test_a_lead_that_keeps_changing_rejects_only_its_row_and_a_resend_applies_it(
    monkeypatch,
) -> None:
    from chalicelib.adapters.ports import VersionConflict

    w = world()
    first = known_lead(w)
    second = known_lead(w, STUDENT)
    real = w.services.sales.record_outcome

    def busy(lead_id, *args, **kwargs):
        if lead_id == first:
            raise VersionConflict("busy")
        return real(lead_id, *args, **kwargs)

    monkeypatch.setattr(w.services.sales, "record_outcome", busy)
    rows = [
        {"lead_id": first, "outcome": "won", "closed_at": iso(T0)},
        {"lead_id": second, "outcome": "won", "closed_at": iso(T0)},
    ]
    result = imported(w, *rows)
    assert result.applied == 1
    assert [r.index for r in result.rejected] == [0]
    assert "send the row again" in result.rejected[0].message
    monkeypatch.setattr(w.services.sales, "record_outcome", real)
    assert imported(w, *rows).applied == 2
    assert w.services.sales.view(first).stage == "customer"


@given(
    first=st.floats(min_value=0, max_value=4_000_000_000),
    span=st.floats(min_value=0, max_value=3 * 365 * DAY),
    fraction=st.floats(min_value=0, max_value=1),
)
def test_every_moment_of_a_period_falls_in_one_of_the_months_read(first, span, fraction) -> None:
    from chalicelib.domain.outcomes import month_of, months_between

    months = months_between(first, first + span)
    assert month_of(first + span * fraction) in months
    assert months == sorted(set(months))


def test_a_persons_deals_are_in_their_export_and_gone_with_their_erasure() -> None:
    w = world()
    lead_id = known_lead(w)
    other = known_lead(w, STUDENT)
    imported(
        w,
        {"lead_id": lead_id, "outcome": "won", "closed_at": iso(T0), "amount": 1200},
        {"lead_id": other, "outcome": "lost", "closed_at": iso(T0)},
    )
    export = w.services.sales.export(lead_id)
    assert export.deals == [
        {"outcome": "won", "closed_at": iso(T0), "amount": 1200, "source": None}
    ]
    assert export.headings["deals"] == "Deals won or lost"
    w.services.sales.erase(lead_id)
    # The learner no longer trains on the erased person's deal; the other one stays.
    assert [o.lead_id for o in w.services.outcome_store.between(T0 - DAY, T0 + DAY)] == [other]
    assert w.services.outcome_store.of_lead(lead_id) == []
