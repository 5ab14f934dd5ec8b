"""Cold import of the Lambda entry module against the libraries it is built on.

Each sample is a fresh interpreter (``python -c ...``, the .pyc files already written) that
imports one thing and reports wall and CPU time of the import alone; samples of
the app and of the libraries alternate, so a busy machine slows both alike. The
figure is the median; the ratio is what our own code adds to a cold start.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(os.environ.get("BENCH_ROOT") or Path(__file__).resolve().parents[2])
LIBRARIES = "import boto3, pydantic, aws_lambda_powertools, chalice"
APP = "import app"
RUNS = 15

#: What a deployed function has in its environment (names only; nothing is called).
LAMBDA_ENV = {
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
    "TRECHTER_STAGE": "bench",
    "LEADS_TABLE": "trechter-bench-leads",
    "EVENTS_TABLE": "trechter-bench-events",
    "QUARANTINE_TABLE": "trechter-bench-quarantine",
    "IDEMPOTENCY_TABLE": "trechter-bench-idempotency",
    "HOT_LEADS_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:trechter-bench-hot-leads",
    "EVENTS_STREAM_ARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/"
    "trechter-bench-events/stream/2026-01-01T00:00:00.000",
    "LEADS_STREAM_ARN": "arn:aws:dynamodb:eu-west-1:123456789012:table/"
    "trechter-bench-leads/stream/2026-01-01T00:00:00.000",
    "API_KEYS_PARAM": "/trechter/bench/api-keys",
    "LINK_SIGNING_SECRET_PARAM": "/trechter/bench/link-signing-secrets",
    "POWERTOOLS_SERVICE_NAME": "trechter",
    "POWERTOOLS_METRICS_NAMESPACE": "Trechter",
    "LOG_LEVEL": "INFO",
}

_PROBE = """
import resource, sys, time
wall, cpu = time.perf_counter(), time.process_time()
exec(sys.argv[1])
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f'{{"wall": {wall}, "cpu": {cpu}, "rss_mb": {rss}}}')
"""


def _sample(statement: str) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env.update(LAMBDA_ENV)
    answer = subprocess.run(
        [sys.executable, "-c", _PROBE, statement],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(answer.stdout.strip().splitlines()[-1]))


def _modules(statement: str) -> list[str]:
    """The modules ``statement`` loads (for the report: what a cold start pays for)."""
    code = (
        f"import sys; before = set(sys.modules); {statement}; print(len(set(sys.modules) - before))"
    )
    env = {**os.environ, **LAMBDA_ENV}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def run(runs: int = RUNS) -> dict[str, Any]:
    _sample(APP)  # compile .pyc files first: a deployed bundle ships them warm on disk
    _sample(LIBRARIES)
    app: list[dict[str, float]] = []
    libraries: list[dict[str, float]] = []
    for _ in range(runs):
        app.append(_sample(APP))
        libraries.append(_sample(LIBRARIES))

    def median(samples: list[dict[str, float]], key: str) -> float:
        return statistics.median(s[key] for s in samples)

    app_wall, lib_wall = median(app, "wall"), median(libraries, "wall")
    app_cpu, lib_cpu = median(app, "cpu"), median(libraries, "cpu")
    return {
        "import_seconds_app": round(app_wall, 4),
        "import_seconds_baseline": round(lib_wall, 4),
        "import_ratio": round(app_wall / lib_wall, 3),
        "peak_rss_mb_app": round(median(app, "rss_mb"), 1),
        "import_detail": {
            "runs": runs,
            "cpu_seconds_app": round(app_cpu, 4),
            "cpu_seconds_baseline": round(lib_cpu, 4),
            "cpu_ratio": round(app_cpu / lib_cpu, 3),
            "peak_rss_mb_baseline": round(median(libraries, "rss_mb"), 1),
            "modules_app": int(_modules(APP)[0]),
            "modules_baseline": int(_modules(LIBRARIES)[0]),
            "app_statement": APP,
            "baseline_statement": LIBRARIES,
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
