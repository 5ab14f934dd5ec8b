"""Tracking events: what a person (or a machine) did, as the scorer sees it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.domain.scoring.scorer import AccountSurge, StageTransition


class EventType(StrEnum):
    """Every kind of event Trechter stores. The first six come from the tracker."""

    PAGE_VIEW = "page_view"
    LINK_CLICK = "link_click"
    DOWNLOAD = "download"
    SITE_SEARCH = "site_search"
    NEWSLETTER_UNSUBSCRIBE = "newsletter_unsubscribe"
    #: How long a page view was read (visible, focused, scrolled): ``trechter-read.js``.
    PAGE_ENGAGEMENT = "page_engagement"
    FORM_SUBMIT = "form_submit"
    EMAIL_OPEN = "email_open"
    EMAIL_CLICK = "email_click"
    IDENTITY_LINKED = "identity_linked"
    ACCOUNT_SIGNAL = "account_signal"
    SALES_FEEDBACK = "sales_feedback"
    STAGE_CHANGED = "stage_changed"
    CONSENT_CHANGED = "consent_changed"
    #: A product or site event known only by its name (Segment ``track``): kept on the
    #: timeline with ``properties.event``; it scores only where a rule names it.
    CUSTOM = "custom"
    #: The person's profile changed without a form (Segment ``identify``/``group``).
    PROFILE_UPDATED = "profile_updated"


TRACKER_EVENT_TYPES = frozenset(
    {
        EventType.PAGE_VIEW,
        EventType.LINK_CLICK,
        EventType.DOWNLOAD,
        EventType.SITE_SEARCH,
        EventType.NEWSLETTER_UNSUBSCRIBE,
        EventType.PAGE_ENGAGEMENT,
    }
)


class MachineLabel(StrEnum):
    """Why a hit is not a person: such hits are stored, labelled, and score zero."""

    CRAWLER = "crawler"
    LINK_SCANNER = "link_scanner"
    MAIL_PROXY = "mail_proxy"
    HTTP_LIBRARY = "http_library"
    BROWSER_AUTOMATION = "browser_automation"
    #: Several hits of one e-mail message within seconds of each other (behaviour).
    SCANNER_BURST = "scanner_burst"
    #: A click before the message could have been read (behaviour).
    CLICK_BEFORE_READ = "click_before_read"
    #: From a mail scanner's or mail proxy's published network (see domain/networks.py).
    SCANNER_NETWORK = "scanner_network"


@dataclass(frozen=True, slots=True)
class MachineVerdict:
    """The classification of a machine hit and the evidence for it."""

    label: MachineLabel
    reason: str


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    """One stored event of one lead (or anonymous visitor), self-contained for scoring.

    ``occurred_at`` and ``received_at`` are epoch seconds (UTC). ``profile`` is the
    lead's merged profile after a form submission, so the scorer never reads it.
    """

    event_id: str
    lead_id: str
    type: str
    occurred_at: float
    received_at: float
    source: str = "tracker"
    url: str = ""
    title: str = ""
    referrer: str = ""
    properties: Mapping[str, Any] = field(default_factory=dict)
    machine: MachineVerdict | None = None
    anonymous_id: str | None = None
    campaign_id: str | None = None
    message_id: str | None = None
    form_id: str | None = None
    form_kind: str | None = None
    profile: Mapping[str, Any] | None = None


# -- building events: the one place (ids, times and sources follow the same rules) -----


def new_event_id() -> str:
    """A fresh event id (an event nobody can send twice: a form post, a pixel hit)."""
    return uuid.uuid4().hex


def derived_event_id(*parts: object) -> str:
    """A deterministic event id: a retry of what made the event writes the same one."""
    return uuid.uuid5(uuid.NAMESPACE_URL, ":".join(str(part) for part in parts)).hex


def tracker_event_id(anonymous_id: str, event_id: str) -> str:
    """The stored id of a tracker event that names its own id: the same for every retry."""
    return derived_event_id("tracker", anonymous_id, event_id)


def tracked_event(
    lead_id: str,
    kind: str,
    occurred_at: float,
    received_at: float,
    source: str,
    *,
    event_id: str | None = None,
    url: str = "",
    title: str = "",
    referrer: str = "",
    properties: Mapping[str, Any] | None = None,
    machine: MachineVerdict | None = None,
    anonymous_id: str | None = None,
    campaign_id: str | None = None,
    message_id: str | None = None,
    form_id: str | None = None,
    form_kind: str | None = None,
    profile: Mapping[str, Any] | None = None,
) -> TrackingEvent:
    """Something a person (or a machine) did, received from outside: a tracker hit, a
    pixel, an e-mail open or click, a form, a Segment call, sales' or a CRM's word.

    ``event_id`` defaults to a fresh id; pass a deterministic one where a retry must
    not make a second event (``tracker_event_id``, an ``Idempotency-Key``).
    """
    return TrackingEvent(
        event_id=event_id or new_event_id(),
        lead_id=lead_id,
        type=kind,
        occurred_at=occurred_at,
        received_at=received_at,
        source=source,
        url=url,
        title=title,
        referrer=referrer,
        properties=dict(properties or {}),
        machine=machine,
        anonymous_id=anonymous_id,
        campaign_id=campaign_id,
        message_id=message_id,
        form_id=form_id,
        form_kind=form_kind,
        profile=profile,
    )


def system_event(
    lead_id: str,
    kind: str,
    at: float,
    properties: Mapping[str, Any],
    *,
    source: str = "system",
    event_id: str | None = None,
    anonymous_id: str | None = None,
) -> TrackingEvent:
    """Something Trechter itself recorded on a timeline, at ``at`` (occurred = received)."""
    return tracked_event(
        lead_id,
        kind,
        at,
        at,
        source,
        event_id=event_id,
        properties=properties,
        anonymous_id=anonymous_id,
    )


def identity_linked_event(
    lead_id: str,
    at: float,
    anonymous_id: str | None,
    outcome: str,
    *,
    merge_from: str | None = None,
    source: str = "system",
) -> TrackingEvent:
    """A browser (anonymous id) was linked to a person; ``merge_from`` the visitor merged."""
    return system_event(
        lead_id,
        EventType.IDENTITY_LINKED,
        at,
        {
            "anonymous_id": anonymous_id,
            "outcome": outcome,
            **({"merge_from": merge_from} if merge_from else {}),
        },
        source=source,
        anonymous_id=anonymous_id,
    )


def stage_change_event(
    lead_id: str, transition: StageTransition, by: str | None = None
) -> TrackingEvent:
    """A stage change on the lead's timeline, with its reason (and who, for sales)."""
    return system_event(
        lead_id,
        EventType.STAGE_CHANGED,
        transition.at,
        {
            "from": transition.from_stage,
            "to": transition.to_stage,
            "reason": transition.reason,
            **({"by": by} if by else {}),
        },
        source="sales" if by is not None else "system",
        # Deterministic: a retried commit writes the same timeline entry.
        event_id=derived_event_id(
            "stage", lead_id, transition.from_stage, transition.to_stage, transition.at
        ),
    )


def account_signal_event(surge: AccountSurge, colleague: str) -> TrackingEvent:
    """A colleague of an account surge hears of it; one per (surge window, colleague)."""
    return system_event(
        colleague,
        EventType.ACCOUNT_SIGNAL,
        surge.at,
        {
            "domain": surge.domain,
            "topic": surge.topic,
            "readers": surge.readers,
            # Seed 003, 3.2: a clear senior among them means phone, else CCs.
            "hierarchy": surge.senior is not None,
            **({"senior_lead_id": surge.senior} if surge.senior else {}),
        },
        event_id=derived_event_id("account", surge.domain, surge.topic, surge.window, colleague),
    )
