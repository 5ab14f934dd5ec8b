"""Leads: who a person is to Trechter, and where they stand in the funnel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Stage(StrEnum):
    """Lifecycle stages, in funnel order (``recycled`` sits beside ``mql``)."""

    VISITOR = "visitor"
    LEAD = "lead"
    MQL = "mql"
    SQL = "sql"
    CUSTOMER = "customer"
    RECYCLED = "recycled"


FUNNEL_ORDER: tuple[Stage, ...] = (Stage.VISITOR, Stage.LEAD, Stage.MQL, Stage.SQL, Stage.CUSTOMER)

#: Profile fields a form may carry; the order is the order of the contract.
PROFILE_FIELDS: tuple[str, ...] = (
    "email",
    "first_name",
    "last_name",
    "company",
    "job_title",
    "phone",
    "country",
    "company_size",
    "industry",
)

#: The fields that reach someone's inbox or another system: a hand-over message
#: (``lead.sales_qualified``) and a lifecycle event in ``profile`` mode carry these.
CONTACT_FIELDS: tuple[str, ...] = (
    "email",
    "first_name",
    "last_name",
    "company",
    "company_domain",
    "job_title",
    "phone",
    "country",
)


class Channel(StrEnum):
    """How sales should follow up."""

    PHONE = "phone"
    EMAIL = "email"


def merge_profile(current: Mapping[str, Any], submitted: Mapping[str, Any]) -> dict[str, Any]:
    """Newer non-empty values win; nothing is ever blanked by an empty field."""
    merged = dict(current)
    for name, value in submitted.items():
        if value is None or value == "":
            continue
        merged[name] = value
    return merged


@dataclass(slots=True)
class Consent:
    """A lead's marketing consent, with the evidence a regulator asks for."""

    granted: bool
    at: float
    form_id: str | None = None
    page_url: str | None = None
    text_version: str | None = None


@dataclass(slots=True)
class Lead:
    """A person: identified by e-mail (a lead) or only by an anonymous id (a visitor)."""

    lead_id: str
    created_at: float
    profile: dict[str, Any] = field(default_factory=dict)
    company_domain: str | None = None
    consent: Consent | None = None
    stage: Stage = Stage.VISITOR
    score: float = 0.0
    fit_score: float = 0.0
    engagement_score: float = 0.0
    updated_at: float = 0.0
    recommended_channel: str | None = None
    model_version: str | None = None

    @property
    def email(self) -> str | None:
        value = self.profile.get("email")
        return str(value) if value else None

    @property
    def is_identified(self) -> bool:
        return self.email is not None

    @property
    def may_attribute_email_tracking(self) -> bool:
        """Opens and clicks count for this person only with marketing consent."""
        return self.consent is not None and self.consent.granted
