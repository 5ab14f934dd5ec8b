"""Segment's HTTP Tracking API in Trechter's words: messages, their limits and their meaning.

Shapes follow Segment's spec and its clients (analytics.js, segment-analytics-python,
rudder-sdk-python): every message has a ``type``, a ``messageId``, ``anonymousId``
and/or ``userId``, times (``timestamp``, ``originalTimestamp``, ``sentAt``) and a
``context`` (``ip``, ``userAgent``, ``page``, ``consent``). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chalicelib.domain.clock import EventTimeError, event_time, parse_instant

#: Segment's documented limits.
MAX_CALL_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_MESSAGE_BYTES = 32 * 1024
MAX_BATCH_MESSAGES = 2500

#: The analytics.js short paths, and the long ones, to the message type they carry.
PATH_TYPES: dict[str, str] = {
    "identify": "identify",
    "track": "track",
    "page": "page",
    "screen": "screen",
    "group": "group",
    "alias": "alias",
    "i": "identify",
    "t": "track",
    "p": "page",
    "s": "screen",
    "g": "group",
    "a": "alias",
}
BATCH_PATHS = frozenset({"batch", "b"})

#: The prefix under which a Segment ``userId`` is linked beside browsers' anonymous ids.
USER_ID_PREFIX = "user:"

SegmentType = Literal["identify", "track", "page", "screen", "group", "alias"]


def user_key(user_id: str) -> str:
    """The identity key of a Segment ``userId`` (one namespace per Trechter installation)."""
    return f"{USER_ID_PREFIX}{user_id}"


class SegmentMessage(BaseModel):
    """One message (a call's body, or one entry of a batch). Unknown fields are kept."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    type: SegmentType
    messageId: str | None = Field(default=None, min_length=1, max_length=200)
    anonymousId: str | None = Field(default=None, min_length=1, max_length=200)
    userId: str | None = Field(default=None, min_length=1, max_length=200)
    timestamp: str | None = None
    originalTimestamp: str | None = None
    sentAt: str | None = None
    context: dict[str, Any] = Field(default_factory=dict)
    properties: dict[str, Any] = Field(default_factory=dict)
    traits: dict[str, Any] = Field(default_factory=dict)
    event: str | None = Field(default=None, min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=200)
    groupId: str | None = Field(default=None, max_length=200)
    previousId: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("anonymousId", "userId", "previousId", "groupId", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        # Segment accepts numeric ids and clients send them as numbers.
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if value == "":
            return None
        return value

    @field_validator("context", "properties", "traits", mode="before")
    @classmethod
    def _object_or_empty(cls, value: Any) -> Any:
        return {} if value is None else value

    def all_traits(self) -> dict[str, Any]:
        """The traits, wherever the client put them (RudderStack: ``context.traits``)."""
        nested = self.context.get("traits")
        return {**(nested if isinstance(nested, dict) else {}), **self.traits}

    def problem(self) -> str | None:
        """What makes this message unusable beyond its field types, or None."""
        if not self.anonymousId and not self.userId:
            return "userId: a userId or an anonymousId is required"
        if self.type == "track" and not self.event:
            return "event: a track call needs the event's name"
        if self.type == "alias" and (not self.previousId or not self.userId):
            return "previousId: previousId and userId are required for alias"
        return None


class SegmentBatch(BaseModel):
    """A ``/v1/batch`` body: the messages and the batch's ``sentAt``."""

    model_config = ConfigDict(extra="allow")

    batch: list[Any] = Field(max_length=MAX_BATCH_MESSAGES)
    sentAt: str | None = None
    context: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PageFacts:
    url: str
    title: str
    referrer: str
    properties: dict[str, Any]


def occurred_at(message: SegmentMessage, received_at: float, batch_sent_at: str | None) -> float:
    """When the message's act happened on the server's clock (the tracker's skew rule).

    ``originalTimestamp`` (else ``timestamp``) is the client's time of the act,
    ``sentAt`` (the message's, else the batch's) the client's time of sending.

    Raises
    ------
    EventTimeError
        naming the field that is unreadable, or a result too old or in the future.
    """
    times: dict[str, float | None] = {}
    for name, text in (
        ("originalTimestamp", message.originalTimestamp),
        ("timestamp", message.timestamp),
        ("sentAt", message.sentAt or batch_sent_at),
    ):
        try:
            times[name] = parse_instant(text) if text else None
        except EventTimeError as error:
            raise EventTimeError(f"{name}: {error}") from None
    original = times["originalTimestamp"]
    ts = original if original is not None else times["timestamp"]
    # Without sentAt a server library's ``timestamp`` is already its own clock's truth.
    try:
        return event_time(received_at, ts, times["sentAt"])
    except EventTimeError as error:
        raise EventTimeError(f"timestamp: {error}") from None


def _text(value: Any, limit: int = 2048) -> str:
    return str(value)[:limit] if isinstance(value, str | int | float) else ""


def page_facts(message: SegmentMessage) -> PageFacts:
    """A ``page`` call's URL, title and referrer (properties first, then ``context.page``)."""
    page = message.context.get("page")
    page = page if isinstance(page, Mapping) else {}
    props = message.properties

    def pick(name: str) -> str:
        return _text(props.get(name)) or _text(page.get(name))

    url = pick("url")
    if not url:
        path, search = pick("path"), pick("search")
        url = f"{path}{search}" if path else ""
    title = pick("title") or _text(message.name)
    return PageFacts(url=url, title=title, referrer=pick("referrer"), properties=dict(props))


def screen_facts(message: SegmentMessage) -> PageFacts:
    """A ``screen`` call is a page view of the app: ``app://<app name>/<screen name>``."""
    app = message.context.get("app")
    app_name = _text(app.get("name")) if isinstance(app, Mapping) else ""
    name = _text(message.name) or _text(message.properties.get("name")) or "screen"
    url = f"app://{quote(app_name or 'app', safe='')}/{quote(name, safe='')}"
    return PageFacts(url=url, title=name, referrer="", properties=dict(message.properties))


def _first(traits: Mapping[str, Any], *paths: str) -> Any:
    for path in paths:
        value: Any = traits
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if value not in (None, ""):
            return value
    return None


def profile_fields(traits: Mapping[str, Any]) -> dict[str, Any]:
    """Segment's reserved traits as Trechter's form fields (validated like a form's).

    ``name`` is split into first and last name when those are not given.
    """
    first = _first(traits, "firstName", "first_name")
    last = _first(traits, "lastName", "last_name")
    name = _first(traits, "name")
    if isinstance(name, str) and not first and not last:
        first, _, last = name.strip().partition(" ")
    company = traits.get("company")
    fields = {
        "email": _first(traits, "email"),
        "first_name": first,
        "last_name": last,
        "job_title": _first(traits, "title", "jobTitle", "position"),
        "phone": _first(traits, "phone"),
        "company": company if isinstance(company, str) else _first(traits, "company.name"),
        "company_size": _first(
            traits, "company.employee_count", "company.employees", "employees", "employee_count"
        ),
        "industry": _first(traits, "company.industry", "industry"),
        "country": _first(traits, "address.country", "country"),
    }
    return {key: value for key, value in fields.items() if value not in (None, "")}


def company_fields(traits: Mapping[str, Any]) -> dict[str, Any]:
    """A ``group`` call's traits as the company fields of a lead's profile."""
    fields = {
        "company": _first(traits, "name"),
        "company_size": _first(traits, "employees", "employee_count"),
        "industry": _first(traits, "industry"),
    }
    return {key: value for key, value in fields.items() if value not in (None, "")}


def declined_tracking(context: Mapping[str, Any], categories: tuple[str, ...]) -> bool:
    """Whether Segment's consent says no: a named category set to false.

    No ``context.consent`` (a server library, or a site without a consent manager)
    means no objection, as for the tracker without a consent mode.
    """
    consent = context.get("consent")
    preferences = consent.get("categoryPreferences") if isinstance(consent, Mapping) else None
    if not isinstance(preferences, Mapping):
        return False
    wanted = {category.lower() for category in categories}
    return any(
        str(name).lower() in wanted and value is False for name, value in preferences.items()
    )


def parse_message(raw: Any) -> tuple[SegmentMessage | None, str | None]:
    """A message, or the sentence saying why it is not one (fields named)."""
    if not isinstance(raw, Mapping):
        return None, "message: must be a JSON object"
    try:
        message = SegmentMessage.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}"
            for e in error.errors(include_url=False)
        )
        return None, problems
    problem = message.problem()
    return (None, problem) if problem else (message, None)
