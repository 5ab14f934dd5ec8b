"""Explanations: the reasons a salesperson can say to a lead, and the advised channel.

Every sentence is rendered here, at read time, in the language asked for: the
score state keeps each rule's placeholder values, the model keeps its sentences
in every language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from chalicelib.domain.language import LocalText, short_date
from chalicelib.domain.lead import Channel, Stage
from chalicelib.domain.scoring.model import ScoringModel, load_scoring_model
from chalicelib.domain.scoring.state import LeadScoreState, RuleTally

FIT_REASON_RULE = "fit_profile"

_TIMES = LocalText(en="{text} ({count} times)", nl="{text} ({count} keer)")
_CHANNEL_REASONS = {
    "trigger": LocalText(
        en="the trigger was content ({trigger}); verify the assumption in writing first",
        nl="de aanleiding was content ({trigger}); toets de aanname eerst per mail",
    ),
    "nurture": LocalText(
        en="not sales-qualified yet: keep nurturing",
        nl="nog niet sales-gekwalificeerd: blijf de lead voeden",
    ),
    "no_phone": LocalText(en="no phone number known", nl="geen telefoonnummer bekend"),
    "phone": LocalText(
        en="a hot lead who left a phone number",
        nl="een hot lead die een telefoonnummer achterliet",
    ),
    # Seed 003, 3.1: content-driven clicks are best followed up by phone.
    "phone_trigger": LocalText(
        en="a hot lead who left a phone number; the trigger ({trigger}) is best followed up "
        "by phone",
        nl="een hot lead die een telefoonnummer achterliet; de aanleiding ({trigger}) volg je "
        "het best telefonisch op",
    ),
    # Seed 003, 3.2: a clear hierarchy among the colleagues: phone; none: a mail with CCs.
    "phone_senior": LocalText(
        en="{trigger}, and one of them is clearly the most senior: call that one",
        nl="{trigger}, en één van hen is duidelijk de hoogste in rang: bel die",
    ),
    "email_cc": LocalText(
        en="{trigger}, with no clear senior among them: one mail to them together, with CCs",
        nl="{trigger}, zonder duidelijke hiërarchie: één mail aan hen samen, met cc's",
    ),
}


class _Values(dict[str, Any]):
    """A sentence's placeholders: a tally's values, its date and form title in a language."""

    def __init__(
        self, values: Mapping[str, Any], at: float, language: str, model: ScoringModel
    ) -> None:
        super().__init__(values)
        self._at = at
        self._language = language
        self._model = model

    def __missing__(self, key: str) -> Any:
        if key == "date":
            return short_date(self._at, self._language)
        if key == "form_title":  # kept as the form's id: its title is said per language
            form_id = str(self.get("form_id", "?"))
            form = self._model.forms_by_id.get(form_id)
            return form.title_in(self._language) if form is not None else form_id
        return "?"


def say(template: str, values: Mapping[str, Any]) -> str:
    """Fill a sentence; an unknown placeholder shows as '?' rather than failing."""
    try:
        return template.format_map(values)
    except (ValueError, IndexError, KeyError):
        return template


def tally_text(rule_id: str, tally: RuleTally, model: ScoringModel, language: str = "en") -> str:
    """The latest sentence of one rule, in ``language``.

    A tally written by an older version carries its rendered English sentence and
    keeps it; a rule the model no longer has is named by its id.
    """
    sentence = model.sentences.get(rule_id)
    if tally.args is None and (tally.text or sentence is None):
        return tally.text or rule_id
    if sentence is None:
        return rule_id
    return say(sentence[language], _Values(tally.args or {}, tally.last_at, language, model))


def opener_phrase(
    rule_id: str, tally: RuleTally, model: ScoringModel, language: str = "en"
) -> str | None:
    """What the lead did, as a call opener says it after "I saw that you" (None: no phrase)."""
    phrase = model.openers.get(rule_id)
    if phrase is None or (tally.args is None and tally.text):
        return None
    return say(phrase[language], _Values(tally.args or {}, tally.last_at, language, model))


def fit_text(rule_id: str, state: LeadScoreState, model: ScoringModel, language: str) -> str:
    """A fit rule's sentence, from the lead's profile, in ``language``."""
    rule = model.fit_rules_by_id.get(rule_id)
    if rule is None:
        return state.fit_texts.get(rule_id, rule_id)
    values = dict(state.profile)
    email = str(state.profile.get("email") or "")
    values["company_domain"] = email.rpartition("@")[2].lower() if email else "?"
    return say(rule.text[language], _Values(values, 0.0, language, model))


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule's contribution now: ``points`` after decay, rounded."""

    rule: str
    points: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        """As messages carry it (contract section 4: ``{"rule", "points", "text"}``)."""
        return {"rule": self.rule, "points": self.points, "text": self.text}


@dataclass(frozen=True, slots=True)
class Scores:
    score: int
    fit_score: int
    engagement_score: int


def fit_reasons(
    state: LeadScoreState, model: ScoringModel | None = None, language: str = "en"
) -> list[Reason]:
    """Every fit rule that applies, one by one (for marketing and the export)."""
    if model is None:
        model = _default_model()
    ordered = sorted(state.fit.items(), key=lambda item: (-item[1], item[0]))
    return [
        Reason(rule, round(points), fit_text(rule, state, model, language))
        for rule, points in ordered
    ]


def current_scores(state: LeadScoreState, model: ScoringModel, at: float) -> Scores:
    """Fit, engagement (decayed exactly to ``at``) and their sum, rounded for people."""
    fit = state.fit_total
    engagement = state.engagement_at(at, model.half_lives_seconds)
    return Scores(round(fit + engagement), round(fit), round(engagement))


def reasons(
    state: LeadScoreState, model: ScoringModel, at: float, language: str = "en"
) -> list[Reason]:
    """The top contributing rules, most points first (only those that add points).

    The fit rules are said together, as one sentence about who the lead is
    ("Director of IT: a decision-maker; Acme has 400 employees"), so the acts
    that made the lead hot are not crowded out by profile facts.
    """
    found: list[tuple[float, Reason]] = []
    fit_total = state.fit_total
    positive = sorted(
        (rule for rule, points in state.fit.items() if points > 0),
        key=lambda rule: (-state.fit[rule], rule),
    )
    if fit_total >= 0.5 and positive:
        text = "; ".join(fit_text(rule, state, model, language) for rule in positive)
        found.append((fit_total, Reason(FIT_REASON_RULE, round(fit_total), text)))
    half_lives = model.half_lives_seconds
    for rule_id, tally in state.rules.items():
        half_life = half_lives.get(tally.decay) if tally.decay else None
        now_points = tally.total.at(at, half_life)
        if now_points < 0.5:
            continue
        text = tally_text(rule_id, tally, model, language)
        if tally.count != 1:
            text = _TIMES[language].format(text=text, count=tally.count)
        found.append((now_points, Reason(rule_id, round(now_points), text)))
    found.sort(key=lambda item: (-item[0], item[1].rule))
    return [reason for _, reason in found[: model.reasons_shown]]


def choose_channel(state: LeadScoreState) -> tuple[Channel, str]:
    """Phone only for hot leads with a known number; e-mail otherwise (DOMAIN.md).

    The channel, and which of ``_CHANNEL_REASONS`` says why (no sentence is rendered:
    the scorer needs only the channel, on every commit). The trigger's own advice (seed
    003) comes first: an opinion piece or a selective reader is mailed; colleagues
    without a clear senior get one mail with CCs; an in-article click-through, or
    colleagues with a clear senior, are phoned.
    """
    trigger = state.rules.get(state.last_signal_rule or "")
    follow_up = trigger.follow_up if trigger is not None else None
    if follow_up == "email_cc":
        return Channel.EMAIL, "email_cc"
    if trigger is not None and trigger.advise_email and follow_up not in ("phone", "phone_senior"):
        return Channel.EMAIL, "trigger"
    if state.stage != Stage.SQL:
        return Channel.EMAIL, "nurture"
    if not state.profile.get("phone"):
        return Channel.EMAIL, "no_phone"
    if follow_up == "phone_senior":
        return Channel.PHONE, "phone_senior"
    if follow_up == "phone":
        return Channel.PHONE, "phone_trigger"
    return Channel.PHONE, "phone"


def recommend_channel(
    state: LeadScoreState, model: ScoringModel | None = None, language: str = "en"
) -> tuple[Channel, str]:
    """The channel (``choose_channel``) and the sentence that says why, in ``language``.

    The reason says why, not which channel: the channel is said beside it. ``model``
    (the default model when not given) words the trigger.
    """
    if model is None:
        model = _default_model()
    channel, why = choose_channel(state)
    rule_id = state.last_signal_rule or ""
    trigger = state.rules.get(rule_id)
    said = tally_text(rule_id, trigger, model, language) if trigger is not None else ""
    return channel, _CHANNEL_REASONS[why][language].format(trigger=said)


@cache
def _default_model() -> ScoringModel:
    return load_scoring_model()
