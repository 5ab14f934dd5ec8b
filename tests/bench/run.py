"""`make bench`: every benchmark, a table, and dist/bench.json (docs/PERFORMANCE.md).

Each benchmark runs in its own interpreter, so one's environment (an emulator's
endpoint, imported modules) never leaks into another's figures. Their standard
output (the app's metric and log lines) is discarded; a failure shows its stderr.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.bench import cost

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "dist" / "bench.json"
BENCHES = ("bench_scorer", "bench_import", "bench_ddb", "bench_scale", "bench_e2e")
#: ``make bench QUICK=1``: the request counts, the cost model and the scale figures only.
QUICK = ("bench_ddb", "bench_scale")

_CHILD = """
import json, sys
from importlib import import_module
result = import_module("tests.bench." + sys.argv[1]).run()
with open(sys.argv[2], "w") as handle:
    json.dump(result, handle)
"""


def _run_child(name: str) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        target = handle.name
    began = time.perf_counter()
    print(f"[bench] {name} ...", flush=True)
    answer = subprocess.run(
        [sys.executable, "-c", _CHILD, name, target],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if answer.returncode != 0:
        sys.stderr.write(answer.stderr[-6000:])
        raise SystemExit(f"[bench] {name} failed (exit {answer.returncode})")
    result: dict[str, Any] = json.loads(Path(target).read_text())
    os.unlink(target)
    print(f"[bench] {name} done in {time.perf_counter() - began:.0f} s", flush=True)
    return result


def _costs(results: dict[str, Any]) -> dict[str, Any]:
    detail = results["ddb_detail"]
    api_seconds = results["handler_seconds_per_request"]["tracker_1"]
    memory = cost.function_memory()
    typical = detail["history_100"]
    by_stage = {stage: cost.per_million(typical, api_seconds, mb) for stage, mb in memory.items()}
    prod = memory.get("prod") or max(memory.values(), key=lambda m: m["default"])
    session = cost.per_million(results["session_detail"], api_seconds, prod)
    return {
        "usd_per_million_events": by_stage["prod"]["total"]
        if "prod" in by_stage
        else max(v["total"] for v in by_stage.values()),
        "usd_per_million_events_session": session["total"],
        "cost_detail": {
            "basis": "history_100 row; one front-door request (CloudFront + Lambda function "
            "URL, as in infra/template.yaml), one scorer invocation per page view (no "
            "batching: the worst case), the notifier invocations the leads stream's filter "
            "lets through, as counted; the funnel's hit counter (one invocation and one "
            f"counter update per 5-minute window) shared by the {cost.HITS_WINDOW_EVENTS} "
            "page views of a window at a million page views a month, the lowest traffic "
            "that makes a million a month's bill",
            "busy_prod": cost.per_million(
                cost.batched(typical, cost.SCORER_BATCH), api_seconds, prod
            ),
            "front_door": cost.AS_BUILT,
            "front_door_usd_per_million_requests": round(cost.front_door_per_million(), 3),
            "session_prod": session,
            "rest_api_prod": cost.per_million(
                typical, api_seconds, prod, cost.front_door_per_million("rest")
            ),
            "memory_mb": memory,
            "by_stage": by_stage,
            "by_history_prod": {
                name: cost.per_million(row, api_seconds, prod)["total"]
                for name, row in detail.items()
            },
            "what_if_prod": cost.what_if(typical, api_seconds, prod),
            "floor_prod": cost.floor_cost(api_seconds, prod),
            "prices": cost.PRICES,
        },
    }


def _table(results: dict[str, Any]) -> str:
    ddb = results["ddb_requests_per_event"]
    handlers = results["handler_seconds_per_request"]
    if "import_seconds_app" not in results:  # quick mode
        return json.dumps(
            {
                k: results[k]
                for k in (
                    "ddb_requests_per_event",
                    "wru_per_event",
                    "usd_per_million_events",
                    "usd_per_million_events_session",
                    "scale",
                )
            },
            indent=2,
        )
    rows = [
        ("DynamoDB requests per page view, history 1", f"{ddb['history_1']:.2f}", "<= 4"),
        ("  ... history 100", f"{ddb['history_100']:.2f}", "<= 4, flat"),
        ("  ... history 10,000", f"{ddb['history_10000']:.2f}", "<= 4, flat"),
        ("  floor the design allows", f"{results['floor_requests_per_event']}", ""),
        (
            "cold import of app / libraries (s)",
            f"{results['import_seconds_app']:.3f} / {results['import_seconds_baseline']:.3f}"
            f"  ({results['import_ratio']:.2f}x)",
            "<= 1.3x",
        ),
        ("peak RSS after importing app (MB)", f"{results['peak_rss_mb_app']:.0f}", ""),
        (
            "scorer events per second (one core)",
            f"{results['scorer_events_per_second']:,}",
            ">= 50,000",
        ),
        ("pixel (ms per request)", f"{handlers['pixel'] * 1000:.1f}", ""),
        ("tracker beacon, 20 events (ms)", f"{handlers['tracker_batch_20'] * 1000:.1f}", ""),
        ("form submission (ms)", f"{handlers['form_submission'] * 1000:.1f}", ""),
        ("no-op Chalice route (ms)", f"{results['noop_seconds_per_request'] * 1000:.2f}", ""),
        (
            "end to end, tracker POST -> SQS p50 / p95 (s)",
            f"{results['e2e_latency_seconds_p50']:.2f} / {results['e2e_latency_seconds_p95']:.2f}",
            "< 3",
        ),
        ("USD per million page views (prod)", f"{results['usd_per_million_events']:.2f}", "<= 5"),
        (
            "  ... a 6-event session in 3 beacons",
            f"{results['usd_per_million_events_session']:.2f}",
            "",
        ),
        (
            "WRU per page view, history 1 / 100 / 10,000",
            " / ".join(f"{v:.1f}" for v in results["wru_per_event"].values()),
            "",
        ),
        (
            "hottest key at 10,000 page views/s (WCU/s, RCU/s)",
            f"{results['scale']['hottest_key_wcu_per_second']:,.0f}, "
            f"{results['scale']['hottest_key_rcu_per_second']:,.0f}",
            "<= 1,000, <= 3,000",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    lines = [f"{'figure':<{width}}  {'measured':>24}  goal", "-" * (width + 34)]
    lines += [f"{name:<{width}}  {value:>24}  {goal}" for name, value, goal in rows]
    return "\n".join(lines)


def main() -> None:
    began = time.perf_counter()
    results: dict[str, Any] = {}
    quick = "--quick" in sys.argv[1:]
    for name in QUICK if quick else BENCHES:
        results.update(_run_child(name))
    results.update(_costs(results))
    results["machine"] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "seconds": round(time.perf_counter() - began, 1),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    results["machine"]["quick"] = quick
    out = OUT.with_name("bench-quick.json") if quick else OUT
    OUT.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print()
    print(_table(results))
    print(f"\n[bench] wrote {out.relative_to(ROOT)} in {results['machine']['seconds']:.0f} s")


if __name__ == "__main__":
    main()
