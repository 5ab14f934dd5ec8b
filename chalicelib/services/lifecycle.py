"""Lifecycle events: publish every lead change's events on the bus, exactly once, in order.

For each change of the leads stream, the pure ``lifecycle_events`` says what it
means; each event is then claimed (a lease), put on the bus and marked, through
the ``Publications`` port. A retry finds published events marked and skips
them; a crash between claim and put leaves a lease that expires, and the retry
puts the event. The one window left, a crash after EventBridge accepted the
event and before the mark, is closed for subscribers by ``detail.event_id``:
the same id is sent again, never a new one.

Order: the stream delivers a lead's changes in order. When one of a lead's
events cannot be put, the lead's later records in the batch are not published
either and are reported failed with it, so the retry resumes in order. Records
redelivered out of order are harmless: their events are already marked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.adapters.ports import EventBus, Publications, Quarantine, QuietLeads
from chalicelib.domain.language import lead_language
from chalicelib.domain.lifecycle_events import (
    LeadSnapshot,
    LifecycleEvent,
    Payload,
    lifecycle_events,
)
from chalicelib.domain.scoring.explain import reasons
from chalicelib.domain.scoring.model import ScoringModel
from chalicelib.domain.scoring.state import LeadScoreState
from chalicelib.domain.stream import StreamChange
from chalicelib.observability import logger
from chalicelib.services.models import ModelProvider, provider_of

LEASE_SECONDS = 60.0
DAY = 86_400.0
#: How many days before the quiet cutoff a sweep still looks at (missed sweeps catch up).
SWEEP_LOOKBACK_DAYS = 7


class PublicationInProgress(RuntimeError):
    """Another worker holds the lease on this event; retry after it expires."""


@dataclass(slots=True)
class LifecycleResult:
    failed: list[str] = field(default_factory=list)
    published: int = 0
    suppressed: int = 0
    quarantined: int = 0
    lag_seconds: float = 0.0


class LifecyclePublisher:
    """Turns lead changes into lifecycle events on the bus, each exactly once."""

    def __init__(
        self,
        model: ScoringModel | ModelProvider,
        publications: Publications,
        bus: EventBus,
        quarantine: Quarantine,
        payload: Payload = Payload.IDS,
        clock: Callable[[], float] = time.time,
        lease_seconds: float = LEASE_SECONDS,
        sales_language: str = "en",
    ) -> None:
        self._sales_language = sales_language
        self._models = provider_of(model)
        self._publications = publications
        self._bus = bus
        self._quarantine = quarantine
        self._payload = payload
        self._clock = clock
        self._lease = lease_seconds

    @property
    def _model(self) -> ScoringModel:
        """The model in force now (the active one; see services/models.py)."""
        return self._models.current()

    def process(self, changes: Sequence[StreamChange]) -> LifecycleResult:
        """Publish the events of each change in stream order; the failed sequence numbers."""
        result = LifecycleResult()
        blocked: set[str] = set()
        lifecycle = self._model.lifecycle
        for item in changes:
            result.lag_seconds = max(result.lag_seconds, item.lag_seconds)
            if item.problem is not None:
                self._quarantine.put(
                    "stream:leads", item.problem, dict(item.record or {}), self._clock()
                )
                result.quarantined += 1
                continue
            change = item.change
            if change is None:
                continue
            if change.lead_id in blocked:
                result.failed.append(item.sequence)
                continue
            events = lifecycle_events(
                change, lifecycle.score_thresholds, lifecycle.quiet_days, self._payload
            )
            after = change.after
            if events and after is not None and after.state is not None and not after.reasons:
                # The lead item stores no sentences: render the reasons as of that write.
                change = replace(change, after=replace(after, reasons=self._reasons(after)))
                events = lifecycle_events(
                    change, lifecycle.score_thresholds, lifecycle.quiet_days, self._payload
                )
            try:
                for event in events:
                    if self.publish(event):
                        result.published += 1
                    else:
                        result.suppressed += 1
            except PublicationInProgress:
                blocked.add(change.lead_id)
                result.failed.append(item.sequence)
            except Exception:
                logger.exception("publishing a lifecycle event failed; the record will be retried")
                blocked.add(change.lead_id)
                result.failed.append(item.sequence)
        return result

    def _reasons(self, lead: LeadSnapshot) -> tuple[dict[str, Any], ...]:
        state = lead.state if lead.state is not None else LeadScoreState()
        language = lead_language(self._sales_language, state.profile, state.page_lang)
        at = lead.updated_at or self._clock()
        return tuple(r.to_dict() for r in reasons(state, self._model, at, language))

    def publish(self, event: LifecycleEvent) -> bool:
        """Put ``event`` on the bus unless it already was; True if put now.

        Raises
        ------
        PublicationInProgress
            another worker's lease is still running: the stream retries later.
        """
        key = f"{event.detail_type.value}#{event.event_id}"
        claim = self._publications.claim(event.lead_id, key, self._clock(), self._lease)
        if claim.already_published:
            return False
        if not claim.granted:
            raise PublicationInProgress(f"{key} is being published")
        try:
            ref = self._bus.put(event)
        except Exception:
            self._publications.release(event.lead_id, key)
            raise
        self._publications.mark(event.lead_id, key, ref, self._clock())
        return True


@dataclass(slots=True)
class SweepResult:
    days: list[str] = field(default_factory=list)
    candidates: int = 0
    went_quiet: int = 0


class QuietSweep:
    """Marks leads that have not engaged for the model's ``quiet_days`` as quiet, once a spell.

    The mark is a change of the lead, so ``Lead Went Quiet`` leaves through the
    leads stream and :class:`LifecyclePublisher` like every other event.
    """

    def __init__(
        self,
        model: ScoringModel | ModelProvider,
        quiet: QuietLeads,
        clock: Callable[[], float] = time.time,
        lookback_days: int = SWEEP_LOOKBACK_DAYS,
    ) -> None:
        self._models = provider_of(model)
        self._quiet = quiet
        self._clock = clock
        self._lookback = lookback_days

    @property
    def _model(self) -> ScoringModel:
        """The model in force now (the active one; see services/models.py)."""
        return self._models.current()

    def run(self) -> SweepResult:
        now = self._clock()
        cutoff = now - self._model.lifecycle.quiet_days * DAY
        last = datetime.fromtimestamp(cutoff, tz=UTC).date()
        result = SweepResult()
        for back in range(self._lookback, -1, -1):
            day = (last - timedelta(days=back)).isoformat()
            result.days.append(day)
            for lead_id in self._quiet.engaged_on(day):
                result.candidates += 1
                if self._quiet.mark_quiet(lead_id, cutoff, now):
                    result.went_quiet += 1
        return result


def sweep_summary(result: SweepResult) -> Mapping[str, Any]:
    return {
        "from": result.days[0] if result.days else None,
        "to": result.days[-1] if result.days else None,
        "candidates": result.candidates,
        "went_quiet": result.went_quiet,
    }
