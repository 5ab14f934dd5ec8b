"""The learner on the in-memory stores: refuses noise, learns the true drivers, keeps time."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from chalicelib.domain.scoring.model import load_scoring_model as _load_packaged
from chalicelib.schemas import OutcomesRequest
from learner.learn import Options, TooFewOutcomes, learn
from tests.population import load, outcome_rows, people
from tests.support import DAY, T0, world

PACKAGED = _load_packaged().version


def trained_world(count: int, seed: int = 7):
    w = world()
    persons = list(people(count, T0 - 200 * DAY, 150, seed, "p"))
    load(w.services, persons)
    w.services.outcomes.import_outcomes(OutcomesRequest(outcomes=outcome_rows(persons)))
    return w, persons


def test_importing_app_loads_neither_numpy_nor_scikit_learn() -> None:
    code = (
        "import sys, app; bad = sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('numpy', 'sklearn', 'scipy', 'learner')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    env = {"TRECHTER_STAGE": "test", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_with_too_few_outcomes_the_learner_refuses_and_says_what_is_missing(tmp_path) -> None:
    w, _ = trained_world(40)
    with pytest.raises(TooFewOutcomes, match=r"at least 30 won and 30 lost"):
        learn(w.services, Options(out_dir=tmp_path), now=T0)
    assert not (tmp_path / "model-proposal.yaml").exists()
    assert w.services.models.active_version() == PACKAGED


def test_the_proposal_learns_the_true_drivers_and_beats_the_default_on_later_deals(
    tmp_path,
) -> None:
    w, _ = trained_world(260)
    result = learn(w.services, Options(out_dir=tmp_path), now=T0)
    backtest = json.loads((tmp_path / "backtest.json").read_text())
    assert set(backtest) >= {"train", "test", "current", "proposed"}
    assert backtest["train"]["leads"] + backtest["test"]["leads"] == 260
    assert set(backtest["proposed"]) == {
        "auc",
        "precision_at_sql",
        "recall_at_sql",
        "top_decile_lift",
    }
    current, proposed = backtest["current"]["auc"], backtest["proposed"]["auc"]
    print(f"test AUC: default model {current:.3f}, proposal {proposed:.3f}")
    assert proposed > current + 0.1
    rules = {r.id: r for r in result.proposal.engagement_rules}
    assert rules["newsletter_subscribe"].points > 10
    assert rules["demo_request"].points < 40
    text = (tmp_path / "model-proposal.yaml").read_text()
    assert result.proposal.version not in (PACKAGED, "")
    assert result.proposal.learned_from["base_version"] == PACKAGED
    assert result.proposal.learned_from["won"] + result.proposal.learned_from["lost"] == 260
    for rule_id in result.candidates:
        assert rule_id in text
        assert rules[rule_id].text["en"] and rules[rule_id].text["nl"]
    # A rule that now predicts a win is a buying signal, with an opener for the call.
    newsletter = rules["newsletter_subscribe"]
    assert newsletter.buying_signal and newsletter.opener["nl"] == (
        "zich op onze nieuwsbrief abonneerde"
    )
    assert not rules["demo_request"].buying_signal
    assert not result.promoted
    assert w.services.models.active_version() == PACKAGED


def test_training_uses_nothing_after_the_split_or_the_deal(tmp_path) -> None:
    from learner.dataset import examples

    w, persons = trained_world(30)
    outcomes = w.services.outcome_store.between(0, T0)
    rows = examples(outcomes, lambda lead_id: w.services.events.history(lead_id))
    for row in rows:
        assert row.history
        assert all(e.occurred_at < row.closed_at for e in row.history)
        assert all(e.type != "sales_feedback" for e in row.history)


def test_a_learned_topic_becomes_a_rule_that_scores_only_that_topic() -> None:
    import yaml

    from chalicelib.domain.scoring.model import DEFAULT_MODEL_PATH, ScoringModel, load_scoring_model
    from chalicelib.domain.scoring.scorer import replay
    from learner.learn import _candidate_rule
    from tests.support import event

    packaged = load_scoring_model()
    rule, dutch = _candidate_rule("topic:itsm", 12, packaged)
    assert (rule["topic"], rule["content_class"], rule["buying_signal"]) == (
        ["itsm"],
        ["article"],
        True,
    )
    assert "itsm" not in dutch and "{topic}" in dutch
    data = yaml.safe_load(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))
    data["engagement_rules"].append({**rule, "text": {"en": rule["text"], "nl": dutch}})
    model = ScoringModel.model_validate(data)
    _, ledger, _ = replay(
        [
            event("page_view", T0, "https://kb.example.nl/articles/itsm/intro", title="Intro"),
            event("page_view", T0 + 60, "https://kb.example.nl/articles/cloud/intro"),
        ],
        model,
        T0 + 120,
    )
    learned = [e for e in ledger if e.rule == rule["id"]]
    assert [(e.points, e.text) for e in learned] == [(12, "Read about itsm: “Intro” on 18 Nov")]


def test_the_lambda_bundle_requirements_name_no_learner_package() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    bundle = (root / "requirements.txt").read_text(encoding="utf-8").lower()
    learner = (root / "learner" / "requirements.txt").read_text(encoding="utf-8").lower()
    for name in ("numpy", "scikit-learn", "scipy"):
        assert f"{name}==" in learner
        assert name not in bundle


def test_the_scheduled_learner_uploads_a_proposal_without_promoting_it(tmp_path) -> None:
    from learner.handler import run

    w, _ = trained_world(260)
    answer = run(w.services, {"out_dir": str(tmp_path)}, now=T0)
    assert answer["learned"] is True and answer["promoted"] is False
    # The proposal is stored as a version for what-if and a later promote; the active stays
    assert w.services.models.get(answer["version"])[1].version == answer["version"]
    assert w.services.models.active_version() == PACKAGED
    assert set(answer["backtest"]) == {"train", "test", "current", "proposed"}


def test_the_scheduled_learner_says_why_it_learned_nothing(tmp_path) -> None:
    from learner.handler import run

    w, _ = trained_world(40)
    answer = run(w.services, {"out_dir": str(tmp_path)}, now=T0)
    assert answer["learned"] is False
    assert "at least 30 won and 30 lost" in answer["reason"]
    assert w.services.models.active_version() == PACKAGED


def test_the_learner_image_installs_both_requirement_files_and_starts_the_handler() -> None:
    import importlib
    import json as _json
    from pathlib import Path

    dockerfile = (Path(__file__).parents[2] / "learner" / "Dockerfile").read_text()
    lines = [line.split() for line in dockerfile.splitlines() if line and not line.startswith("#")]
    assert lines[0] == ["FROM", "public.ecr.aws/lambda/python:3.11"]
    copied = {line[1] for line in lines if line[0] == "COPY"}
    assert {"requirements.txt", "learner/requirements.txt", "chalicelib/", "learner/"} <= copied
    (cmd,) = [line for line in lines if line[0] == "CMD"]
    module, function = _json.loads(" ".join(cmd[1:]))[0].rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module), function))
