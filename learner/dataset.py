"""One row per lead with an outcome: features as of a cut-off before the outcome.

Pure Python on the domain (no numpy): the rows are built by replaying the lead's
own history before the cut-off through the scorer (``replay``), so nothing that
happened after the cut-off, the outcome included, can leak into a row.

Features (each a decayed count: a hit ``d`` days before the cut-off counts
0.5^(d / half-life), so recency is in the number the way the scorer sees it):

- ``fit:<rule>``: 1 when the fit rule matched the profile at the cut-off;
- ``rule:<rule>``: the engagement rule's hits (its caps applied, as scored);
- ``class:<content class>``, ``topic:<topic>``, ``event:<type>``, ``form:<kind>``:
  the raw signals the rules are made of, at most 3 each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from chalicelib.domain.events import EventType, TrackingEvent
from chalicelib.domain.outcomes import DealOutcome
from chalicelib.domain.scoring.model import ScoringModel
from chalicelib.domain.scoring.scorer import NEVER_SCORED, is_complete, replay
from chalicelib.domain.scoring.state import LeadScoreState

RAW_CAP = 3.0
RAW_PREFIXES = ("class:", "topic:", "event:", "form:")


@dataclass(slots=True)
class Example:
    """One lead with an outcome, and its history before the cut-off."""

    lead_id: str
    won: bool
    closed_at: float
    cutoff: float
    history: list[TrackingEvent] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Scored:
    """A lead as a model scores it at the cut-off."""

    score: float
    fit: float
    engagement: float
    stage: str
    buying_signals: int
    complete: bool


def examples(
    outcomes: Iterable[DealOutcome],
    history_of: Callable[[str], Iterable[TrackingEvent]],
    horizon_seconds: float = 0.0,
) -> list[Example]:
    """One example per lead: its latest outcome; history strictly before the cut-off."""
    latest: dict[str, DealOutcome] = {}
    for outcome in outcomes:
        kept = latest.get(outcome.lead_id)
        if kept is None or outcome.closed_at > kept.closed_at:
            latest[outcome.lead_id] = outcome
    rows = []
    for lead_id, outcome in sorted(latest.items(), key=lambda kv: (kv[1].closed_at, kv[0])):
        cutoff = outcome.closed_at - horizon_seconds
        history = sorted(
            (
                e
                for e in history_of(lead_id)
                if e.occurred_at < cutoff and e.type not in NEVER_SCORED
            ),
            key=lambda e: (e.occurred_at, e.event_id),
        )
        rows.append(Example(lead_id, outcome.won, outcome.closed_at, cutoff, history))
    return rows


def _weight(at: float, cutoff: float, half_life: float | None) -> float:
    if not half_life:
        return 1.0
    return float(0.5 ** (max(cutoff - at, 0.0) / half_life))


def features(example: Example, model: ScoringModel) -> dict[str, float]:
    """The example's features under ``model`` (its rules and content classes)."""
    state, ledger, _ = replay(example.history, model, example.cutoff)
    half_lives = model.half_lives_seconds
    values: dict[str, float] = {f"fit:{rule}": 1.0 for rule in state.fit}
    for entry in ledger:
        if entry.kind != "engagement":
            continue
        weight = _weight(entry.at, example.cutoff, half_lives.get(entry.decay or ""))
        key = f"rule:{entry.rule}"
        values[key] = values.get(key, 0.0) + weight
    behaviour = half_lives.get("behaviour")
    raw: dict[str, float] = {}
    for event in example.history:
        if event.machine is not None or event.type == EventType.IDENTITY_LINKED:
            continue
        weight = _weight(event.occurred_at, example.cutoff, behaviour)
        names = [f"event:{event.type}"]
        if event.url and event.type in (EventType.PAGE_VIEW, EventType.DOWNLOAD):
            _, content_class, topic = model.page(event.url)
            if content_class:
                names.append(f"class:{content_class}")
            if topic:
                names.append(f"topic:{topic}")
        if event.type == EventType.FORM_SUBMIT and event.form_kind:
            names.append(f"form:{event.form_kind}")
        for name in names:
            raw[name] = raw.get(name, 0.0) + weight
    values.update({k: min(v, RAW_CAP) for k, v in raw.items()})
    return values


def scored(example: Example, model: ScoringModel) -> Scored:
    """What ``model`` makes of the lead at the cut-off (score, stage, signals)."""
    state: LeadScoreState
    state, _, _ = replay(example.history, model, example.cutoff)
    fit = state.fit_total
    engagement = state.engagement_at(example.cutoff, model.half_lives_seconds)
    return Scored(
        score=fit + engagement,
        fit=fit,
        engagement=engagement,
        stage=state.stage,
        buying_signals=state.buying_signals,
        complete=is_complete(state.profile),
    )


def split(rows: Sequence[Example], at: float) -> tuple[list[Example], list[Example]]:
    """Train: closed before ``at``; test: closed at or after it."""
    return [r for r in rows if r.closed_at < at], [r for r in rows if r.closed_at >= at]
