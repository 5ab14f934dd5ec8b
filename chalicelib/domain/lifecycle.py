"""Sales feedback moves a lead on, or back into nurturing."""

from __future__ import annotations

from enum import StrEnum

from chalicelib.domain.errors import Conflict
from chalicelib.domain.lead import Stage
from chalicelib.domain.scoring.scorer import StageTransition, move_stage
from chalicelib.domain.scoring.state import LeadScoreState


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    WON = "won"
    LOST = "lost"


_ALLOWED_FROM: dict[Outcome, frozenset[str]] = {
    Outcome.ACCEPTED: frozenset({Stage.SQL}),
    Outcome.REJECTED: frozenset({Stage.SQL, Stage.MQL}),
    Outcome.LOST: frozenset({Stage.SQL, Stage.MQL}),
    Outcome.WON: frozenset({Stage.LEAD, Stage.MQL, Stage.SQL, Stage.RECYCLED, Stage.CUSTOMER}),
}


def apply_feedback(
    state: LeadScoreState, outcome: Outcome, at: float, note: str | None
) -> StageTransition | None:
    """Apply sales feedback to a (cloned) state.

    ``accepted`` keeps ``sql`` and records acceptance; ``rejected`` and ``lost``
    recycle the lead (it must show a new buying signal to qualify again); ``won``
    makes a customer.

    Raises
    ------
    Conflict
        when the feedback does not fit the lead's stage (e.g. accepting a visitor).
    """
    if state.stage not in _ALLOWED_FROM[outcome]:
        raise Conflict(f"outcome '{outcome}' does not apply to a lead in stage '{state.stage}'")
    suffix = f": {note}" if note else ""
    state.sales_status = outcome.value
    if outcome is Outcome.ACCEPTED:
        return None
    if outcome is Outcome.WON:
        return move_stage(state, Stage.CUSTOMER, at, f"sales reported the deal won{suffix}")
    state.signals_since_recycle = 0
    return move_stage(state, Stage.RECYCLED, at, f"sales reported {outcome.value}{suffix}")
