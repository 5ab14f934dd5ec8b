"""Lifecycle events: what a change of a lead means to nurturing tools and CRMs.

One pure function, :func:`lifecycle_events`, turns a :class:`LeadChange` (the lead
before and after one write, as the leads stream delivers it) into the events the
bus carries, in the order a subscriber should apply them. Event ids are derived
from the change itself, so a stream redelivery yields the same ids and the
publisher can publish each exactly once. The schemas are in docs/EVENTS.md and
docs/events/*.schema.json.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chalicelib.domain.clock import iso
from chalicelib.domain.lead import CONTACT_FIELDS, Stage
from chalicelib.domain.scoring.state import LeadScoreState

#: The ``source`` of every event Trechter puts on the bus.
EVENT_SOURCE = "trechter"
#: The version of every ``detail`` below; bumped only by an incompatible change.
DETAIL_VERSION = 1
_NAMESPACE = uuid.UUID("5d0c3f4e-3c1b-4d8e-9a57-7472656368d1")


class DetailType(StrEnum):
    """The ``detail-type`` of each lifecycle event, exactly as subscribers match it."""

    LEAD_CREATED = "Lead Created"
    LEAD_STAGE_CHANGED = "Lead Stage Changed"
    LEAD_SCORE_CROSSED = "Lead Score Crossed"
    LEAD_WENT_QUIET = "Lead Went Quiet"
    SALES_OUTCOME_RECORDED = "Sales Outcome Recorded"
    LEAD_ERASED = "Lead Erased"


class Payload(StrEnum):
    """How much of the person an event carries (``LIFECYCLE_EVENT_PAYLOAD``)."""

    IDS = "ids"
    PROFILE = "profile"


#: Profile fields an event carries in ``profile`` mode.
EVENT_PROFILE_FIELDS = CONTACT_FIELDS
#: Outcomes sales (or a CRM) can record; ``accepted`` keeps the stage.
OUTCOMES = frozenset({"accepted", "rejected", "won", "lost"})


@dataclass(frozen=True, slots=True)
class LeadSnapshot:
    """A lead as one image of the leads stream shows it (only what events need)."""

    lead_id: str
    stage: str
    score: int = 0
    fit_score: int = 0
    engagement_score: int = 0
    reasons: tuple[Mapping[str, Any], ...] = ()
    profile: Mapping[str, Any] = field(default_factory=dict)
    qualifications: int = 0
    sales_status: str | None = None
    stage_since: float = 0.0
    created_at: float = 0.0
    updated_at: float = 0.0
    last_engaged_at: float = 0.0
    #: The engagement time a quiet spell was recorded for (see :func:`is_quiet`).
    quiet_for: float | None = None
    quiet_at: float | None = None
    merged_into: str | None = None
    #: The score state, from which ``reasons`` are rendered when the image carries none.
    state: LeadScoreState | None = None

    @property
    def identified(self) -> bool:
        return bool(self.profile.get("email"))

    @property
    def is_quiet(self) -> bool:
        """Quiet since its last engagement: a newer engagement ends the spell by itself."""
        return self.quiet_for is not None and self.quiet_for == self.last_engaged_at


@dataclass(frozen=True, slots=True)
class LeadChange:
    """One write to a lead: the image before (None: new) and after (None: deleted).

    ``erased_at`` is set when the write was erasure's tombstone.
    """

    lead_id: str
    before: LeadSnapshot | None
    after: LeadSnapshot | None
    erased_at: float | None = None


@dataclass(frozen=True, slots=True)
class LifecycleEvent:
    """One event for the bus: ``detail_type`` and ``detail`` as subscribers see them."""

    detail_type: DetailType
    event_id: str
    lead_id: str
    occurred_at: float
    detail: dict[str, Any]


def event_id(lead_id: str, *parts: object) -> str:
    """A deterministic id: the same change always yields the same event id."""
    return str(uuid.uuid5(_NAMESPACE, ":".join([lead_id, *(str(p) for p in parts)])))


def _in_funnel(snapshot: LeadSnapshot | None) -> bool:
    """A person sales and marketing know: identified, not a visitor, not merged away."""
    return (
        snapshot is not None
        and snapshot.identified
        and snapshot.merged_into is None
        and snapshot.stage != Stage.VISITOR
    )


def lifecycle_events(
    change: LeadChange,
    score_thresholds: Sequence[int],
    quiet_days: int,
    payload: Payload = Payload.IDS,
) -> list[LifecycleEvent]:
    """The lifecycle events one change of a lead means, in the order to apply them.

    Visitors (no e-mail) and merged-away visitor records produce nothing. Within
    one change: created, sales outcome, stage change, score thresholds (in the
    direction crossed), quiet. Erasure produces ``Lead Erased`` only, never with
    profile data (the tombstone holds none, by design).
    """
    lead_id = change.lead_id
    if change.erased_at is not None:
        return [
            _event(
                DetailType.LEAD_ERASED,
                event_id(lead_id, "erased"),
                lead_id,
                change.erased_at,
                {},
            )
        ]
    after, before = change.after, change.before
    if after is None or not _in_funnel(after):
        return []
    profile = _profile(after) if payload is Payload.PROFILE else None
    at = after.updated_at or after.created_at
    events: list[LifecycleEvent] = []
    if not _in_funnel(before):
        events.append(
            _event(
                DetailType.LEAD_CREATED,
                event_id(lead_id, "created"),
                lead_id,
                after.created_at or at,
                {"stage": after.stage, "score": after.score},
                profile,
            )
        )
    if before is not None and _in_funnel(before):
        outcome = _outcome(before, after)
        if outcome is not None:
            events.append(
                _event(
                    DetailType.SALES_OUTCOME_RECORDED,
                    event_id(lead_id, "outcome", outcome, at),
                    lead_id,
                    at,
                    {
                        "outcome": outcome,
                        "stage_before": before.stage,
                        "stage_after": after.stage,
                        "qualification": after.qualifications,
                    },
                    profile,
                )
            )
        if before.stage != after.stage:
            events.append(
                _event(
                    DetailType.LEAD_STAGE_CHANGED,
                    event_id(lead_id, "stage", before.stage, after.stage, after.stage_since or at),
                    lead_id,
                    after.stage_since or at,
                    {
                        "from": before.stage,
                        "to": after.stage,
                        "score": after.score,
                        "fit_score": after.fit_score,
                        "engagement_score": after.engagement_score,
                        "qualification": after.qualifications,
                        "reasons": [
                            _reason(r, with_text=profile is not None) for r in after.reasons
                        ],
                    },
                    profile,
                )
            )
    previous_score = before.score if before is not None else 0
    for threshold, direction in crossed(previous_score, after.score, score_thresholds):
        events.append(
            _event(
                DetailType.LEAD_SCORE_CROSSED,
                event_id(lead_id, "score", threshold, direction, at),
                lead_id,
                at,
                {
                    "threshold": threshold,
                    "direction": direction,
                    "score": after.score,
                    "previous_score": previous_score,
                    "stage": after.stage,
                },
                profile,
            )
        )
    if after.is_quiet and not (before is not None and before.is_quiet):
        assert after.quiet_for is not None
        quiet_at = after.quiet_at or at
        events.append(
            _event(
                DetailType.LEAD_WENT_QUIET,
                event_id(lead_id, "quiet", after.quiet_for),
                lead_id,
                quiet_at,
                {
                    "quiet_days": quiet_days,
                    "last_engaged_at": iso(after.quiet_for),
                    "stage": after.stage,
                    "score": after.score,
                },
                profile,
            )
        )
    return events


def crossed(before: int, after: int, thresholds: Sequence[int]) -> list[tuple[int, str]]:
    """The thresholds passed from ``before`` to ``after``, in the order they were passed.

    Reaching a threshold counts as crossing it upwards; falling below it, downwards.
    """
    if after > before:
        return [(t, "up") for t in sorted(thresholds) if before < t <= after]
    if after < before:
        return [(t, "down") for t in sorted(thresholds, reverse=True) if after < t <= before]
    return []


def _outcome(before: LeadSnapshot, after: LeadSnapshot) -> str | None:
    """The sales outcome this change records, if it records one.

    An outcome is recorded when the sales status changes, or when the same status
    moves the lead again (rejected a second time after it came back as an MQL).
    """
    status = after.sales_status
    if status not in OUTCOMES:
        return None
    if status != before.sales_status:
        return status
    moved_by_sales = after.stage != before.stage and after.stage in (
        Stage.RECYCLED,
        Stage.CUSTOMER,
    )
    return status if moved_by_sales else None


def _reason(reason: Mapping[str, Any], with_text: bool) -> dict[str, Any]:
    """A reason as the bus carries it: the sentence only with the profile.

    Sentences name what the person did and who they are ("Searched our site for
    ...", "Uses a company e-mail address (acme.nl)"), so in ``ids`` mode a reason
    is its rule and points only.
    """
    shown: dict[str, Any] = {"rule": str(reason.get("rule", "")), "points": reason.get("points", 0)}
    if with_text:
        shown["text"] = reason.get("text", "")
    return shown


def _profile(snapshot: LeadSnapshot) -> dict[str, Any]:
    return {
        name: snapshot.profile[name]
        for name in EVENT_PROFILE_FIELDS
        if snapshot.profile.get(name) not in (None, "")
    }


def _event(
    detail_type: DetailType,
    identifier: str,
    lead_id: str,
    occurred_at: float,
    fields: Mapping[str, Any],
    profile: Mapping[str, Any] | None = None,
) -> LifecycleEvent:
    detail: dict[str, Any] = {
        "version": DETAIL_VERSION,
        "event_id": identifier,
        "lead_id": lead_id,
        "occurred_at": iso(occurred_at),
        **fields,
    }
    if profile is not None:
        detail["profile"] = dict(profile)
    return LifecycleEvent(detail_type, identifier, lead_id, occurred_at, detail)
