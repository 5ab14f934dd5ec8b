"""Stream scoring: apply new events to their leads, once each, in constant work per event.

Records are grouped per lead, so a batch costs one read and one conditional write per
lead (a transaction only with ledger items, stage events or stage counters). Redelivered
events are recognised by the lead's recent event digests and skipped; a concurrent writer
makes the write fail and the lead is re-read. A commit adds its funnel hits to the lead;
the leads stream's hit counter (``services/hits.py``) adds them up per day.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from chalicelib.adapters.ports import (
    FUNNEL_TOTAL,
    AlreadyApplied,
    CompanyRecord,
    EventStore,
    LeadRecord,
    Profiles,
    Quarantine,
    ScoreStates,
    ScoringCommit,
)
from chalicelib.domain.clock import day_of
from chalicelib.domain.events import (
    EventType,
    TrackingEvent,
    account_signal_event,
    stage_change_event,
)
from chalicelib.domain.identity import company_domain
from chalicelib.domain.lead import FUNNEL_ORDER, Stage
from chalicelib.domain.redelivery import RECENT_EVENTS, remember, was_applied
from chalicelib.domain.scoring.explain import choose_channel, current_scores
from chalicelib.domain.scoring.model import ScoringModel
from chalicelib.domain.scoring.scorer import (
    NEVER_SCORED,
    AccountSurge,
    LedgerEntry,
    ScoreOutcome,
    StageTransition,
    score_event,
)
from chalicelib.domain.scoring.state import CompanyState, LeadScoreState
from chalicelib.domain.stream import Delivery
from chalicelib.observability import logger
from chalicelib.services.models import ModelProvider, provider_of
from chalicelib.services.updates import Change, LeadUpdates

MAX_ATTEMPTS = 6
CHUNK = RECENT_EVENTS  # a commit applies no more events than a lead remembers
DURATION_BUCKETS = 16


@dataclass(slots=True)
class BatchResult:
    """Which records failed (to retry) and what happened, for metrics."""

    failed: list[str] = field(default_factory=list)
    applied: int = 0
    duplicates: int = 0
    quarantined: int = 0
    conflicts: int = 0
    lag_seconds: float = 0.0


def duration_bucket(seconds: float) -> int:
    """Log2 buckets of hours: 0 is under an hour, k is [2^(k-1), 2^k) hours."""
    hours = max(seconds / 3600.0, 0.0)
    bucket = 0
    while hours >= 1.0 and bucket < DURATION_BUCKETS - 1:
        hours /= 2.0
        bucket += 1
    return bucket


def funnel_counters(
    state_before: LeadScoreState, transitions: Sequence[StageTransition]
) -> dict[str, dict[str, int]]:
    """Counter increments for the funnel report (day and all-time), from transitions.

    (The report's hits are not counted here: a lead's commit adds them to the lead, and
    the leads stream's hit counter adds them up per day; ``HitCounter``.)

    A lead that jumps stages (a demo request takes a lead straight to ``sql``)
    passes the stages between: each counts as entered and left, so conversion
    between consecutive stages means "reached this stage or a later one".
    """
    increments: dict[str, dict[str, int]] = {}

    def add(sk: str, name: str, amount: int = 1) -> None:
        bucket = increments.setdefault(sk, {})
        bucket[name] = bucket.get(name, 0) + amount

    entered = dict(state_before.stage_entered)
    for transition in transitions:
        day = day_of(transition.at)
        for sk in (day, FUNNEL_TOTAL):
            add(sk, f"entered_{transition.to_stage}")
            add(sk, f"left_{transition.from_stage}")
            for passed in _stages_between(transition.from_stage, transition.to_stage):
                add(sk, f"entered_{passed}")
                add(sk, f"left_{passed}")
        entered[transition.to_stage] = transition.at
        if transition.to_stage == Stage.MQL and Stage.LEAD in entered:
            add(day, f"lead_to_mql_b{duration_bucket(transition.at - entered[Stage.LEAD])}")
        if transition.to_stage == Stage.SQL and Stage.MQL in entered:
            add(day, f"mql_to_sql_b{duration_bucket(transition.at - entered[Stage.MQL])}")
    return increments


def scoring_commit(
    lead_id: str,
    expected_version: int,
    state: LeadScoreState,
    model: ScoringModel,
    now: float,
    ledger: dict[str, tuple[float, list[LedgerEntry]]],
    events: Sequence[TrackingEvent] = (),
    funnel: dict[str, dict[str, int]] | None = None,
    company: CompanyRecord | None = None,
    before: LeadRecord | None = None,
    event_ids: Sequence[str] = (),
    hits: HitTally | None = None,
) -> ScoringCommit:
    """The one write of a lead's new state: scores and channel as of ``now``.

    Used by the stream scorer, sales feedback and the rescore alike. No sentence is
    stored: reasons are rendered in the lead's language when read. ``before`` is the record
    read (its recent event digests carry over; a list shows a change only if its
    fields moved); ``event_ids`` the events applied (default: the ledger's); ``hits``
    the funnel hits among them (added to the lead's counts).
    """
    scores = current_scores(state, model, now)
    # No sentence is stored (reasons and the channel's reason are rendered when read), so
    # only the channel is chosen here, on every commit.
    channel, _ = choose_channel(state)
    applied = tuple(event_ids) or tuple(ledger)
    shown = (state.stage, scores.score, scores.fit_score, scores.engagement_score, channel.value)
    list_changed = before is None or shown != (
        before.lead.stage,
        round(before.lead.score),
        round(before.lead.fit_score),
        round(before.lead.engagement_score),
        before.lead.recommended_channel,
    )
    return ScoringCommit(
        lead_id=lead_id,
        expected_version=expected_version,
        state=state,
        stage=state.stage,
        score=scores.score,
        fit_score=scores.fit_score,
        engagement_score=scores.engagement_score,
        recommended_channel=channel.value,
        ledger=ledger,
        events=list(events),
        company=company,
        funnel=funnel or {},
        now=now,
        event_ids=applied,
        recent=remember(before.recent if before is not None else "", applied),
        list_changed=list_changed,
        hits=hits.hits if hits is not None else 0,
        machine_hits=hits.machine_hits if hits is not None else 0,
    )


def _stages_between(from_stage: str, to_stage: str) -> tuple[str, ...]:
    order = [stage.value for stage in FUNNEL_ORDER]
    if from_stage not in order or to_stage not in order:
        return ()
    return tuple(order[order.index(from_stage) + 1 : order.index(to_stage)])


HIT_SOURCES = ("tracker", "pixel", "email")


@dataclass
class HitTally:
    """The funnel hits among one lead commit's events: the commit adds them to the lead."""

    hits: int = 0
    machine_hits: int = 0

    def add(self, event: TrackingEvent, outcome: ScoreOutcome) -> None:
        """Count one scored event: a hit by its source; machine by label or by behaviour."""
        if event.source in HIT_SOURCES:
            self.hits += 1
            self.machine_hits += event.machine is not None or outcome.machine is not None
        # Earlier hits now shown to be a scanner's were counted as people: recount them.
        self.machine_hits += outcome.reversed_hits


class ScoringLeads(Profiles, ScoreStates, Protocol):
    """The lead-store ports ScoringService uses."""


class ScoringService:
    """Applies events to leads; the scorer itself is the pure ``score_event``."""

    def __init__(
        self,
        model: ScoringModel | ModelProvider,
        leads: ScoringLeads,
        events: EventStore,
        quarantine: Quarantine,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._models = provider_of(model)
        self._leads = leads
        self._events = events
        self._quarantine = quarantine
        self._clock = clock
        self._domains: OrderedDict[str, str | None] = OrderedDict()
        self._updates = LeadUpdates(lambda commit: leads.commit_scoring(commit), MAX_ATTEMPTS)

    @property
    def _model(self) -> ScoringModel:
        """The model to score with now (the active one; see services/models.py)."""
        return self._models.current()

    def process(self, deliveries: Sequence[Delivery[TrackingEvent]]) -> BatchResult:
        """Score a batch of the events stream's deliveries; returns the positions to retry.

        Poison deliveries go to the quarantine with their reason. The funnel's
        ``hits``/``machine_hits`` ride in each lead's own commit (added to the lead's
        counts, no extra write); the leads stream's hit counter adds them up per day.
        """
        result = BatchResult()
        groups: dict[str, list[tuple[str, TrackingEvent]]] = {}
        now = self._clock()
        for delivery in deliveries:
            result.lag_seconds = max(result.lag_seconds, delivery.position.lag_seconds)
            if delivery.problem is not None:
                self._quarantine.put("stream:events", delivery.problem, delivery.record, now)
                result.quarantined += 1
                continue
            event = delivery.value
            # Timeline-only events (stage changes, feedback, consent) change no score.
            if event is not None and event.type not in NEVER_SCORED:
                groups.setdefault(event.lead_id, []).append((delivery.position.sequence, event))
        for lead_id, items in groups.items():
            try:
                applied, duplicates, conflicts = self.apply(lead_id, [e for _, e in items])
            except Exception:
                logger.exception("scoring a lead failed; its records will be retried")
                result.failed.extend(seq for seq, _ in items)
                continue
            result.applied += applied
            result.duplicates += duplicates
            result.conflicts += conflicts
        return result

    def apply(self, lead_id: str, events: Sequence[TrackingEvent]) -> tuple[int, int, int]:
        """Apply events to one lead; (applied, duplicates skipped, conflicts retried)."""
        applied = duplicates = conflicts = 0
        for merge in (e for e in events if e.type == EventType.IDENTITY_LINKED):
            source = (merge.properties or {}).get("merge_from")
            if isinstance(source, str) and source != lead_id:
                self._merge_visitor(source, lead_id)
        for start in range(0, len(events), CHUNK):
            a, d, c = self._apply_chunk(lead_id, list(events[start : start + CHUNK]))
            applied, duplicates, conflicts = applied + a, duplicates + d, conflicts + c
        return applied, duplicates, conflicts

    def _merge_visitor(self, visitor_id: str, lead_id: str) -> None:
        """Move a merged visitor's events under the lead; they re-enter the stream and score."""
        self._events.move_events(visitor_id, lead_id)
        self._leads.mark_merged(visitor_id, lead_id, self._clock())

    def _domain_for(self, lead_id: str, events: Sequence[TrackingEvent]) -> str | None:
        for event in events:
            if event.profile and event.profile.get("email"):
                return company_domain(str(event.profile["email"]))
        return self._domains.get(lead_id)

    def _remember_domain(self, lead_id: str, domain: str | None) -> None:
        self._domains[lead_id] = domain
        self._domains.move_to_end(lead_id)
        while len(self._domains) > 10_000:
            self._domains.popitem(last=False)

    def _apply_chunk(self, lead_id: str, events: list[TrackingEvent]) -> tuple[int, int, int]:
        """(applied, duplicates skipped, conflicts retried) for one commit's worth of events."""
        pending = list(events)
        counts = {"duplicates": 0, "conflicts": 0, "reads": 0}

        def outcome(applied: int, skipped: int = 0) -> tuple[int, int, int]:
            return applied, counts["duplicates"] + skipped, counts["conflicts"]

        def read() -> tuple[str | None, LeadRecord | None, CompanyRecord | None]:
            domain = self._domain_for(lead_id, pending)
            # The first read may be stale (it costs half); after a conflict, read consistently.
            record, company = self._leads.get_for_scoring(
                lead_id, self._business(domain), consistent=counts["reads"] > 0
            )
            counts["reads"] += 1
            return domain, record, company

        def apply(
            found: tuple[str | None, LeadRecord | None, CompanyRecord | None],
        ) -> Change[tuple[int, int, int]]:
            domain, record, company = found
            if record is not None and record.erased:
                return Change(None, outcome(0, len(pending)))
            if record is not None and record.merged_into:
                self._events.move_events(lead_id, record.merged_into)
                return Change(None, outcome(0))
            if record is not None and record.recent:
                fresh = [e for e in pending if not was_applied(record.recent, e.event_id)]
                counts["duplicates"] += len(pending) - len(fresh)
                pending[:] = fresh
            if not pending:
                return Change(None, outcome(0))
            known = self._known_domain(record)
            if known != domain:
                domain = known
                self._remember_domain(lead_id, domain)
                business = self._business(domain)
                if business and company is None and self._needs_company(pending):
                    company = self._leads.get_company(business)
            commit, surges = self._score(lead_id, record, company, pending)

            def committed() -> None:
                self._remember_domain(lead_id, domain)
                for surge in surges:
                    self._emit_account_signals(surge)

            return Change(commit, outcome(len(pending)), committed)

        def redelivered(refused: AlreadyApplied) -> None:
            done = set(refused.event_ids)
            counts["duplicates"] += sum(1 for e in pending if e.event_id in done)
            pending[:] = [e for e in pending if e.event_id not in done]

        def conflict() -> None:
            counts["conflicts"] += 1

        return self._updates.update(
            read,
            apply,
            redelivered,
            what=f"lead {lead_id} (the stream will retry)",
            on_conflict=conflict,
        )

    @staticmethod
    def _known_domain(record: LeadRecord | None) -> str | None:
        if record is None:
            return None
        email = record.state.profile.get("email") or record.lead.email
        return company_domain(str(email)) if email else None

    def _business(self, domain: str | None) -> str | None:
        if domain is None or domain in self._model.free_mail_domains:
            return None
        return domain

    @staticmethod
    def _needs_company(events: Iterable[TrackingEvent]) -> bool:
        return any(e.type == EventType.PAGE_VIEW for e in events)

    def _score(
        self,
        lead_id: str,
        record: LeadRecord | None,
        company: CompanyRecord | None,
        events: Sequence[TrackingEvent],
    ) -> tuple[ScoringCommit, list[AccountSurge]]:
        now = self._clock()
        model = self._model  # one model for the whole batch of this lead
        before = record.state if record is not None else LeadScoreState()
        state = before
        company_state: CompanyState | None = company.state if company is not None else None
        ledger: dict[str, tuple[float, list[LedgerEntry]]] = {}
        transitions: list[StageTransition] = []
        surges: list[AccountSurge] = []
        hits = HitTally()
        for event in events:
            outcome = score_event(state, company_state, event, model, now)
            state = outcome.lead
            company_state = outcome.company
            if outcome.ledger:  # a ledger item only for what earned, cost or labelled something
                ledger[event.event_id] = (event.occurred_at, outcome.ledger)
            transitions.extend(outcome.transitions)
            if outcome.account_surge is not None:
                surges.append(outcome.account_surge)
            hits.add(event, outcome)
        # Compared by value: a read that moves no reader's time leaves the company unwritten.
        company_changed = company is not None and company_state != company.state
        commit = scoring_commit(
            lead_id,
            record.version if record is not None else 0,
            state,
            model,
            now,
            ledger,
            events=[stage_change_event(lead_id, t) for t in transitions],
            funnel=funnel_counters(before, transitions),
            company=CompanyRecord(company_state, company.version)
            if company_changed and company is not None and company_state is not None
            else None,
            before=record,
            event_ids=[e.event_id for e in events],
            hits=hits,
        )
        return commit, surges

    def _emit_account_signals(self, surge: AccountSurge) -> None:
        """One account_signal event per colleague, idempotent by a deterministic id."""
        for colleague in surge.lead_ids:
            self._events.put_event_if_absent(account_signal_event(surge, colleague))
