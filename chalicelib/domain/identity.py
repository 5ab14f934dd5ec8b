"""Identity: who an anonymous visitor turns out to be, and what a company is.

Rules: an anonymous id links to a lead when a form carries it; events before and
after belong to the same person. Two identified leads are never merged
automatically, and an anonymous id keeps its oldest link to an identified lead.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    """

    outcome: IdentityOutcome
    lead_id: str | None
    link_anonymous_id: bool
    merge_from: str | None = None


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
    # The browser already belongs to another identified person: keep that (oldest) link.
    target = by_email.lead_id if by_email is not None else None
    return IdentityDecision(IdentityOutcome.SHARED_DEVICE, target, link_anonymous_id=False)


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
