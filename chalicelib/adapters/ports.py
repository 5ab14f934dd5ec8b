"""The small interfaces services depend on, and the records that cross them.

Ports are small and split by aggregate; the leads table's are ``Profiles``,
``ScoreStates``, ``LeadLists``, ``Announcements``, ``Campaigns``, ``Privacy`` and
``Counters`` (``LeadStore`` is their union, for the wiring). Two implementations
each: DynamoDB/SNS/EventBridge and in memory, held to the same contract by
``tests/contract``, which covers every method of every port
(``tests/contract/test_port_coverage.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.domain.access import Principal
from chalicelib.domain.events import TrackingEvent
from chalicelib.domain.lead import Lead
from chalicelib.domain.lifecycle_events import LifecycleEvent
from chalicelib.domain.outcomes import DealOutcome
from chalicelib.domain.scoring.scorer import LedgerEntry
from chalicelib.domain.scoring.state import CompanyState, LeadScoreState
from chalicelib.domain.stream import Delivery


class VersionConflict(Exception):
    """Someone else changed the lead (or company) since it was read: read again."""


class AlreadyApplied(Exception):
    """Some events of a scoring commit were applied before (stream redelivery)."""

    def __init__(self, event_ids: Sequence[str]) -> None:
        super().__init__(f"already applied: {', '.join(event_ids)}")
        self.event_ids = tuple(event_ids)


@dataclass(slots=True)
class LeadRecord:
    """A stored lead with its score state and optimistic-lock version."""

    lead: Lead
    state: LeadScoreState
    version: int = 0
    merged_into: str | None = None
    erased: bool = False
    #: Digests of the events applied last (``domain/redelivery.py``): a redelivered one is skipped.
    recent: str = ""


@dataclass(slots=True)
class CompanyRecord:
    state: CompanyState
    version: int = 0


@dataclass(frozen=True, slots=True)
class AnonymousLink:
    lead_id: str | None
    erased: bool = False


@dataclass(slots=True)
class ScoringCommit:
    """Everything one scoring pass writes for one lead.

    ``expected_version`` 0 means the lead item must not have score state yet.
    ``event_ids`` are the events this commit applies (the ledger's keys when not
    given); the store refuses the commit with ``AlreadyApplied`` if one of them is
    among the lead's recent digests, and stores ``recent`` (the digests after this
    commit) with the state. ``ledger`` maps event id to that event's entries and
    time: a ledger item only for an event that earned, cost or labelled something.
    ``events`` are new timeline events (stage changes). ``list_changed`` is False
    when nothing a list shows (stage, scores, channel) moved: ``updated_at`` stays.
    A commit is atomic but for the company: a refused one writes no lead, ledger,
    timeline or counter; its company may be written (re-applying the same reads to a
    company changes nothing). DynamoDB: one conditional update of the lead (after the
    company's conditional put) when nothing else changes, a transaction otherwise.
    """

    lead_id: str
    expected_version: int
    state: LeadScoreState
    stage: str
    score: int
    fit_score: int
    engagement_score: int
    recommended_channel: str
    ledger: dict[str, tuple[float, list[LedgerEntry]]]
    events: list[TrackingEvent] = field(default_factory=list)
    company: CompanyRecord | None = None
    #: Funnel counter increments per period (a day ``YYYY-MM-DD`` or ``FUNNEL_TOTAL``); the
    #: store keeps them in the lead's own counter shard.
    funnel: dict[str, dict[str, int]] = field(default_factory=dict)
    now: float = 0.0
    event_ids: tuple[str, ...] = ()
    recent: str = ""
    list_changed: bool = True
    #: The funnel hits among the applied events (and how many of them, or of earlier hits
    #: now shown to be a scanner's, are machine traffic): added to the lead's all-time
    #: counts; the leads stream's hit counter adds each write's increase up per day.
    hits: int = 0
    machine_hits: int = 0

    @property
    def applied_ids(self) -> tuple[str, ...]:
        return self.event_ids or tuple(self.ledger)


#: The period of the funnel's all-time counters (``ScoringCommit.funnel``); every other
#: period is a day, ``YYYY-MM-DD``. Where counters are kept is the stores' business.
FUNNEL_TOTAL = "total"


@dataclass(frozen=True, slots=True)
class LeadPage:
    items: list[LeadRecord]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class PersonalData:
    """What the leads table holds about one person, as an export shows it.

    ``profile``: the profile as stored, without keys or score state (``reasons`` as a
    list); ``identities``: every anonymous id that ever pointed at the lead, sorted;
    ``announcements``: each hand-over to sales, as recorded (its ``sk`` names it).
    """

    profile: dict[str, Any]
    identities: list[str]
    announcements: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class AnnouncementClaim:
    """Whether this worker may publish qualification ``number`` of a lead."""

    granted: bool
    already_published: bool


class Profiles(Protocol):
    """Profile and identity: who a lead is, their e-mail and their browsers."""

    def get_lead(self, lead_id: str) -> LeadRecord | None: ...

    def lead_id_by_email(self, email: str) -> str | None: ...

    def anonymous_link(self, anonymous_id: str) -> AnonymousLink | None: ...

    def link_anonymous_id(self, anonymous_id: str, lead_id: str, *, replace: bool) -> str: ...

    def create_lead(self, lead: Lead) -> bool: ...

    def claim_email(self, email: str, lead_id: str) -> str: ...

    def update_profile(
        self,
        lead_id: str,
        profile: Mapping[str, Any],
        company_domain: str | None,
        consent: Mapping[str, Any] | None,
        now: float,
    ) -> Lead:
        """Set the non-empty fields (a new lead item if none); ``NotFound`` once erased."""
        ...

    def set_consent(self, lead_id: str, consent: Mapping[str, Any], now: float) -> None:
        """Record consent on a lead; ``NotFound`` when there is none (or it was erased)."""
        ...

    def mark_merged(self, lead_id: str, into_lead_id: str, now: float) -> None: ...


class ScoreStates(Protocol):
    """Score state and ledger: a lead's (and its company's) scoring, written as one commit."""

    def get_for_scoring(
        self, lead_id: str, company_domain: str | None, consistent: bool = True
    ) -> tuple[LeadRecord | None, CompanyRecord | None]: ...

    def get_company(self, domain: str) -> CompanyRecord: ...

    def commit_scoring(self, commit: ScoringCommit) -> None: ...

    def ledger(self, lead_id: str) -> list[LedgerEntry]: ...

    def write_replayed_ledger(
        self, lead_id: str, version: str, ledger: Sequence[LedgerEntry]
    ) -> None: ...


class LeadLists(Protocol):
    """Leads by stage (or all identified leads), highest score first, with cursors."""

    def list_leads(self, stage: str | None, limit: int, cursor: str | None) -> LeadPage: ...


class Announcements(Protocol):
    """Exactly-once bookkeeping for hot-lead announcements (qualification ``number``)."""

    def claim_announcement(
        self, lead_id: str, number: int, now: float, lease_seconds: float
    ) -> AnnouncementClaim: ...

    def mark_announced(self, lead_id: str, number: int, message_id: str, now: float) -> None: ...


class Campaigns(Protocol):
    """A campaign's counters and its kill switch."""

    def bump_campaign(self, campaign_id: str, counter: str) -> None: ...

    def campaign(self, campaign_id: str) -> dict[str, Any]: ...

    def set_campaign_disabled(self, campaign_id: str, disabled: bool) -> None: ...


class Privacy(Protocol):
    """Privacy and audit: erasure and its tombstones, the audit log, the data export."""

    def erase(self, lead_id: str, email_hash: str | None, now: float) -> int: ...

    def is_erased_email(self, email_hash: str) -> bool: ...

    def clear_erased_email(self, email_hash: str) -> None: ...

    def audit(self, action: str, lead_id: str, detail: Mapping[str, Any], now: float) -> None: ...

    def export_items(self, lead_id: str) -> list[dict[str, Any]]: ...

    def personal_data(self, lead_id: str) -> PersonalData:
        """What the leads table holds about the person, for an export (art. 15/20)."""
        ...


class Counters(Protocol):
    """The funnel's counters (by day and all-time), summed over their shards."""

    def funnel_counters(
        self, first_day: str, last_day: str
    ) -> tuple[dict[str, int], dict[str, int]]: ...

    def add_funnel_counts(
        self, key: str, increments: Mapping[str, Mapping[str, int]], batch: str | None = None
    ) -> None:
        """Add to funnel counters outside any scoring transaction, per period (a day or
        ``FUNNEL_TOTAL``), in ``key``'s counter shard (a lead id or a batch id; one update
        per period). With ``batch``, a period's update is skipped when that counter's last
        update was the same batch: a stream batch delivered again does not count twice."""
        ...


class LeadStore(
    Profiles, ScoreStates, LeadLists, Announcements, Campaigns, Privacy, Counters, Protocol
):
    """The leads table, every aggregate of it (the wiring's type; services name the small
    ports they use)."""


class EventStore(Protocol):
    """The events table: the append-only timeline that feeds the scorer."""

    def put_events(self, events: Sequence[TrackingEvent]) -> None: ...

    def put_event_if_absent(self, event: TrackingEvent) -> bool: ...

    def timeline(self, lead_id: str, limit: int) -> list[TrackingEvent]: ...

    def history(self, lead_id: str) -> Iterator[TrackingEvent]: ...

    def move_events(self, from_lead_id: str, to_lead_id: str) -> int: ...

    def delete_events(self, lead_id: str) -> int: ...


@dataclass(frozen=True, slots=True)
class QuarantinedItem:
    """Input rejected after it was accepted. ``ref`` is an opaque handle for get and delete."""

    ref: str
    source: str
    reason: str
    payload: Any
    at: float


class Quarantine(Protocol):
    """Where accepted-then-rejected input goes, with its reason, for 30 days."""

    def put(self, source: str, reason: str, payload: Any, now: float) -> str: ...

    def recent(self, limit: int) -> list[dict[str, Any]]: ...

    def held(self, limit: int, days: int) -> list[QuarantinedItem]:
        """What is held, newest first, from the last ``days`` days (the retention)."""
        ...

    def get(self, ref: str) -> QuarantinedItem | None:
        """One held item by its ``ref``; None when gone or the ref is not one of ours."""
        ...

    def delete(self, ref: str) -> None:
        """Let go of one item (nothing when it is gone already)."""
        ...


#: Reads one held events-stream record again (the console's re-drive): its position and
#: event, or why it is still poison. ``adapters.streams.event_delivery`` on AWS and locally.
EventRecordReader = Callable[[Mapping[str, Any], float], Delivery[TrackingEvent]]


class ParameterMissing(LookupError):
    """No parameter by this name (yet)."""


class Parameters(Protocol):
    """Secret parameters by name (SSM Parameter Store: ``adapters/parameters.py``)."""

    def get(self, name: str) -> str:
        """The parameter's value; raises ``ParameterMissing`` when there is none."""
        ...


class Sightings(Protocol):
    """First sightings of a key within a window: a retry or a repeat counts once.

    ``first_seen`` records ``key`` and answers True when it was not seen in the last
    ``window_seconds`` (or ever); False for a repeat inside the window. Keys are
    scoped by the caller (``"event:<visitor>:<event_id>"``, ``"click:<token hash>"``)
    and must stay under 1 KB. Atomic: of two concurrent first sightings exactly one
    answers True.
    """

    def first_seen(self, key: str, now: float, window_seconds: float) -> bool: ...


class Publisher(Protocol):
    """The hot-lead topic (and, when configured, its chat topic)."""

    def publish(
        self,
        message: Mapping[str, Any],
        attributes: Mapping[str, str | float],
        subject: str,
        email_text: str = "",
        chat: Mapping[str, Any] | None = None,
    ) -> str:
        """Publish ``message`` as JSON (e-mail subscribers get ``email_text``, when given)
        and ``chat`` (AWS Chatbot's format) to the chat topic; the message id."""
        ...


class UserTokens(Protocol):
    """Verifies a person's sign-in token (a Cognito user pool JWT)."""

    def verify(self, token: str) -> Principal:
        """The signed-in person and their roles; raises ``Unauthorized`` if it does not verify."""
        ...


@dataclass(frozen=True, slots=True)
class AuditRecord:
    action: str
    lead_id: str
    detail: dict[str, Any]
    at: float


class AuditTrail(Protocol):
    """Reads the audit log ``LeadStore.audit`` writes (erasures, denied access, ...)."""

    def recent(self, limit: int, months: int) -> list[AuditRecord]:
        """The newest records first, from the current and previous ``months - 1`` months."""
        ...


class FunnelSeries(Protocol):
    """The funnel's day counters one day at a time (for the console's chart)."""

    def daily(self, first_day: str, last_day: str) -> dict[str, dict[str, int]]:
        """Per day (YYYY-MM-DD) in the range, the counters summed over every shard."""
        ...


@dataclass(frozen=True, slots=True)
class Claim:
    """Whether this worker may publish something now, or whether it already was."""

    granted: bool
    already_published: bool


class Publications(Protocol):
    """Exactly-once bookkeeping for anything published from a stream.

    ``claim`` takes a lease on ``key`` unless it was published or another
    worker's lease still runs; ``mark`` records it published with the
    destination's reference; ``release`` gives a lease up when the destination
    refused (so the stream's retry need not wait for it to expire). Keys belong
    to one lead (``lead_id``), so an erasure takes them with it.
    """

    def claim(self, lead_id: str, key: str, now: float, lease_seconds: float) -> Claim: ...

    def mark(self, lead_id: str, key: str, ref: str, now: float) -> None: ...

    def release(self, lead_id: str, key: str) -> None: ...


class EventBus(Protocol):
    """The lifecycle event bus (EventBridge); returns the bus's id for the event."""

    def put(self, event: LifecycleEvent) -> str: ...


class QuietLeads(Protocol):
    """Identified, non-customer leads by the day of their last engagement (a sparse index)."""

    def engaged_on(self, day: str) -> list[str]: ...

    def mark_quiet(self, lead_id: str, engaged_before: float, now: float) -> bool: ...


# -- adaptive scoring: closed deals and model versions (DynamoDB/memory: learning.py) -----


class OutcomeStore(Protocol):
    """Closed deals by the month they closed."""

    def record(self, outcome: DealOutcome) -> bool:
        """Store the outcome; False when this (lead, outcome, closed_at) was stored before."""
        ...

    def between(self, first: float, last: float) -> list[DealOutcome]:
        """Outcomes closed in [first, last], oldest first."""
        ...

    def of_lead(self, lead_id: str) -> list[DealOutcome]:
        """One lead's outcomes, oldest first (what a GDPR export shows)."""
        ...

    def forget(self, lead_id: str) -> int:
        """Remove one lead's outcomes (erasure); how many there were."""
        ...


@dataclass(frozen=True, slots=True)
class StoredModel:
    """One uploaded model version; ``text`` is the model as it was sent."""

    version: str
    text: str
    source: str
    created_at: float
    created_by: str | None = None
    promoted_at: float | None = None
    promoted_by: str | None = None


@dataclass(frozen=True, slots=True)
class ActiveModel:
    version: str
    promoted_at: float
    promoted_by: str


class ModelStore(Protocol):
    """Scoring model versions and which one is active."""

    def put_version(self, model: StoredModel) -> bool:
        """Store a new version; False (and nothing written) when the version exists."""
        ...

    def get_version(self, version: str) -> StoredModel | None: ...

    def versions(self) -> list[StoredModel]:
        """Every version, sorted by its version text."""
        ...

    def active(self) -> ActiveModel | None: ...

    def promote(self, version: str, by: str, now: float) -> bool:
        """Make ``version`` the active model; False when there is no such version."""
        ...
