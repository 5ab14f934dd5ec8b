"""What-if: replays a period under a candidate model in memory, in chunks, writing nothing."""

from __future__ import annotations

import copy

import pytest
import yaml

from chalicelib.domain.clock import iso
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.scoring.model import DEFAULT_MODEL_PATH
from chalicelib.domain.scoring.model import load_scoring_model as _load_packaged
from chalicelib.schemas import OutcomesRequest, WhatIfRequest
from chalicelib.services import whatif
from tests.population import load, outcome_rows, people
from tests.support import DAY, T0, world

PACKAGED = _load_packaged().version


def strict_sql_model() -> dict:
    data = yaml.safe_load(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))
    data["version"] = "what-if-1"
    data["stages"]["sql"]["min_engagement"] = 500
    return data


def populated(count: int = 40):
    w = world()
    persons = list(people(count, T0 - 60 * DAY, 30, 5, "w"))
    load(w.services, persons)
    w.services.outcomes.import_outcomes(OutcomesRequest(outcomes=outcome_rows(persons)))
    return w, persons


def everything(w) -> list:
    return [
        w.leads.contents(),
        copy.deepcopy(w.events.table.items),
        copy.deepcopy(w.services.outcome_store.items),  # type: ignore[attr-defined]
        copy.deepcopy(w.services.model_store.models),  # type: ignore[attr-defined]
        w.services.model_store.current,  # type: ignore[attr-defined]
    ]


def run_all(w, **fields) -> list:
    answers, cursor = [], None
    while True:
        answer = w.services.what_if.run(WhatIfRequest.model_validate({**fields, "cursor": cursor}))
        answers.append(answer)
        if answer.done:
            return answers
        cursor = answer.next_cursor


def test_what_if_writes_nothing_and_reports_who_would_stop_being_sql(monkeypatch) -> None:
    monkeypatch.setattr(whatif, "CHUNK", 7)
    w, persons = populated()
    w.services.models.active_version()  # the packaged model is stored before we look
    before = everything(w)
    answers = run_all(w, model=strict_sql_model(), **{"from": iso(T0 - 90 * DAY), "to": iso(T0)})
    assert everything(w) == before
    assert len(answers) > 1 and all(not a.done for a in answers[:-1])
    last = answers[-1]
    assert last.leads_seen == last.affected_leads == len(persons)
    assert sum(last.current.values()) == sum(last.candidate.values()) == len(persons)
    assert last.candidate["sql"] == 0
    stopped = [c for a in answers for c in a.changes]
    assert len(stopped) == last.changes_total == last.current["sql"] > 0
    assert all(c.change == "stops_sql" and c.reasons for c in stopped)
    assert last.sql_precision_candidate.precision is None
    assert last.sql_precision_current.sql_leads_with_outcome == last.current["sql"]
    assert w.services.model_store.get_version("what-if-1") is None  # type: ignore[attr-defined]


def test_the_same_model_changes_nothing_and_a_period_without_events_affects_no_one() -> None:
    w, persons = populated(12)
    same = run_all(w, version=PACKAGED, **{"from": iso(T0 - 90 * DAY), "to": iso(T0)})[-1]
    assert same.changes_total == 0 and same.current == same.candidate
    later = run_all(w, version=PACKAGED, **{"from": iso(T0 + DAY), "to": iso(T0 + 2 * DAY)})
    assert later[-1].affected_leads == 0 and later[-1].leads_seen == len(persons)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"from": "2026-11-01", "to": "2026-11-02"}, "version"),
        (
            {"version": PACKAGED, "model": {}, "from": "2026-11-01", "to": "2026-11-02"},
            "version",
        ),
        ({"version": PACKAGED, "from": "yesterday", "to": "2026-11-02"}, "from"),
        ({"version": PACKAGED, "from": "2026-11-03", "to": "2026-11-02"}, "to"),
        ({"model": {"version": "x"}, "from": "2026-11-01", "to": "2026-11-02"}, "model"),
        (
            {"version": PACKAGED, "from": "2026-11-01", "to": "2026-11-02", "cursor": "abc"},
            "cursor",
        ),
    ],
)
def test_bad_what_if_requests_name_the_field(fields, field) -> None:
    w = world()
    with pytest.raises(InvalidInput) as raised:
        w.services.what_if.run(WhatIfRequest.model_validate(fields))
    assert field in {e.field for e in raised.value.errors}


def test_a_what_if_cursor_carrying_a_forged_list_position_names_the_cursor(monkeypatch) -> None:
    import base64
    import json

    monkeypatch.setattr(whatif, "CHUNK", 3)
    w, _ = populated(8)
    fields = {"version": PACKAGED, "from": iso(T0 - 90 * DAY), "to": iso(T0)}
    first = w.services.what_if.run(WhatIfRequest.model_validate(fields))
    assert first.next_cursor is not None
    totals = json.loads(base64.urlsafe_b64decode(first.next_cursor))
    # A well-formed page key, but not a list position this API issued
    totals["page"] = base64.urlsafe_b64encode(b'{"pk":{"S":"LEAD#x"}}').decode()
    forged = base64.urlsafe_b64encode(json.dumps(totals).encode()).decode()
    with pytest.raises(InvalidInput) as raised:
        w.services.what_if.run(WhatIfRequest.model_validate({**fields, "cursor": forged}))
    assert [e.field for e in raised.value.errors] == ["cursor"]
