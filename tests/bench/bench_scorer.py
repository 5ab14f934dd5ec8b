"""The pure scorer's throughput: ``score_event`` over a realistic mixed stream, one core.

Each event is scored against its lead's current state and, for an identified lead
with a business e-mail domain, its company's state, exactly as the stream handler
calls it; states are carried from event to event so caps, decay, topics and account
surges all do their real work. A third of the people are known leads already (their
earlier form posts are scored before the clock starts); the rest are anonymous
visitors until they post a form. The figure is the median of seven rounds.
"""

from __future__ import annotations

import gc
import statistics
import time
from typing import Any

from chalicelib.domain.scoring.model import load_scoring_model
from chalicelib.domain.scoring.scorer import score_event
from chalicelib.domain.scoring.state import CompanyState, LeadScoreState
from tests.bench.workload import FREE_DOMAINS, mixed_stream

EVENTS = 40_000
ROUNDS = 7


def _one_round(
    prologue: list[Any], events: list[Any], model: Any, now: float
) -> tuple[float, float, int]:
    """Score the prologue, then time the stream; (CPU seconds, wall seconds, events given
    a company). CPU time is the figure: it is what one core spends, whatever else the
    machine runs meanwhile."""
    leads: dict[str, LeadScoreState] = {}
    companies: dict[str, CompanyState] = {}
    blank = LeadScoreState()  # score_event never changes the state it is given
    timed = False
    started = cpu_started = 0.0
    for part in (prologue, events):
        if part is events:
            timed = True
            started, cpu_started = time.perf_counter(), time.process_time()
        for event, domain in part:
            company = None
            if domain is not None:
                company = companies.get(domain)
                if company is None:
                    company = CompanyState(domain)
            outcome = score_event(leads.get(event.lead_id, blank), company, event, model, now)
            leads[event.lead_id] = outcome.lead
            if outcome.company is not None:
                companies[domain] = outcome.company  # type: ignore[index]
    cpu, wall = time.process_time() - cpu_started, time.perf_counter() - started
    assert timed
    return cpu, wall, sum(1 for _e, d in events if d is not None)


def run(events: int = EVENTS, rounds: int = ROUNDS) -> dict[str, Any]:
    model = load_scoring_model()
    prologue, stream = mixed_stream(events)
    # The stream handler gives a company state for business domains only.
    prologue = [(e, None if d in FREE_DOMAINS else d) for e, d in prologue]
    stream = [(e, None if d in FREE_DOMAINS else d) for e, d in stream]
    now = stream[-1][0].occurred_at + 60.0
    _one_round(prologue, stream[:2_000], model, now)  # warm caches (regexes, properties)
    # A Lambda holds one batch of events, not forty thousand: keep the prepared input out
    # of the garbage collector's sight, as it would be. The scorer's own allocations,
    # and the lead states it builds, are collected as usual.
    gc.collect()
    gc.freeze()
    rounds_run = [_one_round(prologue, stream, model, now) for _ in range(rounds)]
    cpu = statistics.median(c for c, _w, _n in rounds_run)
    wall = statistics.median(w for _c, w, _n in rounds_run)
    return {
        "scorer_events_per_second": round(events / cpu),
        "scorer_detail": {
            "events_per_round": events,
            "rounds": rounds,
            "cpu_seconds_per_round": [round(c, 4) for c, _w, _n in rounds_run],
            "microseconds_per_event": round(cpu / events * 1e6, 2),
            "wall_events_per_second": round(events / wall),
            "events_with_company_state": rounds_run[0][2],
            "known_leads_before_the_clock": len(prologue),
        },
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
