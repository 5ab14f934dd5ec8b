"""Capture: form submissions, tracker beacons, pixels, tracked links.

Everything a landing page, an e-mail or a mail tool sends lands here, is
validated, classified (person or machine), tied to a lead, and stored as events
that the scorer picks up from the stream.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

from pydantic import ValidationError

from chalicelib.adapters.ports import (
    Campaigns,
    EventStore,
    Privacy,
    Profiles,
    Quarantine,
    Sightings,
)
from chalicelib.domain.clock import EventTimeError, event_time, parse_instant
from chalicelib.domain.errors import Conflict, FieldError, Gone, InvalidInput, NotFound
from chalicelib.domain.events import (
    EventType,
    MachineVerdict,
    TrackingEvent,
    identity_linked_event,
    system_event,
    tracked_event,
    tracker_event_id,
)
from chalicelib.domain.forms import FormDefinition
from chalicelib.domain.identity import (
    IdentityOutcome,
    KnownLead,
    browser_switch,
    company_domain,
    decide_identity,
)
from chalicelib.domain.lead import Consent, Lead
from chalicelib.domain.scoring.model import ScoringModel
from chalicelib.domain.submissions import FormSubmission, errors_from_validation, parse_submission
from chalicelib.domain.tokens import TokenKind, TrackingToken, sign_token, verify_token
from chalicelib.domain.traffic import (
    HitContext,
    classify_hit,
    classify_network,
    click_before_read,
)
from chalicelib.redaction import remember_personal_values
from chalicelib.schemas import (
    EventRejected,
    SubmissionAccepted,
    TrackerAccepted,
    TrackerBatch,
    TrackerEvent,
    TrackingLinksRequest,
    TrackingLinksResponse,
    event_id_problem,
)
from chalicelib.services.context import RequestContext
from chalicelib.services.models import ModelProvider, provider_of
from chalicelib.services.ratelimit import AbuseLimits
from chalicelib.services.secrets import SecretSet
from chalicelib.settings import Settings

#: Submitted fields whose values are kept out of the logs wherever they appear.
_PERSONAL_FIELDS = ("email", "first_name", "last_name", "phone")


def email_hash(email: str) -> str:
    """The tombstone key for an erased person: a hash, never the address."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def new_id() -> str:
    return uuid.uuid4().hex


def form_repeat_key(form_id: str, raw: Mapping[str, Any]) -> str | None:
    """One key per (form, person, fields): a double click or a reload posts the same one.

    ``rendered_at`` is left out (a reload renders the page again); None without an
    e-mail address (such a post is refused anyway).
    """
    email = raw.get("email")
    if not isinstance(email, str) or not email.strip():
        return None
    fields = {k: v for k, v in raw.items() if k not in ("rendered_at", "email")}
    text = json.dumps(
        [form_id, email.strip().lower(), fields], sort_keys=True, default=str, ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Identified:
    """Who a submission (or a Segment ``identify``) turned out to be, and how ids were stitched."""

    lead_id: str
    profile: dict[str, Any]
    outcome: IdentityOutcome
    merge_from: str | None
    anonymous_id: str | None
    #: The identified person this (shared) browser belonged to until now, if another.
    switched_from: str | None = None


@dataclass(frozen=True, slots=True)
class ClickResult:
    target_url: str


class CaptureLeads(Profiles, Campaigns, Privacy, Protocol):
    """The lead-store ports CaptureService uses."""


class CaptureService:
    """Turns what the outside world sends into leads and events."""

    def __init__(
        self,
        settings: Settings,
        model: ScoringModel | ModelProvider,
        leads: CaptureLeads,
        events: EventStore,
        quarantine: Quarantine,
        signing_secrets: SecretSet,
        sightings: Sightings | None = None,
        form_repeats: Any = None,
    ) -> None:
        self._settings = settings
        self._models = provider_of(model)
        self._leads = leads
        self._events = events
        self._quarantine = quarantine
        self._secrets = signing_secrets
        #: Repeats that count once (tracker event ids, pixel and link hits); None: no check.
        self._sightings = sightings
        #: Powertools persistence for form repeats (``services/idempotency.py``); None: none.
        self._form_repeats = form_repeats
        #: Per-container abuse limits (429 with Retry-After; see services/ratelimit.py).
        self.limits = AbuseLimits(settings)

    # -- forms -----------------------------------------------------------------------

    @property
    def _model(self) -> ScoringModel:
        """The model to score with now (the active one; see services/models.py)."""
        return self._models.current()

    def form(self, form_id: str) -> FormDefinition:
        form = self._model.forms_by_id.get(form_id)
        if form is None:
            raise NotFound(f"form_id: no form named '{form_id[:64]}'")
        return form

    def submit_form_once(
        self, form_id: str, raw: Mapping[str, Any], ctx: RequestContext
    ) -> SubmissionAccepted:
        """``submit_form``, where the same form from the same person with the same fields
        within the model's ``repeat_form_minutes`` is one submission: the repeat gets the
        first answer (same lead, same redirect) and nothing new is stored.

        Raises
        ------
        Conflict
            the same submission is still being processed.
        (and whatever ``submit_form`` raises)
        """
        from chalicelib.services.idempotency import run_once

        window = int(self._model.machine_traffic.repeat_form_minutes * 60)
        try:
            return run_once(
                self._form_repeats,
                max(window, 1),
                form_repeat_key(form_id, raw),
                f"form-repeat:{form_id}",
                {},
                SubmissionAccepted,
                lambda: self.submit_form(form_id, raw, ctx),
            )
        except Conflict:
            raise Conflict("form: this same submission is still being processed") from None

    def submit_form(
        self, form_id: str, raw: Mapping[str, Any], ctx: RequestContext
    ) -> SubmissionAccepted:
        """Validate a submission and record it on the right lead (created if new).

        A bot (honeypot filled, or posted faster than a person can type) gets the
        same answer as a person, but its payload goes to the quarantine instead.

        Raises
        ------
        NotFound
            the form does not exist.
        RateLimited
            too many requests from the client's network, or to this form from it.
        InvalidInput
            naming every bad field.
        """
        form = self.form(form_id)
        self.limits.check_network(ctx.network)
        self.limits.check_form(form.form_id, ctx.network)
        remember_personal_values(*(raw.get(name) for name in _PERSONAL_FIELDS))
        submission = parse_submission(raw, form)
        redirect_url = self._redirect_url(form, submission.page_url, ctx)
        bot_reason = self._bot_reason(submission, ctx) or self._too_many_people(submission, ctx)
        if bot_reason is not None:
            self._quarantine.put(f"form:{form_id}", bot_reason, dict(raw), ctx.received_at)
            return SubmissionAccepted(lead_id=new_id(), redirect_url=redirect_url)
        lead_id = self._record_submission(form, submission, ctx)
        return SubmissionAccepted(lead_id=lead_id, redirect_url=redirect_url)

    def _bot_reason(self, submission: FormSubmission, ctx: RequestContext) -> str | None:
        if submission.website:
            return "honeypot field 'website' was filled in"
        if submission.rendered_at is not None:
            elapsed = ctx.received_at - submission.rendered_at
            if 0 <= elapsed < self._settings.bot_min_fill_seconds:
                return f"submitted {elapsed:.2f} s after the page rendered (time trap)"
        return None

    def _too_many_people(self, submission: FormSubmission, ctx: RequestContext) -> str | None:
        aid = submission.anonymous_id
        if not aid or self.limits.people.admit(aid, email_hash(submission.email), ctx.received_at):
            return None
        limit = self.limits.people.per_hour
        return f"anonymous id identified more than {limit} people within an hour"

    def _redirect_url(self, form: FormDefinition, page_url: str | None, ctx: RequestContext) -> str:
        """The form's redirect; a path is resolved on the submitting page's allowed origin."""
        target = form.redirect_url
        if target.startswith(("http://", "https://")):
            return target
        for candidate in (ctx.origin, page_url, ctx.referer):
            if not candidate:
                continue
            parts = urlsplit(candidate)
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin in self._settings.allowed_origins:
                return urljoin(origin + "/", target)
        if self._settings.allowed_origins:
            return urljoin(self._settings.allowed_origins[0] + "/", target)
        return target

    def known(self, lead_id: str | None) -> KnownLead | None:
        """The lead behind an id as identity sees it (a merged visitor: the lead it joined)."""
        if not lead_id:
            return None
        record = self._leads.get_lead(lead_id)
        if record is None:
            # A visitor not scored yet: its link exists, its item not.
            return KnownLead(lead_id, identified=False)
        if record.merged_into:
            return self.known(record.merged_into)
        return KnownLead(lead_id, identified=record.lead.is_identified)

    def _record_submission(
        self, form: FormDefinition, submission: FormSubmission, ctx: RequestContext
    ) -> str:
        now = ctx.received_at
        consent = None
        if submission.consent_marketing:
            consent = {
                "granted": True,
                "at": now,
                "form_id": form.form_id,
                "page_url": submission.page_url,
                "text_version": form.consent_text_version,
            }
        person = self.identify(
            submission.email, submission.profile(), consent, submission.anonymous_id, now
        )
        lead_id, merged, aid, merge_from = (
            person.lead_id,
            person.profile,
            person.anonymous_id,
            person.merge_from,
        )
        events = [
            tracked_event(
                lead_id,
                EventType.FORM_SUBMIT,
                now,
                now,
                "form",
                url=submission.page_url or "",
                title=form.title_in("en"),
                referrer=submission.referrer or "",
                properties={
                    **submission.utm(),
                    "consent_marketing": submission.consent_marketing,
                    **({"network": ctx.network} if ctx.network else {}),
                    **({"message": submission.message} if submission.message else {}),
                    **({"lang": submission.lang} if submission.lang else {}),
                },
                anonymous_id=aid,
                form_id=form.form_id,
                form_kind=form.kind.value,
                profile=merged,
            )
        ]
        if aid or merge_from:
            events.append(
                identity_linked_event(
                    lead_id, now, aid, person.outcome.value, merge_from=merge_from
                )
            )
        if aid and person.switched_from:
            events = self._shared_browser(events, person.switched_from, aid, lead_id, now)
        self._events.put_events(events)
        return lead_id

    @staticmethod
    def _shared_browser(
        events: list[TrackingEvent],
        previous: str,
        aid: str,
        lead_id: str,
        now: float,
    ) -> list[TrackingEvent]:
        """A shared browser changed hands: say so on both people's timelines."""
        said = browser_switch(now)
        joined = events[-1]
        properties = {
            **joined.properties,
            "previous_lead_id": previous,
            "text": said.joined_en,
            "text_nl": said.joined_nl,
        }
        left = system_event(
            previous,
            EventType.IDENTITY_LINKED,
            now,
            {
                "anonymous_id": aid,
                "outcome": "shared_device_left",
                "next_lead_id": lead_id,
                "text": said.left_en,
                "text_nl": said.left_nl,
            },
            anonymous_id=aid,
        )
        return [*events[:-1], replace(joined, properties=properties), left]

    def identify(
        self,
        email: str,
        profile: dict[str, Any],
        consent: dict[str, Any] | None,
        anonymous_id: str | None,
        now: float,
    ) -> Identified:
        """The lead of this e-mail address, stitched to ``anonymous_id`` by the identity rules.

        The oldest id is kept (a visitor becomes the lead), a visitor whose person is
        already a lead is merged into it (``merge_from``), and an id already linked to
        another identified person keeps that link (``decide_identity``). Forms and
        Segment's ``identify`` both come here. ``profile`` is merged into the lead's.
        """
        hashed = email_hash(email)
        if self._leads.is_erased_email(hashed):
            # A new form is a new, explicit act: the person may be a lead again.
            self._leads.clear_erased_email(hashed)
        domain = company_domain(email)
        aid = anonymous_id
        link = self._leads.anonymous_link(aid) if aid else None
        if link is not None and link.erased:
            aid, link = None, None
        decision = decide_identity(
            self.known(self._leads.lead_id_by_email(email)),
            self.known(link.lead_id) if link is not None else None,
        )
        lead_id = decision.lead_id
        merge_from = decision.merge_from
        if decision.outcome is IdentityOutcome.VISITOR_IDENTIFIED and lead_id is not None:
            owner = self._leads.claim_email(email, lead_id)
            if owner != lead_id:  # another form for this e-mail won the race
                merge_from, lead_id = lead_id, owner
        if lead_id is None:
            lead_id = self._create_lead(email, profile, domain, consent, now)
            merged = profile
        else:
            merged = self._leads.update_profile(lead_id, profile, domain, consent, now).profile
        if aid and decision.link_anonymous_id:
            self._leads.link_anonymous_id(aid, lead_id, replace=True)
        switched = decision.switched_from if aid and decision.switched_from != lead_id else None
        return Identified(lead_id, dict(merged), decision.outcome, merge_from, aid, switched)

    def _create_lead(
        self,
        email: str,
        profile: dict[str, Any],
        domain: str,
        consent: dict[str, Any] | None,
        now: float,
    ) -> str:
        lead_id = new_id()
        lead = Lead(
            lead_id=lead_id,
            created_at=now,
            profile=profile,
            company_domain=domain,
            consent=Consent(**consent) if consent else None,
        )
        if self._leads.create_lead(lead):
            return lead_id
        # Lost a race with a concurrent submission for the same e-mail: use its lead.
        owner = self._leads.lead_id_by_email(email)
        if owner is None:
            raise RuntimeError("lead creation conflicted but no owner was found")
        self._leads.update_profile(owner, profile, domain, consent, now)
        return owner

    # -- tracker ---------------------------------------------------------------------

    def track(self, body: Any, ctx: RequestContext) -> TrackerAccepted:
        """Store a tracker beacon's events; each bad event is rejected with its reason.

        Raises
        ------
        InvalidInput
            when the envelope itself (anonymous_id, sent_at, events) is unusable.
        RateLimited
            too many requests from the client's network.
        """
        self.limits.check_network(ctx.network)
        try:
            batch = TrackerBatch.model_validate(body)
        except ValidationError as error:
            raise InvalidInput(errors_from_validation(error)) from None
        sent_at = None
        if batch.sent_at:
            try:
                sent_at = parse_instant(batch.sent_at)
            except EventTimeError as error:
                raise InvalidInput([FieldError("sent_at", str(error))]) from None
        # A bad event id fails the whole beacon: its retries could not be told apart.
        bad_ids = [
            FieldError(f"events.{index}.event_id", problem)
            for index, raw in enumerate(batch.events)
            if isinstance(raw, Mapping) and (problem := event_id_problem(raw.get("event_id")))
        ]
        if bad_ids:
            raise InvalidInput(bad_ids)
        machine = classify_hit(ctx.user_agent, HitContext.PAGE, ctx.method, ctx.purpose)
        rejected: list[EventRejected] = []
        accepted: list[TrackingEvent] = []
        lead_id: str | None = None
        for index, raw in enumerate(batch.events):
            try:
                item = TrackerEvent.model_validate(raw)
                ts = parse_instant(item.ts) if item.ts else None
                occurred = event_time(ctx.received_at, ts, sent_at)
            except ValidationError as error:
                problems = errors_from_validation(error, prefix=f"events.{index}.")
                message = "; ".join(f"{p.field}: {p.message}" for p in problems)
                rejected.append(EventRejected(index=index, message=message))
                continue
            except EventTimeError as error:
                rejected.append(EventRejected(index=index, message=f"events.{index}.ts: {error}"))
                continue
            if item.event_id and not self._first_sighting(
                f"event:{batch.anonymous_id}:{item.event_id}",
                ctx.received_at,
                self._model.machine_traffic.repeat_event_hours * 3600,
            ):
                continue  # a retried beacon: counted as accepted, stored once
            if item.type == "newsletter_unsubscribe":
                problem = self._unsubscribe(item, occurred, ctx, machine)
                if problem:
                    rejected.append(EventRejected(index=index, message=problem))
                continue
            if ctx.global_privacy_control:
                continue  # counted as accepted, never attributed to a person
            if lead_id is None:
                lead_id = self._visitor(batch.anonymous_id)
                if lead_id is None:
                    continue  # an erased person: dropped
            accepted.append(
                tracked_event(
                    lead_id,
                    item.type,
                    occurred,
                    ctx.received_at,
                    "tracker",
                    event_id=tracker_event_id(batch.anonymous_id, item.event_id)
                    if item.event_id
                    else None,
                    url=item.url or "",
                    title=item.title or "",
                    referrer=item.referrer or "",
                    properties=item.properties,
                    machine=machine,
                    anonymous_id=batch.anonymous_id,
                )
            )
        if accepted:
            self._events.put_events(accepted)
        return TrackerAccepted(accepted=len(batch.events) - len(rejected), rejected=rejected)

    def _first_sighting(self, key: str, now: float, window_seconds: float) -> bool:
        """True the first time ``key`` is seen within the window (always without a port)."""
        if self._sightings is None:
            return True
        return self._sightings.first_seen(key, now, window_seconds)

    def _repeated_hit(self, token_text: str, ctx: RequestContext) -> bool:
        """The same open pixel or tracked link again within seconds: one hit, not two."""
        digest = hashlib.sha256(token_text.encode("utf-8")).hexdigest()[:40]
        window = self._model.machine_traffic.repeat_hit_seconds
        return not self._first_sighting(f"hit:{digest}", ctx.received_at, window)

    def _visitor(self, anonymous_id: str) -> str | None:
        """The lead an anonymous id belongs to, a new visitor if none, None if erased."""
        link = self._leads.anonymous_link(anonymous_id)
        if link is not None:
            return None if link.erased else link.lead_id
        winner = self._leads.link_anonymous_id(anonymous_id, new_id(), replace=False)
        return winner or None

    def _unsubscribe(
        self,
        item: TrackerEvent,
        occurred: float,
        ctx: RequestContext,
        machine: MachineVerdict | None,
    ) -> str | None:
        """A newsletter unsubscribe: recorded on the lead it names, and consent withdrawn."""
        properties = item.properties
        lead_id = None
        if isinstance(properties.get("email"), str):
            lead_id = self._leads.lead_id_by_email(str(properties["email"]).strip())
        elif isinstance(properties.get("token"), str):
            token = verify_token(str(properties["token"]), self._secrets.values(), TokenKind.CLICK)
            token = token or verify_token(
                str(properties["token"]), self._secrets.values(), TokenKind.OPEN
            )
            lead_id = token.lead_id if token else None
        else:
            return "properties.email or properties.token is required for newsletter_unsubscribe"
        if lead_id is None or machine is not None:
            # Unknown addresses are not revealed; machines cannot unsubscribe people.
            return None
        record = self._leads.get_lead(lead_id)
        if record is None or record.erased:
            return None
        self._leads.set_consent(
            lead_id,
            {"granted": False, "at": occurred, "page_url": item.url, "text_version": None},
            ctx.received_at,
        )
        self._events.put_events(
            [
                tracked_event(
                    lead_id,
                    EventType.NEWSLETTER_UNSUBSCRIBE,
                    occurred,
                    ctx.received_at,
                    "tracker",
                    url=item.url or "",
                    properties={"consent_withdrawn": True},
                )
            ]
        )
        return None

    def page_pixel(self, params: Mapping[str, str], ctx: RequestContext) -> None:
        """The no-JavaScript page view. Bad parameters are not stored; the GIF is always sent.

        ``url`` may be a path (``/pricing``): a ``<noscript>`` image cannot know its
        page's full address, so the path is resolved on the Referer's (or Origin's)
        site. Without ``aid`` nothing is stored: there is nobody to attribute it to.
        """
        aid = params.get("aid") or ""
        url = _absolute(params.get("url") or "", ctx)
        try:
            TrackerBatch.model_validate({"anonymous_id": aid, "events": [{}]})
            item = TrackerEvent.model_validate(
                {
                    "type": "page_view",
                    "url": url,
                    "title": (params.get("title") or None),
                    "referrer": (params.get("ref") or None),
                }
            )
        except ValidationError:
            return
        if not item.url or ctx.global_privacy_control or not self.limits.allow_network(ctx.network):
            return
        lead_id = self._visitor(aid)
        if lead_id is None:
            return
        machine = classify_hit(ctx.user_agent, HitContext.PAGE, ctx.method, ctx.purpose)
        self._events.put_events(
            [
                tracked_event(
                    lead_id,
                    EventType.PAGE_VIEW,
                    ctx.received_at,
                    ctx.received_at,
                    "pixel",
                    url=item.url,
                    title=item.title or "",
                    referrer=item.referrer or "",
                    machine=machine,
                    anonymous_id=aid,
                )
            ]
        )

    # -- e-mail ----------------------------------------------------------------------

    def email_open(self, token_text: str, ctx: RequestContext) -> None:
        """An open pixel hit: counted for the campaign, attributed only with consent."""
        token = verify_token(token_text, self._secrets.values(), TokenKind.OPEN)
        if token is None or not self.limits.allow_network(ctx.network):
            return
        if self._repeated_hit(token_text, ctx):
            return
        machine = classify_hit(
            ctx.user_agent, HitContext.EMAIL_OPEN, ctx.method, ctx.purpose
        ) or classify_network(ctx.source_ip, HitContext.EMAIL_OPEN)
        self._leads.bump_campaign(token.campaign_id, "machine_opens" if machine else "opens")
        self._attribute(token, EventType.EMAIL_OPEN, machine, ctx)

    def email_click(self, token_text: str, ctx: RequestContext) -> ClickResult:
        """A tracked link: where to send the person. Anything not signed by us is a 404.

        Raises
        ------
        NotFound
            the token is tampered with or unknown, or the campaign's links are switched off.
        """
        token = verify_token(token_text, self._secrets.values(), TokenKind.CLICK)
        if token is None or token.target_url is None:
            raise NotFound("token: unknown or tampered tracking link")
        campaign = self._leads.campaign(token.campaign_id)
        if campaign.get("disabled"):
            raise NotFound("token: this campaign's tracked links are switched off")
        if not self.limits.allow_network(ctx.network):
            return ClickResult(token.target_url)  # the person still gets there; not counted
        if self._repeated_hit(token_text, ctx):
            return ClickResult(token.target_url)  # the same click again: still redirected
        machine = (
            classify_hit(ctx.user_agent, HitContext.EMAIL_CLICK, ctx.method, ctx.purpose)
            or classify_network(ctx.source_ip, HitContext.EMAIL_CLICK)
            or click_before_read(
                token.issued_at, ctx.received_at, self._model.machine_traffic.min_read_seconds
            )
        )
        self._leads.bump_campaign(token.campaign_id, "machine_clicks" if machine else "clicks")
        self._attribute(token, EventType.EMAIL_CLICK, machine, ctx)
        return ClickResult(token.target_url)

    def _attribute(
        self,
        token: TrackingToken,
        event_type: EventType,
        machine: MachineVerdict | None,
        ctx: RequestContext,
    ) -> None:
        if ctx.global_privacy_control:
            return
        record = self._leads.get_lead(token.lead_id)
        if record is None or record.erased or not record.lead.may_attribute_email_tracking:
            return
        self._events.put_events(
            [
                tracked_event(
                    token.lead_id,
                    event_type,
                    ctx.received_at,
                    ctx.received_at,
                    "email",
                    url=token.target_url or "",
                    properties={
                        "personal": _is_personal(token),
                        **({"target_url": token.target_url} if token.target_url else {}),
                    },
                    machine=machine,
                    campaign_id=token.campaign_id,
                    message_id=token.message_id,
                )
            ]
        )

    def create_tracking_links(
        self, request: TrackingLinksRequest, ctx: RequestContext
    ) -> TrackingLinksResponse:
        """Sign an open pixel and tracked links for one recipient of one message.

        Raises
        ------
        InvalidInput
            neither e-mail nor lead id, or an invalid e-mail.
        NotFound
            the lead id does not exist.
        Gone
            the e-mail belongs to an erased person.
        """
        lead_id = self._recipient(request, ctx)
        secrets = self._secrets.values()
        campaign = f"p:{request.campaign_id}" if request.personal else request.campaign_id
        issued = int(ctx.received_at)
        base = ctx.base_url.rstrip("/")

        def signed(kind: TokenKind, url: str | None) -> str:
            return sign_token(
                TrackingToken(kind, lead_id, campaign, request.message_id, url, issued), secrets
            )

        return TrackingLinksResponse(
            lead_id=lead_id,
            open_pixel_url=f"{base}/v1/t/o/{signed(TokenKind.OPEN, None)}",
            links={url: f"{base}/v1/t/c/{signed(TokenKind.CLICK, url)}" for url in request.links},
        )

    def _recipient(self, request: TrackingLinksRequest, ctx: RequestContext) -> str:
        if request.lead_id:
            record = self._leads.get_lead(request.lead_id)
            if record is None or record.erased:
                raise NotFound(f"lead_id: no lead '{request.lead_id}'")
            return request.lead_id
        if not request.email:
            raise InvalidInput([FieldError("email", "email or lead_id is required")])
        try:
            email = FormSubmission.model_validate({"email": request.email}).email
        except ValidationError as error:
            raise InvalidInput(errors_from_validation(error)) from None
        if self._leads.is_erased_email(email_hash(email)):
            raise Gone("email: this person was erased; do not track them")
        existing = self._leads.lead_id_by_email(email)
        if existing:
            return existing
        # A mailing-list recipient Trechter has not seen yet becomes a lead (no consent).
        return self._create_lead(
            email, {"email": email}, company_domain(email), None, ctx.received_at
        )


def _is_personal(token: TrackingToken) -> bool:
    return token.campaign_id.startswith("p:")


def _absolute(url: str, ctx: RequestContext) -> str:
    """A page path resolved on the site that embedded the pixel (Referer, else Origin)."""
    if not url.startswith("/") or url.startswith("//"):
        return url
    for candidate in (ctx.referer, ctx.origin):
        if candidate and candidate.startswith(("http://", "https://")):
            parts = urlsplit(candidate)
            return f"{parts.scheme}://{parts.netloc}{url}"
    return url
