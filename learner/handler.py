"""The learner as a scheduled Lambda (a container image: its libraries do not fit a zip).

EventBridge Scheduler starts it weekly (infra/template.yaml, ``LearnerSchedule``). It
learns exactly like ``make learn UPLOAD=1``: from the closed deals in the leads table, it
stores the proposal as a new model version (not active) with its backtest, for marketing
to look at (what-if, the console's model page) and promote. With ``{"promote": true}`` in
the schedule's input it promotes the proposal when its test AUC beats the active model's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: Lambda's only writable directory: the proposal's YAML and the backtest land here too.
OUT_DIR = Path("/tmp/learner")  # noqa: S108  # nosec B108: Lambda's private scratch space


def handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    from chalicelib.wiring import get_services

    return run(get_services(), event or {})


def run(services: Any, event: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """Learn and upload; what happened, as the invocation's answer (and its log line)."""
    from learner.learn import Options, TooFewOutcomes, learn

    options = Options(
        out_dir=Path(event.get("out_dir") or OUT_DIR),
        upload=True,
        promote=event.get("promote") is True,
        by="scheduled learner",
    )
    try:
        result = learn(services, options, now=now)
    except TooFewOutcomes as error:
        answer: dict[str, Any] = {"learned": False, "reason": str(error)}
    else:
        answer = {
            "learned": True,
            "version": result.proposal.version,
            "promoted": result.promoted,
            "message": result.message,
            "backtest": {k: result.backtest[k] for k in ("train", "test", "current", "proposed")},
        }
    # One JSON line in the function's log: what each weekly run decided, queryable.
    print(json.dumps(answer, default=str))
    return answer
