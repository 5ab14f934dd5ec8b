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

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from chalicelib.adapters.ports import Announcements, Publisher, Quarantine
from chalicelib.domain.announcement import chat_notification, email_text, subject_line
from chalicelib.domain.clock import iso
from chalicelib.domain.followup import FollowUp, follow_up
from chalicelib.domain.language import lead_language
from chalicelib.domain.scoring.explain import reasons, recommend_channel
from chalicelib.domain.scoring.model import ScoringModel, load_scoring_model
from chalicelib.domain.stream import Delivery, Qualification
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


def hot_lead_message(
    found: Qualification,
    advice: FollowUp | None = None,
    explained: tuple[list[Any], str | None] | None = None,
) -> dict[str, Any]:
    """The contract's ``lead.sales_qualified`` message (section 4), its id and ``follow_up``.

    ``explained``: the reasons and the channel's sentence (``HotLeadNotifier.explained``).
    """
    contact = found.contact
    reasons, channel_reason = explained if explained is not None else (found.reasons or [], None)
    message = {
        "type": MESSAGE_TYPE,
        "version": 1,
        "notification_id": f"{found.lead_id}:{found.number}",
        "lead_id": found.lead_id,
        "email": contact.get("email"),
        "first_name": contact.get("first_name"),
        "last_name": contact.get("last_name"),
        "company": contact.get("company"),
        "company_domain": contact.get("company_domain"),
        "job_title": contact.get("job_title"),
        "phone": contact.get("phone"),
        "country": contact.get("country"),
        "score": found.score,
        "fit_score": found.fit_score,
        "engagement_score": found.engagement_score,
        "reasons": reasons,
        "recommended_channel": found.recommended_channel or "email",
        "recommended_channel_reason": channel_reason,
        "qualification": found.number,
        "qualified_at": iso(found.updated_at or time.time()),
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

    def process(self, deliveries: Sequence[Delivery[Qualification]]) -> NotifyResult:
        """Announce each qualification delivered; poison goes to the quarantine."""
        result = NotifyResult()
        now = self._clock()
        for delivery in deliveries:
            result.lag_seconds = max(result.lag_seconds, delivery.position.lag_seconds)
            if delivery.problem is not None:
                self._quarantine.put("stream:leads", delivery.problem, delivery.record, now)
                result.quarantined += 1
                continue
            found = delivery.value
            if found is None:
                continue
            advice = self.advice(found)
            if not advice.explained:
                # Seed 003: if you cannot explain why you approach someone, don't.
                logger.info("hot lead left to nurturing: nothing it did explains an approach")
                result.nurtured += 1
                continue
            try:
                published = self.announce(found, advice=advice)
            except AnnouncementInProgress:
                result.failed.append(delivery.position.sequence)
                continue
            except Exception:
                logger.exception("announcing a hot lead failed; the record will be retried")
                result.failed.append(delivery.position.sequence)
                continue
            if published:
                result.published += 1
            else:
                result.suppressed += 1
        return result

    def advice(self, found: Qualification) -> FollowUp:
        """The follow-up advice for a qualification, in the lead's language."""
        model = self._current_model()
        state = found.state
        at = found.updated_at or self._clock()
        language = lead_language(self._sales_language, state.profile, state.page_lang)
        channel, reason = recommend_channel(state, model, language)
        return follow_up(state, model, at, language, channel, reason, self._knowledge_base_name)

    def explained(self, found: Qualification) -> tuple[list[Any], str | None]:
        """The reasons and the channel's sentence: as the lead item stored them, or
        rendered from its state in the lead's language when it stores none."""
        if found.reasons is not None:
            return found.reasons, found.channel_reason
        model = self._current_model()
        state = found.state
        at = found.updated_at or self._clock()
        language = lead_language(self._sales_language, state.profile, state.page_lang)
        _, reason = recommend_channel(state, model, language)
        return [r.to_dict() for r in reasons(state, model, at, language)], reason

    def _current_model(self) -> ScoringModel:
        if self._model is None:
            self._model = load_scoring_model()
        return provider_of(self._model).current()  # the active model, when given its provider

    def announce(self, found: Qualification, advice: FollowUp | None = None) -> bool:
        """Publish this qualification unless it already was; True if published now.

        Raises
        ------
        AnnouncementInProgress
            another worker's lease is still running: the stream retries later.
        """
        lead_id, number = found.lead_id, found.number
        claim = self._leads.claim_announcement(lead_id, number, self._clock(), self._lease)
        if claim.already_published:
            return False
        if not claim.granted:
            raise AnnouncementInProgress(f"announcement {lead_id}:{number} is being published")
        message = hot_lead_message(found, advice or self.advice(found), self.explained(found))
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
