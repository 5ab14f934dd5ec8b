"""Went quiet: what a sparse-index sweep costs against one Scheduler schedule per lead.

Runs the real scorer and the real in-memory stores over a synthetic month of
leads, then counts the requests each design makes (docs/EVENTS.md, "Went quiet"):

* one EventBridge Scheduler schedule per lead: every engagement moves the
  lead's schedule (one UpdateSchedule call each), and every quiet lead costs
  one invocation;
* the sweep: the index ``by_last_engaged`` is written only when a lead's last
  engagement moves to a new day; an hourly sweep reads 8 day buckets.

``python -m tests.bench.bench_quiet`` prints the figures.
"""

from __future__ import annotations

import random
from typing import Any

from chalicelib.adapters.quiet import MemoryQuietLeads
from chalicelib.domain.clock import iso
from chalicelib.services.lifecycle import QuietSweep
from tests.support import DAY, T0, tracker_body, world

LEADS = 200
DAYS = 30
KB = "https://kb.example.nl"


def run() -> dict[str, Any]:
    rng = random.Random(17)
    w = world()
    index_writes = 0
    previous: dict[str, str | None] = {}
    original = w.leads.commit_scoring

    def counting(commit: Any) -> None:
        nonlocal index_writes
        original(commit)
        item = w.leads.table.items[(f"LEAD#{commit.lead_id}", "PROFILE")]
        bucket = item.get("quiet_pk")
        if bucket is not None and previous.get(commit.lead_id) != bucket:
            index_writes += 1
        previous[commit.lead_id] = bucket

    w.leads.commit_scoring = counting  # type: ignore[method-assign]
    engagements = 0
    for n in range(LEADS):
        aid = f"anon-bench-{n:06d}"
        w.clock.now = T0 + rng.uniform(0, DAY)
        w.services.capture.submit_form(
            "whitepaper",
            {"email": f"p{n}@firm{n % 40}.nl", "anonymous_id": aid},
            w.ctx(source_ip=f"10.{n // 250}.{n % 250}.7"),
        )
        engagements += 1
        w.pump()
        # Busy readers come back most days, others a few times, some never.
        days = rng.choice([0, 1, 3, 10, 25])
        for day in sorted(rng.sample(range(1, DAYS), days)):
            w.clock.now = T0 + day * DAY + rng.uniform(0, DAY)
            hits = rng.randint(1, 6)
            events = [  # a reader's pace, a minute or two per page
                {
                    "type": "page_view",
                    "url": f"{KB}/articles/t{rng.randint(1, 9)}/a{i}",
                    "ts": iso(w.clock.now - (hits - i) * 90),
                }
                for i in range(hits)
            ]
            ip = f"10.{n // 250}.{n % 250}.7"
            w.services.capture.track(tracker_body(aid, events), w.ctx(source_ip=ip))
            engagements += hits
            w.pump()  # the stream scores each day's visit as it happens
        w.pump()
    model = w.services.model
    quiet = MemoryQuietLeads(w.leads)
    before = dict(w.leads.table.requests)
    w.clock.now = T0 + (DAYS + model.lifecycle.quiet_days) * DAY
    sweep = QuietSweep(model, quiet, clock=w.clock).run()
    requests = {k: v - before.get(k, 0) for k, v in w.leads.table.requests.items()}
    return {
        "leads": LEADS,
        "days": DAYS,
        "engagement_events": engagements,
        "scheduler_update_schedule_calls": engagements,
        "index_writes": index_writes,
        "index_writes_per_engagement": round(index_writes / engagements, 3),
        "sweep_day_buckets_read": len(sweep.days),
        "sweep_candidates": sweep.candidates,
        "sweep_went_quiet": sweep.went_quiet,
        "sweep_queries": requests.get("Query", 0),
        "sweep_updates": requests.get("UpdateItem", 0),
    }


if __name__ == "__main__":
    for name, value in run().items():
        print(f"{name:36} {value}")
