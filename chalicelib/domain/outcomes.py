"""Closed deals reported by a CRM: what the learner learns from.

An outcome belongs to a lead, says ``won`` or ``lost`` and when the deal closed.
The same (lead, outcome, closed_at) reported twice is one outcome: its id is
derived from those three values.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

WON = "won"
LOST = "lost"


@dataclass(frozen=True, slots=True)
class DealOutcome:
    """One closed deal of one lead."""

    lead_id: str
    outcome: str  # "won" or "lost"
    closed_at: float
    recorded_at: float
    amount: float | None = None
    source: str | None = None

    @property
    def event_id(self) -> str:
        return outcome_event_id(self.lead_id, self.outcome, self.closed_at)

    @property
    def won(self) -> bool:
        return self.outcome == WON


def outcome_event_id(lead_id: str, outcome: str, closed_at: float) -> str:
    """The deterministic id of an outcome (and of its timeline event and ledger item)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"outcome:{lead_id}:{outcome}:{closed_at:.3f}").hex


def month_of(epoch: float) -> str:
    """'2026-11': the partition an outcome closed at ``epoch`` is stored under."""
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m")


def months_between(first: float, last: float) -> list[str]:
    """Every month from the one holding ``first`` to the one holding ``last``."""
    start = datetime.fromtimestamp(first, tz=UTC)
    end = datetime.fromtimestamp(max(first, last), tz=UTC)
    year, month = start.year, start.month
    months = []
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
