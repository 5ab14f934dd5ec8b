"""Explanations: the reasons a salesperson can say to a lead, and the advised channel."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.lead import Channel, Stage
from chalicelib.domain.scoring.model import ScoringModel
from chalicelib.domain.scoring.state import LeadScoreState

FIT_REASON_RULE = "fit_profile"


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule's contribution now: ``points`` after decay, rounded."""

    rule: str
    points: int
    text: str


@dataclass(frozen=True, slots=True)
class Scores:
    score: int
    fit_score: int
    engagement_score: int


def fit_reasons(state: LeadScoreState) -> list[Reason]:
    """Every fit rule that applies, one by one (for marketing and the export)."""
    ordered = sorted(state.fit.items(), key=lambda item: (-item[1], item[0]))
    return [Reason(rule, round(points), state.fit_texts.get(rule, "")) for rule, points in ordered]


def current_scores(state: LeadScoreState, model: ScoringModel, at: float) -> Scores:
    """Fit, engagement (decayed exactly to ``at``) and their sum, rounded for people."""
    fit = state.fit_total
    engagement = state.engagement_at(at, model.half_lives_seconds)
    return Scores(round(fit + engagement), round(fit), round(engagement))


def reasons(state: LeadScoreState, model: ScoringModel, at: float) -> list[Reason]:
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
        text = "; ".join(state.fit_texts.get(rule, rule) for rule in positive)
        found.append((fit_total, Reason(FIT_REASON_RULE, round(fit_total), text)))
    half_lives = model.half_lives_seconds
    for rule_id, tally in state.rules.items():
        half_life = half_lives.get(tally.decay) if tally.decay else None
        now_points = tally.total.at(at, half_life)
        if now_points < 0.5:
            continue
        text = tally.text if tally.count == 1 else f"{tally.text} ({tally.count} times)"
        found.append((now_points, Reason(rule_id, round(now_points), text)))
    found.sort(key=lambda item: (-item[0], item[1].rule))
    return [reason for _, reason in found[: model.reasons_shown]]


def recommend_channel(state: LeadScoreState) -> tuple[Channel, str]:
    """Phone only for hot leads with a known number; e-mail otherwise (DOMAIN.md).

    The trigger's own advice (seed 003) comes first: an opinion piece or a selective
    reader is mailed; colleagues without a clear senior get one mail with CCs; an
    in-article click-through, or colleagues with a clear senior, are phoned.
    """
    phone = state.profile.get("phone")
    trigger = state.rules.get(state.last_signal_rule or "")
    follow_up = trigger.follow_up if trigger is not None else None
    if trigger is not None and follow_up == "email_cc":
        return Channel.EMAIL, (
            f"E-mail with CCs: {trigger.text}, with no clear senior among them; "
            "write to them together"
        )
    if trigger is not None and trigger.advise_email and follow_up not in ("phone", "phone_senior"):
        return Channel.EMAIL, (
            f"E-mail: the trigger was content ({trigger.text}); "
            "verify the assumption in writing first"
        )
    if state.stage != Stage.SQL:
        return Channel.EMAIL, "E-mail: not sales-qualified yet, keep nurturing"
    if not phone:
        return Channel.EMAIL, "E-mail: no phone number known"
    if trigger is not None and follow_up == "phone_senior":
        return Channel.PHONE, (
            f"Phone: {trigger.text}, and one of them is clearly the most senior; call them"
        )
    if trigger is not None and follow_up == "phone":
        return Channel.PHONE, (
            f"Phone: a hot lead who left a phone number; the trigger ({trigger.text}) "
            "is best followed up by phone"
        )
    return Channel.PHONE, "Phone: a hot lead who left a phone number"
