"""Models as live data: one provider, a bounded cache, rollback, the rescore on the active model."""

from __future__ import annotations

import pytest
import yaml

from chalicelib.adapters.learning import MemoryModelStore
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.scoring.model import DEFAULT_MODEL_PATH, load_scoring_model
from chalicelib.domain.scoring.model import load_scoring_model as _load_packaged
from chalicelib.services.models import (
    ACTIVE_MODEL_TTL_SECONDS,
    ActiveModelProvider,
    ModelService,
)
from tests.support import DIRECTOR, world

PACKAGED = _load_packaged().version


def text(version: str, name_points: int = 5) -> str:
    data = yaml.safe_load(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))
    data["version"] = version
    for rule in data["fit_rules"]:
        if rule["id"] == "complete_name":
            rule["points"] = name_points
    return yaml.safe_dump(data, allow_unicode=True)


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_another_process_sees_a_promotion_within_the_ttl_and_never_later() -> None:
    assert ACTIVE_MODEL_TTL_SECONDS <= 60
    store = MemoryModelStore()
    packaged = load_scoring_model()
    ticks = Ticks()
    other_process = ActiveModelProvider(store, packaged, clock=ticks)
    here = ModelService(store, packaged, DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))
    assert other_process.current().version == PACKAGED
    here.upload(text("2099.1.1"), source="upload", by="anna")
    here.promote("2099.1.1", by="anna")
    ticks.now += ACTIVE_MODEL_TTL_SECONDS - 1
    assert other_process.current().version == PACKAGED  # still cached
    ticks.now += 1
    assert other_process.current().version == "2099.1.1"
    here.promote(PACKAGED, by="bram")  # rolling back
    ticks.now += ACTIVE_MODEL_TTL_SECONDS
    assert other_process.current().version == PACKAGED


def test_a_store_that_cannot_be_read_keeps_the_last_model_scoring() -> None:
    class Broken(MemoryModelStore):
        def active(self):
            raise RuntimeError("throttled")

    ticks = Ticks()
    provider = ActiveModelProvider(Broken(), load_scoring_model(), clock=ticks)
    assert provider.current().version == PACKAGED


def test_versions_are_immutable_and_unknown_ones_cannot_be_promoted() -> None:
    w = world()
    models = w.services.models
    models.upload(text("2099.1.1"), source="upload", by="anna")
    models.upload(text("2099.1.1"), source="upload", by="anna")  # the same: fine
    with pytest.raises(Conflict, match="version"):
        models.upload(text("2099.1.1", name_points=9), source="upload", by="anna")
    with pytest.raises(NotFound):
        models.promote("2099.9.9", by="anna")
    with pytest.raises(InvalidInput) as raised:
        models.upload("version: [", source="upload", by="anna")
    assert raised.value.errors[0].field == "model"
    assert models.active_version() == PACKAGED


def test_every_service_scores_with_the_promoted_model_and_the_rescore_too() -> None:
    w = world()
    w.services.capture.submit_form("whitepaper", DIRECTOR, w.ctx())
    w.pump()
    lead_id = w.leads.lead_id_by_email(DIRECTOR["email"])
    assert w.services.sales.view(lead_id).model_version == PACKAGED
    w.services.models.upload(text("2099.1.1", name_points=30), source="upload", by="a")
    w.services.models.promote("2099.1.1", by="a")
    progress = w.services.rescore.rescore_all()
    assert progress.rescored == 1
    view = w.services.sales.view(lead_id)
    assert view.model_version == "2099.1.1"
    ledger = [e for e in w.leads.ledger(lead_id) if e.model_version == "2099.1.1"]
    assert any(e.rule == "complete_name" and e.points == 30 for e in ledger)
