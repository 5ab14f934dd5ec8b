"""End to end on the local stack: from the tracker POST that qualifies a lead to sales' queue.

The stack is `make run`'s (``python -m infra.local_stack`` in its own process, on free
ports, like tests/conftest.py starts it). The benchmark subscribes its own SQS queue
to the topic whose name ends in ``hot-leads`` and polls it every 50 ms (no long
polling: the emulator serves one request at a time), noting when each lead's
``lead.sales_qualified`` message arrives.

A journey, as a person makes it with a normal browser (curl's or python's user agent
is machine traffic and scores zero): a JSON form post (a business e-mail, name,
company, "Director of IT", 400 employees, NL, phone, the tracker's anonymous id), a
second on the thank-you page, then one tracker beacon with a page view of
/articles/itsm/why-itil, an in-article link click, /pricing and a download of the
evaluation report. The clock runs from that beacon's POST to the message.

With the demo form the form alone already qualifies (a demo request is a buying
signal worth 40 points), so the beacon would complete nothing; the timed journeys
use the whitepaper form, which leaves the lead short of SQL until the beacon. The
demo-form journey is timed too, from its form post (``e2e_demo_form_*``).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from tests.bench.workload import BROWSER_UA
from tests.conftest import running_local_stack

KB = "https://kb.example.nl"
JOURNEYS = 20
DEMO_JOURNEYS = 8
TIMEOUT = 20.0
BUYING = [
    {"type": "page_view", "url": f"{KB}/articles/itsm/why-itil", "title": "Why ITIL"},
    {
        "type": "link_click",
        "url": f"{KB}/articles/itsm/why-itil",
        "properties": {"in_article": True, "target_url": f"{KB}/pricing"},
    },
    {"type": "page_view", "url": f"{KB}/pricing", "title": "Pricing"},
    {
        "type": "download",
        "url": f"{KB}/downloads/evaluation-report.pdf",
        "title": "the evaluation report",
    },
]


def _post(url: str, body: dict[str, Any], content_type: str = "application/json") -> Any:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"User-Agent": BROWSER_UA, "Content-Type": content_type},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"{}")


class Inbox(threading.Thread):
    """Sales' queue on the hot-lead topic; remembers when each lead's message arrived."""

    def __init__(self, endpoint: str) -> None:
        super().__init__(name="bench-inbox", daemon=True)
        import boto3

        session = boto3.session.Session(
            aws_access_key_id="bench", aws_secret_access_key="bench", region_name="eu-west-1"
        )
        sns = session.client("sns", endpoint_url=endpoint)
        self.sqs = session.client("sqs", endpoint_url=endpoint)
        topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
        hot = [arn for arn in topics if arn.endswith("hot-leads")]
        if len(hot) != 1:
            raise RuntimeError(f"expected one hot-leads topic, found {hot}")
        self.queue = self.sqs.create_queue(QueueName=f"bench-{uuid.uuid4().hex[:6]}")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(
            TopicArn=hot[0],
            Protocol="sqs",
            Endpoint=arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        self.arrived: dict[str, float] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            answer = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10)
            now = time.perf_counter()
            for message in answer.get("Messages", []):
                body = json.loads(message["Body"])
                self.arrived.setdefault(body["lead_id"], now)
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])
            self.stopping.wait(0.05)

    def wait_for(self, lead_id: str, timeout: float = TIMEOUT) -> float | None:
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if lead_id in self.arrived:
                return self.arrived[lead_id]
            time.sleep(0.01)
        return None


def _person(aid: str) -> dict[str, Any]:
    company = uuid.uuid4().hex[:8]
    return {
        "email": f"jan.jansen@{company}-bench.nl",
        "first_name": "Jan",
        "last_name": "Jansen",
        "company": f"Bench {company}",
        "job_title": "Director of IT",
        "company_size": 400,
        "country": "NL",
        "phone": "+31 6 12345678",
        "anonymous_id": aid,
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run(journeys: int = JOURNEYS, demo_journeys: int = DEMO_JOURNEYS) -> dict[str, Any]:
    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory() as folder,
        running_local_stack(Path(folder), "bench-key") as stack,
    ):
        ready = time.perf_counter() - started
        api = stack.api_url
        inbox = Inbox(stack.emulator_url)
        inbox.start()
        latencies: list[float] = []
        missed = 0
        for _ in range(journeys):
            aid = f"bench-{uuid.uuid4()}"
            lead_id = _post(f"{api}/v1/forms/whitepaper/submissions", _person(aid))["lead_id"]
            time.sleep(1.0)  # the thank-you page; the form's own events are scored meanwhile
            began = time.perf_counter()
            _post(f"{api}/v1/t/events", {"anonymous_id": aid, "events": BUYING}, "text/plain")
            arrived = inbox.wait_for(lead_id)
            if arrived is None:
                missed += 1
            elif arrived < began:
                raise RuntimeError("the form alone qualified the lead: the journey times nothing")
            else:
                latencies.append(arrived - began)
        demo: list[float] = []
        for _ in range(demo_journeys):
            aid = f"bench-{uuid.uuid4()}"
            began = time.perf_counter()
            lead_id = _post(f"{api}/v1/forms/demo/submissions", _person(aid))["lead_id"]
            _post(f"{api}/v1/t/events", {"anonymous_id": aid, "events": BUYING}, "text/plain")
            arrived = inbox.wait_for(lead_id)
            if arrived is not None:
                demo.append(arrived - began)
        inbox.stopping.set()
    if not latencies:
        raise RuntimeError("no hot-lead message arrived for any journey")
    return {
        "e2e_latency_seconds_p50": round(statistics.median(latencies), 3),
        "e2e_latency_seconds_p95": round(_percentile(latencies, 0.95), 3),
        "e2e_detail": {
            "journeys": journeys,
            "missed": missed,
            "min": round(min(latencies), 3),
            "max": round(max(latencies), 3),
            "stack_ready_seconds": round(ready, 1),
            "demo_form_journeys": len(demo),
            "e2e_demo_form_p50": round(statistics.median(demo), 3) if demo else None,
            "e2e_demo_form_p95": round(_percentile(demo, 0.95), 3) if demo else None,
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
