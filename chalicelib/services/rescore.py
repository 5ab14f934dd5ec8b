"""Rescore: replay leads' events under a (new) model version.

Safe while events keep arriving: a lead is rewritten with the same conditional
version check the stream scorer uses, so a concurrent stream write makes the
rescore of that lead start over. Resumable: it walks the lead list in score
order with a cursor and skips leads already on the target model version.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from chalicelib.adapters.ports import (
    EventStore,
    LeadLists,
    LeadRecord,
    Profiles,
    ScoreStates,
)
from chalicelib.domain.scoring.model import ScoringModel
from chalicelib.domain.scoring.scorer import LedgerEntry, replay
from chalicelib.services.models import ModelProvider, provider_of
from chalicelib.services.scoring import scoring_commit
from chalicelib.services.updates import Change, LeadUpdates


@dataclass(slots=True)
class RescoreProgress:
    rescored: int = 0
    skipped: int = 0
    cursor: str | None = None


class RescoreLeads(Profiles, ScoreStates, LeadLists, Protocol):
    """The lead-store ports RescoreService uses."""


class RescoreService:
    def __init__(
        self,
        model: ScoringModel | ModelProvider,
        leads: RescoreLeads,
        events: EventStore,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._models = provider_of(model)
        self._leads = leads
        self._events = events
        self._clock = clock
        self._updates = LeadUpdates(lambda commit: leads.commit_scoring(commit))

    @property
    def _model(self) -> ScoringModel:
        """The model to score with now (the active one; see services/models.py)."""
        return self._models.current()

    def rescore_lead(self, lead_id: str) -> bool:
        """Replay one lead under the current model; False if it does not exist."""

        def apply(record: LeadRecord | None) -> Change[bool]:
            if record is None or record.erased or record.merged_into:
                return Change(None, False)
            history = sorted(
                self._events.history(lead_id), key=lambda e: (e.occurred_at, e.event_id)
            )
            state, ledger, _transitions = replay(history, self._model, self._clock())
            self._leads.write_replayed_ledger(
                lead_id, self._model.version, [replace(e, replayed=True) for e in ledger]
            )
            # Lifecycle set by sales is not the scorer's to undo; qualifications keep counting.
            previous = record.state
            state.sales_status = previous.sales_status
            state.qualifications = max(state.qualifications, previous.qualifications)
            if previous.stage in ("sql", "customer", "recycled") and state.stage != "sql":
                state.stage, state.stage_since = previous.stage, previous.stage_since
            now = self._clock()
            marker = LedgerEntry(
                f"rescore-{int(now)}",
                "rescore",
                0.0,
                now,
                self._model.version,
                "outcome",
                None,
                f"Rescored under model {self._model.version}",
            )
            commit = scoring_commit(
                lead_id,
                record.version,
                state,
                self._model,
                now,
                {marker.event_id: (now, [marker])},
                before=record,
            )
            return Change(commit, True)

        return self._updates.update(
            lambda: self._leads.get_lead(lead_id), apply, what=f"lead {lead_id}"
        )

    def rescore_all(
        self,
        stage: str | None = None,
        cursor: str | None = None,
        page_size: int = 100,
        on_page: Callable[[RescoreProgress], None] | None = None,
    ) -> RescoreProgress:
        """Rescore every lead (optionally one stage), resuming from ``cursor``."""
        progress = RescoreProgress(cursor=cursor)
        while True:
            page = self._leads.list_leads(stage, page_size, progress.cursor)
            for record in page.items:
                if record.lead.model_version == self._model.version:
                    progress.skipped += 1
                    continue
                if self.rescore_lead(record.lead.lead_id):
                    progress.rescored += 1
            progress.cursor = page.next_cursor
            if on_page is not None:
                on_page(progress)
            if page.next_cursor is None:
                return progress
