"""Score state: everything the scorer keeps about a lead or a company, bounded in size.

The state is what makes scoring constant work per event: counters, the last
window of each cap, decayed sums with their reference time. It serialises to a
compact JSON-able dict stored on the lead item.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

MAX_TOPICS = 40
MAX_EMAIL_CLICKS = 50
MAX_CAP_WINDOWS = 3
#: The e-mail messages whose recent hits are remembered, and the hits kept per message.
MAX_MAIL_MESSAGES = 10
MAX_MAIL_HITS = 6

#: What was credited for one hit: (rule id, points, decay group, buying signal 0/1).
CreditedEntry = tuple[str, float, str | None, int]
#: One recent hit of an e-mail message: (at, target digest or "open", event id,
#: machine 0/1, the stage before it, what it was credited).
MailHit = tuple[float, str, str, int, str, tuple[CreditedEntry, ...]]
MAX_FORM_IDS = 20
MAX_FORM_ASSETS = 10
MAX_RANKS = 200

_new_state = object.__new__


def decayed(value: float, ref_at: float, at: float, half_life: float | None) -> float:
    """``value`` measured at ``ref_at``, seen at ``at`` under a half-life (None: no decay)."""
    if half_life is None or value == 0.0 or at == ref_at:
        return value
    return value * math.exp2(-(at - ref_at) / half_life)


@dataclass(slots=True)
class Accumulator:
    """A sum of points that each fade from their own time: exact, O(1) to update."""

    value: float = 0.0
    ref_at: float = 0.0

    def add(self, points: float, at: float, half_life: float | None) -> Accumulator:
        # ``decayed`` written out: the scorer adds twice per credited rule.
        value, ref_at = self.value, self.ref_at
        if half_life is None:
            return Accumulator(value + points, at if at > ref_at else ref_at)
        if value == 0.0 and ref_at == 0.0:
            return Accumulator(points, at)
        if at >= ref_at:
            if not (value == 0.0 or at == ref_at):
                value = value * math.exp2(-(at - ref_at) / half_life)
            return Accumulator(value + points, at)
        if not (points == 0.0 or ref_at == at):
            points = points * math.exp2(-(ref_at - at) / half_life)
        return Accumulator(value + points, ref_at)

    def at(self, moment: float, half_life: float | None) -> float:
        return decayed(self.value, self.ref_at, moment, half_life)


@dataclass(slots=True)
class RuleTally:
    """How much one rule contributed, and what the latest sentence explaining it says.

    ``args`` are the latest hit's placeholder values (its date is ``last_at``): the
    sentence is rendered at read time in the lead's language. ``text`` is a sentence
    rendered by an older version, kept for states written before.
    """

    points: float  # undecayed total
    count: int
    last_at: float
    text: str
    decay: str | None
    total: Accumulator
    signal: bool = False
    advise_email: bool = False
    #: How sales should follow this trigger up: phone, email, email_cc, phone_senior.
    follow_up: str | None = None
    args: dict[str, Any] | None = None


@dataclass(slots=True)
class LeadScoreState:
    """The scorer's memory of one lead. Bounded: nothing in it grows with history."""

    model_version: str = ""
    profile: dict[str, Any] = field(default_factory=dict)
    fit: dict[str, float] = field(default_factory=dict)
    fit_texts: dict[str, str] = field(default_factory=dict)  # written by older versions only
    rules: dict[str, RuleTally] = field(default_factory=dict)
    groups: dict[str, Accumulator] = field(default_factory=dict)
    static_engagement: float = 0.0
    caps: dict[str, dict[int, int]] = field(default_factory=dict)
    forms: int = 0
    newsletter_subscribed: bool = False
    topics: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    classes_seen: tuple[str, ...] = ()
    email_clicks: tuple[float, ...] = ()
    first_seen: float = 0.0
    last_seen: float = 0.0
    events_applied: int = 0
    buying_signals: int = 0
    signals_since_recycle: int = 0
    last_signal_rule: str | None = None
    last_signal_at: float = 0.0
    stage: str = "visitor"
    stage_since: float = 0.0
    stage_entered: dict[str, float] = field(default_factory=dict)
    qualifications: int = 0
    sales_status: str | None = None
    #: Recent opens and clicks per e-mail message, so a scanner's burst can be seen
    #: (and what was credited for them taken back). Bounded by MAX_MAIL_*.
    mail_hits: dict[str, tuple[MailHit, ...]] = field(default_factory=dict)
    #: Per rule group: the exact decayed sum its rules credited (held under its ceiling).
    ceilings: dict[str, Accumulator] = field(default_factory=dict)
    #: The different forms counted towards "two forms make an MQL", and when the last was.
    form_ids: tuple[str, ...] = ()
    last_form_at: float = 0.0
    #: A form's own asset (URL path) and when its form was submitted.
    form_assets: dict[str, float] = field(default_factory=dict)
    #: The language of the page of the lead's latest form ("nl", "en"), if it said one.
    page_lang: str | None = None

    @property
    def fit_total(self) -> float:
        return sum(self.fit.values())

    def engagement_at(self, moment: float, half_lives: dict[str, float | None]) -> float:
        total = self.static_engagement
        for group, accumulator in self.groups.items():
            total += accumulator.at(moment, half_lives.get(group))
        return total

    def clone(self) -> LeadScoreState:
        """A copy whose containers can be changed without touching this one.

        Set slot by slot rather than through ``__init__``: the scorer clones once per
        event, and keyword construction of 25 fields is most of that cost. A new
        field must be added here too; ``_check_clone`` fails the import otherwise.
        """
        new = _new_state(LeadScoreState)
        new.model_version = self.model_version
        new.profile = dict(self.profile)
        new.fit = dict(self.fit)
        new.fit_texts = dict(self.fit_texts)
        new.rules = dict(self.rules)
        new.groups = dict(self.groups)
        new.static_engagement = self.static_engagement
        new.caps = dict(self.caps)
        new.forms = self.forms
        new.newsletter_subscribed = self.newsletter_subscribed
        new.topics = dict(self.topics)
        new.classes_seen = self.classes_seen
        new.email_clicks = self.email_clicks
        new.first_seen = self.first_seen
        new.last_seen = self.last_seen
        new.events_applied = self.events_applied
        new.buying_signals = self.buying_signals
        new.signals_since_recycle = self.signals_since_recycle
        new.last_signal_rule = self.last_signal_rule
        new.last_signal_at = self.last_signal_at
        new.stage = self.stage
        new.stage_since = self.stage_since
        new.stage_entered = dict(self.stage_entered)
        new.qualifications = self.qualifications
        new.sales_status = self.sales_status
        new.mail_hits = dict(self.mail_hits)
        new.ceilings = dict(self.ceilings)
        new.form_ids = self.form_ids
        new.last_form_at = self.last_form_at
        new.form_assets = self.form_assets  # copied on write (forms only)
        new.page_lang = self.page_lang
        return new

    def to_dict(self) -> dict[str, Any]:
        """A compact JSON-able form (short keys: it is stored on every lead)."""
        data = {
            "v": self.model_version,
            "p": self.profile,
            "f": self.fit,
            "r": {
                rule: [
                    t.points,
                    t.count,
                    t.last_at,
                    t.args if t.args is not None else t.text,
                    t.decay,
                    t.total.value,
                    t.total.ref_at,
                    int(t.signal),
                    int(t.advise_email),
                    *((t.follow_up,) if t.follow_up else ()),
                ]
                for rule, t in self.rules.items()
            },
            "g": {name: [a.value, a.ref_at] for name, a in self.groups.items()},
            "se": self.static_engagement,
            "c": {
                key: {str(b): n for b, n in windows.items()} for key, windows in self.caps.items()
            },
            "fo": self.forms,
            "ns": int(self.newsletter_subscribed),
            "t": {topic: list(value) for topic, value in self.topics.items()},
            "cs": list(self.classes_seen),
            "ec": list(self.email_clicks),
            "fs": self.first_seen,
            "ls": self.last_seen,
            "n": self.events_applied,
            "bs": self.buying_signals,
            "bsr": self.signals_since_recycle,
            "lsr": self.last_signal_rule,
            "lsa": self.last_signal_at,
            "st": self.stage,
            "ss": self.stage_since,
            "se2": self.stage_entered,
            "q": self.qualifications,
            "sal": self.sales_status,
        }
        if self.mail_hits:
            data["mh"] = {
                key: [[h[0], h[1], h[2], h[3], h[4], [list(e) for e in h[5]]] for h in hits]
                for key, hits in self.mail_hits.items()
            }
        if self.ceilings:
            data["ce"] = {name: [a.value, a.ref_at] for name, a in self.ceilings.items()}
        if self.form_ids:
            data["fi"] = list(self.form_ids)
            data["lfa"] = self.last_form_at
        if self.form_assets:
            data["fa"] = self.form_assets
        if self.fit_texts:
            data["ft"] = self.fit_texts
        if self.page_lang:
            data["pl"] = self.page_lang
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> LeadScoreState:
        if not data:
            return cls()
        return cls(
            model_version=data.get("v", ""),
            profile=dict(data.get("p", {})),
            fit={k: float(v) for k, v in data.get("f", {}).items()},
            fit_texts=dict(data.get("ft", {})),
            rules={
                rule: RuleTally(
                    points=float(v[0]),
                    count=int(v[1]),
                    last_at=float(v[2]),
                    text=v[3] if isinstance(v[3], str) else "",
                    decay=v[4],
                    total=Accumulator(float(v[5]), float(v[6])),
                    signal=bool(v[7]),
                    advise_email=bool(v[8]),
                    follow_up=v[9] if len(v) > 9 else None,
                    args=dict(v[3]) if isinstance(v[3], dict) else None,
                )
                for rule, v in data.get("r", {}).items()
            },
            groups={k: Accumulator(float(v[0]), float(v[1])) for k, v in data.get("g", {}).items()},
            static_engagement=float(data.get("se", 0.0)),
            caps={
                key: {int(b): int(n) for b, n in windows.items()}
                for key, windows in data.get("c", {}).items()
            },
            forms=int(data.get("fo", 0)),
            newsletter_subscribed=bool(data.get("ns", 0)),
            topics={k: (int(v[0]), float(v[1]), float(v[2])) for k, v in data.get("t", {}).items()},
            classes_seen=tuple(data.get("cs", ())),
            email_clicks=tuple(float(x) for x in data.get("ec", ())),
            first_seen=float(data.get("fs", 0.0)),
            last_seen=float(data.get("ls", 0.0)),
            events_applied=int(data.get("n", 0)),
            buying_signals=int(data.get("bs", 0)),
            signals_since_recycle=int(data.get("bsr", 0)),
            last_signal_rule=data.get("lsr"),
            last_signal_at=float(data.get("lsa", 0.0)),
            stage=str(data.get("st", "visitor")),
            stage_since=float(data.get("ss", 0.0)),
            stage_entered={k: float(v) for k, v in data.get("se2", {}).items()},
            qualifications=int(data.get("q", 0)),
            sales_status=data.get("sal"),
            mail_hits={
                key: tuple(
                    (
                        float(h[0]),
                        str(h[1]),
                        str(h[2]),
                        int(h[3]),
                        str(h[4]),
                        tuple((str(e[0]), float(e[1]), e[2], int(e[3])) for e in h[5]),
                    )
                    for h in hits
                )
                for key, hits in data.get("mh", {}).items()
            },
            ceilings={
                k: Accumulator(float(v[0]), float(v[1])) for k, v in data.get("ce", {}).items()
            },
            form_ids=tuple(str(x) for x in data.get("fi", ())),
            last_form_at=float(data.get("lfa", 0.0)),
            form_assets={k: float(v) for k, v in data.get("fa", {}).items()},
            page_lang=data.get("pl"),
        )


def _check_clone() -> None:
    copy = LeadScoreState().clone()
    missing = [f.name for f in fields(LeadScoreState) if not hasattr(copy, f.name)]
    if missing:
        raise RuntimeError(f"LeadScoreState.clone does not copy {', '.join(missing)}")


_check_clone()


@dataclass(slots=True)
class CompanyState:
    """Who at one company read which topic recently (bounded per topic)."""

    domain: str
    readers: dict[str, dict[str, float]] = field(default_factory=dict)
    credited: dict[str, dict[str, int]] = field(default_factory=dict)
    #: Each recent reader's seniority rank (the account rule's ``seniority``; 0: none).
    ranks: dict[str, int] = field(default_factory=dict)

    def without(self, lead_id: str) -> CompanyState:
        """The same state with one person's contributions taken out (erasure)."""
        return CompanyState(
            domain=self.domain,
            readers={
                t: {r: at for r, at in rs.items() if r != lead_id} for t, rs in self.readers.items()
            },
            credited={
                t: {r: w for r, w in cs.items() if r != lead_id} for t, cs in self.credited.items()
            },
            ranks={r: n for r, n in self.ranks.items() if r != lead_id},
        )

    def to_dict(self) -> dict[str, Any]:
        return {"d": self.domain, "r": self.readers, "c": self.credited, "k": self.ranks}

    @classmethod
    def from_dict(cls, domain: str, data: dict[str, Any] | None) -> CompanyState:
        if not data:
            return cls(domain=domain)
        return cls(
            domain=domain,
            readers={t: {k: float(v) for k, v in r.items()} for t, r in data.get("r", {}).items()},
            credited={t: {k: int(v) for k, v in c.items()} for t, c in data.get("c", {}).items()},
            ranks={k: int(v) for k, v in data.get("k", {}).items()},
        )
