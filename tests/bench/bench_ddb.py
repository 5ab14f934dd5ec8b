"""DynamoDB requests per tracked page view, handler times and the cold first request.

The real path, in process: the Chalice app through ``chalice.test.Client``, against
the local emulator (moto in server mode, ``infra.emulator``, in its own process), the
events and leads streams read with the ``dynamodbstreams`` API and handed to
``app.score_events``, ``app.notify_hot_leads`` and ``app.count_hits`` as Lambda delivers
them (each leads-stream reader gets only the records its deployed event source mapping's
filter lets through).

A lead is identified by a demo-form post, its anonymous id linked, and its history
written straight into the events table and scored through the stream (none of that
is counted). Then each measured hit is one tracker beacon with one page view for the
known anonymous id; every DynamoDB request the app makes for it (ingest, scoring,
notification checks) is counted by ``capacity.Meter``'s botocore hooks. The funnel's hit
counter reads the leads stream in windows of up to five minutes: the measured hits' lead
writes are handed to it as one batch, whose cost is shared by the page views of a window
(``cost.HITS_WINDOW_EVENTS``; ``hit_counter`` in each row says how).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.bench.capacity import Index, Meter, summarise
from tests.bench.cost import HITS_WINDOW_EVENTS
from tests.bench.workload import BROWSER_UA, SITE, history_for

ROOT = Path(__file__).resolve().parents[2]
STAGE = "bench"
HISTORIES = (1, 100, 10_000)
HITS = 12  # counted hits per history size
TIMED_HITS = 30  # timed (uncounted) hits per history size
PAGES = (
    "/articles/itsm/why-itil",
    "/pricing",
    "/articles/security/iso27001-basics",
    "/",
    "/articles/itsm/incident-vs-problem",
    "/about",
    "/blog/cloud/saas-or-on-premises",
    "/docs/setup",
)
API_KEY = "bench-key"


def _projected(projection: dict[str, Any]) -> tuple[str, ...] | None:
    """What an index stores besides the keys: INCLUDE's list, nothing for KEYS_ONLY, or
    None for ALL. A KEYS_ONLY index is written only when its key changes."""
    kind = projection["ProjectionType"]
    if kind == "INCLUDE":
        return tuple(projection["NonKeyAttributes"])
    return () if kind == "KEYS_ONLY" else None


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + f".{int(epoch % 1 * 1000):03d}Z"


class Bench:
    """The app in process on the emulator, with stream taps and a request meter."""

    def __init__(self) -> None:
        from infra.local_stack import create_resources, free_port, start_emulator

        port = free_port()
        self.emulator = start_emulator(port)
        self.endpoint = f"http://127.0.0.1:{port}"
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": "bench",
                "AWS_DEFAULT_REGION": "eu-west-1",
                "AWS_REGION": "eu-west-1",
            }
        )
        self.resources = create_resources(STAGE)
        os.environ.update(self.resources)
        os.environ.update(
            {
                "TRECHTER_STAGE": STAGE,
                "API_KEYS": API_KEY,
                "LINK_SIGNING_SECRETS": "bench-signing-secret-0123456789",
                "ALLOWED_ORIGINS": SITE,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true",
                "LOG_LEVEL": "WARNING",
                # The benchmark is one client hammering the API: keep the abuse limits out.
                "RATE_LIMIT_PER_IP_PER_MINUTE": "1000000",
                "RATE_LIMIT_PER_FORM_PER_MINUTE": "1000000",
                "MAX_LEADS_PER_ANONYMOUS_ID_PER_HOUR": "1000000",
            }
        )
        sys.path.insert(0, str(ROOT))
        import boto3
        from chalice.test import Client

        import app as application
        from chalicelib.adapters.aws import dynamodb_client, sns_client
        from chalicelib.adapters.dynamodb import DynamoEventStore, DynamoLeadStore
        from chalicelib.wiring import get_services
        from infra.definitions import dynamodb_tables

        self.app = application
        self.services = get_services()
        settings = self.services.settings
        self.client = dynamodb_client(settings.region)
        self.shadow = boto3.client("dynamodb", region_name="eu-west-1")
        indexes = {
            t["TableName"]: [
                Index(
                    i["IndexName"],
                    tuple(k["AttributeName"] for k in i["KeySchema"]),
                    _projected(i["Projection"]),
                )
                for i in t.get("GlobalSecondaryIndexes", [])
            ]
            for t in dynamodb_tables(STAGE)
        }
        self.meter = Meter(self.client, self.shadow, indexes)
        self.publishes: dict[str, int] = {}
        sns_client(settings.region).meta.events.register("after-call.sns.Publish", self._publish)
        self.streams = boto3.client("dynamodbstreams", region_name="eu-west-1")
        self.taps = {
            "events": self._latest(self.resources["EVENTS_STREAM_ARN"]),
            "leads": self._latest(self.resources["LEADS_STREAM_ARN"]),
        }
        events = DynamoEventStore(self.shadow, settings.events_table, 395)
        self.seed_events = events
        self.seed_leads = DynamoLeadStore(self.shadow, settings.leads_table, events)
        self._project = tempfile.TemporaryDirectory()
        config = Path(self._project.name, ".chalice")
        config.mkdir()
        (config / "config.json").write_text(
            json.dumps({"version": "2.0", "app_name": "trechter", "stages": {"dev": {}}})
        )
        self.http = Client(application.app, project_dir=self._project.name).http
        self.invocations = {"score_events": 0, "notify_hot_leads": 0, "count_hits": 0}
        self.records = {"events": 0, "leads": 0, "leads_profile": 0}
        #: Leads-stream records for the hit counter, held back while a window is measured.
        self.hold_hits = False
        self.held_hits: list[dict[str, Any]] = []

    def close(self) -> None:
        self.meter.close()
        self.emulator.terminate()
        try:
            self.emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.emulator.kill()
        self._project.cleanup()

    # -- plumbing ------------------------------------------------------------------------

    def _publish(self, **_: Any) -> None:
        self.publishes[self.meter.phase] = self.publishes.get(self.meter.phase, 0) + 1

    def _latest(self, arn: str) -> dict[str, Any]:
        shard = self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator = self.streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
        )["ShardIterator"]
        return {"arn": arn, "iterator": iterator}

    def _read(self, name: str) -> list[dict[str, Any]]:
        tap = self.taps[name]
        records: list[dict[str, Any]] = []
        while True:
            answer = self.streams.get_records(ShardIterator=tap["iterator"], Limit=1000)
            tap["iterator"] = answer["NextShardIterator"]
            if not answer["Records"]:
                return records
            records += [dict(r) for r in answer["Records"]]

    def pump(
        self,
        timings: dict[str, list[float]] | None = None,
        cpu: dict[str, list[float]] | None = None,
    ) -> None:
        """Deliver new stream records to the handlers, as Lambda's event source mappings do."""
        from infra.local_stack import FakeLambdaContext, lambda_record

        while True:
            events = self._read("events")
            self.records["events"] += len(events)
            for start in range(0, len(events), 100):
                self.meter.phase = "scoring"
                batch = [
                    lambda_record(r, self.taps["events"]["arn"])
                    for r in events[start : start + 100]
                ]
                began, began_cpu = time.perf_counter(), time.process_time()
                answer = self.app.score_events({"Records": batch}, FakeLambdaContext("score"))
                if timings is not None:
                    timings["score_events"].append(time.perf_counter() - began)
                if cpu is not None:
                    cpu["score_events"].append(time.process_time() - began_cpu)
                self.invocations["score_events"] += 1
                if answer.get("batchItemFailures"):
                    raise RuntimeError(f"scoring failed: {answer}")
            leads = self._read("leads")
            self.records["leads"] += len(leads)
            # The deployed mapping filters on sk = PROFILE (infra/template.yaml).
            profiles = [
                r
                for r in leads
                if r["dynamodb"]["Keys"]["sk"]["S"] == "PROFILE"
                and "scored_only" not in r["dynamodb"].get("NewImage", {})
            ]
            self.records["leads_profile"] += len(profiles)
            for start in range(0, len(profiles), 50):
                self.meter.phase = "notify"
                batch = [
                    lambda_record(r, self.taps["leads"]["arn"])
                    for r in profiles[start : start + 50]
                ]
                began, began_cpu = time.perf_counter(), time.process_time()
                self.app.notify_hot_leads({"Records": batch}, FakeLambdaContext("notify"))
                if timings is not None:
                    timings["notify_hot_leads"].append(time.perf_counter() - began)
                if cpu is not None:
                    cpu["notify_hot_leads"].append(time.process_time() - began_cpu)
                self.invocations["notify_hot_leads"] += 1
            # The hit counter's filter: profile records that carry hits.
            counted = [
                r
                for r in leads
                if r["dynamodb"]["Keys"]["sk"]["S"] == "PROFILE"
                and "hits" in r["dynamodb"].get("NewImage", {})
            ]
            self.held_hits += counted
            if not self.hold_hits:
                self.count_hits()
            if not events and not leads:
                return

    def count_hits(self) -> dict[str, float]:
        """Hand the held leads records to the hit counter as one batch; its CPU and wall time."""
        from infra.local_stack import FakeLambdaContext, lambda_record

        records, self.held_hits = self.held_hits, []
        if not records:
            return {"cpu": 0.0, "wall": 0.0, "records": 0}
        self.meter.phase = "hits"
        batch = [lambda_record(r, self.taps["leads"]["arn"]) for r in records]
        began, began_cpu = time.perf_counter(), time.process_time()
        answer = self.app.count_hits({"Records": batch}, FakeLambdaContext("count_hits"))
        cpu, wall = time.process_time() - began_cpu, time.perf_counter() - began
        self.invocations["count_hits"] += 1
        if answer.get("batchItemFailures"):
            raise RuntimeError(f"counting hits failed: {answer}")
        return {"cpu": cpu, "wall": wall, "records": len(records)}

    def measure_hit_batch(self) -> tuple[dict[str, Any], dict[str, float]]:
        """Count the held window's hits as one batch: its counted requests, and its times."""
        self.meter.take()
        self.meter.enabled = True
        timing = self.count_hits()
        self.meter.enabled = False
        self.hold_hits = False
        return summarise(self.meter.take(), 1), timing

    @staticmethod
    def hit_counter_share(
        summary: dict[str, Any], batch: dict[str, Any], timing: dict[str, float]
    ) -> None:
        """Add the hit counter's share to a per-event row.

        The measured batch holds the row's lead writes; on AWS a window holds
        ``HITS_WINDOW_EVENTS`` page views (the worst case: a million a month), so its one
        invocation and counter update are shared by that many, and its CPU time (a few
        microseconds a record) by each.
        """
        share = 1 / HITS_WINDOW_EVENTS
        records = max(int(timing["records"]), 1)
        summary["hit_counter"] = {
            "records_in_measured_batch": timing["records"],
            "window_events": HITS_WINDOW_EVENTS,
            "per_batch": {k: batch[k] for k in ("requests", "rru", "wru_table", "by_operation")},
            "cpu_seconds_per_record": round(timing["cpu"] / records, 7),
        }
        summary["requests"] = round(summary["requests"] + batch["requests"] * share, 3)
        summary["by_phase"]["hits"] = round(batch["requests"] * share, 4)
        summary["rru"] = round(summary["rru"] + batch["rru"] * share, 4)
        summary["wru_table"] = round(summary["wru_table"] + batch["wru_table"] * share, 4)
        for kind, row in batch["writes_by_kind"].items():
            shared = {k: (v if k == "bytes" else round(v * share, 4)) for k, v in row.items()}
            summary["writes_by_kind"][kind] = shared
        summary.setdefault("invocations", {})["count_hits"] = round(share, 5)
        # One window's invocation: the batch's CPU time per record times the window.
        summary.setdefault("cpu_seconds", {})["count_hits"] = round(
            timing["cpu"] / records * HITS_WINDOW_EVENTS, 6
        )
        summary.setdefault("seconds", {})["count_hits"] = round(
            timing["wall"] / records * HITS_WINDOW_EVENTS, 6
        )

    def post(self, path: str, body: Any, content_type: str = "application/json") -> Any:
        answer = self.http.post(
            path,
            headers={"user-agent": BROWSER_UA, "content-type": content_type, "origin": SITE},
            body=json.dumps(body),
        )
        if answer.status_code >= 300:
            raise RuntimeError(f"POST {path}: {answer.status_code} {answer.body[:300]!r}")
        return answer

    def front_door(self, path: str, body: Any) -> None:
        """POST a beacon the way it is deployed: a function URL's payload-2.0 event to
        ``app.front_door`` (infra/template.yaml "Front door"), not the local gateway."""
        from infra.local_stack import FakeLambdaContext

        headers = {
            "user-agent": BROWSER_UA,
            "content-type": "text/plain",
            "origin": SITE,
            "host": "bench.lambda-url.eu-west-1.on.aws",
        }
        event = {
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": path,
            "rawQueryString": "",
            "headers": headers,
            "requestContext": {
                "domainName": headers["host"],
                "http": {
                    "method": "POST",
                    "path": path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": "192.0.2.10",
                    "userAgent": BROWSER_UA,
                },
                "requestId": uuid.uuid4().hex,
                "routeKey": "$default",
                "stage": "$default",
            },
            "body": json.dumps(body),
            "isBase64Encoded": False,
        }
        answer = self.app.front_door(event, FakeLambdaContext("front_door"))
        if answer["statusCode"] >= 300:
            raise RuntimeError(f"POST {path}: {answer['statusCode']} {answer['body'][:300]!r}")

    def session_beacon(self, aid: str, events: list[dict[str, Any]]) -> None:
        now = time.time()
        body = {
            "anonymous_id": aid,
            "sent_at": _iso(now),
            "events": [{**e, "ts": _iso(now - 0.2), "referrer": SITE + "/"} for e in events],
        }
        self.front_door("/v1/t/events", body)

    def beacon(self, aid: str, pages: list[str]) -> None:
        now = time.time()
        events = [
            {
                "type": "page_view",
                "url": SITE + page,
                "ts": _iso(now - 0.2),
                "title": page.rsplit("/", 1)[-1].replace("-", " ").title() or "Home",
                "referrer": SITE + "/",
            }
            for page in pages
        ]
        body = {"anonymous_id": aid, "sent_at": _iso(now), "events": events}
        self.front_door("/v1/t/events", body)

    def form(self, email: str, aid: str | None = None) -> str:
        body = {
            "email": email,
            "first_name": "Eva",
            "last_name": "de Vries",
            "company": "Bench Example",
            "job_title": "IT manager",
            "company_size": 400,
            "country": "NL",
            "phone": "+31 20 123 4567",
            "page_url": SITE + "/demo/",
        }
        if aid:
            body["anonymous_id"] = aid
        return str(self.post("/v1/forms/demo/submissions", body).json_body["lead_id"])

    # -- the lead under test ---------------------------------------------------------------

    def lead_with_history(self, events: int) -> tuple[str, str]:
        """A demo-form lead with ``events`` events in all (the form's own included)."""
        aid = f"bench-{events}-{uuid.uuid4().hex[:12]}"
        lead_id = self.form(f"eva.{events}.{uuid.uuid4().hex[:8]}@bench-example.nl")
        self.seed_leads.link_anonymous_id(aid, lead_id, replace=True)
        history = history_for(lead_id, events - 1, end=time.time() - 300)
        for start in range(0, len(history), 1000):
            self.seed_events.put_events(history[start : start + 1000])
            self.pump()
        self.pump()
        return aid, lead_id

    # -- the measurements ----------------------------------------------------------------

    def count(self, history: int) -> dict[str, Any]:
        aid, lead_id = self.lead_with_history(history)
        self.publishes.clear()
        invocations = dict(self.invocations)
        records = dict(self.records)
        self.meter.take()
        self.meter.enabled = True
        self.hold_hits = True
        for hit in range(HITS):
            self.meter.phase = "ingest"
            self.beacon(aid, [PAGES[hit % len(PAGES)]])
            self.pump()
        self.meter.enabled = False
        summary = summarise(self.meter.take(), HITS)
        summary["stream_records"] = {k: (self.records[k] - records[k]) / HITS for k in self.records}
        summary["invocations"] = {
            k: (self.invocations[k] - invocations[k]) / HITS for k in self.invocations
        }
        summary["sns_publishes"] = sum(self.publishes.values()) / HITS
        hit_batch = self.measure_hit_batch()
        # A scorer container that has not seen this lead yet reads its company separately.
        self.services.scoring._domains.clear()
        self.meter.enabled = True
        self.meter.phase = "ingest"
        self.beacon(aid, [PAGES[0]])
        self.pump()
        self.meter.enabled = False
        summary["requests_first_hit_in_new_scorer_container"] = summarise(self.meter.take(), 1)[
            "requests"
        ]
        # Timing, without the meter's extra reads.
        timings: dict[str, list[float]] = {"ingest": [], "score_events": [], "notify_hot_leads": []}
        cpu: dict[str, list[float]] = {"ingest": [], "score_events": [], "notify_hot_leads": []}
        for hit in range(TIMED_HITS):
            began, began_cpu = time.perf_counter(), time.process_time()
            self.beacon(aid, [PAGES[hit % len(PAGES)]])
            timings["ingest"].append(time.perf_counter() - began)
            cpu["ingest"].append(time.process_time() - began_cpu)
            self.pump(timings, cpu)
        summary["seconds"] = {k: round(statistics.median(v), 5) for k, v in timings.items() if v}
        # This process's CPU time (the emulator runs in its own): what the handler computes.
        summary["cpu_seconds"] = {k: round(statistics.median(v), 5) for k, v in cpu.items() if v}
        self.hit_counter_share(summary, *hit_batch)
        summary["lead_id"] = lead_id
        summary["lead_item"] = self.lead_item_sizes(lead_id)
        return summary

    def session(self, timing: dict[str, float], cpu: dict[str, float]) -> dict[str, Any]:
        """A realistic visit: 5 page views and an in-article click within 2 minutes, sent in
        3 beacons (the tracker flushes a page's events together), each its own stream batch
        (low traffic). Counted per event; Lambda times are the history-100 row's."""

        def view(page: str) -> dict[str, Any]:
            return {"type": "page_view", "url": SITE + page, "title": page.rsplit("/", 1)[-1]}

        click = {
            "type": "link_click",
            "url": SITE + PAGES[0],
            "properties": {"in_article": True, "target_url": SITE + "/docs/setup"},
        }
        beacons = [
            [view(PAGES[0]), view(PAGES[4])],
            [view(PAGES[1]), view(PAGES[2]), click],
            [view(PAGES[3])],
        ]
        events = sum(len(b) for b in beacons)
        aid, lead_id = self.lead_with_history(100)
        self.publishes.clear()
        invocations = dict(self.invocations)
        self.meter.take()
        self.meter.enabled = True
        self.hold_hits = True
        for beacon in beacons:
            self.meter.phase = "ingest"
            self.session_beacon(aid, beacon)
            self.pump()
        self.meter.enabled = False
        summary = summarise(self.meter.take(), events)
        summary["events"] = events
        summary["api_requests"] = len(beacons) / events
        summary["invocations"] = {
            k: (self.invocations[k] - invocations[k]) / events for k in self.invocations
        }
        summary["sns_publishes"] = sum(self.publishes.values()) / events
        summary["seconds"] = dict(timing)
        summary["cpu_seconds"] = dict(cpu)
        self.hit_counter_share(summary, *self.measure_hit_batch())
        summary["lead_id"] = lead_id
        return summary

    def lead_item_sizes(self, lead_id: str) -> dict[str, int]:
        """The lead item's size, and what it would be with its score state compressed."""
        import zlib

        from tests.bench.capacity import attribute_size, item_size

        item = self.shadow.get_item(
            TableName=self.services.settings.leads_table,
            Key={"pk": {"S": f"LEAD#{lead_id}"}, "sk": {"S": "PROFILE"}},
        )["Item"]
        stored = item["scoring_state"]
        state = stored["B"] if "B" in stored else zlib.compress(stored["S"].encode(), 6)
        compressed = len("scoring_state") + len(state)
        return {
            "bytes": item_size(item),
            "scoring_state_bytes": attribute_size(item["scoring_state"]),
            "reasons_bytes": attribute_size(item.get("reasons", {"S": ""})),
            "bytes_if_state_compressed": item_size(item)
            - len("scoring_state")
            - attribute_size(item["scoring_state"])
            + compressed,
            "by_attribute": dict(
                sorted(
                    ((name, len(name) + attribute_size(value)) for name, value in item.items()),
                    key=lambda pair: -pair[1],
                )
            ),
        }

    def handlers(self, aid: str) -> dict[str, Any]:
        """In-process seconds per request through the Chalice app, beside a no-op route."""
        from chalice import Chalice
        from chalice.test import Client

        noop_app = Chalice(app_name="noop")

        @noop_app.route("/noop")
        def noop() -> dict[str, str]:
            return {}

        noop_http = Client(noop_app, project_dir=self._project.name).http

        def timed(call: Any, times: int) -> dict[str, float]:
            call()  # first call outside the figure: lazy imports, caches
            seconds = []
            for _ in range(times):
                began = time.perf_counter()
                call()
                seconds.append(time.perf_counter() - began)
            return {
                "mean": statistics.fmean(seconds),
                "p50": statistics.median(seconds),
                "p95": statistics.quantiles(seconds, n=20)[18],
            }

        pixel_path = (
            f"/v1/t/p.gif?aid={aid}&url={quote(SITE + '/articles/itsm/why-itil', safe='')}"
            "&title=Why%20ITIL"
        )

        def pixel() -> None:
            answer = self.http.get(pixel_path, headers={"user-agent": BROWSER_UA})
            assert answer.status_code == 200, answer.status_code

        batch_pages = [PAGES[i % len(PAGES)] for i in range(20)]
        results = {
            "noop": timed(lambda: noop_http.get("/noop", headers={"user-agent": BROWSER_UA}), 1000),
            "pixel": timed(pixel, 200),
            "tracker_1": timed(lambda: self.beacon(aid, [PAGES[0]]), 200),
            "tracker_batch_20": timed(lambda: self.beacon(aid, batch_pages), 60),
            "form_submission": timed(
                lambda: self.form(
                    f"form.{uuid.uuid4().hex[:10]}@bench-example.nl", f"anon-{uuid.uuid4().hex}"
                ),
                60,
            ),
        }
        self.pump()  # leave the streams drained
        return results

    def cold_start(self, runs: int = 5) -> dict[str, float]:
        """A fresh interpreter: import the app, then its first pixel request (median)."""
        probe = f"""
import json, sys, time
began = time.perf_counter()
import app
imported = time.perf_counter()
from chalice.test import Client
http = Client(app.app, project_dir={self._project.name!r}).http
answer = http.get("/v1/t/p.gif?aid=cold-{uuid.uuid4().hex[:8]}&url=https%3A%2F%2Fkb.example.nl%2F",
                  headers={{"user-agent": {BROWSER_UA!r}}})
assert answer.status_code == 200
done = time.perf_counter()
print(json.dumps({{"import": imported - began, "first_request": done - imported}}))
"""
        samples = []
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, "-c", probe],
                cwd=ROOT,
                env=dict(os.environ),
                capture_output=True,
                text=True,
                check=True,
            )
            samples.append(json.loads(out.stdout.strip().splitlines()[-1]))
        return {
            key: round(statistics.median(s[key] for s in samples), 4)
            for key in ("import", "first_request")
        }


def run() -> dict[str, Any]:
    bench = Bench()
    try:
        by_history: dict[str, Any] = {}
        for history in HISTORIES:
            by_history[f"history_{history}"] = bench.count(history)
        session = bench.session(
            by_history["history_100"]["seconds"], by_history["history_100"]["cpu_seconds"]
        )
        aid, _lead = bench.lead_with_history(100)
        handlers = bench.handlers(aid)
        cold = bench.cold_start()
    finally:
        bench.close()
    noop = handlers.pop("noop")
    return {
        "ddb_requests_per_event": {k: v["requests"] for k, v in by_history.items()},
        "floor_requests_per_event": 4,
        "handler_seconds_per_request": {k: round(v["mean"], 5) for k, v in handlers.items()},
        "noop_seconds_per_request": round(noop["mean"], 5),
        "cold_start_seconds": cold,
        "ddb_detail": by_history,
        "session_detail": session,
        "wru_per_event": {
            k: round(v["wru_table"] + v["wru_gsi"], 2) for k, v in by_history.items()
        },
        "handler_detail": {**handlers, "noop": noop},
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
