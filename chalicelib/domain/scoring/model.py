"""The scoring model: a declarative, versioned file, validated at start-up.

Marketing tunes this file; the scorer only executes it. A bad file fails the
cold start with a message that names the line and the problem.
"""

from __future__ import annotations

import fnmatch
import re
import string
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

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
    points: float
    cap: Cap | None = None
    decay: str | None = "behaviour"
    buying_signal: bool = False
    advise_email: bool = False
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
        if not self.query_words:
            return None
        alternatives = "|".join(re.escape(word.lower()) for word in self.query_words)
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
    #: The sentence in English (the ledger's audit text) and the placeholders the
    #: sentence and opener use in any language (kept as values to render at read time).
    text: str
    fields: tuple[str, ...]
    #: True when the English sentence needs exactly ``fields`` (and perhaps the date):
    #: the scorer then fills it from the values it keeps, reading each fact once.
    from_fields: bool
    cap: tuple[int, float] | None
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

    @classmethod
    def of(cls, rule: EngagementRule, half_lives: dict[str, float | None]) -> RulePlan:
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
        )
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
            advise_email=rule.advise_email,
            text=rule.text.en,
            fields=fields,
            from_fields=set(_placeholders(LocalText(en=rule.text.en, nl=rule.text.en))) - {"date"}
            == set(fields),
            cap=(rule.cap.count, rule.cap.days) if rule.cap is not None else None,
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


class Stages(_Strict):
    mql: MqlThresholds = MqlThresholds()
    sql: SqlThresholds = SqlThresholds()


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
class AccountLimits:
    """The account rule's numbers as plain attributes (see ``RulePlan`` for why)."""

    window_seconds: float
    min_colleagues: int
    max_colleagues_tracked: int


class ScoringModel(_Strict):
    """The whole model. ``version`` is stamped on every ledger entry it produces."""

    version: str = Field(min_length=1, max_length=64)
    forms: tuple[FormDefinition, ...] = Field(min_length=1)
    content_classes: tuple[ContentClass, ...]
    free_mail_domains: frozenset[str] = frozenset()
    decay_groups: dict[str, DecayGroup] = Field(default_factory=lambda: {"behaviour": DecayGroup()})
    fit_rules: tuple[FitRule, ...]
    engagement_rules: tuple[EngagementRule, ...]
    account: AccountRule = AccountRule()
    stages: Stages = Stages()
    reasons_shown: int = Field(default=5, ge=1, le=20)
    #: Set by the learner (`make learn`): the dates, counts and backtest it learned from.
    learned_from: dict[str, Any] | None = None

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
        return self

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

    def rules_for(self, event_type: str, content_class: str | None) -> tuple[RulePlan, ...]:
        """The engagement rules for an event type that a content class can meet, in order.

        Only saves the scorer from testing rules whose ``content_class`` rules the
        event out; every other condition is still checked per event.
        """
        key = (event_type, content_class)
        rules = self._rules_for.get(key)
        if rules is None:
            half_lives = self.half_lives_seconds
            rules = tuple(
                RulePlan.of(rule, half_lives)
                for rule in self.rules_by_event.get(event_type, ())
                if rule.content_class is None or content_class in rule.content_class
            )
            self._rules_for[key] = rules
        return rules

    @cached_property
    def _rules_for(self) -> dict[tuple[str, str | None], tuple[RulePlan, ...]]:
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
