"""Closed deals from a CRM: recorded for the learner, and moved through the lifecycle.

Each row stands alone: a bad row or an unknown lead is rejected with its index and
reason, the rest are applied. A row is idempotent per (lead, outcome, closed_at):
its id is derived from them, so a CRM may send the same export again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from chalicelib.adapters.ports import OutcomeStore, Profiles, VersionConflict
from chalicelib.domain.clock import parse_instant
from chalicelib.domain.errors import NotFound
from chalicelib.domain.lifecycle import Outcome
from chalicelib.domain.outcomes import DealOutcome
from chalicelib.domain.submissions import FormSubmission, errors_from_validation
from chalicelib.schemas import OutcomeRow, OutcomesRequest, OutcomesResult, RejectedRow
from chalicelib.services.leads import LeadService


class OutcomeService:
    def __init__(
        self,
        leads: Profiles,
        outcomes: OutcomeStore,
        sales: LeadService,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._leads = leads
        self._outcomes = outcomes
        self._sales = sales
        self._clock = clock

    def import_outcomes(self, request: OutcomesRequest) -> OutcomesResult:
        applied = 0
        rejected: list[RejectedRow] = []
        for index, raw in enumerate(request.outcomes):
            problem = self._apply_row(raw)
            if problem is None:
                applied += 1
            else:
                rejected.append(RejectedRow(index=index, message=problem))
        return OutcomesResult(applied=applied, rejected=rejected)

    def _apply_row(self, raw: Any) -> str | None:
        """Apply one row; the reason it was rejected, or None."""
        if not isinstance(raw, dict):
            return "must be an object"
        try:
            row = OutcomeRow.model_validate(raw)
        except ValidationError as error:
            return "; ".join(f"{p.field}: {p.message}" for p in errors_from_validation(error))
        if (row.email is None) == (row.lead_id is None):
            return "email or lead_id: give exactly one"
        lead_id = self._lead_id(row)
        if lead_id is None:
            which = "email" if row.email is not None else "lead_id"
            return f"{which}: no lead is known by this {which.replace('_', ' ')}"
        closed_at = parse_instant(row.closed_at)
        outcome = DealOutcome(
            lead_id=lead_id,
            outcome=row.outcome,
            closed_at=closed_at,
            recorded_at=self._clock(),
            amount=row.amount,
            source=row.source,
        )
        self._outcomes.record(outcome)
        try:
            self._sales.record_outcome(
                lead_id,
                Outcome(row.outcome),
                by=row.source or "crm",
                source="crm",
                event_id=outcome.event_id,
                occurred_at=closed_at,
                details={"closed_at": row.closed_at, "amount": row.amount, "crm": row.source},
                strict=False,
            )
        except NotFound:
            return "lead: erased while the outcome was applied"
        except VersionConflict:
            # Recorded for learning; the lifecycle move is idempotent, so sending it again is safe.
            return "lead: kept changing while the outcome was applied; send the row again"
        return None

    def _lead_id(self, row: OutcomeRow) -> str | None:
        if row.email is not None:
            try:
                email = FormSubmission.model_validate({"email": row.email}).email
            except ValueError:
                return None
            found = self._leads.lead_id_by_email(email) if email else None
            if found is None:
                return None
            lead_id = found
        else:
            assert row.lead_id is not None
            lead_id = row.lead_id
        try:
            return self._sales.view_lead_id(lead_id)
        except NotFound:
            return None
