"""Segment-compatible ingest: analytics.js, Segment's and RudderStack's SDKs feed Trechter.

Each message becomes what Trechter's own tracker and forms would have stored for
the same act: ``page``/``screen`` a page view, ``identify`` the lead's profile
(with the forms' identity rules), ``track`` a mapped event, a form submission or a
custom event (the model's ``segment:`` section), ``alias`` and ``group`` identity
and company facts. A ``messageId`` counts once for 24 hours.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from pydantic import ValidationError

from chalicelib.adapters.ports import EventStore, Privacy, Profiles, Quarantine, Sightings
from chalicelib.domain.clock import EventTimeError
from chalicelib.domain.errors import FieldError, InvalidInput, TrechterError, Unauthorized
from chalicelib.domain.events import (
    EventType,
    MachineVerdict,
    TrackingEvent,
    identity_linked_event,
    tracked_event,
)
from chalicelib.domain.identity import IdentityOutcome, decide_identity
from chalicelib.domain.scoring.model import ScoringModel
from chalicelib.domain.segment import (
    BATCH_PATHS,
    MAX_MESSAGE_BYTES,
    PATH_TYPES,
    USER_ID_PREFIX,
    PageFacts,
    SegmentBatch,
    SegmentMessage,
    company_fields,
    declined_tracking,
    occurred_at,
    page_facts,
    parse_message,
    profile_fields,
    screen_facts,
    user_key,
)
from chalicelib.domain.submissions import FormSubmission, errors_from_validation
from chalicelib.domain.traffic import HitContext, classify_hit
from chalicelib.redaction import remember_personal_values
from chalicelib.schemas import EventRejected, SegmentAccepted
from chalicelib.services.capture import CaptureService, Identified, email_hash, new_id
from chalicelib.services.context import RequestContext, truncate_ip
from chalicelib.services.models import ModelProvider, provider_of
from chalicelib.services.secrets import SecretSet

#: A client's retries of one message count once within this window (Segment: 24 h).
DEDUPE_SECONDS = 86_400.0


class Rejected(Exception):
    """One message of a call cannot be stored; the sentence names the field."""


@dataclass(slots=True)
class _Call:
    """What one HTTP call collects: its events (written together) and the id links it read."""

    events: list[TrackingEvent] = field(default_factory=list)
    links: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Hit:
    """What every message of one call shares, read once from the message."""

    message: SegmentMessage
    occurred: float
    received: float
    machine: MachineVerdict | None
    declined: bool
    network: str | None
    call: _Call


class SegmentLeads(Profiles, Privacy, Protocol):
    """The lead-store ports SegmentService uses."""


class SegmentService:
    """Turns Segment HTTP Tracking API calls into Trechter's leads and events."""

    def __init__(
        self,
        model: ScoringModel | ModelProvider,
        leads: SegmentLeads,
        events: EventStore,
        quarantine: Quarantine,
        sightings: Sightings,
        capture: CaptureService,
        write_keys: SecretSet,
    ) -> None:
        self._models = provider_of(model)
        self._leads = leads
        self._events = events
        self._quarantine = quarantine
        self._sightings = sightings
        self._capture = capture
        self._write_keys = write_keys

    @property
    def _model(self) -> ScoringModel:
        """The model to score with now (the active one; see services/models.py)."""
        return self._models.current()

    def receive(
        self, path: str, body: Mapping[str, Any], basic_user: str | None, ctx: RequestContext
    ) -> SegmentAccepted:
        """Store one call (``path`` ``track``, ``t``, ...) or a batch (``batch``, ``b``).

        A single call that cannot be stored is refused (400, naming the field); in a
        batch each bad message is answered in ``rejected`` and quarantined, and the
        others are stored.

        Raises
        ------
        Unauthorized
            no write key (body ``writeKey`` or HTTP Basic user) or not a known one.
        InvalidInput
            a batch without its ``batch`` list, or a single call that cannot be stored.
        RateLimited
            too many requests from the client's network.
        """
        key = basic_user or body.get("writeKey")
        if not isinstance(key, str) or not self._write_keys.matches(key):
            raise Unauthorized(
                "writeKey: missing or not a valid write key (send it as the HTTP Basic "
                "user name or as writeKey in the body)"
            )
        self._capture.limits.check_network(ctx.network)
        call = _Call()
        try:
            return self._receive(path, body, ctx, call)
        finally:
            # One write for the whole call (BatchWriteItem); also when a message failed,
            # so the messages before it, already sighted, are never lost.
            if call.events:
                self._events.put_events(call.events)

    def _receive(
        self, path: str, body: Mapping[str, Any], ctx: RequestContext, call: _Call
    ) -> SegmentAccepted:
        if path in BATCH_PATHS:
            try:
                batch = SegmentBatch.model_validate(body)
            except ValidationError as error:
                raise InvalidInput(errors_from_validation(error)) from None
            rejected = []
            for index, raw in enumerate(batch.batch):
                problem = self._one(raw, batch.sentAt, batch.context, ctx, call)
                if problem is not None:
                    rejected.append(EventRejected(index=index, message=problem))
                    self._quarantine.put("segment:batch", problem, _kept(raw), ctx.received_at)
            return SegmentAccepted(rejected=rejected)
        message = {**body, "type": PATH_TYPES[path]}
        problem = self._one(message, None, {}, ctx, call)
        if problem is not None:
            raise InvalidInput([FieldError(problem.partition(":")[0] or "body", problem)])
        return SegmentAccepted()

    def _one(
        self,
        raw: Any,
        batch_sent_at: str | None,
        batch_context: Mapping[str, Any],
        ctx: RequestContext,
        call: _Call,
    ) -> str | None:
        """Store one message; the reason when it cannot be (None: stored or a repeat)."""
        if len(json.dumps(raw, default=str).encode("utf-8")) > MAX_MESSAGE_BYTES:
            return f"message: over Segment's limit of {MAX_MESSAGE_BYTES // 1024} KB per message"
        if isinstance(raw, Mapping) and batch_context and not raw.get("context"):
            raw = {**raw, "context": dict(batch_context)}
        message, problem = parse_message(raw)
        if message is None:
            return problem
        try:
            occurred = occurred_at(message, ctx.received_at, batch_sent_at)
        except EventTimeError as error:
            return str(error)
        if message.messageId and not self._sightings.first_seen(
            f"segment:{message.messageId}", ctx.received_at, DEDUPE_SECONDS
        ):
            return None  # a client's retry: stored the first time
        hit = self._hit(message, occurred, ctx, call)
        try:
            self._apply(hit)
        except Rejected as error:
            return str(error)
        except InvalidInput as error:
            return "; ".join(f"traits.{e.field}: {e.message}" for e in error.errors)
        except TrechterError as error:
            return str(error)
        return None

    def _hit(
        self, message: SegmentMessage, occurred: float, ctx: RequestContext, call: _Call
    ) -> _Hit:
        context = message.context
        agent = context.get("userAgent")
        # A server library's call carries no browser: it is first party and counts.
        machine = (
            classify_hit(agent, HitContext.PAGE)
            if isinstance(agent, str) and agent.strip()
            else None
        )
        ip = context.get("ip")
        categories = self._model.segment.consent_categories
        return _Hit(
            message=message,
            occurred=occurred,
            received=ctx.received_at,
            machine=machine,
            declined=ctx.global_privacy_control or declined_tracking(context, categories),
            network=truncate_ip(ip) if isinstance(ip, str) else None,
            call=call,
        )

    def _apply(self, hit: _Hit) -> None:
        kind = hit.message.type
        if kind in ("identify", "alias"):
            hit.call.links.clear()  # they may move ids between leads
        if kind == "identify":
            self._identify(hit)
        elif kind == "alias":
            self._alias(hit)
        elif kind == "group":
            self._group(hit)
        elif kind == "page":
            self._page_view(hit, page_facts(hit.message))
        elif kind == "screen":
            self._page_view(hit, screen_facts(hit.message))
        else:
            self._track(hit)

    # -- behaviour -------------------------------------------------------------------

    def _page_view(self, hit: _Hit, page: PageFacts) -> None:
        if not page.url:
            raise Rejected("properties.url: a page call needs properties.url or path")
        if hit.declined:
            return  # accepted, never attributed to a person (the tracker's rule)
        lead_id = self._lead_of(hit)
        if lead_id is not None:
            self._store(hit, lead_id, EventType.PAGE_VIEW, page, {})

    def _track(self, hit: _Hit) -> None:
        name = str(hit.message.event)
        mapping = self._model.segment
        if hit.declined:
            return
        page = page_facts(hit.message)
        if name in mapping.forms:
            self._form(hit, mapping.forms[name], page)
            return
        kind = mapping.events.get(name)
        if kind is None:
            lead_id = self._lead_of(hit)
            if lead_id is not None:
                self._store(hit, lead_id, EventType.CUSTOM, page, {"event": name})
            return
        lead_id = self._lead_of(hit)
        if lead_id is None:
            return
        props = hit.message.properties
        if kind is EventType.NEWSLETTER_UNSUBSCRIBE:
            self._unsubscribe(hit, lead_id, page)
            return
        if kind in (EventType.EMAIL_OPEN, EventType.EMAIL_CLICK):
            record = self._leads.get_lead(lead_id)
            # Opens and clicks count for a person only with marketing consent.
            if record is None or not record.lead.may_attribute_email_tracking:
                return
        extra: dict[str, Any] = {"segment_event": name}
        target = props.get("link_url") or props.get("href") or props.get("target_url")
        if isinstance(target, str):
            extra["target_url"] = target
        self._store(hit, lead_id, kind, page, extra)

    def _form(self, hit: _Hit, form_id: str, page: PageFacts) -> None:
        """A track event the model names as a form: the form's submission, as forms store it."""
        form = self._model.forms_by_id[form_id]
        lead_id = self._lead_of(hit)
        if lead_id is None:
            return
        record = self._leads.get_lead(lead_id)
        profile = dict(record.lead.profile) if record is not None and record.lead.email else None
        locale = hit.message.context.get("locale")
        hit.call.events.extend(
            [
                tracked_event(
                    lead_id,
                    EventType.FORM_SUBMIT,
                    hit.occurred,
                    hit.received,
                    "segment",
                    url=page.url,
                    title=form.title_in("en"),
                    referrer=page.referrer,
                    properties={
                        "consent_marketing": False,
                        "segment_event": str(hit.message.event),
                        **({"network": hit.network} if hit.network else {}),
                        # The hand-over language, as a form's lang field (analytics.js: nl-NL).
                        **({"lang": locale} if isinstance(locale, str) and locale else {}),
                    },
                    machine=hit.machine,
                    anonymous_id=hit.message.anonymousId,
                    form_id=form.form_id,
                    form_kind=form.kind.value,
                    profile=profile,
                )
            ]
        )

    def _unsubscribe(self, hit: _Hit, lead_id: str, page: PageFacts) -> None:
        record = self._leads.get_lead(lead_id)
        if record is None or record.erased or not record.lead.email or hit.machine is not None:
            return  # machines cannot unsubscribe people
        self._leads.set_consent(
            lead_id,
            {"granted": False, "at": hit.occurred, "page_url": page.url, "text_version": None},
            hit.received,
        )
        self._store(
            hit, lead_id, EventType.NEWSLETTER_UNSUBSCRIBE, page, {"consent_withdrawn": True}
        )

    def _store(
        self,
        hit: _Hit,
        lead_id: str,
        kind: EventType,
        page: PageFacts,
        extra: Mapping[str, Any],
    ) -> None:
        properties = {**page.properties, **extra}
        if hit.network:
            properties["network"] = hit.network
        hit.call.events.extend(
            [
                tracked_event(
                    lead_id,
                    kind,
                    hit.occurred,
                    hit.received,
                    "segment",
                    url=page.url,
                    title=page.title,
                    referrer=page.referrer,
                    properties=properties,
                    machine=hit.machine,
                    anonymous_id=hit.message.anonymousId,
                )
            ]
        )

    # -- identity --------------------------------------------------------------------

    def _keys(self, hit: _Hit) -> list[str]:
        """The message's ids as identity keys: the userId first (it outlives browsers)."""
        message = hit.message
        keys = [user_key(message.userId)] if message.userId else []
        if message.anonymousId and not hit.declined:
            keys.append(message.anonymousId)
        return keys

    def _lead_of(self, hit: _Hit) -> str | None:
        """The lead the message's ids belong to (a new visitor if none); None if erased.

        Ids of one message belong to one person: an id not linked yet joins the
        lead of the other. Ids already linked to different leads are stitched only
        by ``identify`` and ``alias``.
        """
        keys = self._keys(hit)
        if not keys:
            return None
        known = hit.call.links
        for key in keys:
            if key not in known:
                link = self._leads.anonymous_link(key)
                # "" marks an erased id (nothing is attributed to it); None one not linked yet.
                known[key] = None if link is None else ("" if link.erased else link.lead_id)
        if any(known[key] == "" for key in keys):
            return None
        lead_id = next((known[key] for key in keys if known[key]), None)
        for key in keys:
            if known[key] is None:
                lead_id = self._leads.link_anonymous_id(key, lead_id or new_id(), replace=False)
                known[key] = lead_id
        return lead_id or None

    def _identify(self, hit: _Hit) -> None:
        message = hit.message
        fields = profile_fields(message.all_traits())
        remember_personal_values(*(fields.get(n) for n in ("email", "first_name", "last_name")))
        email = fields.get("email")
        if not isinstance(email, str):
            lead_id = self._stitched(hit)
            if lead_id is not None and fields:
                self._update_profile(hit, lead_id, fields)
            return
        submission = self._validated(fields)
        if self._leads.is_erased_email(email_hash(submission.email)):
            # Only the person's own new act (a form) brings an erased person back, never a
            # system's routine identify call.
            return
        # The browser's id first, then the userId: a visitor known by either becomes
        # the lead (its id, the oldest, is kept), as a form with the tracker's id does.
        ids: list[str | None] = [
            self._anonymous(hit),
            user_key(message.userId) if message.userId else None,
        ]
        linked: list[Identified] = []
        profile = submission.profile()
        present: list[str | None] = [one for one in ids if one]
        for aid in present or [None]:
            person = self._capture.identify(submission.email, profile, None, aid, hit.received)
            linked.append(person)
            profile = {}
        events = [self._linked_event(hit, one) for one in linked if one.anonymous_id]
        events.append(self._profile_event(hit, person.lead_id, person.profile))
        hit.call.events.extend(events)

    def _alias(self, hit: _Hit) -> None:
        message = hit.message
        previous = str(message.previousId)
        earlier = user_key(previous)
        if self._leads.anonymous_link(earlier) is None:
            earlier = previous  # an anonymousId (analytics.js aliases its browser id)
        self._stitch(hit, user_key(str(message.userId)), earlier)

    def _group(self, hit: _Hit) -> None:
        fields = company_fields(hit.message.traits)
        lead_id = self._lead_of(hit)
        if lead_id is not None and fields:
            self._update_profile(hit, lead_id, fields)

    def _anonymous(self, hit: _Hit) -> str | None:
        return None if hit.declined else hit.message.anonymousId

    def _stitched(self, hit: _Hit) -> str | None:
        """The lead of an identify without e-mail: its userId and anonymousId stitched."""
        message = hit.message
        aid = self._anonymous(hit)
        if message.userId and aid:
            return self._stitch(hit, user_key(message.userId), aid)
        return self._lead_of(hit)

    def _stitch(self, hit: _Hit, anchor_key: str, other_key: str) -> str | None:
        """Tie ``other_key`` to the person of ``anchor_key`` under the forms' identity rules.

        An unlinked id joins the other's lead; a visitor joins (is merged into) the
        lead of the other id; two identified leads are never merged (the id keeps its
        first link, recorded as ``shared_device``).
        """
        anchor_link = self._leads.anonymous_link(anchor_key)
        other_link = self._leads.anonymous_link(other_key)
        if (anchor_link is not None and anchor_link.erased) or (
            other_link is not None and other_link.erased
        ):
            return None
        if anchor_link is None or not anchor_link.lead_id:
            lead_id = other_link.lead_id if other_link and other_link.lead_id else new_id()
            self._leads.link_anonymous_id(other_key, lead_id, replace=False)
            return self._leads.link_anonymous_id(anchor_key, lead_id, replace=False) or None
        if other_link is None or not other_link.lead_id:
            return self._leads.link_anonymous_id(other_key, anchor_link.lead_id, replace=False)
        anchor = self._capture.known(anchor_link.lead_id)
        other = self._capture.known(other_link.lead_id)
        if anchor is None or other is None or anchor.lead_id == other.lead_id:
            return anchor_link.lead_id
        if not anchor.identified and other.identified:
            # The identified person is the one the visitor turned out to be.
            anchor, other = other, anchor
            anchor_key, other_key = other_key, anchor_key
        decision = decide_identity(anchor, other)
        lead_id = decision.lead_id or anchor.lead_id
        # A shared browser goes to whoever identified last; a userId is a person's own id
        # and never changes hands.
        two_people = decision.outcome is IdentityOutcome.SHARED_DEVICE and other_key.startswith(
            USER_ID_PREFIX
        )
        if decision.link_anonymous_id and not two_people:
            self._leads.link_anonymous_id(other_key, lead_id, replace=True)
        person = Identified(lead_id, {}, decision.outcome, decision.merge_from, other_key)
        hit.call.events.append(self._linked_event(hit, person))
        return lead_id

    def _validated(self, fields: Mapping[str, Any]) -> FormSubmission:
        try:
            return FormSubmission.model_validate(dict(fields))
        except ValidationError as error:
            raise InvalidInput(errors_from_validation(error)) from None

    def _update_profile(self, hit: _Hit, lead_id: str, fields: Mapping[str, Any]) -> None:
        """Traits of a known person (by e-mail): validated like a form's fields.

        A visitor without e-mail has no profile (as on forms): the traits are kept on
        its timeline instead, unscored, so nothing the client sent is lost.
        """
        record = self._leads.get_lead(lead_id)
        if record is not None and record.erased:
            return
        if record is None or not record.lead.email:
            kept = {name: value for name, value in fields.items() if name != "email"}
            event = self._profile_event(hit, lead_id, None)
            properties = {**event.properties, "traits": kept}
            hit.call.events.append(replace(event, properties=properties))
            return
        submission = self._validated({**fields, "email": record.lead.email})
        profile = {k: v for k, v in submission.profile().items() if k in fields or k == "email"}
        lead = self._leads.update_profile(lead_id, profile, None, None, hit.received)
        hit.call.events.append(self._profile_event(hit, lead_id, dict(lead.profile)))

    def _profile_event(
        self, hit: _Hit, lead_id: str, profile: dict[str, Any] | None
    ) -> TrackingEvent:
        return tracked_event(
            lead_id,
            EventType.PROFILE_UPDATED,
            hit.occurred,
            hit.received,
            "segment",
            properties={"segment_type": hit.message.type},
            anonymous_id=hit.message.anonymousId,
            profile=profile,
        )

    def _linked_event(self, hit: _Hit, person: Identified) -> TrackingEvent:
        return identity_linked_event(
            person.lead_id,
            hit.received,
            person.anonymous_id,
            person.outcome.value,
            merge_from=person.merge_from,
            source="segment",
        )


def _kept(raw: Any) -> Any:
    """A rejected message as the quarantine keeps it: without the source's write key."""
    if isinstance(raw, Mapping):
        return {key: value for key, value in raw.items() if key != "writeKey"}
    return raw
