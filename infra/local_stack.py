"""The local stack behind `make run`: the same app and stream handlers as in AWS.

- an AWS emulator (moto server) on EMULATOR_PORT, or the one at AWS_ENDPOINT_URL;
- tables, streams, the hot-lead topic and queues created from infra/template.yaml;
- the Chalice app on API_PORT (chalice's local server, threaded);
- stream workers that read the emulator's DynamoDB Streams and call the real
  handlers with Lambda-shaped events, with partial-batch retries like Lambda's;
- landing_pages/ on PAGES_PORT (its own origin, so CORS is real);
- the console on CONSOLE_PORT, signing in against the emulator's user pool
  (infra/console_local.py: one user per role, password CONSOLE_PASSWORD);
- the sales inbox: an SQS queue on the topic, each notification printed;
- the lifecycle bus (EventBridge in the emulator) with its archive and a rule that
  delivers every lifecycle event to an SQS queue, each event printed; the quiet
  sweep runs every QUIET_SWEEP_SECONDS (60) like the hourly schedule in AWS.

Ctrl-C stops all of it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import mimetypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import types
import urllib.request
from collections.abc import Callable
from datetime import datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
STAGE = "local"
REGION = "eu-west-1"
LOCAL_SIGNING_SECRET = "local-dev-signing-secret-not-for-production"  # noqa: S105 (local only)
#: The Segment write key of the local stack (SEGMENT_WRITE_KEYS overrides it).
LOCAL_WRITE_KEY = "local-write-key"


def _say(message: str) -> None:
    print(f"[trechter] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


# -- the emulator -----------------------------------------------------------------------


def start_emulator(port: int) -> subprocess.Popen[bytes]:
    """moto in server mode, in its own process (it then has a core of its own)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.emulator", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/moto-api/", timeout=30)
    except OSError:
        process.kill()
        raise SystemExit(f"the AWS emulator did not start on port {port}") from None
    return process


def create_resources(stage: str = STAGE) -> dict[str, str]:
    """Tables, streams, topic and queues from the infra/ definitions; returns the env."""
    import boto3

    from infra import definitions

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    existing = set(dynamodb.list_tables().get("TableNames", []))
    for kwargs in definitions.dynamodb_tables(stage):
        if kwargs["TableName"] not in existing:
            dynamodb.create_table(**kwargs)
    for table, attribute in definitions.ttl_attributes(stage).items():
        with contextlib.suppress(Exception):  # already enabled on a reused emulator
            dynamodb.update_time_to_live(
                TableName=table,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute},
            )
    names = definitions.table_names(stage)
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic_arn = sns.create_topic(Name=definitions.topic_names(stage)["hot_leads"])["TopicArn"]
    chat_topic_arn = sns.create_topic(Name=definitions.chat_topic_name(stage))["TopicArn"]
    queues = {
        key: sqs.create_queue(QueueName=name)["QueueUrl"]
        for key, name in definitions.queue_names(stage).items()
    }
    inbox_arn = sqs.get_queue_attributes(
        QueueUrl=queues["sales_inbox"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn).get("Subscriptions", [])
    if not any(s.get("Endpoint") == inbox_arn for s in subscriptions):
        sns.subscribe(
            TopicArn=topic_arn,
            Protocol="sqs",
            Endpoint=inbox_arn,
            Attributes={"RawMessageDelivery": "true"},
        )

    bus = create_event_bus(stage)

    def stream_of(table: str) -> str:
        return str(dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"])

    return {
        "LEADS_TABLE": names["leads"],
        "EVENTS_TABLE": names["events"],
        "QUARANTINE_TABLE": names["quarantine"],
        "IDEMPOTENCY_TABLE": names["idempotency"],
        "HOT_LEADS_TOPIC_ARN": topic_arn,
        "HOT_LEADS_CHAT_TOPIC_ARN": chat_topic_arn,
        "EVENTS_STREAM_ARN": stream_of(names["events"]),
        "LEADS_STREAM_ARN": stream_of(names["leads"]),
        "SALES_INBOX_URL": queues["sales_inbox"],
        "SCORE_EVENTS_FAILURE_URL": queues["score_events_failures"],
        "NOTIFY_HOT_LEADS_FAILURE_URL": queues["notify_hot_leads_failures"],
        "COUNT_HITS_FAILURE_URL": queues["count_hits_failures"],
        "EVENT_BUS_NAME": bus["name"],
        "LIFECYCLE_INBOX_URL": bus["inbox_url"],
    }


def create_event_bus(stage: str = STAGE) -> dict[str, str]:
    """The lifecycle bus, its archive, and a rule delivering every event to a local queue."""
    import boto3

    from chalicelib.domain.lifecycle_events import EVENT_SOURCE
    from infra import definitions

    spec = definitions.event_bus(stage)
    events = boto3.client("events", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    names = {b["Name"] for b in events.list_event_buses().get("EventBuses", [])}
    if spec["name"] not in names:
        events.create_event_bus(Name=spec["name"])
    bus_arn = events.describe_event_bus(Name=spec["name"])["Arn"]
    try:
        archives = {a["ArchiveName"] for a in events.list_archives().get("Archives", [])}
    except Exception:
        archives = set()
    if spec["archive"] not in archives:
        try:
            events.create_archive(
                ArchiveName=spec["archive"],
                EventSourceArn=bus_arn,
                EventPattern=json.dumps(spec["archive_pattern"]),
                RetentionDays=spec["retention_days"],
            )
        except Exception as error:  # an emulator at AWS_ENDPOINT_URL may lack archives
            _say(f"lifecycle bus: no archive in this emulator ({error}); replays are AWS-only")
    inbox_url = sqs.create_queue(QueueName=spec["inbox_queue"])["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    rule = f"{spec['name']}-to-inbox"
    events.put_rule(
        Name=rule,
        EventBusName=spec["name"],
        EventPattern=json.dumps({"source": [EVENT_SOURCE]}),
        State="ENABLED",
    )
    events.put_targets(
        Rule=rule, EventBusName=spec["name"], Targets=[{"Id": "inbox", "Arn": inbox_arn}]
    )
    return {"name": spec["name"], "arn": bus_arn, "inbox_url": inbox_url, "rule": rule}


# -- stream workers ---------------------------------------------------------------------


class FakeLambdaContext:
    """What Powertools reads from a Lambda context."""

    def __init__(self, name: str) -> None:
        self.function_name = f"trechter-{STAGE}-{name}"
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:aws:lambda:{REGION}:123456789012:function:{self.function_name}"
        )
        self.memory_limit_in_mb = 512
        self.aws_request_id = ""
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + 30

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """A DynamoDB Streams API record as Lambda delivers it (epoch creation time, source ARN)."""
    body = dict(record["dynamodb"])
    created = body.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        body["ApproximateCreationDateTime"] = created.timestamp()
    return {
        "eventID": record.get("eventID"),
        "eventName": record.get("eventName"),
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": REGION,
        "dynamodb": body,
        "eventSourceARN": stream_arn,
    }


class StreamWorker(threading.Thread):
    """Polls one DynamoDB stream and invokes a handler like Lambda's event source mapping.

    Batches of up to ``batch_size``; a ``batchItemFailures`` answer makes it retry
    from the first failed record (up to ``max_retries``, then the batch goes to
    the on-failure queue, as MaximumRetryAttempts and OnFailure do in AWS).
    """

    def __init__(
        self,
        name: str,
        stream_arn: str,
        handler: Callable[[dict[str, Any], Any], Any],
        failure_queue_url: str | None = None,
        batch_size: int = 100,
        poll_seconds: float = 0.1,
        max_retries: int = 3,
    ) -> None:
        super().__init__(name=f"stream-{name}", daemon=True)
        self.function = name
        self.stream_arn = stream_arn
        self.handler = handler
        self.failure_queue_url = failure_queue_url
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.max_retries = max_retries
        self.stopping = threading.Event()
        self.invocations = 0
        self.records_delivered = 0

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        import boto3

        streams = boto3.client("dynamodbstreams", region_name=REGION)
        # The last sequence number delivered per shard. A fresh iterator is taken
        # for every read: moto swaps table objects when a transaction fails, and an
        # old iterator would go on reading a table object that no longer changes.
        delivered: dict[str, str] = {}
        while not self.stopping.is_set():
            try:
                description = streams.describe_stream(StreamArn=self.stream_arn)
                busy = False
                for shard in description["StreamDescription"]["Shards"]:
                    shard_id = shard["ShardId"]
                    last = delivered.get(shard_id)
                    position: dict[str, Any] = (
                        {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": last}
                        if last
                        else {"ShardIteratorType": "TRIM_HORIZON"}
                    )
                    iterator = streams.get_shard_iterator(
                        StreamArn=self.stream_arn, ShardId=shard_id, **position
                    )["ShardIterator"]
                    answer = streams.get_records(ShardIterator=iterator, Limit=self.batch_size)
                    records = answer.get("Records", [])
                    if records:
                        busy = True
                        self._deliver([dict(r) for r in records])
                        delivered[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                if not busy:
                    self.stopping.wait(self.poll_seconds)
            except Exception as error:  # keep the worker alive through emulator hiccups
                kind = type(error).__name__
                _say(f"{self.function}: stream read failed ({kind}: {error}); retrying")
                self.stopping.wait(1.0)

    def _deliver(self, records: list[dict[str, Any]]) -> None:
        pending = [lambda_record(r, self.stream_arn) for r in records]
        attempt = 0
        while pending and not self.stopping.is_set():
            self.invocations += 1
            try:
                answer = self.handler({"Records": pending}, FakeLambdaContext(self.function))
                failures = [
                    f["itemIdentifier"] for f in (answer or {}).get("batchItemFailures", [])
                ]
            except Exception as error:
                _say(f"{self.function}: handler raised {type(error).__name__}: {error}")
                failures = [pending[0]["dynamodb"]["SequenceNumber"]]
            if not failures:
                self.records_delivered += len(pending)
                return
            first = min(failures, key=int)
            index = next(
                i for i, r in enumerate(pending) if r["dynamodb"]["SequenceNumber"] == first
            )
            self.records_delivered += index
            pending = pending[index:]
            attempt += 1
            if attempt > self.max_retries:
                self._to_failure_queue(pending)
                return
            self.stopping.wait(min(0.2 * 2**attempt, 2.0))

    def _to_failure_queue(self, records: list[dict[str, Any]]) -> None:
        _say(
            f"{self.function}: {len(records)} record(s) failed {self.max_retries} retries: "
            "sent to the on-failure queue"
        )
        if not self.failure_queue_url:
            return
        import boto3

        boto3.client("sqs", region_name=REGION).send_message(
            QueueUrl=self.failure_queue_url,
            MessageBody=json.dumps(
                {
                    "function": self.function,
                    "streamArn": self.stream_arn,
                    "firstSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                    "lastSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                    "batchSize": len(records),
                }
            ),
        )


# -- landing pages ----------------------------------------------------------------------


def pages_handler(api_url: str, consent: str) -> type[SimpleHTTPRequestHandler]:
    """Serves landing_pages/, with the API base URL and consent mode filled in."""

    class PagesHandler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(ROOT / "landing_pages"), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            return

        def send_head(self) -> Any:
            path = Path(self.translate_path(self.path))
            if path.is_dir():
                path = path / "index.html"
            if path.suffix in (".html", ".js") and path.is_file():
                body = path.read_text(encoding="utf-8")
                body = body.replace("__TRECHTER_API__", api_url).replace(
                    "__TRECHTER_CONSENT__", consent
                )
                data = body.encode("utf-8")
                self.send_response(200)
                kind = mimetypes.guess_type(path.name)[0] or "text/html"
                self.send_header("Content-Type", f"{kind}; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                import io

                return io.BytesIO(data)
            return super().send_head()

    return PagesHandler


# -- the sales inbox --------------------------------------------------------------------


def format_notification(body: str, api_url: str = "") -> str:
    """A hot-lead message as the console shows it: exactly the text an e-mail subscriber
    of the topic gets (``chalicelib.domain.announcement.email_text``), framed."""
    from chalicelib.domain.announcement import email_text

    try:
        message = json.loads(body)
    except json.JSONDecodeError:
        return f"(unreadable message) {body[:200]}"
    if not isinstance(message, dict):
        return f"(unreadable message) {body[:200]}"
    lead_url = f"{api_url}/v1/leads/{message.get('lead_id')}"
    rule = "=" * 72
    header = " HOT LEAD  (as e-mail subscribers read it)"
    return "\n".join([rule, header, "", email_text(message, lead_url), rule])


class QueuePrinter(threading.Thread):
    """Prints each message an SQS queue receives, then deletes it (the local inboxes).

    ``render`` turns a message body into the text to print. Left in the queue a message
    would print twice; the people's own tools read their own subscriptions.
    """

    def __init__(self, name: str, queue_url: str, render: Callable[[str], str]) -> None:
        super().__init__(name=name, daemon=True)
        self.queue_url = queue_url
        self.render = render
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        import boto3

        sqs = boto3.client("sqs", region_name=REGION)
        while not self.stopping.is_set():
            try:
                # No long polling: the emulator serves one request at a time.
                answer = sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            except Exception:
                self.stopping.wait(1.0)
                continue
            if not answer.get("Messages"):
                self.stopping.wait(0.5)
            for message in answer.get("Messages", []):
                # One write, newline included: no other thread's line lands inside a block.
                sys.stdout.write(self.render(message["Body"]) + "\n")
                sys.stdout.flush()
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])


# -- the lifecycle inbox and the quiet sweep -------------------------------------------


def format_lifecycle_event(body: str) -> str:
    """One lifecycle event as one console line."""
    try:
        event = json.loads(body)
        detail = event["detail"]
    except (json.JSONDecodeError, KeyError, TypeError):
        return f"[lifecycle] (unreadable event) {body[:200]}"
    d: dict[str, Any] = detail
    facts = {
        "Lead Created": f"stage {d.get('stage')}",
        "Lead Stage Changed": f"{d.get('from')} -> {d.get('to')}",
        "Lead Score Crossed": f"{d.get('direction')} through {d.get('threshold')}"
        f" (score {d.get('score')})",
        "Sales Outcome Recorded": str(d.get("outcome")),
        "Lead Went Quiet": f"no engagement for {d.get('quiet_days')} days",
    }
    what = facts.get(str(event.get("detail-type")), "")
    return f"[lifecycle] {event.get('detail-type')}: lead {d.get('lead_id')} {what}".rstrip()


class QuietSweeper(threading.Thread):
    """Calls the real schedule handler every ``seconds``, as EventBridge Scheduler does hourly."""

    def __init__(self, handler: Callable[[dict[str, Any], Any], Any], seconds: float) -> None:
        super().__init__(name="quiet-sweep", daemon=True)
        self.handler = handler
        self.seconds = seconds
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        while not self.stopping.wait(self.seconds):
            event = {
                "version": "0",
                "id": "local",
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": "123456789012",
                "time": datetime.now().astimezone().isoformat(),
                "region": REGION,
                "resources": [],
                "detail": {},
            }
            try:
                self.handler(event, FakeLambdaContext("sweep_quiet_leads"))
            except Exception as error:
                _say(f"sweep_quiet_leads: {type(error).__name__}: {error}")


# -- the whole stack --------------------------------------------------------------------


class LocalStack:
    """Starts and stops every part; usable from `make run` and from the e2e tests."""

    def __init__(
        self,
        emulator_port: int,
        api_port: int,
        pages_port: int,
        api_key: str,
        console_port: int = 8090,
        console_password: str = "local-dev-password",  # noqa: S107 (local only)
    ) -> None:
        self.emulator_port = emulator_port
        self.api_port = api_port
        self.pages_port = pages_port
        self.api_key = api_key
        self.console_port = console_port
        self.console_password = console_password
        self.api_url = f"http://127.0.0.1:{api_port}"
        self.pages_url = f"http://127.0.0.1:{pages_port}"
        self.console_url = f"http://127.0.0.1:{console_port}"
        self.emulator: subprocess.Popen[bytes] | None = None
        self.threads: list[Any] = []
        self.servers: list[Any] = []

    def start(self) -> None:
        started = time.monotonic()
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        if not endpoint:
            self.emulator = start_emulator(self.emulator_port)
            endpoint = f"http://127.0.0.1:{self.emulator_port}"
            os.environ["AWS_ENDPOINT_URL"] = endpoint
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        os.environ["AWS_DEFAULT_REGION"] = REGION
        os.environ["AWS_REGION"] = REGION
        resources = create_resources()
        os.environ.update(resources)
        from infra.console_local import create_console_pool

        pool = create_console_pool(endpoint, REGION, STAGE, self.console_password)
        self.console_pool = pool
        os.environ.update(
            {
                "TRECHTER_STAGE": STAGE,
                "API_KEYS": self.api_key,
                "LINK_SIGNING_SECRETS": os.environ.get(
                    "LINK_SIGNING_SECRETS", LOCAL_SIGNING_SECRET
                ),
                "ALLOWED_ORIGINS": f"{self.pages_url},http://localhost:{self.pages_port}",
                "CONSOLE_ORIGINS": f"{self.console_url},http://localhost:{self.console_port}",
                "COGNITO_USER_POOL_ID": pool.pool_id,
                "COGNITO_CLIENT_IDS": pool.client_id,
                "COGNITO_JWKS_URL": pool.jwks_url,
                "SEGMENT_WRITE_KEYS": os.environ.get("SEGMENT_WRITE_KEYS", LOCAL_WRITE_KEY),
                "PUBLIC_BASE_URL": self.api_url,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true",
                "POWERTOOLS_DEV": "false",
            }
        )
        # Import only now: the stream ARNs are read when app.py is imported.
        sys.path.insert(0, str(ROOT))
        import app as application

        self._start_api(application.app)
        self._start_pages()
        self._start_console(endpoint)
        self.threads = [
            StreamWorker(
                "score_events",
                resources["EVENTS_STREAM_ARN"],
                application.score_events,
                resources["SCORE_EVENTS_FAILURE_URL"],
            ),
            StreamWorker(
                "notify_hot_leads",
                resources["LEADS_STREAM_ARN"],
                application.notify_hot_leads,
                resources["NOTIFY_HOT_LEADS_FAILURE_URL"],
                batch_size=50,
            ),
            # The leads stream's second reader: on AWS it waits up to five minutes for a
            # batch; here it counts within half a second, so the report shows hits at once.
            StreamWorker(
                "count_hits",
                resources["LEADS_STREAM_ARN"],
                application.count_hits,
                resources["COUNT_HITS_FAILURE_URL"],
                batch_size=1000,
                poll_seconds=0.5,  # a third poller of the one-request-at-a-time emulator
            ),
            QueuePrinter(
                "sales-inbox",
                resources["SALES_INBOX_URL"],
                functools.partial(format_notification, api_url=self.api_url),
            ),
            QueuePrinter(
                "lifecycle-inbox", resources["LIFECYCLE_INBOX_URL"], format_lifecycle_event
            ),
            QuietSweeper(
                application.sweep_quiet_leads, float(os.environ.get("QUIET_SWEEP_SECONDS", "60"))
            ),
        ]
        for thread in self.threads:
            thread.start()
        wait_http(f"{self.api_url}/v1/health", timeout=30)
        wait_http(f"{self.pages_url}/", timeout=10)
        wait_http(f"{self.console_url}/", timeout=10)
        _say(f"ready in {time.monotonic() - started:.1f} s")
        _say(f"HTTP API       {self.api_url}   (x-api-key: {self.api_key})")
        _say(f"landing pages  {self.pages_url}")
        _say(
            f"console        {self.console_url}   (sign in as sales@, marketing@ or "
            f"admin@trechter.local, password: {self.console_password})"
        )
        _say(
            f"Segment API    {self.api_url}/segment/v1   (write key: "
            f"{os.environ['SEGMENT_WRITE_KEYS'].split(',')[0]}; example {self.pages_url}"
            "/examples/segment.html)"
        )
        _say(f"AWS emulator   {endpoint}   (region {REGION})")
        _say(f"hot leads      {resources['HOT_LEADS_TOPIC_ARN']} -> sales inbox (printed here)")
        _say(f"hot leads chat {resources['HOT_LEADS_CHAT_TOPIC_ARN']} (AWS Chatbot format)")
        language = os.environ.get("SALES_LANGUAGE", "en") or "en"
        _say(f"sales language {language}   (SALES_LANGUAGE=nl|en, KNOWLEDGE_BASE_NAME)")
        _say(
            f"lifecycle bus  {resources['EVENT_BUS_NAME']} (archive of the same name) -> "
            f"{resources['LIFECYCLE_INBOX_URL']} (printed here)"
        )
        _say(
            "stream workers score_events, notify_hot_leads (+ lifecycle events), count_hits, "
            "quiet sweep: running. Ctrl-C stops everything."
        )

    def _start_api(self, app_object: Any) -> None:
        from chalice.cli.factory import CLIFactory
        from chalice.local import ChaliceRequestHandler, LocalDevServer, ThreadedHTTPServer

        from chalicelib.redaction import log_access_line

        # Access lines carry tracking tokens and client addresses: redacted. TRACE, CONNECT and
        # QUERY get the app's 405 like any method a route lacks (http.server would answer 501).
        ChaliceRequestHandler.log_message = log_access_line
        for method in ("TRACE", "CONNECT", "QUERY"):
            setattr(ChaliceRequestHandler, f"do_{method}", ChaliceRequestHandler.do_GET)

        class Server(ThreadedHTTPServer):
            # Browsers and load tests open many connections at once; the default
            # backlog of 5 resets them.
            request_queue_size = 128

        config = CLIFactory(str(ROOT)).create_config_obj(chalice_stage_name="dev")
        server = LocalDevServer(app_object, config, "127.0.0.1", self.api_port, server_cls=Server)
        self.servers.append(server.server)
        threading.Thread(target=server.server.serve_forever, name="api", daemon=True).start()

    def _start_pages(self) -> None:
        handler = pages_handler(self.api_url, os.environ.get("TRECHTER_CONSENT", "not-required"))
        ThreadingHTTPServer.request_queue_size = 128
        server = ThreadingHTTPServer(("127.0.0.1", self.pages_port), handler)
        self.servers.append(server)
        threading.Thread(target=server.serve_forever, name="pages", daemon=True).start()

    def _start_console(self, endpoint: str) -> None:
        from infra.console_local import console_handler

        config = {
            "api_url": self.api_url,
            "cognito_endpoint": endpoint,
            "cognito_region": REGION,
            "cognito_client_id": self.console_pool.client_id,
            "stage": STAGE,
        }
        server = ThreadingHTTPServer(("127.0.0.1", self.console_port), console_handler(config))
        self.servers.append(server)
        threading.Thread(target=server.serve_forever, name="console", daemon=True).start()

    def stop(self) -> None:
        for thread in self.threads:
            thread.stop()
        for server in self.servers:
            server.shutdown()
        if self.emulator is not None:
            self.emulator.terminate()
            try:
                self.emulator.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.emulator.kill()


def main() -> None:
    stack = LocalStack(
        emulator_port=int(os.environ.get("EMULATOR_PORT", "4566")),
        api_port=int(os.environ.get("API_PORT", "8000")),
        pages_port=int(os.environ.get("PAGES_PORT", "8080")),
        api_key=os.environ.get("API_KEY", "local-dev-key"),
        console_port=int(os.environ.get("CONSOLE_PORT", "8090")),
        console_password=os.environ.get("CONSOLE_PASSWORD", "local-dev-password"),
    )
    stopped = threading.Event()

    def on_signal(signum: int, frame: types.FrameType | None) -> None:
        stopped.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        stack.start()
        while not stopped.wait(0.5):
            pass
    finally:
        _say("stopping")
        stack.stop()
        _say("stopped")


if __name__ == "__main__":
    main()
