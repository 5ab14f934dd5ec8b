"""The numbers: a regularised logistic regression, points, thresholds, backtest metrics."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from learner.dataset import Scored

#: 20 points stand for one unit of log-odds (odds x e): the default model's scale.
POINTS_PER_LOG_ODDS = 20.0
#: L2 strength (scikit-learn's C, on standardised features): smaller is more cautious.
REGULARISATION_C = 0.5


def fit_weights(
    rows: Sequence[Mapping[str, float]], labels: Sequence[bool], names: Sequence[str]
) -> dict[str, float]:
    """Log-odds per unit of each feature (features that never vary get none)."""
    matrix = np.array([[row.get(name, 0.0) for name in names] for row in rows], dtype=float)
    spread = matrix.std(axis=0)
    varying = spread > 1e-9
    if not varying.any():
        return {}
    columns = matrix[:, varying]
    standardised = (columns - columns.mean(axis=0)) / spread[varying]
    model = LogisticRegression(C=REGULARISATION_C, max_iter=5000)
    model.fit(standardised, np.array(labels, dtype=int))
    raw = model.coef_[0] / spread[varying]
    kept = [name for name, keep in zip(names, varying, strict=True) if keep]
    return {name: float(weight) for name, weight in zip(kept, raw, strict=True)}


def importance(
    rows: Sequence[Mapping[str, float]], weights: Mapping[str, float]
) -> dict[str, float]:
    """|weight| x the feature's spread: how much a feature moves the log-odds."""
    found = {}
    for name, weight in weights.items():
        values = np.array([row.get(name, 0.0) for row in rows], dtype=float)
        found[name] = abs(weight) * float(values.std())
    return found


def points(weight: float) -> int:
    return round(weight * POINTS_PER_LOG_ODDS)


def sql_predicate(lead: Scored, min_fit: float, min_engagement: float) -> bool:
    return (
        lead.complete
        and lead.fit >= min_fit
        and lead.engagement >= min_engagement
        and lead.buying_signals >= 1
    )


def choose_thresholds(
    leads: Sequence[Scored], labels: Sequence[bool], target_precision: float
) -> tuple[float, float, float, float]:
    """(min_fit, min_engagement, precision, recall) with the most recall at the target.

    When no pair of thresholds reaches the target precision on the training leads,
    the most precise pair that still selects three leads is taken.
    """
    fits = sorted({round(lead.fit) for lead in leads})
    engagements = np.quantile([lead.engagement for lead in leads], np.linspace(0, 0.95, 20))
    positives = sum(labels) or 1
    best: tuple[float, float, float, float] | None = None
    fallback: tuple[float, float, float, float] | None = None
    for min_fit in fits:
        for min_engagement in sorted({math.floor(float(e)) for e in engagements}):
            chosen = [
                won
                for lead, won in zip(leads, labels, strict=True)
                if sql_predicate(lead, min_fit, min_engagement)
            ]
            if len(chosen) < 3:
                continue
            precision = sum(chosen) / len(chosen)
            recall = sum(chosen) / positives
            option = (float(min_fit), float(min_engagement), precision, recall)
            if precision >= target_precision and (
                best is None or (recall, precision) > (best[3], best[2])
            ):
                best = option
            if fallback is None or (precision, recall) > (fallback[2], fallback[3]):
                fallback = option
    if best is not None:
        return best
    if fallback is not None:
        return fallback
    return 0.0, 0.0, 0.0, 0.0


def metrics(leads: Sequence[Scored], labels: Sequence[bool]) -> dict[str, float | None]:
    """AUC, SQL precision and recall (the scorer's own stage), top-decile lift."""
    scores = [lead.score for lead in leads]
    wins = [bool(label) for label in labels]
    auc = float(roc_auc_score(wins, scores)) if 0 < sum(wins) < len(wins) else None
    sql = [won for lead, won in zip(leads, wins, strict=True) if lead.stage == "sql"]
    precision = sum(sql) / len(sql) if sql else None
    recall = sum(sql) / sum(wins) if sum(wins) else None
    order = sorted(range(len(leads)), key=lambda i: -scores[i])
    top = order[: max(1, math.ceil(len(order) / 10))]
    base = sum(wins) / len(wins) if wins else 0.0
    lift = (sum(wins[i] for i in top) / len(top)) / base if base else None
    return {
        "auc": _round(auc),
        "precision_at_sql": _round(precision),
        "recall_at_sql": _round(recall),
        "top_decile_lift": _round(lift),
    }


def _round(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None
