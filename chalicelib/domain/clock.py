"""Event time: correct the sender's clock skew and refuse times that cannot be true."""

from __future__ import annotations

from datetime import UTC, datetime

MAX_EVENT_AGE_SECONDS = 400 * 86_400
MAX_FUTURE_SECONDS = 300


class EventTimeError(ValueError):
    """The event's time is unreadable, too old or in the future."""


def parse_instant(text: str) -> float:
    """An ISO 8601 instant as epoch seconds; a time without zone is taken as UTC."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise EventTimeError("must be an ISO 8601 time such as 2026-11-23T10:00:00Z") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def event_time(received_at: float, ts: float | None, sent_at: float | None) -> float:
    """When the event happened, on the server's clock.

    With ``sent_at``: received_at - (sent_at - ts), which cancels the sender's skew.
    Without ``ts``: the moment it was sent, or received.

    Raises
    ------
    EventTimeError
        if the result is more than 400 days old or more than 5 minutes ahead.
    """
    if ts is None:
        occurred = received_at
    elif sent_at is None:
        occurred = ts
    else:
        occurred = received_at - (sent_at - ts)
    if occurred < received_at - MAX_EVENT_AGE_SECONDS:
        raise EventTimeError("is more than 400 days old")
    if occurred > received_at + MAX_FUTURE_SECONDS:
        raise EventTimeError("is in the future")
    return occurred


def iso(epoch_seconds: float) -> str:
    """Epoch seconds as an ISO 8601 UTC instant with milliseconds."""
    moment = datetime.fromtimestamp(epoch_seconds, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def day_of(epoch_seconds: float) -> str:
    """The UTC day (``YYYY-MM-DD``) of an instant: the funnel counters' period."""
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).strftime("%Y-%m-%d")
