"""Tracking events: what a person (or a machine) did, as the scorer sees it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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
