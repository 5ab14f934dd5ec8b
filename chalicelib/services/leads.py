"""The sales side: lists, the lead with its reasons, feedback, consent, erasure and export."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.adapters.ports import (
    AlreadyApplied,
    EventStore,
    LeadLists,
    LeadRecord,
    OutcomeStore,
    Privacy,
    Profiles,
    ScoreStates,
)
from chalicelib.domain.clock import iso
from chalicelib.domain.errors import Conflict, FieldError, InvalidInput, NotFound
from chalicelib.domain.events import (
    EventType,
    MachineLabel,
    TrackingEvent,
    stage_change_event,
    system_event,
    tracked_event,
)
from chalicelib.domain.followup import follow_up
from chalicelib.domain.language import lead_language
from chalicelib.domain.lead import Stage
from chalicelib.domain.lifecycle import Outcome, apply_feedback
from chalicelib.domain.scoring.explain import (
    current_scores,
    fit_reasons,
    reasons,
    recommend_channel,
)
from chalicelib.domain.scoring.model import ScoringModel
from chalicelib.domain.scoring.scorer import LedgerEntry, mail_hit_id
from chalicelib.domain.scoring.state import LeadScoreState
from chalicelib.domain.segment import user_key
from chalicelib.domain.submissions import FormSubmission
from chalicelib.domain.timeline import export_headings, timeline_label
from chalicelib.schemas import (
    ConsentOut,
    ConsentRequest,
    FeedbackRequest,
    FollowUpOut,
    LeadExport,
    LeadList,
    LeadListFilter,
    LeadSummary,
    LeadView,
    MachineOut,
    ReasonOut,
    TimelineEntry,
)
from chalicelib.services.capture import email_hash, new_id
from chalicelib.services.models import ModelProvider, provider_of
from chalicelib.services.scoring import funnel_counters, scoring_commit
from chalicelib.services.updates import Change, LeadUpdates

TIMELINE_LENGTH = 50
MAX_PAGE = 100
#: A filtered list reads at most this many pages per request (then hands out a cursor).
MAX_FILTERED_PAGES = 10


#: How the timeline labels a hit the scorer found in a mail scanner's burst (the stored
#: event came in looking human; the scorer's memory of recent mail hits knows better).
_BURST = MachineOut(
    label=MachineLabel.SCANNER_BURST.value,
    reason="part of a mail scanner's burst: several hits of one mail within seconds",
)


def live_record(leads: Profiles, lead_id: str) -> LeadRecord:
    """The live lead ``lead_id`` names (a merge followed); ``NotFound`` for none or erased."""
    record = leads.get_lead(lead_id) if len(lead_id) <= 64 else None
    if record is None or record.erased:
        raise NotFound(f"lead_id: no lead '{lead_id[:64]}'")
    if record.merged_into:
        return live_record(leads, record.merged_into)
    return record


def burst_hits(state: LeadScoreState) -> frozenset[str]:
    """The recent mail hits the scorer labelled machine (``mail_hit_id``s; whole event ids
    in states written before)."""
    return frozenset(h[2] for hits in state.mail_hits.values() for h in hits if h[3])


def timeline_entry(
    event: TrackingEvent,
    model: ScoringModel | None = None,
    language: str = "en",
    bursts: frozenset[str] = frozenset(),
) -> TimelineEntry:
    machine = None
    if event.machine is not None:
        machine = MachineOut(label=event.machine.label.value, reason=event.machine.reason)
    elif event.event_id in bursts or mail_hit_id(event.event_id) in bursts:
        machine = _BURST
    return TimelineEntry(
        event_id=event.event_id,
        type=event.type,
        ts=iso(event.occurred_at),
        source=event.source,
        url=event.url or None,
        title=event.title or None,
        referrer=event.referrer or None,
        properties=dict(event.properties or {}),
        machine=machine,
        anonymous_id=event.anonymous_id,
        campaign_id=event.campaign_id,
        form_id=event.form_id,
        label=timeline_label(event, model, language) if model is not None else None,
    )


@dataclass(frozen=True, slots=True)
class OutcomeApplied:
    """What recording an outcome did: the lead's stage after it, and whether it moved."""

    lead_id: str
    stage: str
    moved: bool
    duplicate: bool


class SalesLeads(Profiles, ScoreStates, LeadLists, Privacy, Protocol):
    """The lead-store ports LeadService uses."""


class LeadService:
    """What sales tools read and write about leads."""

    def __init__(
        self,
        model: ScoringModel | ModelProvider,
        leads: SalesLeads,
        events: EventStore,
        clock: Callable[[], float] = time.time,
        sales_language: str = "en",
        knowledge_base_name: str = "Kennisbank",
        deals: OutcomeStore | None = None,
    ) -> None:
        self._models = provider_of(model)
        self._leads = leads
        #: Closed deals (adaptive scoring): a person's are exported and erased with them.
        self._deals = deals
        self._updates = LeadUpdates(lambda commit: leads.commit_scoring(commit))
        self._events = events
        self._clock = clock
        self._sales_language = sales_language
        self._knowledge_base_name = knowledge_base_name

    @property
    def _model(self) -> ScoringModel:
        """The model to score with now (the active one; see services/models.py)."""
        return self._models.current()

    def _record(self, lead_id: str) -> LeadRecord:
        return live_record(self._leads, lead_id)

    def view_lead_id(self, lead_id: str) -> str:
        """The id of the live lead ``lead_id`` names (merges followed).

        Raises
        ------
        NotFound
            no such lead, or it was erased.
        """
        return self._record(lead_id).lead.lead_id

    def summary(self, record: LeadRecord) -> LeadSummary:
        """A lead in a list: scores as of its last scoring (the order of the list)."""
        lead = record.lead
        return LeadSummary(
            lead_id=lead.lead_id,
            email=lead.email,
            first_name=lead.profile.get("first_name"),
            last_name=lead.profile.get("last_name"),
            company=lead.profile.get("company"),
            company_domain=lead.company_domain,
            job_title=lead.profile.get("job_title"),
            country=lead.profile.get("country"),
            stage=lead.stage.value,
            score=round(lead.score),
            fit_score=round(lead.fit_score),
            engagement_score=round(lead.engagement_score),
            recommended_channel="phone" if lead.recommended_channel == "phone" else "email",
            updated_at=iso(lead.updated_at or lead.created_at),
        )

    def list_leads(
        self,
        stage: str | None,
        email: str | None,
        limit: int | None,
        cursor: str | None,
        where: LeadListFilter | None = None,
        *,
        user_id: str | None = None,
    ) -> LeadList:
        """Leads highest score first (by stage), or the one lead with this e-mail (or userId).

        ``where`` narrows the list: pages are read (at most ``MAX_FILTERED_PAGES``) until
        ``limit`` leads match; ``next_cursor`` continues after the last lead read.

        Raises
        ------
        InvalidInput
            an unknown stage, a limit outside 1..100, a cursor this API did not issue (the
            store's ``InvalidCursor``: to this service a cursor is an opaque string).
        """
        problems = []
        if stage is not None and stage not in {s.value for s in Stage}:
            problems.append(
                FieldError("stage", f"must be one of {', '.join(s.value for s in Stage)}")
            )
        if limit is not None and not 1 <= limit <= MAX_PAGE:
            problems.append(FieldError("limit", f"must be between 1 and {MAX_PAGE}"))
        if user_id is not None and not 1 <= len(user_id) <= 200:
            problems.append(FieldError("user_id", "must be 1 to 200 characters"))
        if problems:
            raise InvalidInput(problems)
        if user_id is not None:
            return self._one(self._lead_of_user(user_id), stage)
        if email is not None:
            try:
                normalised = FormSubmission.model_validate({"email": email}).email
            except ValueError:
                raise InvalidInput([FieldError("email", "not a valid e-mail address")]) from None
            return self._one(self._leads.lead_id_by_email(normalised), stage)
        want = limit or 25
        if where is None or not where.is_set():
            page = self._leads.list_leads(stage, want, cursor)
            return LeadList(
                items=[self.summary(r) for r in page.items if not r.merged_into],
                next_cursor=page.next_cursor,
            )
        found: list[LeadSummary] = []
        for _ in range(MAX_FILTERED_PAGES):
            page = self._leads.list_leads(stage, want - len(found), cursor)
            summaries = (self.summary(r) for r in page.items if not r.merged_into)
            found += [s for s in summaries if where.matches(s)]
            cursor = page.next_cursor
            if len(found) >= want or not cursor:
                break
        return LeadList(items=found, next_cursor=cursor)

    def _one(self, lead_id: str | None, stage: str | None) -> LeadList:
        record = self._leads.get_lead(lead_id) if lead_id else None
        if record is not None and record.merged_into:
            record = self._leads.get_lead(record.merged_into)
        if record is None or record.erased or (stage and record.lead.stage != stage):
            return LeadList(items=[], next_cursor=None)
        return LeadList(items=[self.summary(record)], next_cursor=None)

    def _lead_of_user(self, user_id: str) -> str | None:
        """The lead a Segment ``userId`` is linked to (beside the browsers' anonymous ids)."""
        link = self._leads.anonymous_link(user_key(user_id))
        return link.lead_id if link is not None and not link.erased else None

    def view(self, lead_id: str) -> LeadView:
        """The lead with scores decayed to now, its reasons and its recent timeline."""
        record = self._record(lead_id)
        now = self._clock()
        lead, state = record.lead, record.state
        scores = current_scores(state, self._model, now)
        language = lead_language(self._sales_language, state.profile, state.page_lang)
        channel, channel_reason = recommend_channel(state, self._model, language)
        advice = follow_up(
            state, self._model, now, language, channel, channel_reason, self._knowledge_base_name
        )
        consent = None
        if lead.consent is not None:
            consent = ConsentOut(
                granted=lead.consent.granted,
                at=iso(lead.consent.at),
                form_id=lead.consent.form_id,
                page_url=lead.consent.page_url,
                text_version=lead.consent.text_version,
            )
        profile = lead.profile
        bursts = burst_hits(state)
        return LeadView(
            lead_id=lead.lead_id,
            email=lead.email,
            first_name=profile.get("first_name"),
            last_name=profile.get("last_name"),
            company=profile.get("company"),
            company_domain=lead.company_domain,
            job_title=profile.get("job_title"),
            phone=profile.get("phone"),
            country=profile.get("country"),
            company_size=profile.get("company_size"),
            industry=profile.get("industry"),
            stage=lead.stage.value,
            score=scores.score,
            fit_score=scores.fit_score,
            engagement_score=scores.engagement_score,
            reasons=[
                ReasonOut(rule=r.rule, points=r.points, text=r.text)
                for r in reasons(state, self._model, now, language)
            ],
            fit_reasons=[
                ReasonOut(rule=r.rule, points=r.points, text=r.text)
                for r in fit_reasons(state, self._model, language)
            ],
            recommended_channel=channel.value,
            recommended_channel_reason=channel_reason,
            sales_status=state.sales_status,
            qualifications=state.qualifications,
            consent=consent,
            model_version=state.model_version or None,
            created_at=iso(lead.created_at),
            updated_at=iso(lead.updated_at or lead.created_at),
            timeline=[
                timeline_entry(e, self._model, language, bursts)
                for e in self._events.timeline(lead.lead_id, TIMELINE_LENGTH)
            ],
            follow_up=FollowUpOut.model_validate(advice.to_dict()),
        )

    def feedback(self, lead_id: str, request: FeedbackRequest) -> LeadView:
        """Apply sales feedback now (a conditional write) and put it on the timeline.

        Raises
        ------
        NotFound
            no such lead.
        Conflict
            the outcome does not fit the lead's stage.
        """
        applied = self.record_outcome(
            lead_id, Outcome(request.outcome), by=request.by, note=request.note
        )
        return self.view(applied.lead_id)

    def record_outcome(
        self,
        lead_id: str,
        outcome: Outcome,
        *,
        by: str | None,
        note: str | None = None,
        source: str = "sales",
        event_id: str | None = None,
        occurred_at: float | None = None,
        details: dict[str, Any] | None = None,
        strict: bool = True,
    ) -> OutcomeApplied:
        """Put an outcome on the lead's timeline and move its stage where the stage allows.

        Sales feedback and CRM outcomes take this one path. With ``strict`` an
        outcome that does not fit the stage is refused; without, it is recorded
        (timeline and ledger) and the stage stays. A given ``event_id`` makes the
        call idempotent: the second time nothing is written.

        Raises
        ------
        NotFound
            no such lead.
        Conflict
            (``strict`` only) the outcome does not fit the lead's stage.
        """
        event_id = event_id or new_id()
        read: list[LeadRecord] = []

        def apply(record: LeadRecord) -> Change[OutcomeApplied]:
            read[:] = [record]
            now = self._clock()
            state = record.state.clone()
            try:
                transition = apply_feedback(state, outcome, now, note)
            except Conflict:
                if strict:
                    raise
                state, transition = record.state.clone(), None
            event = tracked_event(
                record.lead.lead_id,
                EventType.SALES_FEEDBACK,
                occurred_at if occurred_at is not None else now,
                now,
                source,
                event_id=event_id,
                properties={
                    "outcome": outcome.value,
                    "note": note,
                    "by": by,
                    "stage_before": record.state.stage,
                    "stage_after": state.stage,
                    **(details or {}),
                },
            )
            transitions = [transition] if transition is not None else []
            model = self._model
            label = "Sales" if source == "sales" else source.upper()
            outcome_entry = LedgerEntry(
                event.event_id,
                f"sales_{outcome.value}",
                0.0,
                now,
                model.version,
                "outcome",
                None,
                f"{label}: {outcome.value}" + (f" ({note})" if note else ""),
            )
            commit = scoring_commit(
                record.lead.lead_id,
                record.version,
                state,
                model,
                now,
                ledger={event.event_id: (now, [outcome_entry])},
                events=[
                    event,
                    *(
                        stage_change_event(record.lead.lead_id, t, by or source)
                        for t in transitions
                    ),
                ],
                funnel=funnel_counters(record.state, transitions),
                before=record,
            )
            applied = OutcomeApplied(record.lead.lead_id, state.stage, bool(transitions), False)
            return Change(commit, applied)

        def duplicate(_: AlreadyApplied) -> OutcomeApplied:
            # A given event id seen before: the second time nothing is written.
            return OutcomeApplied(read[0].lead.lead_id, read[0].state.stage, False, True)

        return self._updates.update(lambda: self._record(lead_id), apply, duplicate)

    def set_consent(self, lead_id: str, request: ConsentRequest) -> LeadView:
        """Record consent given or withdrawn (attribution stops from this moment)."""
        record = self._record(lead_id)
        now = self._clock()
        self._leads.set_consent(
            record.lead.lead_id,
            {
                "granted": request.granted,
                "at": now,
                "text_version": request.text_version,
                "form_id": "api",
            },
            now,
        )
        self._events.put_events(
            [
                system_event(
                    record.lead.lead_id,
                    EventType.CONSENT_CHANGED,
                    now,
                    {"granted": request.granted, "text_version": request.text_version},
                    source="api",
                )
            ]
        )
        self._leads.audit("consent_changed", record.lead.lead_id, {"granted": request.granted}, now)
        return self.view(record.lead.lead_id)

    def erase(self, lead_id: str) -> None:
        """GDPR art. 17: remove the person everywhere; tombstones stop re-creation."""
        record = self._record(lead_id)
        now = self._clock()
        email = record.lead.email
        removed_events = self._events.delete_events(record.lead.lead_id)
        # The deals first: their copies in the lead's partition are how they are found.
        removed_deals = self._deals.forget(record.lead.lead_id) if self._deals else 0
        removed_items = self._leads.erase(
            record.lead.lead_id, email_hash(email) if email else None, now
        )
        self._leads.audit(
            "erased",
            record.lead.lead_id,
            {
                "events_removed": removed_events,
                "items_removed": removed_items,
                "deals_removed": removed_deals,
            },
            now,
        )

    def export(self, lead_id: str) -> LeadExport:
        """GDPR art. 15/20: everything held about the person, as JSON."""
        record = self._record(lead_id)
        now = self._clock()
        held = self._leads.personal_data(record.lead.lead_id)
        language = lead_language(self._sales_language, record.state.profile, record.state.page_lang)
        events = [
            timeline_entry(e, self._model, language).model_dump()
            for e in self._events.history(record.lead.lead_id)
        ]
        ledger = [e.to_dict() for e in self._leads.ledger(record.lead.lead_id)]
        deals = self._deals.of_lead(record.lead.lead_id) if self._deals else []
        self._leads.audit("exported", record.lead.lead_id, {"events": len(events)}, now)
        return LeadExport(
            lead=_jsonable(held.profile),
            events=events,
            ledger=ledger,
            identities=held.identities,
            announcements=[_jsonable(a) for a in held.announcements],
            deals=[
                {
                    "outcome": d.outcome,
                    "closed_at": iso(d.closed_at),
                    "amount": d.amount,
                    "source": d.source,
                }
                for d in deals
            ],
            exported_at=iso(now),
            language=language,
            headings=export_headings(language),
        )


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (sorted(v) if isinstance(v, set) else v) for k, v in values.items()}
