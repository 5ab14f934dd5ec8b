"""What the console reads beyond the sales API: a lead's score history, the rule book,
the quarantine (with re-drive) and the audit log."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

from pydantic import BaseModel

from chalicelib.adapters.ports import (
    AuditTrail,
    EventRecordReader,
    LeadRecord,
    Privacy,
    Profiles,
    Quarantine,
    QuarantinedItem,
    ScoreStates,
)
from chalicelib.domain.access import Principal
from chalicelib.domain.clock import iso
from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.scoring.model import ScoringModel
from chalicelib.schemas_console import (
    AuditEntry,
    AuditLog,
    Colleague,
    CompanyActivity,
    LeadLedger,
    LedgerLine,
    QuarantineEntry,
    QuarantineList,
    RedriveResult,
    RuleBook,
    RuleLine,
    Sentence,
)
from chalicelib.services.leads import live_record
from chalicelib.services.scoring import ScoringService

#: Sources whose records can be fed to their stream handler again once the cause is fixed.
#: Only scoring: announcing (``stream:leads``) is the notifier's alone (the API may not
#: publish); a held lead record is announced again by ``make rescore LEAD=<id>``.
REDRIVABLE = ("stream:events",)


def _sentence(value: Any) -> Sentence:
    """A rule's text as the model holds it: one string, or one per language."""
    if isinstance(value, str):
        return value
    if isinstance(value, BaseModel):
        return {str(k): str(v) for k, v in value.model_dump().items() if v is not None}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return str(value)


def rule_book(model: ScoringModel) -> RuleBook:
    """The active model's rules with their points and sentences, and the stage thresholds."""
    rules = [
        RuleLine(id=r.id, kind="fit", points=r.points, text=_sentence(r.text), group=r.group)
        for r in model.fit_rules
    ]
    rules += [
        RuleLine(
            id=r.id,
            kind="engagement",
            points=r.points,
            text=_sentence(r.text),
            buying_signal=r.buying_signal,
            decay=r.decay,
        )
        for r in model.engagement_rules
    ]
    account = model.account
    rules.append(
        RuleLine(
            id=account.id,
            kind="account",
            points=account.points,
            text=_sentence(account.text),
            buying_signal=account.buying_signal,
            decay=account.decay,
        )
    )
    return RuleBook(
        version=model.version,
        rules=rules,
        mql=model.stages.mql.model_dump(),
        sql=model.stages.sql.model_dump(),
        half_life_days={name: group.half_life_days for name, group in model.decay_groups.items()},
    )


class ConsoleLeads(Profiles, ScoreStates, Privacy, Protocol):
    """The lead-store ports ConsoleService uses."""


class ConsoleService:
    def __init__(
        self,
        leads: ConsoleLeads,
        quarantine: Quarantine,
        audit: AuditTrail | None,
        scoring: ScoringService,
        retention_days: int,
        clock: Callable[[], float] = time.time,
        read_event_record: EventRecordReader | None = None,
    ) -> None:
        self._leads = leads
        self._read_event_record = read_event_record
        self._quarantine = quarantine
        self._audit = audit
        self._scoring = scoring
        self._retention_days = retention_days
        self._clock = clock

    # -- a lead's score history --------------------------------------------------------

    def ledger(self, lead_id: str) -> LeadLedger:
        """Every ledger entry of the lead, oldest first.

        Raises
        ------
        NotFound
            no such lead, or it was erased.
        """
        record = self._record(lead_id)
        entries = sorted(self._leads.ledger(record.lead.lead_id), key=lambda e: e.at)
        return LeadLedger(
            lead_id=record.lead.lead_id,
            entries=[
                LedgerLine(
                    at=iso(e.at),
                    rule=e.rule,
                    kind=e.kind,
                    points=e.points,
                    decay=e.decay,
                    text=e.text,
                    model_version=e.model_version,
                )
                for e in entries
            ],
        )

    def _record(self, lead_id: str) -> LeadRecord:
        return live_record(self._leads, lead_id)

    def colleagues(self, lead_id: str, limit: int = 20) -> CompanyActivity:
        """Other people at the lead's company who read recently, newest first.

        From the company state the account rule keeps (who read which topic in its window),
        so only business domains with recent reading have any.

        Raises
        ------
        NotFound
            no such lead, or it was erased.
        """
        record = self._record(lead_id)
        domain = record.lead.company_domain
        if not domain:
            return CompanyActivity(lead_id=record.lead.lead_id, company_domain=None, colleagues=[])
        readers = self._leads.get_company(domain).state.readers
        latest: dict[str, float] = {}
        topics: dict[str, set[str]] = {}
        for topic, read in readers.items():
            for reader, at in read.items():
                if reader == record.lead.lead_id:
                    continue
                latest[reader] = max(at, latest.get(reader, 0.0))
                topics.setdefault(reader, set()).add(topic)
        found = []
        for reader in sorted(latest, key=lambda r: latest[r], reverse=True):
            colleague = self._leads.get_lead(reader)
            if colleague is None or colleague.erased or colleague.merged_into:
                continue
            found.append(
                Colleague(
                    lead_id=reader,
                    first_name=colleague.lead.profile.get("first_name"),
                    last_name=colleague.lead.profile.get("last_name"),
                    job_title=colleague.lead.profile.get("job_title"),
                    stage=colleague.lead.stage.value,
                    score=round(colleague.lead.score),
                    topics=sorted(topics[reader]),
                    last_read_at=iso(latest[reader]),
                )
            )
            if len(found) >= limit:
                break
        return CompanyActivity(lead_id=record.lead.lead_id, company_domain=domain, colleagues=found)

    # -- the quarantine -----------------------------------------------------------------

    def held(self, limit: int = 100) -> QuarantineList:
        """What was rejected after it was accepted, newest first, within the retention."""
        return QuarantineList(
            items=[self._entry(i) for i in self._quarantine.held(limit, self._retention_days)]
        )

    def redrive(self, ref: str, by: Principal) -> RedriveResult:
        """Feed a held stream record to its handler again, once its cause is fixed.

        A record that is still rejected stays held (with today's reason); one that is
        processed is let go. Idempotent: the handlers are.

        Raises
        ------
        NotFound
            nothing held under ``ref``.
        Conflict
            the source cannot be re-driven (a form post held as bot traffic).
        """
        item = self._get(ref)
        if item.source == "stream:leads":
            raise Conflict(
                "ref: a held lead record is announced by the notifier alone; rescore the "
                "lead (make rescore LEAD=<lead_id>) and delete this item"
            )
        if item.source not in REDRIVABLE:
            raise Conflict(
                f"ref: a {item.source} item cannot be re-driven (held as bot traffic, its "
                "request is gone); delete it, or ask the person to submit again"
            )
        if self._read_event_record is None:
            raise Conflict("ref: this deployment cannot read held stream records")
        record = item.payload if isinstance(item.payload, dict) else {}
        try:
            delivery = self._read_event_record(record, self._clock())
            if delivery.problem is not None:
                return RedriveResult(ref=ref, outcome="rejected_again", detail=delivery.problem)
            failed = self._scoring.process([delivery]).failed
        except (KeyError, ValueError, TypeError, AttributeError) as error:
            return RedriveResult(ref=ref, outcome="rejected_again", detail=str(error))
        if failed:
            return RedriveResult(
                ref=ref, outcome="retry_later", detail="the handler failed; still held"
            )
        self._quarantine.delete(ref)
        self._leads.audit(
            "quarantine_redriven", "-", {"who": _who(by), "source": item.source}, self._clock()
        )
        return RedriveResult(ref=ref, outcome="processed", detail="processed and let go")

    def delete(self, ref: str, by: Principal) -> None:
        """Let go of a held item for good (written to the audit log).

        Raises
        ------
        NotFound
            nothing held under ``ref``.
        """
        item = self._get(ref)
        self._quarantine.delete(ref)
        self._leads.audit(
            "quarantine_deleted",
            "-",
            {"who": _who(by), "source": item.source, "reason": item.reason[:200]},
            self._clock(),
        )

    def _get(self, ref: str) -> QuarantinedItem:
        item = self._quarantine.get(ref) if len(ref) <= 256 else None
        if item is None:
            raise NotFound(f"ref: nothing held under '{ref[:64]}'")
        return item

    @staticmethod
    def _entry(item: QuarantinedItem) -> QuarantineEntry:
        return QuarantineEntry(
            ref=item.ref,
            source=item.source,
            reason=item.reason,
            at=iso(item.at),
            payload=item.payload,
            can_redrive=item.source in REDRIVABLE,
        )

    # -- the audit log ------------------------------------------------------------------

    def audit_log(self, limit: int = 100) -> AuditLog:
        """The newest audit records of this month and the last."""
        records = self._audit.recent(limit, 2) if self._audit is not None else []
        return AuditLog(
            items=[
                AuditEntry(at=iso(r.at), action=r.action, lead_id=r.lead_id, detail=r.detail)
                for r in records
            ]
        )


def _who(principal: Principal) -> str:
    return principal.email or principal.subject
