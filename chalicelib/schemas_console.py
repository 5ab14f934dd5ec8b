"""Response models of the console's routes (the lead's score history, the rule book, the
quarantine, the audit log). Kept beside ``schemas.py`` so each reads on its own."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


#: A sentence for people: one string, or one per language (``{"en": ..., "nl": ...}``).
Sentence = str | dict[str, str]


class LedgerLine(_Out):
    at: str = Field(description="When the points were earned (ISO 8601).")
    rule: str
    kind: str = Field(description="fit, engagement or outcome (sales feedback, 0 points).")
    points: float = Field(description="Points as earned, before decay.")
    decay: str | None = None
    text: str = Field(description="Why, as a sentence a salesperson can say.")
    model_version: str


class LeadLedger(_Out):
    """Every score change of a lead, oldest first: the score's history."""

    lead_id: str
    entries: list[LedgerLine]


class RuleLine(_Out):
    id: str
    kind: Literal["fit", "engagement", "account"]
    points: float
    text: Sentence
    buying_signal: bool = False
    decay: str | None = None
    group: str | None = None


class RuleBook(_Out):
    """The active scoring model as people read it."""

    version: str
    rules: list[RuleLine]
    mql: dict[str, Any]
    sql: dict[str, Any]
    half_life_days: dict[str, float | None]


class QuarantineEntry(_Out):
    ref: str = Field(description="Handle for re-drive and delete.")
    source: str = Field(description="stream:events, stream:leads or form:<form_id>.")
    reason: str
    at: str
    payload: Any
    can_redrive: bool


class QuarantineList(_Out):
    items: list[QuarantineEntry]


class RedriveResult(_Out):
    ref: str
    outcome: Literal["processed", "rejected_again", "retry_later"]
    detail: str


class AuditEntry(_Out):
    at: str
    action: str
    lead_id: str
    detail: dict[str, Any]


class AuditLog(_Out):
    items: list[AuditEntry]


class Colleague(_Out):
    lead_id: str
    first_name: str | None = None
    last_name: str | None = None
    job_title: str | None = None
    stage: str
    score: int
    topics: list[str] = Field(description="Topics this colleague read recently.")
    last_read_at: str


class CompanyActivity(_Out):
    """Colleagues at the lead's company who read recently (the account rule's readers)."""

    lead_id: str
    company_domain: str | None
    colleagues: list[Colleague]
