"""The scorer: one pure function from (lead state, company state, event, model, now)
to (new states, ledger entries, stage transitions). No I/O.

The stream handler, the full rescore and the benchmarks all call ``score_event``.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from chalicelib.domain.events import EventType, MachineLabel, MachineVerdict, TrackingEvent
from chalicelib.domain.language import language_of, page_language, short_date
from chalicelib.domain.lead import Stage
from chalicelib.domain.scoring.explain import tally_text
from chalicelib.domain.scoring.model import (
    FitCondition,
    FitRule,
    RulePlan,
    ScoringModel,
)
from chalicelib.domain.scoring.state import (
    MAX_CAP_WINDOWS,
    MAX_EMAIL_CLICKS,
    MAX_FORM_ASSETS,
    MAX_FORM_IDS,
    MAX_MAIL_HITS,
    MAX_MAIL_MESSAGES,
    MAX_RANKS,
    MAX_TOPICS,
    Accumulator,
    CompanyState,
    CreditedEntry,
    LeadScoreState,
    MailHit,
    RuleTally,
)

DAY = 86_400.0
# Module constants: an enum member is a class attribute lookup each time it is named.
_EMAIL_CLICK = EventType.EMAIL_CLICK
_EMAIL_OPEN = EventType.EMAIL_OPEN
_MAIL_HITS = frozenset({_EMAIL_OPEN, _EMAIL_CLICK})
_OPEN = "open"
_FORM_SUBMIT = EventType.FORM_SUBMIT
_NEWSLETTER_UNSUBSCRIBE = EventType.NEWSLETTER_UNSUBSCRIBE
_ACCOUNT_SIGNAL = EventType.ACCOUNT_SIGNAL
_PAGE_ENGAGEMENT = EventType.PAGE_ENGAGEMENT
_ASSET_EVENTS = frozenset({EventType.DOWNLOAD, EventType.PAGE_VIEW})
#: A ceiling with less room than this is full (no crumbs of a point).
_MIN_ROOM = 0.5
_FINAL_STAGES = frozenset({Stage.SQL, Stage.CUSTOMER})  # only sales moves a lead on from these
_VISITOR = Stage.VISITOR
TOPIC_WINDOW = 30 * DAY
EMAIL_CLICK_WINDOW = 365 * DAY
FIT = "fit"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One change of score: a rule, its points before decay, and why."""

    event_id: str
    rule: str
    points: float
    at: float
    model_version: str
    kind: str  # "fit", "engagement" or "outcome" (sales feedback, 0 points)
    decay: str | None
    text: str
    replayed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "replayed": self.replayed,
            "event_id": self.event_id,
            "rule": self.rule,
            "points": self.points,
            "at": self.at,
            "model_version": self.model_version,
            "kind": self.kind,
            "decay": self.decay,
            "text": self.text,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LedgerEntry:
        return cls(
            event_id=str(data["event_id"]),
            rule=str(data["rule"]),
            points=float(data["points"]),
            at=float(data["at"]),
            model_version=str(data["model_version"]),
            kind=str(data["kind"]),
            decay=data.get("decay"),
            text=str(data.get("text", "")),
            replayed=bool(data.get("replayed", False)),
        )


@dataclass(frozen=True, slots=True)
class StageTransition:
    """A lead moved from one stage to another, at a time, for a reason."""

    from_stage: str
    to_stage: str
    at: float
    reason: str


@dataclass(frozen=True, slots=True)
class AccountSurge:
    """Colleagues at ``domain`` who should each receive the account signal for ``topic``.

    ``senior`` is the one reader clearly more senior than the others, if there is one
    (seed 003, 3.2: then phone; without a clear hierarchy, a mail with CCs).
    """

    domain: str
    topic: str
    readers: int
    window: int
    lead_ids: tuple[str, ...]
    at: float
    senior: str | None = None


@dataclass(slots=True)
class ScoreOutcome:
    """What scoring one event produced."""

    lead: LeadScoreState
    company: CompanyState | None
    ledger: list[LedgerEntry] = field(default_factory=list)
    transitions: list[StageTransition] = field(default_factory=list)
    account_surge: AccountSurge | None = None
    #: The event is machine traffic by behaviour (the scorer saw it; capture did not).
    machine: MachineVerdict | None = None
    #: Earlier hits of the same mail now shown to be a scanner's: their points reversed.
    reversed_hits: int = 0


class _Vars(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def render(template: str, values: Mapping[str, Any]) -> str:
    """Fill a rule's sentence; an unknown placeholder shows as '?' rather than failing."""
    try:
        return template.format_map(values if isinstance(values, _Vars) else _Vars(values))
    except (ValueError, IndexError):
        return template


# -- fit ---------------------------------------------------------------------------------


def _field_value(rule: FitRule, profile: Mapping[str, Any], model: ScoringModel) -> Any:
    if rule.field == "name":
        return profile.get("first_name") or profile.get("last_name")
    if rule.field == "email":
        return profile.get("email")
    return profile.get(rule.field)


def _fit_matches(
    condition: FitCondition, value: Any, profile: Mapping[str, Any], model: ScoringModel
) -> bool:
    if condition.business_email is not None:
        email = profile.get("email")
        if not email:
            return False
        domain = str(email).rpartition("@")[2].lower()
        return (domain not in model.free_mail_domains) is condition.business_email
    if condition.present is not None:
        return bool(value) is condition.present
    if value is None or value == "":
        return False
    if condition.words_any is not None:
        words = condition._words
        return bool(words and words.search(str(value).lower()))
    if condition.in_ is not None:
        return str(value).upper() in {v.upper() for v in condition.in_}
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    if condition.gte is not None and number < condition.gte:
        return False
    return not (condition.lt is not None and number >= condition.lt)


def fit_points(
    profile: Mapping[str, Any], model: ScoringModel
) -> tuple[dict[str, float], dict[str, str]]:
    """The fit rules a profile meets: points and sentence per rule (first in a group wins)."""
    points: dict[str, float] = {}
    texts: dict[str, str] = {}
    taken: set[str] = set()
    values = dict(profile)
    email = str(profile.get("email") or "")
    values["company_domain"] = email.rpartition("@")[2].lower() if email else "?"
    for rule in model.fit_rules:
        if rule.group is not None and rule.group in taken:
            continue
        value = _field_value(rule, profile, model)
        if _fit_matches(rule.when, value, profile, model):
            points[rule.id] = rule.points
            texts[rule.id] = render(rule.text.en, values)
            if rule.group is not None:
                taken.add(rule.group)
    return points, texts


def _apply_fit(
    state: LeadScoreState,
    profile: Mapping[str, Any],
    event: TrackingEvent,
    model: ScoringModel,
    ledger: list[LedgerEntry],
    previous: Mapping[str, Any],
) -> None:
    new_points, new_texts = fit_points(profile, model)
    for rule_id in sorted(set(state.fit) | set(new_points)):
        delta = new_points.get(rule_id, 0.0) - state.fit.get(rule_id, 0.0)
        if delta != 0.0:
            text = (
                new_texts.get(rule_id)
                or f"No longer applies: {_fit_text(rule_id, previous, model)}"
            )
            ledger.append(
                LedgerEntry(
                    event.event_id,
                    rule_id,
                    delta,
                    event.occurred_at,
                    model.version,
                    FIT,
                    None,
                    text,
                )
            )
    state.fit = new_points
    # Fit sentences are rendered at read time, in the lead's language, from the profile.
    state.fit_texts = {}


def _fit_text(rule_id: str, profile: Mapping[str, Any], model: ScoringModel) -> str:
    rule = model.fit_rules_by_id.get(rule_id)
    return render(rule.text.en, profile) if rule is not None else rule_id


# -- engagement --------------------------------------------------------------------------


@dataclass(slots=True)
class _Facts:
    """What one event means, computed once and shared by every rule.

    The counts only some rules read are worked out on first use (from the state
    before ``_remember``); so are a sentence's placeholders (``__getitem__``).
    """

    state: LeadScoreState
    event: TrackingEvent
    model: ScoringModel
    url: str
    path: str
    content_class: str | None
    topic: str | None
    topic_reads: int
    dormant_days: float
    date: str
    target: str
    tags: tuple[str, ...] = ()
    _distinct_topics: int = -1
    _search_terms: str | None = None

    @property
    def search_terms(self) -> str:
        """A search engine's query that led here (referrer q=, p=, query=) or utm_term."""
        if self._search_terms is None:
            event = self.event
            utm = (event.properties or {}).get("utm_term")
            if isinstance(utm, str) and utm.strip():
                self._search_terms = utm.strip()
            else:
                self._search_terms = self.model.search_terms(self.url, event.referrer)
        return self._search_terms

    @property
    def distinct_topics(self) -> int:
        """Topics read in the last 30 days, this event's included."""
        if self._distinct_topics < 0:
            at = self.event.occurred_at
            topics = self.state.topics
            recent = 0
            for _count, _window_start, last in topics.values():
                if at - last <= TOPIC_WINDOW:
                    recent += 1
            topic = self.topic
            if topic is not None and not (
                topic in topics and at - topics[topic][2] <= TOPIC_WINDOW
            ):
                recent += 1
            self._distinct_topics = recent
        return self._distinct_topics

    @property
    def prior_clicks(self) -> int:
        """E-mail clicks in the year before this event."""
        at = self.event.occurred_at
        return sum(1 for t in self.state.email_clicks if 0 <= at - t <= EMAIL_CLICK_WINDOW)

    def __getitem__(self, name: str) -> Any:
        """A sentence's placeholder (``str.format_map``): the event's own facts first,
        then the lead's profile fields; an unknown one shows as '?'."""
        event = self.event
        if name == "date":
            return self.date
        if name == "title":
            return event.title or self.path or "?"
        if name == "path":
            return self.path or "?"
        if name == "url":
            return self.url
        if name == "topic":
            return self.topic or "?"
        if name == "topic_reads":
            return self.topic_reads
        if name == "distinct_topics":
            return self.distinct_topics
        if name == "query":
            return str((event.properties or {}).get("query", ""))[:80]
        if name == "target":
            return self.target
        if name == "search_terms":
            return self.search_terms[:80] or "?"
        if name == "engaged_minutes":
            seconds = _number((event.properties or {}).get("engaged_seconds"))
            return max(1, round(seconds / 60))
        if name == "form_title":
            if event.form_id and (form := self.model.forms_by_id.get(event.form_id)):
                return form.title_in("en")
            return "?"
        if name == "form_id":  # kept instead of the title, which is said per language
            return event.form_id or "?"
        return self.state.profile.get(name, "?")


def _facts(state: LeadScoreState, event: TrackingEvent, model: ScoringModel) -> _Facts:
    url = event.url or ""
    if url:
        raw_path, content_class, topic = model.page(url)
        path = raw_path or "/"
    else:
        raw_path, path, content_class, topic = "", "", None, None
    at = event.occurred_at
    topic_reads = 0
    if topic is not None:
        count, window_start, _last = state.topics.get(topic, (0, at, at))
        topic_reads = (count if at - window_start <= TOPIC_WINDOW else 0) + 1
    dormant = (at - state.last_seen) / DAY if state.last_seen and at > state.last_seen else 0.0
    # Worked out for every event, as sentences may need them; a target that is no URL at
    # all (urlsplit refuses it) is shown as given rather than failing the event.
    properties = event.properties or {}
    target = str(properties.get("target_url") or event.url or "")
    target = (raw_path if target == url else _path_of(target)) or target or "?"
    tags = model.tags_of(path) if path and model.has_content_tags else ()
    if properties:
        content = properties.get("content")
        if isinstance(content, str) and content and content not in tags:
            tags = (*tags, content)
    return _Facts(
        state,
        event,
        model,
        url,
        path,
        content_class,
        topic,
        topic_reads,
        dormant,
        short_date(at),
        target,
        tags,
    )


def _fill(template: str, facts: _Facts) -> str:
    """``render`` with the facts as the placeholders."""
    try:
        return template.format_map(facts)
    except (ValueError, IndexError):
        return template


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value)


def _matches(rule: RulePlan, state: LeadScoreState, event: TrackingEvent, facts: _Facts) -> bool:
    """Every condition of the rule but its content class (``rules_for`` checked that)."""
    # The most selective conditions first: most page views carry no tag and no search terms.
    if rule.content_tag is not None and not any(tag in facts.tags for tag in rule.content_tag):
        return False
    if rule.search_engine is not None and not rule.search_engine.search(facts.search_terms.lower()):
        return False
    if rule.form_kind is not None and event.form_kind not in rule.form_kind:
        return False
    if rule.topic is not None and facts.topic not in rule.topic:
        return False
    if rule.properties is not None:
        properties = event.properties or {}
        for key, expected in rule.properties.items():
            if properties.get(key) != expected:
                return False
    if rule.query_words is not None:
        query = rule.query
        if query is None or not query.search(
            str((event.properties or {}).get("query", "")).lower()
        ):
            return False
    if rule.prior_content_class is not None and rule.prior_content_class not in state.classes_seen:
        return False
    if rule.min_topic_reads is not None and facts.topic_reads < rule.min_topic_reads:
        return False
    if rule.min_distinct_topics is not None and facts.distinct_topics < rule.min_distinct_topics:
        return False
    if rule.dormant_days is not None and facts.dormant_days < rule.dormant_days:
        return False
    if rule.max_prior_email_clicks is not None and facts.prior_clicks > rule.max_prior_email_clicks:
        return False
    if rule.personal_message is not None:
        personal = bool((event.properties or {}).get("personal", False))
        if personal is not rule.personal_message:
            return False
    if (
        rule.newsletter_subscribed is not None
        and state.newsletter_subscribed is not rule.newsletter_subscribed
    ):
        return False
    if rule.max_fit is not None and state.fit_total > rule.max_fit:
        return False
    if rule.min_fit is not None and state.fit_total < rule.min_fit:
        return False
    if rule.fit_any is not None and not any(fit_id in state.fit for fit_id in rule.fit_any):
        return False
    if rule.min_engaged_seconds is not None or rule.min_scroll_depth is not None:
        properties = event.properties or {}
        seconds = _number(properties.get("engaged_seconds"))
        depth = _number(properties.get("scroll_depth"))
        if rule.min_engaged_seconds is not None and seconds < rule.min_engaged_seconds:
            return False
        if rule.min_scroll_depth is not None and depth < rule.min_scroll_depth:
            return False
    return True


def _room(
    state: LeadScoreState,
    group: str,
    ceiling: float,
    half_life: float | None,
    at: float,
    points: float,
) -> float:
    """How many of ``points`` the group's ceiling admits at ``at`` (its exact decayed sum)."""
    held = state.ceilings.get(group)
    if held is None:
        return ceiling
    if at >= held.ref_at and ceiling - held.value >= points:
        return points  # decay only lowers what is held: room enough, no exp2 needed
    return ceiling - held.at(at, half_life)


def _hold(
    state: LeadScoreState, group: str, points: float, half_life: float | None, at: float
) -> None:
    held = state.ceilings.get(group)
    state.ceilings[group] = (held if held is not None else Accumulator()).add(points, at, half_life)


def _cap_full(state: LeadScoreState, key: str, count: int, days: float, at: float) -> bool:
    """Whether a cap window is full already (read only: a ceiling may still refuse the hit)."""
    current = state.caps.get(key)
    return current is not None and current.get(int(at // (days * DAY)), 0) >= count


def _within_cap(state: LeadScoreState, key: str, count: int, days: float, at: float) -> bool:
    """Count one hit against a cap window; False when the window is full."""
    window = int(at // (days * DAY))
    current = state.caps.get(key)
    used = current.get(window, 0) if current else 0
    if used >= count:
        return False
    # Copy on write: the previous state shares this dict (``clone`` is shallow).
    windows = dict(current) if current else {}
    windows[window] = used + 1
    if len(windows) > MAX_CAP_WINDOWS:
        for old in sorted(windows)[: len(windows) - MAX_CAP_WINDOWS]:
            del windows[old]
    state.caps[key] = windows
    return True


def _credit(
    state: LeadScoreState,
    version: str,
    half_life: float | None,
    rule_id: str,
    points: float,
    decay: str | None,
    signal: bool,
    advise_email: bool,
    text: str,
    args: dict[str, Any] | None,
    event: TrackingEvent,
    ledger: list[LedgerEntry],
    follow_up: str | None = None,
) -> None:
    at = event.occurred_at
    previous = state.rules.get(rule_id)
    if previous is None:
        tally = RuleTally(
            points,
            1,
            at,
            "",
            decay,
            Accumulator().add(points, at, half_life),
            signal,
            advise_email,
            follow_up,
            args,
        )
    else:
        newer = at >= previous.last_at
        tally = RuleTally(
            previous.points + points,
            previous.count + 1,
            at if at > previous.last_at else previous.last_at,
            "" if newer else previous.text,
            decay,
            previous.total.add(points, at, half_life),
            signal,
            advise_email,
            follow_up if newer else previous.follow_up,
            args if newer else previous.args,
        )
    state.rules[rule_id] = tally
    if decay is None:
        state.static_engagement += points
    else:
        group = state.groups.get(decay)
        if group is None:
            group = Accumulator()
        state.groups[decay] = group.add(points, at, half_life)
    if signal:
        state.buying_signals += 1
        state.signals_since_recycle += 1
        if at >= state.last_signal_at:
            state.last_signal_rule = rule_id
            state.last_signal_at = at
    ledger.append(
        LedgerEntry(event.event_id, rule_id, points, at, version, "engagement", decay, text)
    )


def _remember(state: LeadScoreState, event: TrackingEvent, facts: _Facts) -> None:
    """Update the bounded memory the conditions read (after rules saw the old one)."""
    at = event.occurred_at
    kind = event.type
    if facts.content_class is not None and facts.content_class not in state.classes_seen:
        state.classes_seen = (*state.classes_seen, facts.content_class)
    # A page_engagement is the same page view read on: not one more read of the topic.
    if facts.topic is not None and kind != _PAGE_ENGAGEMENT:
        count, window_start, last = state.topics.get(facts.topic, (0, at, at))
        if at - window_start > TOPIC_WINDOW:
            count, window_start = 0, at
        state.topics[facts.topic] = (
            count + 1,
            at if at < window_start else window_start,
            at if at > last else last,
        )
        if len(state.topics) > MAX_TOPICS:
            oldest = min(state.topics, key=lambda t: state.topics[t][2])
            del state.topics[oldest]
    if kind == _EMAIL_CLICK:
        clicks = [t for t in (*state.email_clicks, at) if at - t <= EMAIL_CLICK_WINDOW]
        state.email_clicks = tuple(sorted(clicks)[-MAX_EMAIL_CLICKS:])
    if kind == _FORM_SUBMIT:
        properties = event.properties or {}
        state.page_lang = language_of(str(properties.get("lang") or "")) or page_language(event.url)
        _count_form(state, event, facts.model)
        if event.form_kind == "newsletter_subscribe":
            state.newsletter_subscribed = True
    elif kind == _NEWSLETTER_UNSUBSCRIBE:
        state.newsletter_subscribed = False


def _count_form(state: LeadScoreState, event: TrackingEvent, model: ScoringModel) -> None:
    """Count a form towards "two forms make an MQL" only when it is a different form,
    submitted apart in time from the last one counted; remember its own asset."""
    at = event.occurred_at
    form_key = event.form_id or event.form_kind or "?"
    gap = model.acts.distinct_forms_minutes * 60.0
    apart = not state.form_ids or abs(at - state.last_form_at) >= gap
    if form_key not in state.form_ids and apart:
        state.forms += 1
        state.form_ids = (*state.form_ids, form_key)[-MAX_FORM_IDS:]
        state.last_form_at = at
    form = model.forms_by_id.get(event.form_id or "")
    if form is not None and form.asset:
        assets = dict(state.form_assets)  # copy on write: ``clone`` shares it
        state.form_assets = assets
        assets[_path_of(form.asset) or form.asset] = at
        if len(assets) > MAX_FORM_ASSETS:
            del assets[min(assets, key=lambda key: assets[key])]


def _own_asset(state: LeadScoreState, event: TrackingEvent, facts: _Facts) -> bool:
    """The download or view of a form's own asset right after that form: the same act."""
    if event.type not in _ASSET_EVENTS or not state.form_assets:
        return False
    submitted = state.form_assets.get(facts.path)
    if submitted is None:
        return False
    window = facts.model.acts.asset_after_form_minutes * 60.0
    return 0.0 <= event.occurred_at - submitted <= window


# -- account -----------------------------------------------------------------------------


READER_REFRESH_SECONDS = 3600.0


def _track_company(
    company: CompanyState,
    lead_id: str,
    topic: str,
    at: float,
    model: ScoringModel,
    rank: int = 0,
) -> tuple[CompanyState, AccountSurge | None]:
    rule = model.account_limits
    window_seconds = rule.window_seconds
    previous = company.readers.get(topic, {})
    if previous and at - min(previous.values()) <= window_seconds:
        readers = dict(previous)  # nobody left the window: the common case, at C speed
    else:
        readers = {reader: last for reader, last in previous.items() if at - last <= window_seconds}
    last = readers.get(lead_id)
    # A reader's time moves on at most hourly: repeated reads in the hour leave the company
    # unchanged (and unwritten); the window (days) loses at most an hour of it.
    if last is None or at - last >= min(READER_REFRESH_SECONDS, window_seconds / 24):
        readers[lead_id] = at if last is None or at > last else last
    if len(readers) > rule.max_colleagues_tracked:
        keep = sorted(readers, key=lambda r: readers[r], reverse=True)[
            : rule.max_colleagues_tracked
        ]
        readers = {r: readers[r] for r in keep}
    ranks = company.ranks
    if ranks.get(lead_id, 0) != rank:
        ranks = {**ranks, lead_id: rank}
        if len(ranks) > MAX_RANKS:
            present = {r for rs in company.readers.values() for r in rs} | {lead_id}
            ranks = {r: n for r, n in ranks.items() if r in present}
    updated = CompanyState(
        company.domain, {**company.readers, topic: readers}, dict(company.credited), ranks
    )
    if len(readers) < rule.min_colleagues:
        return updated, None
    window = int(at // window_seconds)
    previously_credited = updated.credited.get(topic, {})
    if previously_credited.keys() >= readers.keys() and list(previously_credited.values()).count(
        window
    ) == len(previously_credited):
        return updated, None  # every reader was credited in this window already
    due = tuple(sorted(r for r in readers if previously_credited.get(r) != window))
    if not due:
        return updated, None
    credited = {r: w for r, w in previously_credited.items() if r in readers}
    for reader in due:
        credited[reader] = window
    updated.credited[topic] = credited
    senior = _clear_senior(readers, updated.ranks)
    return updated, AccountSurge(company.domain, topic, len(readers), window, due, at, senior)


def _clear_senior(readers: Mapping[str, float], ranks: Mapping[str, int]) -> str | None:
    """The one reader more senior than every other, or None (peers, or nobody senior)."""
    ranked = sorted(((ranks.get(r, 0), r) for r in readers), reverse=True)
    if not ranked or ranked[0][0] <= 0:
        return None
    if len(ranked) > 1 and ranked[1][0] >= ranked[0][0]:
        return None
    return ranked[0][1]


# -- lifecycle ---------------------------------------------------------------------------


def is_complete(profile: Mapping[str, Any]) -> bool:
    """Completeness (seed 001): at least a name and an e-mail address."""
    return bool(profile.get("email")) and bool(
        profile.get("first_name") or profile.get("last_name")
    )


def evaluate_stage(state: LeadScoreState, model: ScoringModel, at: float) -> tuple[str, str]:
    """The stage the lead qualifies for now, and the reason (stages only move forward here)."""
    current = state.stage
    if current in _FINAL_STAGES:
        return current, ""
    if not state.profile.get("email"):
        return _VISITOR, ""
    fit = state.fit_total
    engagement = state.engagement_at(at, model.half_lives_seconds)
    limits = model.stage_limits
    signals = state.signals_since_recycle if current == Stage.RECYCLED else state.buying_signals
    if (
        (is_complete(state.profile) or not limits.sql_require_complete)
        and fit >= limits.sql_min_fit
        and engagement >= limits.sql_min_engagement
        and signals >= limits.sql_min_buying_signals
    ):
        rule = state.last_signal_rule or ""
        latest = state.rules.get(rule)
        return Stage.SQL, (
            f"fit {fit:.0f} ≥ {limits.sql_min_fit:.0f}, engagement {engagement:.0f} ≥ "
            f"{limits.sql_min_engagement:.0f}, {signals} buying signal(s), latest: "
            # Rendered from the tally (its sentence is no longer stored on it).
            f"{tally_text(rule, latest, model) if latest else '?'}"
        )
    if current in (Stage.MQL, Stage.RECYCLED):
        return current, ""
    if state.forms >= limits.mql_min_forms:
        return Stage.MQL, f"submitted {state.forms} forms"
    if fit >= limits.mql_min_fit and engagement >= limits.mql_min_engagement:
        return Stage.MQL, f"fit {fit:.0f} and engagement {engagement:.0f} reach the MQL thresholds"
    return Stage.LEAD, "identified by e-mail" if current == Stage.VISITOR else ""


def move_stage(
    state: LeadScoreState, to_stage: str, at: float, reason: str
) -> StageTransition | None:
    """Record a stage change on the state; None when the stage stays."""
    if to_stage == state.stage:
        return None
    transition = StageTransition(state.stage, to_stage, at, reason)
    state.stage = to_stage
    state.stage_since = at
    state.stage_entered[to_stage] = at
    if to_stage == Stage.SQL:
        state.qualifications += 1
        state.sales_status = None
    return transition


# -- the scorer --------------------------------------------------------------------------

NEVER_SCORED = frozenset(
    {EventType.STAGE_CHANGED, EventType.SALES_FEEDBACK, EventType.CONSENT_CHANGED}
)


def score_event(
    lead: LeadScoreState,
    company: CompanyState | None,
    event: TrackingEvent,
    model: ScoringModel,
    now: float,
) -> ScoreOutcome:
    """Apply one event to a lead's state under a model.

    Parameters
    ----------
    lead
        the lead's state before the event (not modified).
    company
        the state of the lead's company (business domain), or None.
    event
        the event, self-contained (form submissions carry the merged profile).
    model
        the scoring model; its version is stamped on every ledger entry.
    now
        processing time; stage thresholds are evaluated at the event's own time
        so that a replay gives the same stages as the live run.

    Returns
    -------
    ScoreOutcome
        new lead and company states, the ledger entries, stage transitions, and
        the colleagues due an account signal.
    """
    state = lead.clone()
    state.model_version = model.version
    ledger: list[LedgerEntry] = []
    outcome = ScoreOutcome(state, company, ledger, [])
    at = event.occurred_at
    if event.type in NEVER_SCORED:
        return outcome
    state.events_applied += 1
    mail_key = _mail_key(event)
    if mail_key is not None:
        outcome.machine = _mail_burst(state, mail_key, event, model, outcome)
    if event.machine is not None or outcome.machine is not None:
        # Machine traffic is kept for reports but never moves a score.
        return outcome
    if state.first_seen == 0.0 or at < state.first_seen:
        state.first_seen = at
    if event.profile is not None:
        previous, state.profile = state.profile, dict(event.profile)
        _apply_fit(state, state.profile, event, model, ledger, previous)
    facts = _facts(state, event, model)
    if event.type == _ACCOUNT_SIGNAL:
        _account_signal(state, event, model, ledger, facts)
    elif state.form_assets and _own_asset(state, event, facts):
        # Part of the form just filled in: labelled in the ledger, worth nothing extra.
        ledger.append(
            LedgerEntry(
                event.event_id,
                model.acts.asset_rule_id,
                0.0,
                at,
                model.version,
                "engagement",
                None,
                _fill(model.acts.asset_text.en, facts),
            )
        )
    else:
        version = state.model_version
        searched = bool(facts.search_terms) if model.has_search_engine_rules else False
        for rule in model.rules_for(event.type, facts.content_class, bool(facts.tags), searched):
            if not rule.unconditional and not _matches(rule, state, event, facts):
                continue
            points = rule.points
            cap = rule.cap
            ceiling = rule.ceiling
            if ceiling is not None and points > 0:
                if cap is not None and _cap_full(state, rule.id, cap[0], cap[1], at):
                    continue
                room = _room(state, rule.group or "", ceiling, rule.half_life, at, points)
                if room < _MIN_ROOM:
                    continue  # this kind of act already holds all it may
                if points > room:
                    points = room
            if cap is not None and not _within_cap(state, rule.id, cap[0], cap[1], at):
                continue
            if ceiling is not None:
                _hold(state, rule.group or "", points, rule.half_life, at)
            # The tally keeps the placeholder values (said per language at read time);
            # the ledger keeps the English sentence, filled from the same values.
            fields = rule.fields
            args = {name: facts[name] for name in fields} if fields else None
            if rule.from_fields:  # ``render``, written out, from the kept values
                values = args if args is not None else {}
                values["date"] = facts.date
                try:
                    text = rule.text.format_map(values)
                except (ValueError, IndexError, KeyError):
                    text = rule.text
                del values["date"]
            else:  # the sentence needs more than is kept: the facts are its placeholders
                try:
                    text = rule.text.format_map(facts)
                except (ValueError, IndexError):
                    text = rule.text
            _credit(
                state,
                version,
                rule.half_life,
                rule.id,
                points,
                rule.decay,
                rule.buying_signal,
                rule.advise_email,
                text,
                args,
                event,
                ledger,
                rule.follow_up,
            )
    _remember(state, event, facts)
    if mail_key is not None and ledger:
        _remember_credit(state, mail_key, event.event_id, ledger, model)
    if at > state.last_seen:
        state.last_seen = at
    if (
        company is not None
        and facts.topic is not None
        and facts.content_class == "article"
        and event.type != _PAGE_ENGAGEMENT
    ):
        outcome.company, outcome.account_surge = _track_company(
            company,
            event.lead_id,
            facts.topic,
            at,
            model,
            model.account_rank(state.fit),
        )
    to_stage, reason = evaluate_stage(state, model, at)
    transition = move_stage(state, to_stage, at, reason)
    if transition is not None:
        outcome.transitions.append(transition)
    return outcome


# -- machine traffic by behaviour -----------------------------------------------------------


def _mail_key(event: TrackingEvent) -> str | None:
    """Which e-mail message an open or click belongs to; None for any other event."""
    if event.type not in _MAIL_HITS or not event.message_id:
        return None
    return f"{event.campaign_id or ''}|{event.message_id}"


def _hit_target(event: TrackingEvent) -> str:
    """ "open", or a short digest of the clicked link (the state stays small)."""
    if event.type == _EMAIL_OPEN:
        return _OPEN
    target = str((event.properties or {}).get("target_url") or event.url or "")
    return f"{zlib.crc32(target.encode('utf-8')):08x}"


def _mail_burst(
    state: LeadScoreState,
    key: str,
    event: TrackingEvent,
    model: ScoringModel,
    outcome: ScoreOutcome,
) -> MachineVerdict | None:
    """Remember this hit of a mail; when it completes a scanner's burst, label it and
    reverse what the burst's earlier hits were credited.

    A burst: ``min_burst_hits`` distinct hits (the open, each link) of one message within
    ``burst_seconds`` of this one. That covers several links clicked together, a click
    just before the open, and the pixel and every link fetched at once. Returns the
    verdict for this event when it was not labelled machine already.
    """
    rules = model.machine_limits
    at = event.occurred_at
    hits = state.mail_hits.get(key, ())
    hit_id = mail_hit_id(event.event_id)
    if any(h[2] in (hit_id, event.event_id) for h in hits):  # (states before: whole ids)
        return None  # the same event again (a replay of a redelivery): nothing new
    hit: MailHit = (
        at,
        _hit_target(event),
        hit_id,
        int(event.machine is not None),
        state.stage,
        (),
    )
    hits = (*hits, hit)[-MAX_MAIL_HITS:]
    window = rules.burst_seconds
    cluster = [h for h in hits if abs(h[0] - at) <= window]
    if len({h[1] for h in cluster}) < rules.min_burst_hits:
        _store_hits(state, key, hits)
        return None
    members = {h[2] for h in cluster}
    earlier = sorted(
        (h for h in cluster if not h[3] and h[2] not in (hit_id, event.event_id)),
        key=lambda h: h[0],
    )
    _store_hits(
        state, key, tuple((h[0], h[1], h[2], 1, h[4], ()) if h[2] in members else h for h in hits)
    )
    for reversed_hit in earlier:
        _reverse(state, reversed_hit, event, model, outcome.ledger)
    outcome.reversed_hits = len(earlier)
    if earlier:
        _undo_stage(state, earlier[0], at, model, outcome)
    if event.machine is not None:
        return None
    spread = max(h[0] for h in cluster) - min(h[0] for h in cluster)
    links = sum(1 for target in {h[1] for h in cluster} if target != _OPEN)
    opened = "the open and " if any(h[1] == _OPEN for h in cluster) else ""
    return MachineVerdict(
        MachineLabel.SCANNER_BURST,
        f"{opened}{links} link(s) of one mail fetched within {spread:.0f} s: a mail scanner",
    )


def mail_hit_id(event_id: str) -> str:
    """How a mail hit remembers its event: 48 bits of its id's SHA-256, 8 characters
    (a whole event id is 32 and the state is stored on every lead)."""
    return base64.urlsafe_b64encode(hashlib.sha256(event_id.encode()).digest()[:6]).decode()


def _store_hits(state: LeadScoreState, key: str, hits: tuple[MailHit, ...]) -> None:
    state.mail_hits[key] = hits  # ``clone`` copied the dict: the old state keeps its own
    if len(state.mail_hits) > MAX_MAIL_MESSAGES:
        oldest = min(state.mail_hits, key=lambda k: max(h[0] for h in state.mail_hits[k]))
        del state.mail_hits[oldest]


def _remember_credit(
    state: LeadScoreState,
    key: str,
    event_id: str,
    ledger: list[LedgerEntry],
    model: ScoringModel,
) -> None:
    """Note what a (so far human) mail hit was credited, to reverse it if a burst follows."""
    signals = model.machine_limits.signal_rules
    credited: tuple[CreditedEntry, ...] = tuple(
        (e.rule, e.points, e.decay, int(e.rule in signals))
        for e in ledger
        if e.kind == "engagement"
    )
    hit_id = mail_hit_id(event_id)
    state.mail_hits[key] = tuple(
        (h[0], h[1], h[2], h[3], h[4], credited) if h[2] in (hit_id, event_id) else h
        for h in state.mail_hits.get(key, ())
    )


def _reverse(
    state: LeadScoreState,
    hit: MailHit,
    event: TrackingEvent,
    model: ScoringModel,
    ledger: list[LedgerEntry],
) -> None:
    """Take back what one earlier hit was credited, with the reason, at its own time."""
    at = hit[0]
    text = f"Reversed: part of a mail scanner's burst on {short_date(at)}"
    half_lives = model.half_lives_seconds
    limits = model.machine_limits
    for rule_id, points, decay, signal in hit[5]:
        half_life = half_lives.get(decay) if decay else None
        tally = state.rules.get(rule_id)
        if tally is not None:
            if tally.count <= 1:
                del state.rules[rule_id]
            else:
                state.rules[rule_id] = dataclasses.replace(
                    tally,
                    points=tally.points - points,
                    count=tally.count - 1,
                    total=tally.total.add(-points, at, half_life),
                )
        kind = limits.ceiling_group.get(rule_id)
        if kind is not None and kind in state.ceilings:
            state.ceilings[kind] = state.ceilings[kind].add(-points, at, half_life)
        if decay is None:
            state.static_engagement -= points
        elif (group := state.groups.get(decay)) is not None:
            state.groups[decay] = group.add(-points, at, half_life)
        if signal:
            state.buying_signals = max(0, state.buying_signals - 1)
            state.signals_since_recycle = max(0, state.signals_since_recycle - 1)
        days = limits.cap_days.get(rule_id)
        if days is not None:
            _release_cap(state, rule_id, days, at)
        ledger.append(
            LedgerEntry(
                event.event_id, rule_id, -points, at, model.version, "engagement", decay, text
            )
        )
    if hit[1] != _OPEN and at in state.email_clicks:
        clicks = list(state.email_clicks)
        clicks.remove(at)
        state.email_clicks = tuple(clicks)


def _release_cap(state: LeadScoreState, key: str, days: float, at: float) -> None:
    window = int(at // (days * DAY))
    current = state.caps.get(key)
    if current and current.get(window, 0) > 0:
        windows = dict(current)  # copy on write, as in ``_within_cap``
        windows[window] -= 1
        state.caps[key] = windows


def _undo_stage(
    state: LeadScoreState, first: MailHit, at: float, model: ScoringModel, outcome: ScoreOutcome
) -> None:
    """Put back the stage a lead had before a scanner's burst, when the burst moved it."""
    before = first[4]
    if state.stage == before or state.stage_since < first[0]:
        return
    reason = (
        f"Reversed: the mail hits that moved this lead were a mail scanner's burst on "
        f"{short_date(first[0])}"
    )
    transition = move_stage(state, before, at, reason)
    if transition is not None:
        outcome.transitions.append(transition)
    to_stage, why = evaluate_stage(state, model, at)
    again = move_stage(state, to_stage, at, why)
    if again is not None:
        outcome.transitions.append(again)


def _account_signal(
    state: LeadScoreState,
    event: TrackingEvent,
    model: ScoringModel,
    ledger: list[LedgerEntry],
    facts: _Facts,
) -> None:
    rule = model.account
    properties = event.properties or {}
    topic = str(properties.get("topic", "?"))
    at = event.occurred_at
    half_life = model.half_lives_seconds.get(rule.decay) if rule.decay else None
    points = rule.points
    ceiling = model.account_ceiling
    group = rule.group or ""
    if ceiling is not None and points > 0:
        room = _room(state, group, ceiling, half_life, at, points)
        if room < _MIN_ROOM:
            return
        points = min(points, room)
    if not _within_cap(state, f"{rule.id}:{topic}", 1, rule.window_days, at):
        return
    if ceiling is not None:
        _hold(state, group, points, half_life, at)
    # Seed 003, 3.2: a clear hierarchy among the colleagues means phone (the senior one);
    # without one, a mail to them together, with CCs.
    follow_up = "phone_senior" if properties.get("senior_lead_id") else "email_cc"
    args = {"n": properties.get("readers", "?"), "domain": properties.get("domain", "?")}
    args["topic"] = topic
    text = render(rule.text.en, args)
    _credit(
        state,
        model.version,
        half_life,
        rule.id,
        points,
        rule.decay,
        rule.buying_signal,
        False,
        text,
        args,
        event,
        ledger,
        follow_up,
    )


def replay(
    events: Iterable[TrackingEvent], model: ScoringModel, now: float
) -> tuple[LeadScoreState, list[LedgerEntry], list[StageTransition]]:
    """Score a lead's whole history from scratch (the rescore), in the order given."""
    state = LeadScoreState()
    ledger: list[LedgerEntry] = []
    transitions: list[StageTransition] = []
    for event in events:
        outcome = score_event(state, None, event, model, now)
        state = outcome.lead
        ledger.extend(outcome.ledger)
        transitions.extend(outcome.transitions)
    return state, ledger, transitions


def effective_ledger(entries: Iterable[LedgerEntry], model_version: str) -> list[LedgerEntry]:
    """The entries that make up the score under ``model_version``.

    After a rescore the replayed entries stand for their events; stream entries
    written under the same version for events the replay did not see still count.
    """
    current = [e for e in entries if e.model_version == model_version]
    replayed_events = {e.event_id for e in current if e.replayed}
    return [e for e in current if e.replayed or e.event_id not in replayed_events]


def scores_from_ledger(
    entries: Iterable[LedgerEntry], model: ScoringModel, at: float
) -> tuple[float, float]:
    """(fit, engagement) at time ``at``, from ledger entries alone."""
    fit = 0.0
    engagement = 0.0
    half_lives = model.half_lives_seconds
    for entry in entries:
        if entry.kind == FIT:
            fit += entry.points
        elif entry.decay is None:
            engagement += entry.points
        else:
            half_life = half_lives.get(entry.decay)
            engagement += Accumulator(entry.points, entry.at).at(at, half_life)
    return fit, engagement


def _path_of(url: str) -> str:
    try:
        return urlsplit(url).path
    except ValueError:
        return ""
