"""The HTTP API's request and response models: one source for the routes and the OpenAPI."""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

ANONYMOUS_ID_PATTERN = r"^[A-Za-z0-9._:-]{8,64}$"
#: A tracker event's own id (a UUID from the tracker): what makes a retried beacon count once.
EVENT_ID_PATTERN = r"^[A-Za-z0-9._:-]{8,64}$"
_EVENT_ID = re.compile(EVENT_ID_PATTERN)
TRACKER_TYPES = (
    "page_view",
    "link_click",
    "download",
    "site_search",
    "newsletter_unsubscribe",
    "page_engagement",
)
#: page_engagement: engaged seconds of one page view (at most a day) and scroll depth (%).
MAX_ENGAGED_SECONDS = 86_400


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _http_url(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http(s) URL")
    try:
        urlsplit(value)
    except ValueError:
        raise ValueError("is not a valid URL") from None
    return value


# -- errors --------------------------------------------------------------------------------


class FieldProblem(_Out):
    field: str = Field(description="The offending field, dotted for nested ones (events.2.url).")
    message: str


class ErrorBody(_Out):
    """Every 4xx: a sentence naming the field(s), and one entry per field."""

    message: str
    errors: list[FieldProblem] = Field(default_factory=list)


# -- capture -------------------------------------------------------------------------------


class FormSubmissionBody(BaseModel):
    """A form post (JSON or form-encoded). Validated in the domain, per form."""

    model_config = ConfigDict(extra="allow")

    email: str = Field(
        description="Required. A valid e-mail address.", json_schema_extra={"format": "email"}
    )
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    job_title: str | None = None
    phone: str | None = Field(default=None, description="Normalised to E.164 where it parses.")
    country: str | None = Field(default=None, description="ISO 3166-1 alpha-2.")
    company_size: int | str | None = Field(default=None, description="Number of employees.")
    industry: str | None = None
    consent_marketing: bool | str | None = Field(default=None, description="true, on or 1.")
    anonymous_id: str | None = Field(default=None, description="The tracker's id.")
    page_url: str | None = None
    referrer: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    website: str | None = Field(default=None, description="Honeypot: must stay empty.")
    rendered_at: int | float | str | None = Field(
        default=None, description="When the page rendered (epoch ms): a time trap for bots."
    )


class SubmissionAccepted(_Out):
    lead_id: str
    redirect_url: str


class TrackerEvent(_In):
    type: Literal[
        "page_view",
        "link_click",
        "download",
        "site_search",
        "newsletter_unsubscribe",
        "page_engagement",
    ]
    event_id: str | None = Field(
        default=None,
        pattern=EVENT_ID_PATTERN,
        description="Unique per event, the same when a beacon is retried: stored once per "
        "visitor for at least 24 h. 8-64 letters, digits, '.', '_', ':' or '-'.",
    )
    url: str | None = Field(default=None, max_length=2048)
    ts: str | None = Field(default=None, max_length=40, description="ISO 8601; optional.")
    title: str | None = Field(default=None, max_length=500)
    referrer: str | None = Field(default=None, max_length=2048)
    properties: dict[str, str | int | float | bool | None] = Field(default_factory=dict)

    _url = field_validator("url", "referrer")(_http_url)

    @field_validator("properties")
    @classmethod
    def _small_properties(
        cls, value: dict[str, str | int | float | bool | None], info: ValidationInfo
    ) -> dict[str, str | int | float | bool | None]:
        if len(value) > 20:
            raise ValueError("at most 20 properties")
        target = value.get("target_url")
        if target is not None:
            try:
                valid = isinstance(target, str) and _http_url(target) is not None
            except ValueError:
                valid = False
            if not valid:
                raise ValueError("target_url must be an http(s) URL")
        for key, item in value.items():
            if len(key) > 64:
                raise ValueError("property names are at most 64 characters")
            if isinstance(item, str) and len(item) > 2048:
                raise ValueError(f"property {key} is over 2048 characters")
        if info.data.get("type") == "page_engagement":
            _engagement_properties(value)
        return value


def event_id_problem(value: Any) -> str | None:
    """Why a tracker event's ``event_id`` is unusable, or None when it is fine (or absent)."""
    if value is None:
        return None
    if not isinstance(value, str) or not _EVENT_ID.match(value.strip()):
        return "must be 8-64 letters, digits, '.', '_', ':' or '-' (a UUID)"
    return None


def _engagement_properties(value: dict[str, str | int | float | bool | None]) -> None:
    """A page_engagement says how long one page view was read and how far it was scrolled."""
    limits = {"engaged_seconds": MAX_ENGAGED_SECONDS, "scroll_depth": 100}
    for name, most in limits.items():
        number = value.get(name)
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise ValueError(f"properties.{name} is required and must be a number")
        if not 0 <= number <= most:
            raise ValueError(f"properties.{name} must be from 0 to {most}")
    content = value.get("content")
    if content is not None and not (isinstance(content, str) and len(content) <= 64):
        raise ValueError("properties.content must be a tag of at most 64 characters")


class TrackerBatch(_In):
    """A JS tracker beacon. ``events`` are checked one by one (202 with per-event rejects)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    anonymous_id: str = Field(pattern=ANONYMOUS_ID_PATTERN)
    sent_at: str | None = Field(default=None, max_length=40)
    events: list[Any] = Field(min_length=1, max_length=100)


class EventRejected(_Out):
    index: int
    message: str


class TrackerAccepted(_Out):
    accepted: int
    rejected: list[EventRejected]


class TrackingLinksRequest(_In):
    email: str | None = Field(default=None, max_length=254, json_schema_extra={"format": "email"})
    lead_id: str | None = Field(default=None, max_length=64)
    campaign_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")
    message_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$")
    links: list[str] = Field(default_factory=list, max_length=200)
    personal: bool = Field(
        default=False, description="A personal follow-up mail from sales (a buying signal)."
    )

    @field_validator("links")
    @classmethod
    def _urls(cls, value: list[str]) -> list[str]:
        for url in value:
            if not url.startswith(("http://", "https://")) or len(url) > 2048:
                raise ValueError("every link must be an http(s) URL of at most 2048 characters")
        return value


class TrackingLinksResponse(_Out):
    lead_id: str
    open_pixel_url: str
    links: dict[str, str]


# -- sales ---------------------------------------------------------------------------------


class ReasonOut(_Out):
    rule: str
    points: int
    text: str


class MachineOut(_Out):
    label: str
    reason: str


class TimelineEntry(_Out):
    event_id: str
    type: str
    ts: str
    source: str
    url: str | None = None
    title: str | None = None
    referrer: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    machine: MachineOut | None = None
    anonymous_id: str | None = None
    campaign_id: str | None = None
    form_id: str | None = None
    label: str | None = Field(
        default=None, description="What happened, as a sentence in the lead's language."
    )


class ConsentOut(_Out):
    granted: bool
    at: str
    form_id: str | None = None
    page_url: str | None = None
    text_version: str | None = None


class LeadSummary(_Out):
    lead_id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    company_domain: str | None = None
    job_title: str | None = None
    country: str | None = None
    stage: str
    score: int
    fit_score: int
    engagement_score: int
    recommended_channel: Literal["phone", "email"]
    updated_at: str


class LeadListFilter(_In):
    """Narrow a lead list (all given fields must match; matching is case-insensitive)."""

    country: str | None = Field(default=None, max_length=64)
    channel: Literal["phone", "email"] | None = None
    company: str | None = Field(
        default=None, max_length=200, description="Part of the company name or its domain."
    )

    def is_set(self) -> bool:
        return any((self.country, self.channel, self.company))

    def matches(self, lead: LeadSummary) -> bool:
        if self.country and (lead.country or "").lower() != self.country.lower():
            return False
        if self.channel and lead.recommended_channel != self.channel:
            return False
        if self.company:
            names = f"{lead.company or ''} {lead.company_domain or ''}".lower()
            return self.company.lower() in names
        return True


class LeadList(_Out):
    items: list[LeadSummary]
    next_cursor: str | None = None


class EmailDraftOut(_Out):
    subject: str
    body: str


class FollowUpOut(_Out):
    """How to follow the lead up (seed 003): ``nurture`` means do not approach personally."""

    language: Literal["en", "nl"]
    channel: Literal["phone", "email", "nurture"]
    why: str
    phone_opener: str | None = Field(
        description="The call's opening; {seller} and {seller_company} are placeholders."
    )
    email: EmailDraftOut


class LeadView(_Out):
    lead_id: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    company_domain: str | None = None
    job_title: str | None = None
    phone: str | None = None
    country: str | None = None
    company_size: int | None = None
    industry: str | None = None
    stage: str
    score: int
    fit_score: int
    engagement_score: int
    reasons: list[ReasonOut]
    fit_reasons: list[ReasonOut] = Field(default_factory=list)
    recommended_channel: Literal["phone", "email"]
    recommended_channel_reason: str
    sales_status: str | None = None
    qualifications: int = 0
    consent: ConsentOut | None = None
    model_version: str | None = None
    created_at: str
    updated_at: str
    timeline: list[TimelineEntry]
    follow_up: FollowUpOut | None = None


class FeedbackRequest(_In):
    outcome: Literal["accepted", "rejected", "won", "lost"]
    note: str | None = Field(default=None, max_length=2000)
    by: str | None = Field(default=None, max_length=200, description="Who gives the feedback.")


class ConsentRequest(_In):
    granted: bool
    text_version: str | None = Field(default=None, max_length=64)


class StageConversion(_Out):
    from_stage: str
    to_stage: str
    rate: float | None


class FunnelDay(_Out):
    day: str
    entered: dict[str, int] = Field(description="Leads that entered each stage that day.")
    hits: int
    machine_hits: int


class FunnelReport(_Out):
    from_date: str
    to_date: str
    current: dict[str, int]
    entered: dict[str, int]
    conversion: list[StageConversion]
    median_hours_lead_to_mql: float | None
    median_hours_mql_to_sql: float | None
    hits: int
    machine_hits: int
    machine_share: float | None
    daily: list[FunnelDay] | None = Field(
        default=None, description="Per day in the range (oldest first); with ?daily=true."
    )


class LeadExport(_Out):
    """Everything Trechter holds about one person (GDPR art. 15 and 20)."""

    lead: dict[str, Any]
    events: list[dict[str, Any]]
    ledger: list[dict[str, Any]]
    identities: list[str]
    announcements: list[dict[str, Any]]
    deals: list[dict[str, Any]] = Field(
        default_factory=list, description="Closed deals recorded for the lead (won or lost)."
    )
    exported_at: str
    language: Literal["en", "nl"] | None = None
    headings: dict[str, str] = Field(
        default_factory=dict, description="Each section's heading, in ``language``."
    )


class Health(_Out):
    status: Literal["ok"]


# -- adaptive scoring: outcomes, model versions, what-if ------------------------------------

MAX_OUTCOMES = 1000


class OutcomeRow(_In):
    """One closed deal as a CRM exports it; ``email`` or ``lead_id`` names the lead."""

    email: str | None = Field(default=None, max_length=320)
    lead_id: str | None = Field(default=None, min_length=1, max_length=64)
    outcome: Literal["won", "lost"]
    closed_at: str = Field(max_length=64, description="ISO 8601 time the deal closed.")
    amount: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    source: str | None = Field(default=None, max_length=100, description="e.g. the CRM's name.")

    @field_validator("closed_at")
    @classmethod
    def _instant(cls, value: str) -> str:
        from chalicelib.domain.clock import parse_instant

        parse_instant(value)
        return value


class OutcomesRequest(_In):
    outcomes: list[Any] = Field(
        min_length=1,
        max_length=MAX_OUTCOMES,
        description="Rows of OutcomeRow; a bad row is rejected alone.",
    )


class RejectedRow(_Out):
    index: int
    message: str


class OutcomesResult(_Out):
    applied: int = Field(description="Rows recorded (a row sent before counts again).")
    rejected: list[RejectedRow]


class ModelVersionOut(_Out):
    version: str
    promoted_at: str | None
    promoted_by: str | None
    source: str


class ModelList(_Out):
    active: str
    items: list[ModelVersionOut]


class ModelDetail(_Out):
    version: str
    active: bool
    source: str
    created_at: str
    created_by: str | None
    promoted_at: str | None
    promoted_by: str | None
    model: dict[str, Any]


class ModelUpload(_In):
    """A scoring model (the schema of default_model.yaml), as JSON; YAML is accepted too."""

    model_config = ConfigDict(extra="allow")
    version: str = Field(min_length=1, max_length=64)


class PromoteRequest(_In):
    by: str | None = Field(default=None, max_length=200, description="Who promotes.")


class WhatIfRequest(_In):
    version: str | None = Field(default=None, min_length=1, max_length=64)
    model: dict[str, Any] | None = Field(default=None, description="A model, not stored.")
    from_: str = Field(alias="from", max_length=64, description="ISO 8601 start of the period.")
    to: str = Field(max_length=64, description="ISO 8601 end of the period.")
    cursor: str | None = Field(default=None, max_length=4096, description="next_cursor, to go on.")


class WhatIfChange(_Out):
    lead_id: str
    current_stage: str
    candidate_stage: str
    change: str = Field(description="becomes_mql, becomes_sql, stops_mql or stops_sql.")
    reasons: list[str]


class WhatIfPrecision(_Out):
    sql_leads_with_outcome: int
    won: int
    precision: float | None


class WhatIfResult(_Out):
    model_version: str
    active_version: str
    done: bool
    next_cursor: str | None
    leads_seen: int
    affected_leads: int
    current: dict[str, int]
    candidate: dict[str, int]
    changes: list[WhatIfChange]
    changes_total: int
    sql_precision_current: WhatIfPrecision
    sql_precision_candidate: WhatIfPrecision


# -- Segment-compatible ingest ------------------------------------------------------------


class SegmentCall(BaseModel):
    """A Segment HTTP Tracking API call, or a batch of them (``batch``: a list of calls).

    Fields as Segment's spec: ``type``, ``messageId``, ``anonymousId``/``userId``,
    ``timestamp``/``originalTimestamp``/``sentAt``, ``context`` (``ip``, ``userAgent``,
    ``page``, ``consent.categoryPreferences``), ``properties``, ``traits``, ``event``,
    ``name``, ``groupId``, ``previousId``; ``writeKey`` unless sent as HTTP Basic.
    """

    model_config = ConfigDict(extra="allow")

    writeKey: str | None = Field(default=None, description="The source's write key.")
    type: str | None = Field(default=None, description="identify, track, page, screen, ...")
    messageId: str | None = Field(default=None, description="Unique per message; dedupes 24 h.")
    anonymousId: str | None = None
    userId: str | None = None
    batch: list[dict[str, Any]] | None = Field(default=None, description="Batch calls only.")


class SegmentAccepted(_Out):
    """Segment's answer, plus every message that was not stored and why (quarantined)."""

    success: bool = True
    rejected: list[EventRejected] = Field(default_factory=list)
