"""Identity: who an anonymous visitor turns out to be, and what a company is.

Rules: an anonymous id links to a lead when a form carries it; events before and
after belong to the same person. Two identified leads are never merged
automatically. On a shared browser the person who identified last owns the
browser's later hits (HubSpot's behaviour); earlier hits stay where they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache


class IdentityOutcome(StrEnum):
    NEW_LEAD = "new_lead"
    SAME_LEAD = "same_lead"
    VISITOR_IDENTIFIED = "visitor_identified"
    VISITOR_MERGED = "visitor_merged"
    SHARED_DEVICE = "shared_device"


@dataclass(frozen=True, slots=True)
class KnownLead:
    """A lead found by e-mail or by anonymous id, as much as identity needs."""

    lead_id: str
    identified: bool


@dataclass(frozen=True, slots=True)
class IdentityDecision:
    """What a form submission does to identities.

    ``lead_id`` None means: create a new lead. ``link_anonymous_id`` says whether
    the anonymous id (if any) now points at the submitting lead.
    ``merge_from`` names an anonymous visitor whose events move to the lead.
    ``switched_from`` names the identified lead the (shared) browser belonged to until
    now: its history stays its own, its later hits go to the submitting lead.
    """

    outcome: IdentityOutcome
    lead_id: str | None
    link_anonymous_id: bool
    merge_from: str | None = None
    switched_from: str | None = None


def decide_identity(
    by_email: KnownLead | None, by_anonymous_id: KnownLead | None
) -> IdentityDecision:
    """Decide which lead a submission belongs to, from the leads found by e-mail and by id."""
    anon = by_anonymous_id
    if anon is None:
        if by_email is None:
            return IdentityDecision(IdentityOutcome.NEW_LEAD, None, link_anonymous_id=True)
        return IdentityDecision(IdentityOutcome.SAME_LEAD, by_email.lead_id, link_anonymous_id=True)
    if not anon.identified:
        if by_email is None:
            # The visitor's own id is the oldest: it becomes the lead.
            return IdentityDecision(IdentityOutcome.VISITOR_IDENTIFIED, anon.lead_id, True)
        return IdentityDecision(
            IdentityOutcome.VISITOR_MERGED, by_email.lead_id, True, merge_from=anon.lead_id
        )
    if by_email is not None and by_email.lead_id == anon.lead_id:
        return IdentityDecision(IdentityOutcome.SAME_LEAD, anon.lead_id, link_anonymous_id=False)
    # The browser belongs to another identified person: never merge the two, and credit
    # the browser's later hits to the one who identified last.
    target = by_email.lead_id if by_email is not None else None
    return IdentityDecision(
        IdentityOutcome.SHARED_DEVICE, target, link_anonymous_id=True, switched_from=anon.lead_id
    )


@dataclass(frozen=True, slots=True)
class BrowserSwitch:
    """What each person's timeline says when a shared browser changes hands."""

    left_en: str
    left_nl: str
    joined_en: str
    joined_nl: str


def browser_switch(at: float) -> BrowserSwitch:
    """The sentences for both timelines when someone identifies on another lead's browser."""
    moment = datetime.fromtimestamp(at, tz=UTC)
    date = f"{moment.day} {moment.strftime('%b')}"
    return BrowserSwitch(
        left_en=(
            f"Another person identified on this shared browser on {date}; its visits from "
            "then on count for them, the earlier ones stay here"
        ),
        left_nl=(
            f"Iemand anders maakte zich op {date} bekend op deze gedeelde browser; de bezoeken "
            "vanaf dan tellen voor die persoon, de eerdere blijven hier"
        ),
        joined_en=(
            f"Identified on {date} on a browser another lead used before; its visits from "
            "now on count here, the earlier ones stay with the other lead"
        ),
        joined_nl=(
            f"Maakte zich op {date} bekend op een browser die eerder door een andere lead werd "
            "gebruikt; de bezoeken vanaf nu tellen hier, de eerdere blijven bij de andere lead"
        ),
    )


@cache
def _extractor() -> object:
    import tldextract

    # The bundled public-suffix snapshot: no network at run time.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def company_domain(email: str) -> str:
    """The registered domain of an e-mail address: jan@mail.acme.co.uk -> acme.co.uk."""
    host = email.rpartition("@")[2].strip().lower().rstrip(".")
    extract = _extractor()
    result = extract(host)  # type: ignore[operator]
    registered = str(result.top_domain_under_public_suffix or "")
    return registered or host
