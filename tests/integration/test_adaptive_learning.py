"""Done when: outcomes import -> learn -> promote, through the public interfaces (the HTTP
API, ``make learn``'s entry point, the stream scorer), ranks new leads better; below the
minimum the learner refuses with exit status 3.

The app runs in-process (chalice.test.Client) on the in-memory stores: moto copies the
whole table on every transaction, so a population of a few hundred leads would take
minutes there. The DynamoDB side of the same routes is tests/integration/test_adaptive_api.py.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator

import pytest
from sklearn.metrics import roc_auc_score

from chalicelib.domain.scoring.model import load_scoring_model
from chalicelib.domain.scoring.model import load_scoring_model as _load_packaged
from chalicelib.domain.scoring.scorer import replay
from learner.__main__ import main as make_learn
from tests.population import load, outcome_rows, people
from tests.support import world

PACKAGED = _load_packaged().version

DAY = 86_400.0
KEY = {"x-api-key": "test-key", "content-type": "application/json"}


@pytest.fixture
def memory_app(monkeypatch) -> Iterator[tuple[object, object]]:
    """The real app and ``make learn``, every get_services() answering in-memory services."""
    from chalice.test import Client

    import app as app_module
    from chalicelib import wiring
    from chalicelib.api import adaptive, admin, public, sales, streams
    from chalicelib.services import container

    w = world()
    w.clock.now = time.time()
    for module in (app_module, adaptive, admin, public, sales, streams, container, wiring):
        monkeypatch.setattr(module, "get_services", lambda: w.services)
    environment = dict(os.environ)  # the tools' use_stage() sets defaults; leave none behind
    with Client(app_module.app) as client:
        yield client, w
    os.environ.clear()
    os.environ.update(environment)


def post(client, path: str, body: object):
    return client.http.post(path, headers=KEY, body=json.dumps(body))


def imported(client, persons) -> None:
    answer = post(client, "/v1/outcomes", {"outcomes": outcome_rows(persons)})
    assert answer.status_code == 200, answer.body
    assert json.loads(answer.body) == {"applied": len(persons), "rejected": []}


def models(client) -> dict:
    return json.loads(client.http.get("/v1/scoring/models", headers=KEY).body)


def test_below_the_minimum_the_learner_refuses_with_exit_status_3(memory_app, tmp_path, capsys):
    client, w = memory_app
    persons = list(people(40, time.time() - 200 * DAY, 150, 3, "few"))
    load(w.services, persons)
    imported(client, persons)
    status = make_learn(["--stage", "test", "--out", str(tmp_path), "--promote"])
    assert status == 3
    assert "at least 30 won and 30 lost" in capsys.readouterr().err
    assert not (tmp_path / "model-proposal.yaml").exists()
    assert [i["source"] for i in models(client)["items"]] == ["packaged"]


def test_learning_from_outcomes_and_promoting_ranks_new_leads_better(memory_app, tmp_path, capsys):
    client, w = memory_app
    now = w.clock.now
    history = list(people(260, now - 220 * DAY, 150, 7, "old"))
    load(w.services, history)
    imported(client, history)

    assert make_learn(["--stage", "test", "--out", str(tmp_path), "--promote"]) == 0
    said = capsys.readouterr().out
    assert "promoted" in said and "not promoted" not in said, said
    listed = models(client)
    assert listed["active"] != PACKAGED
    active = next(i for i in listed["items"] if i["version"] == listed["active"])
    assert (active["promoted_by"], active["source"]) == ("make learn", "learned")
    backtest = json.loads((tmp_path / "backtest.json").read_text())
    assert backtest["proposed"]["auc"] > backtest["current"]["auc"]

    # New leads, never trained on, scored by the stream scorer under the promoted model.
    fresh = list(people(150, now - 20 * DAY, 10, 99, "new"))
    load(w.services, fresh)
    labels = [p.won for p in fresh]
    live = []
    for person in fresh:
        answer = client.http.get(f"/v1/leads/{person.lead.lead_id}", headers=KEY)
        lead = json.loads(answer.body)
        assert lead["model_version"] == listed["active"]
        live.append(lead["score"])
    packaged = load_scoring_model()
    default = []
    for person in fresh:
        state, _, _ = replay(person.events, packaged, now)
        default.append(state.fit_total + state.engagement_at(now, packaged.half_lives_seconds))
    auc_default = roc_auc_score(labels, default)
    auc_learned = roc_auc_score(labels, live)
    print(f"AUC on 150 new leads: default model {auc_default:.3f}, learned {auc_learned:.3f}")
    assert auc_learned > auc_default + 0.1


def test_make_outcomes_sends_a_crm_csv_through_the_same_service(memory_app, tmp_path, capsys):
    from infra.outcomes import main as make_outcomes

    client, w = memory_app
    persons = list(people(3, time.time() - 30 * DAY, 10, 21, "csv"))
    load(w.services, persons)
    deals = tmp_path / "deals.csv"
    deals.write_text(
        "email,outcome,closed_at,amount\n"
        f'{persons[0].email},won,2026-11-20T10:00:00Z,"1.234,50"\n'
        f"{persons[1].email.upper()},Lost,2026-11-21,\n"
        "nobody@nowhere.nl,won,2026-11-21,10\n"
        f"{persons[2].email},maybe,2026-11-21,10\n",
        encoding="utf-8",
    )
    assert make_outcomes(["--stage", "test", "--file", str(deals)]) == 1
    said = capsys.readouterr().out
    assert "line 4: email: no lead is known" in said
    assert "line 5: outcome:" in said
    assert "2 outcome(s) applied, 2 rejected" in said
    stored = w.services.outcome_store.between(0, time.time())
    assert sorted((o.outcome, o.amount) for o in stored) == [("lost", None), ("won", 1234.5)]
    won = json.loads(client.http.get(f"/v1/leads/{persons[0].lead.lead_id}", headers=KEY).body)
    assert won["stage"] == "customer"
    (tmp_path / "bad.csv").write_text("name,result\nx,y\n", encoding="utf-8")
    assert make_outcomes(["--stage", "test", "--file", str(tmp_path / "bad.csv")]) == 2


def test_what_if_through_the_api_pages_with_a_cursor(memory_app, monkeypatch):
    from chalicelib.domain.clock import iso
    from chalicelib.services import whatif

    monkeypatch.setattr(whatif, "CHUNK", 7)
    client, w = memory_app
    load(w.services, list(people(30, time.time() - 40 * DAY, 20, 11, "wi")))
    body = {"version": PACKAGED, "from": iso(time.time() - 60 * DAY), "to": iso(time.time())}
    pages = 0
    while True:
        answer = post(client, "/v1/scoring/what-if", body)
        assert answer.status_code == 200, answer.body
        page = json.loads(answer.body)
        pages += 1
        if page["done"]:
            break
        body["cursor"] = page["next_cursor"]
    assert pages == 5
    assert page["affected_leads"] == 30 and page["changes_total"] == 0
    bad = post(client, "/v1/scoring/what-if", {**body, "to": "soon"})
    assert bad.status_code == 422
    assert json.loads(bad.body)["errors"][0]["field"] == "to"
