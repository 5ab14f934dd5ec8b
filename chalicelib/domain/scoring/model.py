"""The scoring model: a declarative, versioned file, validated at start-up.

Marketing tunes this file; the scorer only executes it. A bad file fails the
cold start with a message that names the line and the problem.
"""

from __future__ import annotations

import fnmatch
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from chalicelib.domain.events import EventType
from chalicelib.domain.forms import FormDefinition, FormKind
from chalicelib.domain.language import LANGUAGES, LocalText, local_text

DEFAULT_MODEL_PATH = Path(__file__).with_name("default_model.yaml")
_CLASSIFY_CACHE_SIZE = 4096


class ScoringModelError(ValueError):
    """The scoring model file is invalid; the message names where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _placeholders(text: LocalText | None) -> tuple[str, ...]:
    """The ``{names}`` a sentence uses in any language, sorted."""
    if text is None:
        return ()
    names: set[str] = set()
    for language in LANGUAGES:
        for _literal, name, _spec, _conversion in string.Formatter().parse(text[language]):
            if name:
                names.add(name)
    return tuple(sorted(names))


class _Sentenced(_Strict):
    """A rule whose sentences for people (``text``, ``opener``) come in every language."""

    @field_validator("text", "opener", mode="before", check_fields=False)
    @classmethod
    def _translated(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return value
        owner = f"rule {info.data.get('id') or cls.__name__}"
        return local_text(value, f"{owner}: {info.field_name}")


class ContentClass(_Strict):
    """A class of content recognised by URL path pattern (on any host)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: LocalText
    paths: tuple[str, ...] = Field(min_length=1)
    topic_from_path: bool = False

    @field_validator("label", mode="before")
    @classmethod
    def _translated(cls, value: Any, info: ValidationInfo) -> Any:
        return local_text(value, f"content class {info.data.get('name')}: label")

    @cached_property
    def _compiled(self) -> tuple[tuple[re.Pattern[str], int], ...]:
        compiled = []
        for pattern in self.paths:
            prefix_depth = pattern.rstrip("*").rstrip("/").count("/")
            compiled.append((re.compile(fnmatch.translate(pattern)), prefix_depth))
        return tuple(compiled)

    def match(self, path: str) -> tuple[bool, str | None]:
        """Whether ``path`` is of this class, and its topic (segment after the prefix)."""
        for regex, depth in self._compiled:
            if regex.match(path):
                if not self.topic_from_path:
                    return True, None
                segments = path.split("/")
                topic = segments[depth + 1] if len(segments) > depth + 1 else None
                return True, (topic or None)
        return False, None


class ContentTag(_Strict):
    """A tag on content beside its class (``opinion``), by URL path or by the page's own
    ``<meta name="trechter:content">`` (sent by the tracker as ``properties.content``)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: LocalText
    paths: tuple[str, ...] = ()

    @field_validator("label", mode="before")
    @classmethod
    def _translated(cls, value: Any, info: ValidationInfo) -> Any:
        return local_text(value, f"content tag {info.data.get('name')}: label")

    @cached_property
    def _compiled(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(fnmatch.translate(pattern)) for pattern in self.paths)

    def match(self, path: str) -> bool:
        return any(regex.match(path) for regex in self._compiled)


class FitCondition(_Strict):
    """One test on a profile field; exactly one of the tests is set."""

    words_any: tuple[str, ...] | None = None
    in_: tuple[str, ...] | None = Field(default=None, alias="in")
    gte: float | None = None
    lt: float | None = None
    present: bool | None = None
    business_email: bool | None = None

    @model_validator(mode="after")
    def _one_test(self) -> FitCondition:
        tests = [self.words_any, self.in_, self.gte, self.lt, self.present, self.business_email]
        if all(test is None for test in tests):
            raise ValueError("a fit condition needs one of words_any, in, gte/lt, present")
        return self

    @cached_property
    def _words(self) -> re.Pattern[str] | None:
        if not self.words_any:
            return None
        alternatives = "|".join(re.escape(word.lower()) for word in self.words_any)
        return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")


class FitRule(_Sentenced):
    """Explicit (profile) points. In a ``group`` only the first matching rule counts."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    field: Literal[
        "job_title",
        "company_size",
        "industry",
        "country",
        "email",
        "phone",
        "name",
        "company",
    ]
    when: FitCondition
    points: float
    group: str | None = None
    text: LocalText


class Cap(_Strict):
    """At most ``count`` scoring hits of a rule per window of ``days``."""

    count: int = Field(ge=1)
    days: float = Field(gt=0)


class Ceiling(_Strict):
    """The most engagement one group of rules (one kind of act) can hold at any moment.

    Checked against the group's exact decayed sum, so it holds across windows too.
    Only a group whose acts are the person asking for sales (``may_qualify_alone``)
    may have a ceiling that reaches the SQL engagement threshold on its own.
    """

    points: float = Field(gt=0)
    may_qualify_alone: bool = False


class Acts(_Strict):
    """When two hits are one act (DOMAIN: no act counted twice)."""

    #: A form's own asset fetched within this many minutes after the form is part of it.
    asset_after_form_minutes: float = Field(default=60, ge=0)
    #: "Two forms make an MQL" counts different forms at least this many minutes apart.
    distinct_forms_minutes: float = Field(default=10, ge=0)
    asset_rule_id: str = Field(default="form_asset", pattern=r"^[a-z][a-z0-9_]*$")
    #: The 0-point ledger entry's sentence (the ledger keeps the English one).
    asset_text: LocalText = LocalText(
        en=(
            "Fetched “{title}”, the asset of the form just filled in, on {date}: "
            "one act, counted with the form"
        ),
        nl=(
            "Haalde “{title}” op, het bestand van het formulier dat net was ingevuld, op "
            "{date}: één handeling, geteld bij het formulier"
        ),
    )

    @field_validator("asset_text", mode="before")
    @classmethod
    def _translated(cls, value: Any) -> Any:
        return local_text(value, "acts: asset_text")


FollowUp = Literal["phone", "email"]


class EngagementRule(_Sentenced):
    """Implicit (behaviour) points for an event that meets every condition given."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    event: tuple[EventType, ...] = Field(min_length=1)
    content_class: tuple[str, ...] | None = None
    properties: dict[str, str | bool | int] | None = None
    form_kind: tuple[FormKind, ...] | None = None
    #: The page's topic (a ``topic_from_path`` content class) is one of these.
    topic: tuple[str, ...] | None = None
    query_words: tuple[str, ...] | None = None
    prior_content_class: str | None = None
    min_topic_reads: int | None = Field(default=None, ge=1)
    min_distinct_topics: int | None = Field(default=None, ge=1)
    dormant_days: float | None = Field(default=None, gt=0)
    max_prior_email_clicks: int | None = Field(default=None, ge=0)
    personal_message: bool | None = None
    newsletter_subscribed: bool | None = None
    max_fit: float | None = None
    min_fit: float | None = None
    #: The page (or, for a click, its target) carries one of these content tags.
    content_tag: tuple[str, ...] | None = None
    #: The lead meets one of these fit rules (e.g. management level and up).
    fit_any: tuple[str, ...] | None = None
    #: Words from a search engine's query (referrer q=, p=, query=) or utm_term.
    search_engine_words: tuple[str, ...] | None = None
    #: A page_engagement event of at least this many engaged seconds / this scroll depth (%).
    min_engaged_seconds: float | None = Field(default=None, ge=0)
    min_scroll_depth: float | None = Field(default=None, ge=0, le=100)
    points: float
    cap: Cap | None = None
    #: The kind of act; the model's ``ceilings`` bound each group's engagement.
    group: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")
    decay: str | None = "behaviour"
    buying_signal: bool = False
    advise_email: bool = False
    #: How sales should follow this trigger up (seed 003); ``advise_email`` means "email".
    follow_up: FollowUp | None = None
    text: LocalText
    #: For a buying signal: the act as a call opener says it ("downloaded the evaluation
    #: report"; nl "het evaluatierapport downloadde"), after "I saw that you".
    opener: LocalText | None = None

    @model_validator(mode="after")
    def _signals_say_what_happened(self) -> EngagementRule:
        if self.buying_signal and self.opener is None:
            raise ValueError(f"rule {self.id}: a buying signal needs an opener {{en, nl}}")
        return self

    @cached_property
    def _query(self) -> re.Pattern[str] | None:
        return _words_pattern(self.query_words)

    @cached_property
    def _search_engine(self) -> re.Pattern[str] | None:
        return _words_pattern(self.search_engine_words)


def _words_pattern(words: tuple[str, ...] | None) -> re.Pattern[str] | None:
    if not words:
        return None
    alternatives = "|".join(re.escape(word.lower()) for word in words)
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})")


@dataclass(frozen=True, slots=True)
class RulePlan:
    """An engagement rule as the scorer reads it for every event.

    The same values as the rule, as plain attributes: a pydantic model's attribute
    reads take its ``__getattr__`` slow path, and the scorer makes dozens per event.
    """

    id: str
    points: float
    decay: str | None
    half_life: float | None
    buying_signal: bool
    advise_email: bool
    follow_up: str | None
    #: The sentence in English (the ledger's audit text) and the placeholders the
    #: sentence and opener use in any language (kept as values to render at read time).
    text: str
    fields: tuple[str, ...]
    #: True when the English sentence needs exactly ``fields`` (and perhaps the date):
    #: the scorer then fills it from the values it keeps, reading each fact once.
    from_fields: bool
    cap: tuple[int, float] | None
    group: str | None
    ceiling: float | None
    #: True when nothing but the event type and content class decides a match.
    unconditional: bool
    form_kind: tuple[str, ...] | None
    topic: tuple[str, ...] | None
    properties: dict[str, str | bool | int] | None
    query_words: tuple[str, ...] | None
    query: re.Pattern[str] | None
    prior_content_class: str | None
    min_topic_reads: int | None
    min_distinct_topics: int | None
    dormant_days: float | None
    max_prior_email_clicks: int | None
    personal_message: bool | None
    newsletter_subscribed: bool | None
    max_fit: float | None
    min_fit: float | None
    content_tag: tuple[str, ...] | None
    fit_any: tuple[str, ...] | None
    search_engine: re.Pattern[str] | None
    min_engaged_seconds: float | None
    min_scroll_depth: float | None

    @classmethod
    def of(
        cls,
        rule: EngagementRule,
        half_lives: dict[str, float | None],
        ceilings: Mapping[str, Ceiling] | None = None,
    ) -> RulePlan:
        conditions = (
            rule.form_kind,
            rule.topic,
            rule.properties,
            rule.query_words,
            rule.prior_content_class,
            rule.min_topic_reads,
            rule.min_distinct_topics,
            rule.dormant_days,
            rule.max_prior_email_clicks,
            rule.personal_message,
            rule.newsletter_subscribed,
            rule.max_fit,
            rule.min_fit,
            rule.content_tag,
            rule.fit_any,
            rule.search_engine_words,
            rule.min_engaged_seconds,
            rule.min_scroll_depth,
        )
        ceiling = (ceilings or {}).get(rule.group) if rule.group else None
        fields = tuple(
            "form_id" if name == "form_title" else name
            for name in sorted({*_placeholders(rule.text), *_placeholders(rule.opener)})
            if name != "date"
        )
        return cls(
            id=rule.id,
            points=rule.points,
            decay=rule.decay,
            half_life=half_lives.get(rule.decay) if rule.decay else None,
            buying_signal=rule.buying_signal,
            advise_email=rule.advise_email or rule.follow_up == "email",
            follow_up=rule.follow_up or ("email" if rule.advise_email else None),
            text=rule.text.en,
            fields=fields,
            from_fields=set(_placeholders(LocalText(en=rule.text.en, nl=rule.text.en))) - {"date"}
            == set(fields),
            cap=(rule.cap.count, rule.cap.days) if rule.cap is not None else None,
            group=rule.group,
            ceiling=ceiling.points if ceiling is not None else None,
            unconditional=all(condition is None for condition in conditions),
            form_kind=tuple(rule.form_kind) if rule.form_kind is not None else None,
            topic=rule.topic,
            properties=rule.properties,
            query_words=rule.query_words,
            query=rule._query,
            prior_content_class=rule.prior_content_class,
            min_topic_reads=rule.min_topic_reads,
            min_distinct_topics=rule.min_distinct_topics,
            dormant_days=rule.dormant_days,
            max_prior_email_clicks=rule.max_prior_email_clicks,
            personal_message=rule.personal_message,
            newsletter_subscribed=rule.newsletter_subscribed,
            max_fit=rule.max_fit,
            min_fit=rule.min_fit,
            content_tag=rule.content_tag,
            fit_any=rule.fit_any,
            search_engine=rule._search_engine,
            min_engaged_seconds=rule.min_engaged_seconds,
            min_scroll_depth=rule.min_scroll_depth,
        )


class AccountRule(_Sentenced):
    """Colleagues of one company reading about one topic within a window."""

    id: str = "account_topic_surge"
    min_colleagues: int = Field(default=3, ge=2)
    window_days: float = Field(default=7, gt=0)
    points: float = 15
    decay: str | None = "behaviour"
    buying_signal: bool = True
    max_colleagues_tracked: int = Field(default=25, ge=3)
    group: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")
    #: Fit rules that rank seniority, most senior first: with one colleague clearly the
    #: most senior, phone is advised; without, a mail with CCs (seed 003, 3.2).
    seniority: tuple[str, ...] = ()
    text: LocalText = LocalText(
        en="{n} colleagues at {domain} read about {topic} this week",
        nl="{n} collega's bij {domain} lazen deze week over {topic}",
    )
    opener: LocalText = LocalText(
        en="and {n} colleagues at {domain} read about {topic} this week",
        nl="met {n} collega's bij {domain} deze week over {topic} las",
    )


class DecayGroup(_Strict):
    half_life_days: float | None = Field(default=30, gt=0)


class MqlThresholds(_Strict):
    min_forms: int = Field(default=2, ge=1)
    min_fit: float = 25
    min_engagement: float = 25


class SqlThresholds(_Strict):
    min_fit: float = 30
    min_engagement: float = 30
    min_buying_signals: int = Field(default=1, ge=1)
    require_complete: bool = True


class MachineTraffic(_Strict):
    """Machine traffic by behaviour, and the windows within which a repeat counts once.

    Listed with the reason for each number in docs/SCORING.md ("Machine traffic").
    """

    #: Hits (opens, clicks of distinct links) of one message this close together are a scanner.
    burst_seconds: float = Field(default=3, gt=0, le=60)
    #: How many distinct hits of one message make a burst (the open counts as one).
    min_burst_hits: int = Field(default=2, ge=2, le=20)
    #: A click this soon after its tracking link was issued came before anyone could read it.
    min_read_seconds: float = Field(default=10, ge=0, le=3600)
    #: A tracker event id is stored once per visitor within this many hours (at least 24).
    repeat_event_hours: float = Field(default=24, ge=24, le=24 * 30)
    #: The same form, person and fields within this many minutes is one submission.
    repeat_form_minutes: float = Field(default=10, gt=0, le=24 * 60)
    #: The same open pixel or tracked link within this many seconds is one hit.
    repeat_hit_seconds: float = Field(default=10, gt=0, le=3600)


class Stages(_Strict):
    mql: MqlThresholds = MqlThresholds()
    sql: SqlThresholds = SqlThresholds()


class Lifecycle(_Strict):
    """When the lifecycle events on the bus fire (docs/EVENTS.md).

    ``score_thresholds``: a ``Lead Score Crossed`` event each time a lead's score
    passes one of them, up or down. ``quiet_days``: a ``Lead Went Quiet`` event
    once per quiet spell, when an identified lead has not engaged for that long.
    """

    score_thresholds: tuple[int, ...] = (25, 50, 100)
    quiet_days: int = Field(default=21, ge=1, le=365)

    @field_validator("score_thresholds")
    @classmethod
    def _ascending(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if list(value) != sorted(set(value)):
            raise ValueError("score thresholds must be distinct and in ascending order")
        return value


@dataclass(frozen=True, slots=True)
class StageLimits:
    """The stage thresholds as plain attributes (see ``RulePlan`` for why)."""

    sql_min_fit: float
    sql_min_engagement: float
    sql_min_buying_signals: int
    sql_require_complete: bool
    mql_min_forms: int
    mql_min_fit: float
    mql_min_engagement: float


@dataclass(frozen=True, slots=True)
class MachineLimits:
    """The machine-traffic numbers the scorer reads, as plain attributes (see ``RulePlan``)."""

    burst_seconds: float
    min_burst_hits: int
    #: Engagement rules that are buying signals, and each capped rule's window in days.
    signal_rules: frozenset[str]
    cap_days: dict[str, float]
    #: The group whose ceiling holds each rule's points (rules under a ceiling only).
    ceiling_group: dict[str, str]


@dataclass(frozen=True, slots=True)
class AccountLimits:
    """The account rule's numbers as plain attributes (see ``RulePlan`` for why)."""

    window_seconds: float
    min_colleagues: int
    max_colleagues_tracked: int


class SegmentMapping(_Strict):
    """How Segment's HTTP Tracking API maps onto Trechter's events (``segment:`` section).

    ``events`` names the ``track`` events that are one of Trechter's own types (Segment's
    spec names, "Email Opened" -> ``email_open``); ``forms`` names those that are a
    submission of one of the model's forms ("Demo Requested" -> ``demo``). Any other
    ``track`` event is a ``custom`` event with ``properties.event`` = its name.
    ``consent_categories``: a ``context.consent.categoryPreferences`` that sets any of
    these to false means the visitor declined tracking (compared case-insensitively).
    """

    events: dict[str, EventType] = Field(default_factory=dict)
    forms: dict[str, str] = Field(default_factory=dict)
    consent_categories: tuple[str, ...] = ("analytics", "marketing", "advertising")

    @model_validator(mode="after")
    def _types_are_events(self) -> SegmentMapping:
        allowed = {
            EventType.PAGE_VIEW,
            EventType.LINK_CLICK,
            EventType.DOWNLOAD,
            EventType.SITE_SEARCH,
            EventType.NEWSLETTER_UNSUBSCRIBE,
            EventType.EMAIL_OPEN,
            EventType.EMAIL_CLICK,
        }
        for name, kind in self.events.items():
            if kind not in allowed:
                raise ValueError(f"segment.events[{name!r}]: {kind.value} cannot come from Segment")
        return self


class ScoringModel(_Strict):
    """The whole model. ``version`` is stamped on every ledger entry it produces."""

    version: str = Field(min_length=1, max_length=64)
    forms: tuple[FormDefinition, ...] = Field(min_length=1)
    content_classes: tuple[ContentClass, ...]
    content_tags: tuple[ContentTag, ...] = ()
    free_mail_domains: frozenset[str] = frozenset()
    decay_groups: dict[str, DecayGroup] = Field(default_factory=lambda: {"behaviour": DecayGroup()})
    fit_rules: tuple[FitRule, ...]
    engagement_rules: tuple[EngagementRule, ...]
    account: AccountRule = AccountRule()
    ceilings: dict[str, Ceiling] = Field(default_factory=dict)
    acts: Acts = Acts()
    stages: Stages = Stages()
    lifecycle: Lifecycle = Lifecycle()
    machine_traffic: MachineTraffic = MachineTraffic()
    reasons_shown: int = Field(default=5, ge=1, le=20)
    #: Set by the learner (`make learn`): the dates, counts and backtest it learned from.
    learned_from: dict[str, Any] | None = None
    segment: SegmentMapping = SegmentMapping()

    @model_validator(mode="after")
    def _references_resolve(self) -> ScoringModel:
        classes = {c.name for c in self.content_classes}
        ids = [r.id for r in self.fit_rules] + [r.id for r in self.engagement_rules]
        ids.append(self.account.id)
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"rule ids must be unique; repeated: {', '.join(duplicates)}")
        forms = [f.form_id for f in self.forms]
        if len(set(forms)) != len(forms):
            raise ValueError("form ids must be unique")
        for form in self.forms:
            if isinstance(form.title, str):
                raise ValueError(
                    f"form {form.form_id}: title needs every language, as {{en: ..., nl: ...}}"
                )
        for rule in self.engagement_rules:
            for name in (*(rule.content_class or ()), rule.prior_content_class):
                if name is not None and name not in classes:
                    raise ValueError(f"rule {rule.id}: unknown content class {name!r}")
            if rule.decay is not None and rule.decay not in self.decay_groups:
                raise ValueError(f"rule {rule.id}: unknown decay group {rule.decay!r}")
        if self.account.decay is not None and self.account.decay not in self.decay_groups:
            raise ValueError(f"account rule: unknown decay group {self.account.decay!r}")
        self._check_new_references()
        for name, form_id in self.segment.forms.items():
            if form_id not in forms:
                raise ValueError(f"segment.forms[{name!r}]: unknown form {form_id!r}")
        return self

    def _check_new_references(self) -> None:
        tags = {t.name for t in self.content_tags}
        fit_ids = {r.id for r in self.fit_rules}
        decay_of_group: dict[str, str | None] = {}
        grouped: list[tuple[str, str | None, str | None]] = [
            (r.id, r.group, r.decay) for r in self.engagement_rules
        ]
        grouped.append((self.account.id, self.account.group, self.account.decay))
        for rule_id, group, decay in grouped:
            if group is None:
                continue
            if decay_of_group.setdefault(group, decay) != decay:
                raise ValueError(
                    f"rule {rule_id}: every rule of group {group!r} must share one decay group"
                )
        for rule in self.engagement_rules:
            for tag in rule.content_tag or ():
                if tag not in tags:
                    raise ValueError(f"rule {rule.id}: unknown content tag {tag!r}")
            for fit_id in rule.fit_any or ():
                if fit_id not in fit_ids:
                    raise ValueError(f"rule {rule.id}: unknown fit rule {fit_id!r} in fit_any")
        for fit_id in self.account.seniority:
            if fit_id not in fit_ids:
                raise ValueError(f"account rule: unknown fit rule {fit_id!r} in seniority")
        unknown = sorted(set(self.ceilings) - set(decay_of_group))
        if unknown:
            raise ValueError(f"ceilings: no rule is in group(s) {', '.join(unknown)}")

    def tags_of(self, path: str) -> tuple[str, ...]:
        """The content tags a URL path carries by the model's paths (cached)."""
        cache = self._tags
        found = cache.get(path)
        if found is None:
            found = tuple(tag.name for tag in self.content_tags if tag.match(path))
            if len(cache) >= _CLASSIFY_CACHE_SIZE:
                cache.clear()
            cache[path] = found
        return found

    @cached_property
    def _tags(self) -> dict[str, tuple[str, ...]]:
        return {}

    @cached_property
    def form_assets(self) -> dict[str, FormDefinition]:
        """Each form's own asset, by URL path."""
        assets: dict[str, FormDefinition] = {}
        for form in self.forms:
            if form.asset:
                assets[_path(form.asset)] = form
        return assets

    @cached_property
    def has_content_tags(self) -> bool:
        return bool(self.content_tags)

    @cached_property
    def has_search_engine_rules(self) -> bool:
        return any(rule.search_engine_words for rule in self.engagement_rules)

    def account_rank(self, fit_rules: Mapping[str, float]) -> int:
        """A colleague's seniority rank under the account rule (0: none or no ranking)."""
        seniority = self._seniority
        for index, rule_id in enumerate(seniority):
            if rule_id in fit_rules:
                return len(seniority) - index
        return 0

    @cached_property
    def _seniority(self) -> tuple[str, ...]:
        return self.account.seniority

    @cached_property
    def account_ceiling(self) -> float | None:
        group = self.account.group
        ceiling = self.ceilings.get(group) if group else None
        return ceiling.points if ceiling is not None else None

    @cached_property
    def sentences(self) -> dict[str, LocalText]:
        """Every rule's sentence by rule id (fit, engagement and account)."""
        found: dict[str, LocalText] = {rule.id: rule.text for rule in self.fit_rules}
        found.update({rule.id: rule.text for rule in self.engagement_rules})
        found[self.account.id] = self.account.text
        return found

    @cached_property
    def openers(self) -> dict[str, LocalText]:
        """The call-opener phrase of every buying signal, by rule id."""
        found = {r.id: r.opener for r in self.engagement_rules if r.opener is not None}
        found[self.account.id] = self.account.opener
        return found

    @cached_property
    def fit_rules_by_id(self) -> dict[str, FitRule]:
        return {rule.id: rule for rule in self.fit_rules}

    @cached_property
    def forms_by_id(self) -> dict[str, FormDefinition]:
        return {form.form_id: form for form in self.forms}

    @cached_property
    def rules_by_event(self) -> dict[str, tuple[EngagementRule, ...]]:
        index: dict[str, list[EngagementRule]] = {}
        for rule in self.engagement_rules:
            for event_type in rule.event:
                index.setdefault(event_type.value, []).append(rule)
        return {name: tuple(rules) for name, rules in index.items()}

    @cached_property
    def half_lives_seconds(self) -> dict[str, float | None]:
        return {
            name: (group.half_life_days * 86_400 if group.half_life_days else None)
            for name, group in self.decay_groups.items()
        }

    def rules_for(
        self,
        event_type: str,
        content_class: str | None,
        tagged: bool = True,
        searched: bool = True,
    ) -> tuple[RulePlan, ...]:
        """The engagement rules for an event type that a content class can meet, in order.

        Only saves the scorer from testing rules the event cannot meet: a ``content_class``
        that rules it out, a ``content_tag`` on an untagged page (``tagged``), search-engine
        words without search terms (``searched``); every other condition is still checked
        per event.
        """
        key = (event_type, content_class, tagged, searched)
        rules = self._rules_for.get(key)
        if rules is None:
            half_lives = self.half_lives_seconds
            rules = tuple(
                RulePlan.of(rule, half_lives, self.ceilings)
                for rule in self.rules_by_event.get(event_type, ())
                if (rule.content_class is None or content_class in rule.content_class)
                and (tagged or rule.content_tag is None)
                and (searched or rule.search_engine_words is None)
            )
            self._rules_for[key] = rules
        return rules

    @cached_property
    def _rules_for(self) -> dict[tuple[str, str | None, bool, bool], tuple[RulePlan, ...]]:
        return {}

    @cached_property
    def stage_limits(self) -> StageLimits:
        sql, mql = self.stages.sql, self.stages.mql
        return StageLimits(
            sql.min_fit,
            sql.min_engagement,
            sql.min_buying_signals,
            sql.require_complete,
            mql.min_forms,
            mql.min_fit,
            mql.min_engagement,
        )

    @cached_property
    def machine_limits(self) -> MachineLimits:
        rules = self.engagement_rules
        return MachineLimits(
            self.machine_traffic.burst_seconds,
            self.machine_traffic.min_burst_hits,
            frozenset(r.id for r in rules if r.buying_signal),
            {r.id: r.cap.days for r in rules if r.cap is not None},
            {r.id: r.group for r in rules if r.group is not None and r.group in self.ceilings},
        )

    @cached_property
    def account_limits(self) -> AccountLimits:
        rule = self.account
        return AccountLimits(
            rule.window_days * 86_400.0, rule.min_colleagues, rule.max_colleagues_tracked
        )

    def page(self, url: str) -> tuple[str, str | None, str | None]:
        """A URL's path as ``urlsplit`` gives it, its content class and topic (cached).

        Something that is no URL at all (``urlsplit`` refuses it) has no path and no
        class: it scores as an unclassified page, it never fails the event.
        """
        cache = self._pages
        found = cache.get(url)
        if found is None:
            try:
                path = urlsplit(url).path
            except ValueError:
                path = ""
            found = (path, *self.classify(path or "/"))
            if len(cache) >= _CLASSIFY_CACHE_SIZE:
                cache.clear()
            cache[url] = found
        return found

    @cached_property
    def _pages(self) -> dict[str, tuple[str, str | None, str | None]]:
        return {}

    def search_terms(self, url: str, referrer: str) -> str:
        """A search engine's query that led to ``url``: ``utm_term`` on the URL, else the
        referrer's ``q=``, ``p=`` or ``query=`` when the referrer is another site (cached)."""
        if "utm_term=" not in url and "=" not in referrer:
            return ""  # most hits: no query anywhere, nothing to parse
        cache = self._search_terms
        key = (url, referrer)
        found = cache.get(key)
        if found is None:
            found = _search_terms(url, referrer)
            if len(cache) >= _CLASSIFY_CACHE_SIZE:
                cache.clear()
            cache[key] = found
        return found

    @cached_property
    def _search_terms(self) -> dict[tuple[str, str], str]:
        return {}

    def classify(self, path: str) -> tuple[str | None, str | None]:
        """The content class and topic of a URL path, or (None, None)."""
        cache = self._classified
        found = cache.get(path)
        if found is None:
            found = self._classify(path)
            if len(cache) >= _CLASSIFY_CACHE_SIZE:
                cache.clear()
            cache[path] = found
        return found

    @cached_property
    def _classified(self) -> dict[str, tuple[str | None, str | None]]:
        # Sites have a few thousand pages at most; the bound only guards against junk URLs.
        return {}

    def _classify(self, path: str) -> tuple[str | None, str | None]:
        for content_class in self.content_classes:
            matched, topic = content_class.match(path)
            if matched:
                return content_class.name, topic
        return None, None


#: Query parameters search engines put the visitor's terms in (Google/Bing q, Yahoo p).
_SEARCH_PARAMS = ("q", "p", "query")


def _search_terms(url: str, referrer: str) -> str:
    try:
        page = urlsplit(url)
        found = parse_qs(page.query).get("utm_term")
        if found and found[0].strip():
            return found[0].strip()
        source = urlsplit(referrer)
    except ValueError:
        return ""
    if not source.netloc or source.netloc == page.netloc:
        return ""  # our own site's search is ``site_search``
    query = parse_qs(source.query)
    for name in _SEARCH_PARAMS:
        if query.get(name) and query[name][0].strip():
            return query[name][0].strip()
    return ""


def _path(url: str) -> str:
    try:
        return urlsplit(url).path or url
    except ValueError:
        return url


#: Rules worth more than this many points need a cap per window.
UNCAPPED_THRESHOLD = 5.0


def model_warnings(model: ScoringModel, threshold: float = UNCAPPED_THRESHOLD) -> list[str]:
    """What in a valid model still lets one kind of act inflate a score.

    A rule worth more than ``threshold`` without a cap; a rule outside any ceiling; a
    ceiling that alone reaches the SQL engagement threshold (unless the group is the
    person asking for sales); a rule worth more than its ceiling. A rule that can only
    score again after its opposite act (``newsletter_subscribed``) needs no cap.
    """
    warnings: list[str] = []
    sql_engagement = model.stages.sql.min_engagement
    for rule in model.engagement_rules:
        alternating = rule.newsletter_subscribed is not None
        if rule.points > threshold and rule.cap is None and not alternating:
            warnings.append(
                f"rule {rule.id}: worth {rule.points:g} points and has no cap per window"
            )
        if rule.points > 0:
            ceiling = model.ceilings.get(rule.group) if rule.group else None
            if ceiling is None:
                warnings.append(f"rule {rule.id}: no ceiling bounds its group ({rule.group})")
            elif rule.points > ceiling.points:
                warnings.append(
                    f"rule {rule.id}: worth {rule.points:g} points, above its group's "
                    f"ceiling of {ceiling.points:g}"
                )
    if model.account.points > 0 and model.account_ceiling is None:
        warnings.append(f"rule {model.account.id}: no ceiling bounds its group")
    for group, ceiling in model.ceilings.items():
        if ceiling.points >= sql_engagement and not ceiling.may_qualify_alone:
            warnings.append(
                f"ceiling {group}: {ceiling.points:g} points reach the SQL engagement "
                f"threshold ({sql_engagement:g}), so this kind of act alone can make an SQL"
            )
    return warnings


def _line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line number of a location in a YAML document."""
    import yaml

    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == key), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            match = node.value[key]
        else:
            match = None
        if match is None:
            break
        node = match
    return node.start_mark.line + 1 if node is not None else None


def parse_scoring_model(text: str, source: str = "<scoring model>") -> ScoringModel:
    """Parse and validate a YAML (or JSON) scoring model.

    Raises
    ------
    ScoringModelError
        naming the file, the line and the field of every problem.
    """
    import yaml

    # libyaml's safe loader when the wheel has it: the pure one takes most of a second here.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506  # nosec B506
    except yaml.YAMLError as error:
        raise ScoringModelError(f"{source}: not valid YAML: {error}") from None
    try:
        return ScoringModel.model_validate(data)
    except ValidationError as error:
        lines = []
        for item in error.errors(include_url=False):
            loc = tuple(item["loc"])
            line = _line_of(text, loc)
            where = ".".join(str(part) for part in loc) or "model"
            at = f"line {line}: " if line else ""
            lines.append(f"{source}: {at}{where}: {item['msg']}")
        raise ScoringModelError("\n".join(lines)) from None


def load_scoring_model(path: str | Path | None = None) -> ScoringModel:
    """Load the model from ``path``, or the default model shipped with the code."""
    target = Path(path) if path else DEFAULT_MODEL_PATH
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as error:
        raise ScoringModelError(f"{target}: cannot read the scoring model: {error}") from None
    return parse_scoring_model(text, str(target))
