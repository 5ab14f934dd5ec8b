"""The outcome and model-version stores: one contract, in memory and on DynamoDB (moto)."""

from __future__ import annotations

import pytest

from chalicelib.adapters.learning import ModelStore, OutcomeStore, StoredModel
from chalicelib.domain.outcomes import DealOutcome
from tests.contract.conftest import Backend
from tests.contract.registry import covers
from tests.support import DAY, T0


@pytest.fixture
def stores(backend: Backend) -> tuple[object, object]:
    """(outcome store, model store) of one backend."""
    return backend.outcomes, backend.models


def deal(lead_id: str, outcome: str, closed_at: float, amount: float | None = None) -> DealOutcome:
    return DealOutcome(lead_id, outcome, closed_at, recorded_at=T0, amount=amount, source="crm")


@covers(OutcomeStore.record, OutcomeStore.between)
def test_an_outcome_is_recorded_once_per_lead_outcome_and_close_time(stores) -> None:
    outcomes, _ = stores
    assert outcomes.record(deal("L1", "won", T0, 1200.5)) is True
    assert outcomes.record(deal("L1", "won", T0, 1200.5)) is False
    assert outcomes.record(deal("L1", "lost", T0)) is True
    assert outcomes.record(deal("L1", "won", T0 + 60)) is True
    assert len(outcomes.between(T0 - DAY, T0 + DAY)) == 3


@covers(OutcomeStore.between)
def test_outcomes_are_read_by_period_across_months_oldest_first(stores) -> None:
    outcomes, _ = stores
    for index, day in enumerate((-70, -40, -10, -1, 5)):
        outcomes.record(deal(f"L{index}", "won" if index % 2 else "lost", T0 + day * DAY))
    found = outcomes.between(T0 - 45 * DAY, T0)
    assert [o.lead_id for o in found] == ["L1", "L2", "L3"]
    assert found[0] == deal("L1", "won", T0 - 40 * DAY)
    assert [o.lead_id for o in outcomes.between(T0 - 100 * DAY, T0 + 100 * DAY)] == [
        "L0",
        "L1",
        "L2",
        "L3",
        "L4",
    ]


@covers(OutcomeStore.record, OutcomeStore.between)
def test_the_amount_and_source_survive_the_round_trip(stores) -> None:
    outcomes, _ = stores
    outcomes.record(deal("L9", "won", T0, 9999.99))
    (found,) = outcomes.between(T0, T0)
    assert found.amount == pytest.approx(9999.99)
    assert found.source == "crm"


@covers(OutcomeStore.record, OutcomeStore.of_lead)
def test_a_leads_deals_read_back_oldest_first_and_no_one_elses(stores) -> None:
    outcomes, _ = stores
    outcomes.record(deal("L1", "lost", T0 + 40 * DAY))
    outcomes.record(deal("L1", "won", T0, 1200.5))
    outcomes.record(deal("L1", "won", T0, 1200.5))  # recorded before: no second copy
    outcomes.record(deal("L2", "won", T0))
    assert outcomes.of_lead("L1") == [
        deal("L1", "won", T0, 1200.5),
        deal("L1", "lost", T0 + 40 * DAY),
    ]
    assert outcomes.of_lead("nobody") == []


@covers(OutcomeStore.forget, OutcomeStore.of_lead, OutcomeStore.between)
def test_forgetting_a_lead_removes_its_deals_from_every_period_and_leaves_the_rest(
    stores,
) -> None:
    outcomes, _ = stores
    outcomes.record(deal("L1", "won", T0))
    outcomes.record(deal("L1", "lost", T0 + 40 * DAY))
    outcomes.record(deal("L2", "won", T0))
    assert outcomes.forget("L1") == 2
    assert outcomes.of_lead("L1") == []
    assert [o.lead_id for o in outcomes.between(T0 - DAY, T0 + 50 * DAY)] == ["L2"]
    assert outcomes.forget("L1") == 0
    assert outcomes.record(deal("L1", "won", T0)) is True  # a new act may record it again


def version(name: str, text: str = "version: x") -> StoredModel:
    return StoredModel(version=name, text=text, source="upload", created_at=T0, created_by="me")


@covers(ModelStore.put_version, ModelStore.get_version)
def test_a_model_version_is_stored_once_and_read_back_as_sent(stores) -> None:
    _, models = stores
    assert models.put_version(version("2026.12.1", "version: '2026.12.1'\n# nl: zin")) is True
    assert models.put_version(version("2026.12.1", "other")) is False
    stored = models.get_version("2026.12.1")
    assert stored.text == "version: '2026.12.1'\n# nl: zin"
    assert (stored.source, stored.created_by, stored.promoted_at) == ("upload", "me", None)
    assert models.get_version("nope") is None


@covers(ModelStore.promote, ModelStore.active, ModelStore.versions)
def test_promotion_records_who_and_when_and_rolling_back_is_promoting_again(stores) -> None:
    _, models = stores
    assert models.active() is None
    models.put_version(version("v1"))
    models.put_version(version("v2"))
    assert models.promote("v2", "anna", T0) is True
    assert models.active().version == "v2"
    assert models.promote("v1", "bram", T0 + 60) is True
    active = models.active()
    assert (active.version, active.promoted_by, active.promoted_at) == ("v1", "bram", T0 + 60)
    listed = {m.version: m for m in models.versions()}
    assert [m.version for m in models.versions()] == ["v1", "v2"]
    assert (listed["v2"].promoted_by, listed["v2"].promoted_at) == ("anna", T0)


@covers(ModelStore.promote)
def test_promoting_an_unknown_version_changes_nothing(stores) -> None:
    _, models = stores
    models.put_version(version("v1"))
    models.promote("v1", "anna", T0)
    assert models.promote("v9", "bram", T0 + 1) is False
    assert models.active().version == "v1"
    assert models.get_version("v9") is None
