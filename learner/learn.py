"""Learn a proposed model from outcomes, backtest it against the active one, maybe promote.

    make learn STAGE=local               # writes dist/model-proposal.yaml, dist/backtest.json
    make learn STAGE=local PROMOTE=1     # and promotes it if its test AUC beats the active one
    make learn STAGE=local UPLOAD=1      # stores it as a version (not active), for what-if

Steps: one row per lead with an outcome (``dataset``); train on outcomes closed
before the split (the 70th percentile of close dates unless ``--split``), test on
the rest; a first fit on every feature picks at most 8 raw signals worth a
candidate rule; a second fit on the rules' features and those signals gives the
points (20 points per unit of log-odds); the SQL thresholds are the ones with the
most recall at the target precision on the training leads. Both models are then
replayed by the real scorer on the test leads: that is the backtest.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from chalicelib.domain.clock import iso
from chalicelib.domain.scoring.model import ScoringModel, parse_scoring_model
from chalicelib.wiring import Services
from learner import fit
from learner.dataset import RAW_PREFIXES, Example, examples, features, scored, split

MIN_WON = 30
MIN_LOST = 30
MIN_TEST_EACH = 5
MAX_CANDIDATES = 8
#: A rule learned to be worth this much (odds x1.65 and up) counts as a buying signal.
SIGNAL_POINTS = 10
EXIT_TOO_FEW = 3
EVENT_SENTENCES = {
    "page_view": ("Visited {path} on {date}", "Bezocht {path} op {date}"),
    "download": ("Downloaded “{title}” on {date}", "Downloadde “{title}” op {date}"),
    "link_click": ("Clicked through to {target} on {date}", "Klikte door naar {target} op {date}"),
    "site_search": (
        "Searched our site for “{query}” on {date}",
        "Zocht op onze site naar “{query}” op {date}",
    ),
    "email_open": ("Opened a mail on {date}", "Opende een mail op {date}"),
    "email_click": (
        "Clicked {target} in a mail on {date}",
        "Klikte op {target} in een mail op {date}",
    ),
    "form_submit": (
        "Filled in the form for {form_title} on {date}",
        "Vulde het formulier voor {form_title} in op {date}",
    ),
    "newsletter_unsubscribe": (
        "Unsubscribed from the newsletter on {date}",
        "Zegde de nieuwsbrief op op {date}",
    ),
    "account_signal": ("Colleagues read about {topic}", "Collega's lazen over {topic}"),
}


class TooFewOutcomes(Exception):
    """Not enough won and lost deals to learn from; the message says what is missing."""


@dataclass
class Options:
    out_dir: Path = Path("dist")
    target_precision: float = 0.6
    split_at: float | None = None
    horizon_days: float = 0.0
    min_won: int = MIN_WON
    min_lost: int = MIN_LOST
    promote: bool = False
    #: Store the proposal as a version (not active), for what-if and a later promote.
    upload: bool = False
    by: str = "make learn"


@dataclass
class Result:
    proposal: ScoringModel
    proposal_text: str
    backtest: dict[str, Any]
    promoted: bool
    message: str
    candidates: list[str] = field(default_factory=list)


def learn(services: Services, options: Options, now: float | None = None) -> Result:
    """Learn, write the proposal and the backtest, and promote when asked and better.

    Raises
    ------
    TooFewOutcomes
        fewer than the minimum of won or lost deals (or none of one in the test period).
    """
    now = time.time() if now is None else now
    active_version = services.models.active_version()
    stored, current = services.models.get(active_version)
    outcomes = services.outcome_store.between(0.0, now)
    rows = examples(
        outcomes, lambda lead_id: services.events.history(lead_id), options.horizon_days * 86_400
    )
    rows = [r for r in rows if r.history]
    won = sum(r.won for r in rows)
    lost = len(rows) - won
    if won < options.min_won or lost < options.min_lost:
        raise TooFewOutcomes(
            f"too few outcomes to learn from: {won} won and {lost} lost leads with a history, "
            f"and at least {options.min_won} won and {options.min_lost} lost are needed; "
            "import more closed deals with POST /v1/outcomes or make outcomes"
        )
    split_at = options.split_at or rows[int(len(rows) * 0.7)].closed_at
    train, test = split(rows, split_at)
    test_won = sum(r.won for r in test)
    if min(test_won, len(test) - test_won) < MIN_TEST_EACH or len(train) < 2 * MIN_TEST_EACH:
        raise TooFewOutcomes(
            f"the test period (closed from {iso(split_at)}) has {test_won} won and "
            f"{len(test) - test_won} lost leads; at least {MIN_TEST_EACH} of each are needed"
        )

    proposal_data, nl_texts, candidates = _proposal_data(stored.text, current, train)
    draft = ScoringModel.model_validate(proposal_data)
    train_scored = [scored(r, draft) for r in train]
    train_labels = [r.won for r in train]
    base_rate = sum(train_labels) / len(train_labels)
    min_fit, min_engagement, _, _ = fit.choose_thresholds(
        train_scored, train_labels, options.target_precision
    )
    mql_fit, mql_engagement, _, _ = fit.choose_thresholds(
        train_scored, train_labels, (options.target_precision + base_rate) / 2
    )
    stages = proposal_data.setdefault("stages", {})
    stages.setdefault("sql", {}).update(min_fit=min_fit, min_engagement=min_engagement)
    stages.setdefault("mql", {}).update(
        min_fit=min(mql_fit, min_fit), min_engagement=min(mql_engagement, min_engagement)
    )
    proposal_data["version"] = _next_version(services, current.version)
    proposed_draft = ScoringModel.model_validate(proposal_data)

    test_labels = [r.won for r in test]
    backtest = {
        "train": {"leads": len(train), "positives": sum(train_labels)},
        "test": {"leads": len(test), "positives": test_won},
        "split_at": iso(split_at),
        "current_version": current.version,
        "proposed_version": proposal_data["version"],
        "current": fit.metrics([scored(r, current) for r in test], test_labels),
        "proposed": fit.metrics([scored(r, proposed_draft) for r in test], test_labels),
    }
    proposal_data["learned_from"] = {
        "base_version": current.version,
        "learned_at": iso(now),
        "outcomes_from": iso(rows[0].closed_at),
        "outcomes_to": iso(rows[-1].closed_at),
        "split_at": iso(split_at),
        "won": won,
        "lost": lost,
        "points_per_log_odds": fit.POINTS_PER_LOG_ODDS,
        "target_sql_precision": options.target_precision,
        "candidate_rules": candidates,
        "backtest": {k: backtest[k] for k in ("train", "test", "current", "proposed")},
    }
    text = _with_dutch(yaml.safe_dump(proposal_data, sort_keys=False, allow_unicode=True), nl_texts)
    proposal = parse_scoring_model(text, "dist/model-proposal.yaml")

    options.out_dir.mkdir(parents=True, exist_ok=True)
    (options.out_dir / "model-proposal.yaml").write_text(text, encoding="utf-8")
    (options.out_dir / "backtest.json").write_text(
        json.dumps(backtest, indent=2) + "\n", encoding="utf-8"
    )
    current_auc = backtest["current"]["auc"] or 0.0
    proposed_auc = backtest["proposed"]["auc"] or 0.0
    summary = (
        f"test AUC {proposed_auc:.3f} for proposal {proposal.version} against "
        f"{current_auc:.3f} for the active model {current.version}"
    )
    promoted = False
    if options.upload or options.promote:
        services.models.upload(text, source="learned", by=options.by)
    if not options.promote:
        stored_as = f"stored as version {proposal.version}; " if options.upload else ""
        message = f"proposal written; {stored_as}{summary}; not promoted (PROMOTE=1 promotes it)"
    elif proposed_auc > current_auc:
        services.models.promote(proposal.version, by=options.by)
        promoted = True
        message = f"promoted {proposal.version}: {summary}"
    else:
        message = f"not promoted: {summary}; the active model stays"
    return Result(proposal, text, backtest, promoted, message, candidates)


def _proposal_data(
    current_text: str, current: ScoringModel, train: list[Example]
) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """The current model's data with learned points and candidate rules (no thresholds yet)."""
    rows = [features(r, current) for r in train]
    labels = [r.won for r in train]
    names = sorted({name for row in rows for name in row})
    first = fit.fit_weights(rows, labels, names)
    weight_of = fit.importance(rows, first)
    raw = sorted(
        (
            name
            for name in first
            if name.startswith(RAW_PREFIXES) and abs(fit.points(first[name])) >= 2
        ),
        key=lambda name: -weight_of[name],
    )[:MAX_CANDIDATES]
    raw = [name for name in raw if not _covered(name, rows, names)]
    kept = [n for n in names if not n.startswith(RAW_PREFIXES) or n in raw]
    weights = fit.fit_weights(rows, labels, kept)

    data: dict[str, Any] = yaml.load(current_text, Loader=yaml.CSafeLoader)
    data.pop("learned_from", None)
    bilingual = any(isinstance(r.get("text"), dict) for r in data.get("engagement_rules", []))
    for rule in data.get("fit_rules", []):
        if f"fit:{rule['id']}" in weights:
            rule["points"] = fit.points(weights[f"fit:{rule['id']}"])
    for rule in data.get("engagement_rules", []):
        if f"rule:{rule['id']}" in weights:
            rule["points"] = fit.points(weights[f"rule:{rule['id']}"])
            # What predicts a win is a buying signal in the proposal; what does not, is not
            # (a new signal needs an opener for the sales call; without one it stays as it was).
            signal = rule["points"] >= SIGNAL_POINTS
            if signal and not rule.get("buying_signal") and not rule.get("opener"):
                opener = _opener(rule, current)
                if opener is None:
                    signal = False
                elif bilingual:
                    rule["opener"] = {"en": opener[0], "nl": opener[1]}
            if signal != bool(rule.get("buying_signal", False)):
                rule["buying_signal"] = signal
    account = data.setdefault("account", {})
    account_id = account.get("id", current.account.id)
    if f"rule:{account_id}" in weights:
        account["points"] = fit.points(weights[f"rule:{account_id}"])
    nl_texts: dict[str, str] = {}
    candidates = []
    taken = {r.id for r in current.fit_rules} | {r.id for r in current.engagement_rules}
    for name in raw:
        if name not in weights or fit.points(weights[name]) == 0:
            continue
        rule, nl = _candidate_rule(name, fit.points(weights[name]), current)
        if rule["id"] in taken:
            continue
        if bilingual:  # the model's sentences are {en, nl}: so are the new rule's
            rule["text"], nl = {"en": rule["text"], "nl": nl}, ""
        elif "opener" in rule:  # the older schema has no openers
            rule.pop("opener")
        taken.add(rule["id"])
        data.setdefault("engagement_rules", []).append(rule)
        if nl:
            nl_texts[rule["id"]] = nl
        candidates.append(rule["id"])
    return data, nl_texts, candidates


def _covered(name: str, rows: list[dict[str, float]], names: list[str]) -> bool:
    """Whether an existing rule already scores (nearly) exactly this raw signal."""
    import numpy as np

    signal = np.array([row.get(name, 0.0) for row in rows])
    for other in names:
        if not other.startswith("rule:"):
            continue
        values = np.array([row.get(other, 0.0) for row in rows])
        if signal.std() > 0 and values.std() > 0 and np.corrcoef(signal, values)[0, 1] > 0.9:
            return True
    return False


def _candidate_rule(name: str, points: int, model: ScoringModel) -> tuple[dict[str, Any], str]:
    """A new rule for a raw signal, in the model's own syntax, with what the person did."""
    kind, _, value = name.partition(":")
    rule: dict[str, Any] = {"id": "learned_" + re.sub(r"[^a-z0-9_]", "_", f"{kind}_{value}")}
    if kind == "class":
        label = next(c.label for c in model.content_classes if c.name == value)
        rule.update(event=["page_view", "download"], content_class=[value])
        english, dutch = (
            f"Looked at {label} ({{path}}) on {{date}}",
            (f"Bekeek {label} ({{path}}) op {{date}}"),
        )
    elif kind == "topic":
        classes = [c.name for c in model.content_classes if c.topic_from_path]
        rule.update(event=["page_view"], content_class=classes, topic=[value])
        english, dutch = (
            "Read about {topic}: “{title}” on {date}",
            "Las over {topic}: “{title}” op {date}",
        )
    elif kind == "form":
        rule.update(event=["form_submit"], form_kind=[value])
        english, dutch = EVENT_SENTENCES["form_submit"]
    else:
        rule.update(event=[value])
        fallback = (f"{value} on {{date}}", f"{value} op {{date}}")
        english, dutch = EVENT_SENTENCES.get(value, fallback)
    rule.update(points=points, cap={"count": 3, "days": 30})
    rule["text"] = english
    opener = _opener(rule, model) if points >= SIGNAL_POINTS else None
    if opener is not None:
        rule["buying_signal"] = True
        rule["opener"] = {"en": opener[0], "nl": opener[1]}
    return rule, dutch


#: How a call opener says an act ("I saw you ..." / "ik zag dat u ..."), per kind of signal.
OPENERS = {
    "form:newsletter_subscribe": (
        "subscribed to our newsletter",
        "zich op onze nieuwsbrief abonneerde",
    ),
    "form:demo_request": ("asked for a demo", "een demo aanvroeg"),
    "form:contact_request": ("asked to be contacted", "om contact vroeg"),
    "form:*": ("filled in the form for {form_title}", "het formulier voor {form_title} invulde"),
    "event:page_view": ("visited {path}", "{path} bezocht"),
    "event:download": ("downloaded “{title}”", "“{title}” downloadde"),
    "event:link_click": ("clicked through to {target}", "doorklikte naar {target}"),
    "event:site_search": ("searched our site for “{query}”", "op onze site zocht naar “{query}”"),
    "event:email_click": ("clicked {target} in our mail", "in onze mail op {target} klikte"),
    "event:email_open": ("opened our mail", "onze mail opende"),
    "topic": ("read about {topic}", "over {topic} las"),
}  # fmt: skip


def _opener(rule: dict[str, Any], model: ScoringModel) -> tuple[str, str] | None:
    """The call opener for a rule the learner makes a buying signal, or None if it has none."""
    events = list(rule.get("event") or [])
    if rule.get("topic"):
        return OPENERS["topic"]
    if events == ["form_submit"]:
        kinds = list(rule.get("form_kind") or [])
        return OPENERS.get(f"form:{kinds[0]}" if len(kinds) == 1 else "", OPENERS["form:*"])
    if not events:
        return None
    return OPENERS.get(f"event:{events[0]}")


def _with_dutch(text: str, nl_texts: dict[str, str]) -> str:
    """Put each new rule's Dutch sentence on the line above its English one (# nl: ...)."""
    lines, current = [], None
    for line in text.splitlines():
        found = re.match(r"^\s*-?\s*id: (\S+)$", line)
        if found:
            current = found.group(1)
        stripped = line.lstrip(" -")
        if current in nl_texts and stripped.startswith("text:"):
            indent = len(line) - len(line.lstrip(" "))
            lines.append(" " * indent + f"# nl: {nl_texts[current]}")
        lines.append(line)
    header = (
        "# A proposed scoring model, learned by `make learn` from won and lost deals.\n"
        "# Its points replace the ones of the model it was learned from; see learned_from.\n"
    )
    return header + "\n".join(lines) + "\n"


def _next_version(services: Services, version: str) -> str:
    """The version after ``version`` that the store does not hold yet."""
    parts = version.split(".")
    if parts[-1].isdigit():
        stem, number = ".".join(parts[:-1]), int(parts[-1])
    else:
        stem, number = version, 0
    today = datetime.now(tz=UTC).strftime("%Y.%m")
    stem = stem if stem else today
    _, stored = services.models.versions()
    taken = {s.version for s in stored}
    while True:
        number += 1
        candidate = f"{stem}.{number}" if stem else str(number)
        if candidate not in taken:
            return candidate
