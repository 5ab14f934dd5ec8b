"""What-if: what a candidate model would change, replayed in memory, writing nothing.

For every lead with events in the period, its history up to the period's end is
replayed under the active and the candidate model (the pure ``replay``); the
answer counts stages under both, lists the leads that would become or stop being
MQL or SQL (the first 100, with the candidate's or the current model's reasons)
and the SQL precision of both against the outcomes the CRM reported.

One request handles one chunk of leads (``CHUNK``): the answer carries the
running totals and a ``next_cursor`` to send back with the same request until
``done``. No request ever grows with the size of the period.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from chalicelib.adapters.ports import EventStore, LeadLists, OutcomeStore
from chalicelib.domain.clock import EventTimeError, parse_instant
from chalicelib.domain.errors import FieldError, InvalidCursor, InvalidInput
from chalicelib.domain.scoring.explain import reasons
from chalicelib.domain.scoring.model import ScoringModel
from chalicelib.domain.scoring.scorer import NEVER_SCORED, replay
from chalicelib.schemas import WhatIfChange, WhatIfPrecision, WhatIfRequest, WhatIfResult
from chalicelib.services.models import ModelProvider, ModelService, validate_model_text

CHUNK = 50
MAX_CHANGES = 100
MAX_PERIOD_DAYS = 400
FOREIGN_CURSOR = "not a cursor this what-if returned for the same request"
STAGES = ("visitor", "lead", "mql", "sql", "customer", "recycled")


class WhatIfService:
    def __init__(
        self,
        leads: LeadLists,
        events: EventStore,
        outcomes: OutcomeStore,
        models: ModelService,
        active: ModelProvider,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._leads = leads
        self._events = events
        self._outcomes = outcomes
        self._models = models
        self._active = active
        self._clock = clock

    def run(self, request: WhatIfRequest) -> WhatIfResult:
        """One chunk of a what-if; pass ``next_cursor`` back until ``done``.

        Raises
        ------
        InvalidInput
            no or two models, an unreadable period or cursor, an invalid model.
        NotFound
            no such stored version.
        """
        first, last = self._period(request)
        candidate = self._candidate(request)
        current = self._active.current()
        fingerprint = _fingerprint(request, candidate)
        totals = self._totals(request.cursor, fingerprint)
        try:
            page = self._leads.list_leads(None, CHUNK, totals["page"])
        except InvalidCursor:
            raise InvalidInput([FieldError("cursor", FOREIGN_CURSOR)]) from None
        outcomes = {o.lead_id: o.won for o in self._outcomes.between(first, self._clock())}
        changes: list[WhatIfChange] = []
        for record in page.items:
            if record.merged_into or record.erased:
                continue
            totals["seen"] += 1
            history = sorted(
                (
                    e
                    for e in self._events.history(record.lead.lead_id)
                    if e.occurred_at <= last and e.type not in NEVER_SCORED
                ),
                key=lambda e: (e.occurred_at, e.event_id),
            )
            if not any(e.occurred_at >= first for e in history):
                continue
            totals["affected"] += 1
            before, _, _ = replay(history, current, last)
            after, _, _ = replay(history, candidate, last)
            totals["current"][before.stage] = totals["current"].get(before.stage, 0) + 1
            totals["candidate"][after.stage] = totals["candidate"].get(after.stage, 0) + 1
            won = outcomes.get(record.lead.lead_id)
            for side, state in (("pc", before), ("pk", after)):
                if state.stage == "sql" and won is not None:
                    totals[side][0] += 1
                    totals[side][1] += int(won)
            change = _change(before.stage, after.stage)
            if change is None:
                continue
            totals["changes"] += 1
            if totals["listed"] < MAX_CHANGES:
                totals["listed"] += 1
                explained = after if change.startswith("becomes") else before
                model = candidate if change.startswith("becomes") else current
                changes.append(
                    WhatIfChange(
                        lead_id=record.lead.lead_id,
                        current_stage=before.stage,
                        candidate_stage=after.stage,
                        change=change,
                        reasons=[r.text for r in reasons(explained, model, last)][:5],
                    )
                )
        totals["page"] = page.next_cursor
        done = page.next_cursor is None
        return WhatIfResult(
            model_version=candidate.version,
            active_version=current.version,
            done=done,
            next_cursor=None if done else _encode(totals),
            leads_seen=totals["seen"],
            affected_leads=totals["affected"],
            current=_counts(totals["current"]),
            candidate=_counts(totals["candidate"]),
            changes=changes,
            changes_total=totals["changes"],
            sql_precision_current=_precision(totals["pc"]),
            sql_precision_candidate=_precision(totals["pk"]),
        )

    def _candidate(self, request: WhatIfRequest) -> ScoringModel:
        if (request.version is None) == (request.model is None):
            raise InvalidInput([FieldError("version", "give either version or model")])
        if request.version is not None:
            return self._models.get(request.version)[1]
        return validate_model_text(json.dumps(request.model))

    @staticmethod
    def _period(request: WhatIfRequest) -> tuple[float, float]:
        problems, values = [], {}
        for name, text in (("from", request.from_), ("to", request.to)):
            try:
                values[name] = parse_instant(text)
            except EventTimeError as error:
                problems.append(FieldError(name, str(error)))
        if problems:
            raise InvalidInput(problems)
        first, last = values["from"], values["to"]
        if last < first:
            raise InvalidInput([FieldError("to", "must not be before from")])
        if last - first > MAX_PERIOD_DAYS * 86_400:
            raise InvalidInput([FieldError("to", f"the period is at most {MAX_PERIOD_DAYS} days")])
        return first, last

    @staticmethod
    def _totals(cursor: str | None, fingerprint: str) -> dict[str, Any]:
        if cursor is None:
            return {
                "f": fingerprint,
                "page": None,
                "seen": 0,
                "affected": 0,
                "changes": 0,
                "listed": 0,
                "current": {},
                "candidate": {},
                "pc": [0, 0],
                "pk": [0, 0],
            }
        try:
            totals = json.loads(base64.urlsafe_b64decode(cursor.encode()))
            valid = _valid_totals(totals, fingerprint)
        except (ValueError, TypeError, KeyError):
            valid = False
        if not valid:
            raise InvalidInput([FieldError("cursor", FOREIGN_CURSOR)])
        return dict(totals)


def _valid_totals(totals: Any, fingerprint: str) -> bool:
    """Whether decoded cursor totals have the shape this service writes, for this request."""
    if not isinstance(totals, dict) or totals.get("f") != fingerprint:
        return False
    numbers = [totals[k] for k in ("seen", "affected", "changes", "listed")]
    numbers += [*totals["pc"], *totals["pk"]]
    counts = [totals["current"], totals["candidate"]]
    return (
        all(isinstance(n, int) and n >= 0 for n in numbers)
        and len(totals["pc"]) == len(totals["pk"]) == 2
        and all(isinstance(c, dict) and all(k in STAGES for k in c) for c in counts)
        and all(isinstance(v, int) for c in counts for v in c.values())
        # The lead list's own cursor, opaque here: the store refuses one it did not issue.
        and (totals["page"] is None or isinstance(totals["page"], str))
    )


def _fingerprint(request: WhatIfRequest, candidate: ScoringModel) -> str:
    text = json.dumps([request.from_, request.to, candidate.version, request.version is None])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _encode(totals: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(totals, separators=(",", ":")).encode()).decode()


def _counts(found: dict[str, int]) -> dict[str, int]:
    return {stage: int(found.get(stage, 0)) for stage in STAGES}


def _precision(tally: list[int]) -> WhatIfPrecision:
    with_outcome, won = int(tally[0]), int(tally[1])
    return WhatIfPrecision(
        sql_leads_with_outcome=with_outcome,
        won=won,
        precision=round(won / with_outcome, 4) if with_outcome else None,
    )


def _change(before: str, after: str) -> str | None:
    if after == "sql" and before != "sql":
        return "becomes_sql"
    if before == "sql" and after != "sql":
        return "stops_sql"
    if after == "mql" and before != "mql":
        return "becomes_mql"
    if before == "mql" and after != "mql":
        return "stops_mql"
    return None
