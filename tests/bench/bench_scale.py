"""`scale`: the hottest partition key at 10,000 page views a second, computed, not observed.

moto never throttles, so nothing can be seen to break. Instead the described workload's
requests are replayed through the real app (``bench_ddb.Bench``: the Chalice app in
process on the emulator, the streams handed to the handlers as Lambda does) and every
DynamoDB request is counted with its partition key by ``capacity.Meter``'s hooks: the
table's own key, and for each index write the index's key. The sample is a stretch of
the workload; its units per key, divided by the stretch's simulated duration
(``SAMPLE / 10,000`` seconds), are the units per second each key would take.

The workload (issue 12): 10,000 page views a second, the lead of each drawn Zipf-skewed
(s = 1.1) over 200,000 active leads; lead rank r works at company r mod 20,000 (so the
busiest lead's company is the busiest company). The 50 busiest leads (half of all page
views) are identified by a form post with their company's business e-mail, so they also
write the ``by_score`` index and their company's state; the others are visitors, created
by one uncounted beacon before the count. Each page view is one tracker beacon. The scorer
gets the events stream in batches of 100 records in arrival order: about what each of the
10 parallel consumers of a stream shard collects in its one-second window (infra/template.yaml,
docs/PERFORMANCE.md "Stream consumers"). For a busy lead that is conservative: deployed,
its item is rewritten at most once per consumer and window
(``busiest_lead_under_configured_stream`` computes that case). E-mail opens
of 50 campaigns (Zipf s = 1.1 over the campaigns) are replayed apart, as if all 10,000
hits a second were opens: the campaign counters' worst case.

A key shared by many leads (an index shard, a funnel shard, a company, a campaign) is its
sampled units over the simulated seconds; a key of one lead is its units per sampled page
view times that lead's exact Zipf share of 10,000 page views a second (a lead seen once in
a small sample would otherwise stand for far more traffic than it has).

Limits a partition takes: 1,000 WCU/s and 3,000 RCU/s. ``hottest_key`` is the key
closest to either limit.
"""

from __future__ import annotations

import bisect
import json
import os
import random
import time
from typing import Any

from tests.bench.bench_ddb import API_KEY, PAGES, Bench
from tests.bench.capacity import partition_load

EVENTS_PER_SECOND = 10_000
LEADS = 200_000
COMPANIES = 20_000
CAMPAIGNS = 50
ZIPF_S = 1.1
SAMPLE = int(os.environ.get("BENCH_SCALE_SAMPLE", "500"))
#: The busiest ranks post a form (identified, with their company's business e-mail: they
#: also write the by_score index and their company's state); 51 % of the page views.
IDENTIFIED = 50
OPENS_SAMPLE = int(os.environ.get("BENCH_SCALE_OPENS", "300"))
#: Page views replayed after the count, without the meter, to time the scorer's batches.
TIMED = int(os.environ.get("BENCH_SCALE_TIMED", "300"))
BATCH = 100
WCU_LIMIT = 1_000
RCU_LIMIT = 3_000


def zipf(n: int, s: float, rng: random.Random) -> Any:
    """A sampler of ranks 0..n-1 with P(r) proportional to 1 / (r + 1)^s."""
    cumulative: list[float] = []
    total = 0.0
    for rank in range(n):
        total += 1.0 / (rank + 1) ** s
        cumulative.append(total)

    def draw() -> int:
        return bisect.bisect_left(cumulative, rng.random() * total)

    draw.share_of_top = cumulative[0] / total  # type: ignore[attr-defined]
    draw.share = lambda rank: 1.0 / (rank + 1) ** s / total  # type: ignore[attr-defined]
    return draw


def _owner(where: tuple[str, str], ranks: dict[str, int]) -> int | None:
    """The lead rank a partition belongs to (a lead's own items, its anonymous id), if any."""
    key = where[1]
    if key.startswith("LEAD#"):  # LEAD#<id>, or an events shard LEAD#<id>#<n>
        return ranks.get(key[5:].split("#", 1)[0])
    if key.startswith("ANON#scale-"):
        return int(key.rsplit("-", 1)[1])
    return None


def _name(where: tuple[str, str], rank: int | None) -> str:
    table = where[0].replace("trechter-bench-", "")
    return f"{table} {where[1]}" + (f" (lead rank {rank + 1})" if rank is not None else "")


def _rates(
    load: dict[tuple[str, str], dict[str, float]],
    seconds: float,
    ranks: dict[str, int] | None = None,
    views: dict[int, int] | None = None,
    share: Any = None,
) -> list[dict[str, Any]]:
    """Units per second per key, closest to a limit first.

    A key shared by many leads (an index shard, a funnel shard, a company, a campaign) is
    its sampled units over the simulated seconds. A key of one lead (its items, its
    anonymous id) is its units per sampled page view times the page views a second that
    lead gets (its Zipf share of 10,000): a lead that appears once in a small sample would
    otherwise stand for far more traffic than it has.
    """
    rows = []
    for where, units in load.items():
        rank = _owner(where, ranks or {})
        if rank is not None and views and share and views.get(rank):
            per_second = share(rank) * EVENTS_PER_SECOND / views[rank]
        else:
            per_second = 1 / seconds
        rows.append(
            {
                "key": _name(where, rank),
                "wcu_per_second": round(units["wcu"] * per_second, 1),
                "rcu_per_second": round(units["rcu"] * per_second, 1),
            }
        )
    rows.sort(
        key=lambda r: max(r["wcu_per_second"] / WCU_LIMIT, r["rcu_per_second"] / RCU_LIMIT),
        reverse=True,
    )
    return rows


def _parallelization_factor() -> int:
    """The scorer's ``ParallelizationFactor`` in infra/template.yaml."""
    from infra.definitions import load_template

    source = load_template()["Resources"]["ScoreEvents"]["Properties"]["Events"]
    return int(source["ScoreEventsDynamodbEventSource"]["Properties"]["ParallelizationFactor"])


def _busiest_lead(calls: list[Any], lead_id: str, views: int, share: float) -> dict[str, Any]:
    """The busiest lead's own partition when its events reach the scorer as configured.

    In the replay (batches of 100 in arrival order) the lead's item is rewritten in every
    batch it appears in. Deployed, each of its ``EVENT_SHARDS`` keys sits on one stream
    shard, read by ``ParallelizationFactor`` consumers; Lambda keeps order per item, not per
    key, so the lead's events reach every consumer of those shards, each invoked once per
    one-second window: at most shards x factor commits of its item a second, counted twice
    for the version conflicts between them (a failed conditional write is billed too).
    Its per-event items (the ledger) still come with every event.
    """
    from chalicelib.adapters.items import EVENT_SHARDS, lead_pk

    commits = 0
    lead_units = 0.0
    per_event_units = 0.0
    for call in calls:
        wrote_lead = False
        for w in call.writes:
            if w.partition[1] != lead_pk(lead_id) or w.partition[0].endswith("-events"):
                continue
            if w.kind == "lead" and call.phase == "scoring":
                lead_units += w.wru
                wrote_lead = True
            elif call.phase in ("scoring", "ingest"):
                per_event_units += w.wru
        commits += wrote_lead
    per_commit = lead_units / max(commits, 1)
    events_per_second = share * EVENTS_PER_SECOND
    replayed = commits * events_per_second / views
    factor = _parallelization_factor()
    configured = min(2 * EVENT_SHARDS * factor, 2 * replayed)
    return {
        "lead_item_wcu_per_commit": round(per_commit, 2),
        "other_wcu_per_page_view": round(per_event_units / views, 2),
        "page_views_per_second": round(events_per_second),
        "lead_item_commits_per_second_replayed": round(replayed, 1),
        "parallelization_factor": factor,
        "lead_item_writes_per_second_configured": round(configured, 1),
        "wcu_per_second_configured": round(
            configured * per_commit + events_per_second * per_event_units / views, 1
        ),
    }


def _timed_batches(bench: Bench, views: list[int]) -> dict[str, Any]:
    """The scorer's seconds per full stream batch, timed without the meter (it slows every
    request): ``TIMED`` more page views of the same workload, pumped ``BATCH`` at a time."""
    timings: dict[str, list[float]] = {"score_events": [], "notify_hot_leads": []}
    distinct: list[int] = []
    for start in range(0, TIMED, BATCH):
        ranks = [views[(start + n) % len(views)] for n in range(BATCH)]
        for n, rank in enumerate(ranks):
            bench.beacon(f"scale-{rank:06d}", [PAGES[n % len(PAGES)]])
        distinct.append(len(set(ranks)))
        bench.pump(timings)
    seconds = sorted(timings["score_events"])
    return {
        "records_per_batch": BATCH,
        "batches_timed": len(seconds),
        "distinct_leads_per_batch": round(sum(distinct) / len(distinct), 1),
        "seconds_per_batch_mean": round(sum(seconds) / len(seconds), 3),
        "seconds_per_batch_max": round(seconds[-1], 3),
        "note": "in process against the local emulator (no network); see docs/PERFORMANCE.md",
    }


def _day_change(lead_of: Any) -> dict[str, Any]:
    """The quiet index in the first second of a UTC day, computed.

    The index (keys only) is written when a lead's engagement moves to a new day, so in
    the replayed stretch (one day) it is quiet. Just after midnight every lead that
    engages moves: a delete under yesterday's key and a put under today's. The worst
    case is every active lead watched (identified, not a customer). Lead rank r is among
    the first second's 10,000 page views with probability 1 - (1 - share(r))^10,000; the
    expected puts per key are those probabilities summed over the leads of each shard.
    """
    from chalicelib.adapters.items import QUIET_SHARDS, quiet_pk

    midnight = 1_796_169_600.0  # 2026-12-02T00:00:00Z; any day gives the same figures
    per_key: dict[str, float] = {}
    for rank in range(LEADS):
        moving = 1 - (1 - lead_of.share(rank)) ** EVENTS_PER_SECOND
        key = quiet_pk(midnight, f"lead-{rank:06d}")
        per_key[key] = per_key.get(key, 0.0) + moving
    hottest = max(per_key, key=per_key.__getitem__)
    return {
        "watched_leads": LEADS,
        "leads_moving_in_first_second": round(sum(per_key.values())),
        "unsharded_key_wcu_per_second": round(sum(per_key.values()), 1),
        "shards": QUIET_SHARDS,
        "hottest_shard": {
            "key": f"leads/by_last_engaged {hottest} (first second of a day)",
            "wcu_per_second": round(per_key[hottest], 1),
            "rcu_per_second": 0.0,
        },
    }


def _opens(bench: Bench, rng: random.Random, lead_ids: list[str]) -> dict[str, Any]:
    """Open pixels of 50 campaigns, counted per key and scaled to 10,000 opens a second."""
    campaign_of = zipf(CAMPAIGNS, ZIPF_S, rng)
    pixels: dict[int, str] = {}
    for campaign in range(CAMPAIGNS):
        answer = bench.http.post(
            "/v1/tracking-links",
            headers={"x-api-key": API_KEY, "content-type": "application/json"},
            body=json.dumps(
                {
                    "lead_id": lead_ids[campaign % len(lead_ids)],
                    "campaign_id": f"campaign-{campaign}",
                    "message_id": f"m-{campaign}",
                    "links": [],
                }
            ),
        )
        url = answer.json_body["open_pixel_url"]
        pixels[campaign] = "/v1/t/o/" + url.rsplit("/v1/t/o/", 1)[1]
    bench.meter.take()
    bench.meter.enabled = True
    bench.meter.phase = "opens"
    for _ in range(OPENS_SAMPLE):
        bench.http.get(pixels[campaign_of()], headers={"user-agent": "Mozilla/5.0 Outlook"})
    bench.meter.enabled = False
    rows = _rates(partition_load(bench.meter.take()), OPENS_SAMPLE / EVENTS_PER_SECOND, {})
    return {
        "opens_per_second": EVENTS_PER_SECOND,
        "sample": OPENS_SAMPLE,
        "share_of_top_campaign": round(campaign_of.share_of_top, 4),
        "hottest": [r for r in rows if "CAMPAIGN#" in r["key"]][:3],
    }


def run() -> dict[str, Any]:
    rng = random.Random(20261201)
    lead_of = zipf(LEADS, ZIPF_S, rng)
    views = [lead_of() for _ in range(SAMPLE)]
    began = time.perf_counter()
    bench = Bench()
    try:
        lead_ranks: dict[str, int] = {}
        for rank in sorted(set(views)):
            aid = f"scale-{rank:06d}"
            if rank < IDENTIFIED:
                email = f"person{rank}@company{rank % COMPANIES}.nl"
                lead_ranks[bench.form(email, aid)] = rank
            else:  # a visitor: its first beacon creates it (not counted)
                bench.beacon(aid, [PAGES[rank % len(PAGES)]])
                link = bench.seed_leads.anonymous_link(aid)
                assert link is not None
                lead_ranks[link.lead_id] = rank
        bench.pump()
        bench.meter.take()
        batches_before = bench.invocations["score_events"]
        bench.meter.enabled = True
        for n, rank in enumerate(views):
            bench.meter.phase = "ingest"
            bench.beacon(f"scale-{rank:06d}", [PAGES[n % len(PAGES)]])
            if n % BATCH == BATCH - 1:
                bench.pump()
        bench.pump()
        bench.meter.enabled = False
        calls = bench.meter.take()
        batches = bench.invocations["score_events"] - batches_before
        scorer = _timed_batches(bench, views)
        opens = _opens(bench, rng, list(lead_ranks))
    finally:
        bench.close()
    seconds = SAMPLE / EVENTS_PER_SECOND
    counts: dict[int, int] = {}
    for rank in views:
        counts[rank] = counts.get(rank, 0) + 1
    rows = _rates(partition_load(calls), seconds, lead_ranks, counts, lead_of.share)
    day_change = _day_change(lead_of)
    rows.append(day_change["hottest_shard"])
    rows.sort(
        key=lambda r: max(r["wcu_per_second"] / WCU_LIMIT, r["rcu_per_second"] / RCU_LIMIT),
        reverse=True,
    )
    per_table: dict[str, dict[str, Any]] = {}
    for row in rows:  # closest to a limit first: the first row of a table is its hottest
        per_table.setdefault(row["key"].split(" ", 1)[0], row)
    hottest = rows[0]
    top_lead = min(lead_ranks, key=lead_ranks.__getitem__)
    busiest = _busiest_lead(calls, top_lead, counts[0], lead_of.share(0))
    by_write = max(rows, key=lambda r: r["wcu_per_second"])
    by_read = max(rows, key=lambda r: r["rcu_per_second"])
    return {
        "scale": {
            "events_per_second": EVENTS_PER_SECOND,
            "hottest_key": hottest["key"],
            "hottest_key_wcu_per_second": hottest["wcu_per_second"],
            "hottest_key_rcu_per_second": hottest["rcu_per_second"],
        },
        "scale_detail": {
            "workload": {
                "page_views_per_second": EVENTS_PER_SECOND,
                "zipf_s": ZIPF_S,
                "active_leads": LEADS,
                "companies": COMPANIES,
                "campaigns": CAMPAIGNS,
                "share_of_top_lead": round(lead_of.share_of_top, 4),
            },
            "sample_page_views": SAMPLE,
            "distinct_leads_in_sample": len(set(views)),
            "simulated_seconds": seconds,
            "scorer_batch_records": BATCH,
            "scorer_batches": {
                **scorer,
                "requests_per_batch": round(
                    sum(1 for c in calls if c.phase == "scoring") / max(batches, 1), 1
                ),
            },
            "limits": {"wcu_per_second": WCU_LIMIT, "rcu_per_second": RCU_LIMIT},
            "hottest_by_write": by_write,
            "hottest_by_read": by_read,
            "top_keys": rows[:12],
            "top_shared_keys": [r for r in rows if "(lead rank" not in r["key"]][:8],
            "hottest_per_table": per_table,
            "top_lead_events_keys": [r for r in rows if r["key"].startswith("events ")][:6],
            "quiet_index_day_change": day_change,
            "busiest_lead_under_configured_stream": busiest,
            "keys_over_a_limit": [
                r
                for r in rows
                if r["wcu_per_second"] > WCU_LIMIT or r["rcu_per_second"] > RCU_LIMIT
            ],
            "email_opens": opens,
            "seconds": round(time.perf_counter() - began, 1),
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
