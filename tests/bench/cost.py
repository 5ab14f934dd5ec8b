"""The AWS bill per million tracked page views, from counted requests and measured times.

Inputs are the benchmark's own measurements: DynamoDB read and write units per hit by
item kind (``capacity.Meter``), Lambda invocations per hit, and in-process handler
times. Prices are list prices for eu-west-1 (the table below; docs/PERFORMANCE.md says
where they come from). Not in the figure: storage, PITR, CloudWatch Logs and alarms,
KMS, data transfer, the free tiers.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

PRICES: dict[str, Any] = {
    "region": "eu-west-1",
    "as_of": "2026-11-23",
    "api_gateway_rest_per_million": 3.50,  # first 333 M requests a month
    "api_gateway_http_per_million": 1.11,  # for the what-if only
    "lambda_per_million_requests": 0.20,
    "lambda_per_gb_second": 0.0000166667,  # x86_64
    "dynamodb_per_million_wru": 0.7068,  # on-demand, Standard table class
    "dynamodb_per_million_rru": 0.1415,
    "dynamodb_streams_lambda_reads": 0.0,  # GetRecords by a Lambda trigger is free
    "sns_per_million_publishes": 0.50,
    # The front door as built (infra/template.yaml "Front door"): CloudFront in front of a
    # Lambda function URL, which itself has no charge beyond the Lambda invocation.
    "cloudfront_https_per_million": 1.20,  # Europe: 0.0120 USD per 10,000 HTTPS requests
    "cloudfront_data_out_per_gb": 0.085,  # Europe, first 10 TB a month
    "cloudfront_bytes_per_request": 600,  # answer (202 JSON or a GIF) with its headers
    "lambda_function_url_per_million": 0.0,
    "waf_per_million": 0.60,  # optional web ACL (WebAclArn), plus 5 USD/month and 1 per rule
}


def front_door_per_million(name: str = "cloudfront_function_url") -> float:
    """What one million requests cost at the front door (before the Lambda behind it)."""
    if name == "rest":
        return float(PRICES["api_gateway_rest_per_million"])
    if name == "http_api":
        return float(PRICES["api_gateway_http_per_million"])
    data_out = (
        PRICES["cloudfront_bytes_per_request"] * 1e6 / 1e9 * PRICES["cloudfront_data_out_per_gb"]
    )
    price = PRICES["cloudfront_https_per_million"] + data_out
    price += PRICES["lambda_function_url_per_million"]
    if name == "cloudfront_function_url_waf":
        price += PRICES["waf_per_million"]
    return float(price)


#: The front door in infra/template.yaml; ``usd_per_million_events`` prices this one.
AS_BUILT = "cloudfront_function_url"

#: Lambda gets one full vCPU at 1,769 MB and a proportional share below that.
FULL_VCPU_MB = 1769


#: The functions the bench prices, by the names ``.chalice/config.json`` gives them
#: (``ingest`` is the front door: the tracker's routes behind the function URL).
FUNCTION_NAMES = {
    "ingest": "front_door",
    "score_events": "score_events",
    "notify_hot_leads": "notify_hot_leads",
    "count_hits": "count_hits",
}


def function_memory() -> dict[str, dict[str, int]]:
    """Memory per stage and function from .chalice/config.json: the stage's own setting
    (``default``), and a function's where ``lambda_functions`` sets one."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    default = int(config.get("lambda_memory_size", 128))
    memory: dict[str, dict[str, int]] = {}
    for stage, values in config.get("stages", {}).items():
        stage_mb = int(values.get("lambda_memory_size", default))
        functions = values.get("lambda_functions", {})
        memory[stage] = {"default": stage_mb} | {
            priced: int(functions.get(name, {}).get("lambda_memory_size", stage_mb))
            for priced, name in FUNCTION_NAMES.items()
        }
    return memory


Memory = int | dict[str, int]


def _mb(memory: Memory, function: str) -> int:
    """A function's memory: one figure for all, or a stage's ``function_memory``."""
    if isinstance(memory, int):
        return memory
    return memory.get(function, memory["default"])


def _billed_gb_seconds(seconds: float, memory_mb: int) -> float:
    """One invocation: the local time scaled to the CPU share, billed per started ms."""
    scale = max(1.0, FULL_VCPU_MB / memory_mb)
    billed_ms = math.ceil(seconds * 1000 * scale)
    return billed_ms / 1000 * memory_mb / 1024


#: What one DynamoDB request adds to a handler's wall time on AWS, in the same region
#: (DynamoDB: "single-digit millisecond" latency; 5 ms is the conservative end).
DYNAMODB_LATENCY_SECONDS = 0.005

#: Which DynamoDB requests (``by_phase`` in the measured row) each function waits for.
PHASES = {
    "ingest": "ingest",
    "score_events": "scoring",
    "notify_hot_leads": "notify",
    "count_hits": "hits",
}
#: The stream consumers, in the order they are priced.
CONSUMERS = ("score_events", "notify_hot_leads", "count_hits")

#: The worst case the headline figure prices: the lowest traffic at which a million page
#: views are a month's bill (0.39 a second). Then no two page views share the scorer's
#: 1-second batch (assumed outright: the worst case), and the funnel's hit counter, whose
#: event source waits up to 300 seconds for a batch (infra/template.yaml), gets about 116
#: lead writes a window: its one invocation and one counter update are shared by them.
WORST_CASE_PAGE_VIEWS_PER_MONTH = 1_000_000
HITS_WINDOW_SECONDS = 300
HITS_WINDOW_EVENTS = round(WORST_CASE_PAGE_VIEWS_PER_MONTH / (30 * 86_400) * HITS_WINDOW_SECONDS)
#: The hit counter's batch size (app.py ``count_hits``): a full batch at high traffic.
HITS_BATCH = 1000


def _billed_on_aws(cpu_seconds: float, requests: float, memory_mb: int) -> float:
    """One invocation on AWS: this machine's CPU time scaled to the function's CPU share,
    plus DynamoDB's latency per request, billed per started ms."""
    scale = max(1.0, FULL_VCPU_MB / memory_mb)
    billed_ms = math.ceil((cpu_seconds * scale + requests * DYNAMODB_LATENCY_SECONDS) * 1000)
    return billed_ms / 1000 * memory_mb / 1024


def _gb_seconds(row: dict[str, Any], function: str, wall: float, memory: Memory) -> float:
    """A function's GB-seconds per invocation: from CPU time and requests when measured
    (the emulator here answers far slower than DynamoDB, and one request at a time, so its
    wall time would price moto, not AWS), else from the local wall time."""
    memory_mb = _mb(memory, function)
    cpu = row.get("cpu_seconds", {}).get(function)
    if cpu is None:
        return _billed_gb_seconds(wall, memory_mb)
    if function == "ingest":
        calls = float(row.get("api_requests", 1.0))
    else:
        calls = row.get("invocations", {}).get(function, 1.0)
    requests = row.get("by_phase", {}).get(PHASES[function], 0.0) / max(calls, 1e-9)
    return _billed_on_aws(cpu, requests, memory_mb)


def per_million(
    row: dict[str, Any], api_seconds: float, memory_mb: Memory, api_price: float | None = None
) -> dict[str, float]:
    """USD per million page views (events) for one measured row.

    ``row["api_requests"]`` (default 1) is the front-door requests per event: a session's
    beacons carry several events each.
    """
    invocations = row["invocations"]
    seconds = row["seconds"]
    api_requests = float(row.get("api_requests", 1.0))
    gb_seconds = api_requests * _gb_seconds(row, "ingest", api_seconds, memory_mb)
    for function in CONSUMERS:
        if invocations.get(function):
            gb_seconds += invocations[function] * _gb_seconds(
                row, function, seconds.get(function, 0.0), memory_mb
            )
    requests = api_requests + sum(invocations.get(f, 0.0) for f in CONSUMERS)
    parts = {
        "front_door": api_requests
        * (api_price if api_price is not None else front_door_per_million(AS_BUILT)),
        "lambda_requests": requests * PRICES["lambda_per_million_requests"],
        "lambda_duration": gb_seconds * 1e6 * PRICES["lambda_per_gb_second"],
        "dynamodb_reads": row["rru"] * PRICES["dynamodb_per_million_rru"],
        "dynamodb_writes_table": row["wru_table"] * PRICES["dynamodb_per_million_wru"],
        "dynamodb_writes_indexes": row["wru_gsi"] * PRICES["dynamodb_per_million_wru"],
        "sns": row.get("sns_publishes", 0.0) * PRICES["sns_per_million_publishes"],
    }
    parts = {k: round(v, 3) for k, v in parts.items()}
    parts["total"] = round(sum(parts.values()), 2)
    return parts


def _units(size: int, per: int) -> int:
    return max(1, math.ceil(size / per))


def what_if(row: dict[str, Any], api_seconds: float, memory_mb: Memory) -> list[dict[str, Any]]:
    """The same hit under cumulative design changes, each priced (evidence for the doc)."""
    writes = {k: dict(v) for k, v in row["writes_by_kind"].items()}
    reads = {k: dict(v) for k, v in row["reads_by_kind"].items()}
    scenarios = []

    def priced(name: str, api_price: float | None = None) -> None:
        variant = variant_of(row, writes, reads)
        cost = per_million(variant, api_seconds, memory_mb, api_price)
        scenarios.append(
            {
                "change": name,
                "wru": round(variant["wru_table"] + variant["wru_gsi"], 2),
                "rru": round(variant["rru"], 2),
                "usd_per_million": cost["total"],
            }
        )

    priced("before: API Gateway REST API in front", front_door_per_million("rest"))
    priced("an API Gateway HTTP API in front instead", front_door_per_million("http_api"))
    priced("as built: CloudFront + Lambda function URL")
    priced(
        "as built, with the optional WAF web ACL",
        front_door_per_million("cloudfront_function_url_waf"),
    )
    quiet = hits_window(variant_of(row, writes, reads), QUIET_SITE_WINDOW_EVENTS)
    cost = per_million(quiet, api_seconds, memory_mb)
    scenarios.append(
        {
            "change": "as built, on a site 10 times quieter (100,000 page views a month): "
            f"the hit counter's window holds {QUIET_SITE_WINDOW_EVENTS} page views",
            "wru": round(quiet["wru_table"] + quiet["wru_gsi"], 2),
            "rru": round(quiet["rru"], 2),
            "usd_per_million": cost["total"],
        }
    )
    busy = batched(variant_of(row, writes, reads), SCORER_BATCH)
    cost = per_million(busy, api_seconds, memory_mb)
    scenarios.append(
        {
            "change": f"as built, at high traffic: a full stream batch ({SCORER_BATCH} records) "
            f"shares one scorer invocation, a full hit-counter batch ({HITS_BATCH}) one "
            "counter update",
            "wru": round(busy["wru_table"] + busy["wru_gsi"], 2),
            "rru": round(busy["rru"], 2),
            "usd_per_million": cost["total"],
        }
    )
    return scenarios


#: A window at a tenth of the worst case's traffic (for the what-if only).
QUIET_SITE_WINDOW_EVENTS = round(HITS_WINDOW_EVENTS / 10)


def hits_window(row: dict[str, Any], window: int) -> dict[str, Any]:
    """The same page view when the hit counter's window holds ``window`` page views instead
    of ``HITS_WINDOW_EVENTS``: its per-window invocation and counter update scale."""
    scale = HITS_WINDOW_EVENTS / window
    varied = dict(row)
    funnel = row["writes_by_kind"].get("funnel", {"wru": 0.0})
    varied["wru_table"] = row["wru_table"] + funnel["wru"] * (scale - 1)
    varied["invocations"] = {
        **row["invocations"],
        "count_hits": row["invocations"].get("count_hits", 0.0) * scale,
    }
    per_record = row.get("cpu_seconds", {}).get("count_hits", 0.0) / HITS_WINDOW_EVENTS
    varied["cpu_seconds"] = {**row.get("cpu_seconds", {}), "count_hits": per_record * window}
    per_record_wall = row.get("seconds", {}).get("count_hits", 0.0) / HITS_WINDOW_EVENTS
    varied["seconds"] = {**row["seconds"], "count_hits": per_record_wall * window}
    if "by_phase" in row:
        varied["by_phase"] = {
            **row["by_phase"],
            "hits": row["by_phase"].get("hits", 0.0) * scale,
        }
    return varied


#: The events stream's batch size (app.py ``score_events``, infra/template.yaml).
SCORER_BATCH = 100  # of the up to 500 a batch may hold (app.py): a conservative "full"


def variant_of(
    row: dict[str, Any], writes: dict[str, Any], reads: dict[str, Any]
) -> dict[str, Any]:
    variant = dict(row)
    variant["writes_by_kind"] = writes
    variant["wru_table"] = sum(w["wru"] for w in writes.values())
    variant["wru_gsi"] = sum(w["gsi_wru"] for w in writes.values())
    variant["rru"] = sum(r["rru"] for r in reads.values())
    return variant


def batched(row: dict[str, Any], records: int) -> dict[str, Any]:
    """The same page view when its stream batches are full: what is paid once per batch
    (the scorer's invocation) is shared by ``records`` page views, and the hit counter's
    invocation and counter update by its full batch (``HITS_BATCH``). Per-lead writes
    stay: one person's page views seconds apart rarely share a batch."""
    busy = hits_window(row, HITS_BATCH)
    busy["invocations"] = {
        **busy["invocations"],
        "score_events": row["invocations"]["score_events"] / records,
    }
    # The scorer's time per page view stays (it scales with the records it scores).
    busy["seconds"] = {
        **busy["seconds"],
        "score_events": row["seconds"]["score_events"] * records,
    }
    if "cpu_seconds" in row:
        busy["cpu_seconds"] = {
            **busy["cpu_seconds"],
            "score_events": row["cpu_seconds"]["score_events"] * records,
        }
    return busy


def floor_cost(api_seconds: float, memory_mb: Memory) -> dict[str, float]:
    """The design's floor: the link read, the event's write, the lead's read and one
    conditional write of a lead item under 1 KB; one scorer invocation, no notifier."""
    row = {
        "invocations": {"score_events": 1, "notify_hot_leads": 0},
        "seconds": {"score_events": 0.005},
        "rru": 0.5 + 1.0,  # eventually consistent link read, consistent lead read
        "wru_table": 1 + 1,  # the event; the lead (no transaction, no ledger item)
        "wru_gsi": 0.0,
    }
    return per_million(row, api_seconds, memory_mb)
