"""Hand-over to sales: announce each qualification once on the hot-lead topic.

Exactly once, per qualification: a conditional write claims the announcement
(with a lease) before publishing and marks it published after. A stream retry
finds it published and stays silent; a worker that crashed between claim and
publish leaves a lease that expires, and the retry publishes. The one window
left, a crash after SNS accepted the message and before the mark, is closed for
subscribers by ``notification_id``: the same id is sent again, never a new one.

Each message carries ``follow_up`` (seed 003): a call opener and a mail draft from
the lead's own buying signals, in the lead's language. A lead whose behaviour
explains no approach is not announced at all (counted as ``nurtured``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.adapters.attributes import from_item
from chalicelib.adapters.items import decode_state, stream_position
from chalicelib.adapters.ports import Announcements, Publisher, Quarantine
from chalicelib.domain.announcement import chat_notification, email_text, subject_line
from chalicelib.domain.clock import iso
from chalicelib.domain.followup import FollowUp, follow_up
from chalicelib.domain.language import lead_language
from chalicelib.domain.lead import Channel, Stage
from chalicelib.domain.scoring.explain import reasons, recommend_channel
from chalicelib.domain.scoring.model import ScoringModel, load_scoring_model
from chalicelib.domain.scoring.state import LeadScoreState
from chalicelib.observability import logger
from chalicelib.services.models import ModelProvider, provider_of

LEASE_SECONDS = 60.0
MESSAGE_TYPE = "lead.sales_qualified"


class AnnouncementInProgress(RuntimeError):
    """Another worker holds the lease on this announcement; retry after it expires."""


@dataclass(slots=True)
class NotifyResult:
    failed: list[str] = field(default_factory=list)
    published: int = 0
    suppressed: int = 0
    nurtured: int = 0
    quarantined: int = 0
    lag_seconds: float = 0.0


def qualification(record: Mapping[str, Any]) -> tuple[dict[str, Any], int] | None:
    """The new lead image and qualification number if this record is a lead entering SQL.

    Raises
    ------
    ValueError
        the record is corrupt.
    """
    if record.get("eventName") not in ("INSERT", "MODIFY"):
        return None
    images = record["dynamodb"]
    keys = from_item(images["Keys"])
    if keys.get("sk") != "PROFILE":
        return None
    new = from_item(images.get("NewImage", {}))
    old = from_item(images.get("OldImage", {})) if images.get("OldImage") else {}
    if new.get("stage") != Stage.SQL:
        return None
    number = int(new.get("qualifications") or 0)
    if number < 1:
        raise ValueError("lead in sql without a qualification number")
    if old.get("stage") == Stage.SQL and int(old.get("qualifications") or 0) == number:
        return None
    return new, number


def hot_lead_message(
    lead: Mapping[str, Any],
    number: int,
    advice: FollowUp | None = None,
    explained: tuple[list[dict[str, Any]], str] | None = None,
) -> dict[str, Any]:
    """The contract's ``lead.sales_qualified`` message (section 4), its id and ``follow_up``.

    ``explained``: the reasons and the channel's sentence, rendered from the lead's
    state (items written before carry them as attributes, read when not given).
    """
    channel_reason: str | None
    if explained is not None:
        reasons, channel_reason = explained
    else:
        reasons = json.loads(lead.get("reasons") or "[]")
        channel_reason = lead.get("channel_reason")
    message = {
        "type": MESSAGE_TYPE,
        "version": 1,
        "notification_id": f"{lead['lead_id']}:{number}",
        "lead_id": lead["lead_id"],
        "email": lead.get("email"),
        "first_name": lead.get("first_name"),
        "last_name": lead.get("last_name"),
        "company": lead.get("company"),
        "company_domain": lead.get("company_domain"),
        "job_title": lead.get("job_title"),
        "phone": lead.get("phone"),
        "country": lead.get("country"),
        "score": int(lead.get("score") or 0),
        "fit_score": int(lead.get("fit_score") or 0),
        "engagement_score": int(lead.get("engagement_score") or 0),
        "reasons": reasons,
        "recommended_channel": lead.get("recommended_channel") or "email",
        "recommended_channel_reason": channel_reason,
        "qualification": number,
        "qualified_at": iso(float(lead.get("updated_at") or time.time())),
    }
    if advice is not None:
        message["follow_up"] = advice.to_dict()
    return message


class HotLeadNotifier:
    """Publishes qualifications from the leads stream, once each."""

    def __init__(
        self,
        leads: Announcements,
        publisher: Publisher,
        quarantine: Quarantine,
        clock: Callable[[], float] = time.time,
        lease_seconds: float = LEASE_SECONDS,
        model: ScoringModel | ModelProvider | None = None,
        sales_language: str = "en",
        knowledge_base_name: str = "Kennisbank",
        lead_url: Callable[[str], str] = lambda lead_id: f"/v1/leads/{lead_id}",
    ) -> None:
        self._leads = leads
        self._publisher = publisher
        self._quarantine = quarantine
        self._clock = clock
        self._lease = lease_seconds
        self._model = model
        self._sales_language = sales_language
        self._knowledge_base_name = knowledge_base_name
        self._lead_url = lead_url

    def process_records(self, records: Sequence[Mapping[str, Any]]) -> NotifyResult:
        result = NotifyResult()
        now = self._clock()
        for record in records:
            sequence, lag = stream_position(record, now)
            result.lag_seconds = max(result.lag_seconds, lag)
            try:
                found = qualification(record)
            except (KeyError, ValueError, TypeError, AttributeError) as error:
                self._quarantine.put(
                    "stream:leads", f"corrupt lead record: {error}", dict(record), now
                )
                result.quarantined += 1
                continue
            if found is None:
                continue
            advice = self.advice(found[0])
            if not advice.explained:
                # Seed 003: if you cannot explain why you approach someone, don't.
                logger.info("hot lead left to nurturing: nothing it did explains an approach")
                result.nurtured += 1
                continue
            try:
                published = self.announce(*found, advice=advice)
            except AnnouncementInProgress:
                result.failed.append(sequence)
                continue
            except Exception:
                logger.exception("announcing a hot lead failed; the record will be retried")
                result.failed.append(sequence)
                continue
            if published:
                result.published += 1
            else:
                result.suppressed += 1
        return result

    def _explain(
        self, lead: Mapping[str, Any]
    ) -> tuple[LeadScoreState, ScoringModel, float, str, Channel, str]:
        if self._model is None:
            self._model = load_scoring_model()
        model = provider_of(self._model).current()  # the active model, when given its provider
        raw = lead.get("scoring_state")
        state = decode_state(raw) if raw else LeadScoreState()
        at = float(lead.get("updated_at") or self._clock())
        language = lead_language(self._sales_language, state.profile, state.page_lang)
        channel, reason = recommend_channel(state, model, language)
        return state, model, at, language, channel, reason

    def advice(self, lead: Mapping[str, Any]) -> FollowUp:
        """The follow-up advice for a lead image, in the lead's language."""
        state, model, at, language, channel, reason = self._explain(lead)
        return follow_up(state, model, at, language, channel, reason, self._knowledge_base_name)

    def explained(self, lead: Mapping[str, Any]) -> tuple[list[dict[str, Any]], str]:
        """The lead's reasons and its channel's sentence as of its qualification, in its
        language (the lead item stores no sentences; older items' stored ones win)."""
        if lead.get("reasons") is not None or not lead.get("scoring_state"):
            return json.loads(lead.get("reasons") or "[]"), str(lead.get("channel_reason") or "")
        state, model, at, language, _, reason = self._explain(lead)
        return [
            {"rule": r.rule, "points": r.points, "text": r.text}
            for r in reasons(state, model, at, language)
        ], reason

    def announce(
        self, lead: Mapping[str, Any], number: int, advice: FollowUp | None = None
    ) -> bool:
        """Publish qualification ``number`` unless it already was; True if published now.

        Raises
        ------
        AnnouncementInProgress
            another worker's lease is still running: the stream retries later.
        """
        lead_id = str(lead["lead_id"])
        claim = self._leads.claim_announcement(lead_id, number, self._clock(), self._lease)
        if claim.already_published:
            return False
        if not claim.granted:
            raise AnnouncementInProgress(f"announcement {lead_id}:{number} is being published")
        message = hot_lead_message(lead, number, advice or self.advice(lead), self.explained(lead))
        attributes: dict[str, str | float] = {
            "type": MESSAGE_TYPE,
            "score": message["score"],
            "recommended_channel": message["recommended_channel"],
            "country": message.get("country") or "",
        }
        url = self._lead_url(lead_id)
        message_id = self._publisher.publish(
            message,
            attributes,
            subject_line(message),
            email_text(message, url),
            chat_notification(message, url),
        )
        self._leads.mark_announced(lead_id, number, message_id, self._clock())
        return True
