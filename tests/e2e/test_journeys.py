"""End-to-end on the local stack (`make run`), as a new user tries it with curl."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urlsplit

import boto3
import pytest

from tests.conftest import http

pytestmark = pytest.mark.e2e
KB = "https://kb.example.nl"


def unique_email(prefix: str = "jan", domain: str | None = None) -> str:
    return f"{prefix}.{uuid.uuid4().hex[:8]}@{domain or f'acme-{uuid.uuid4().hex[:6]}.nl'}"


def director(email: str, aid: str) -> dict[str, str]:
    return {
        "email": email,
        "first_name": "Jan",
        "last_name": "Jansen",
        "company": "Acme",
        "job_title": "Director of IT",
        "company_size": "400",
        "country": "NL",
        "phone": "+31 6 12345678",
        "anonymous_id": aid,
    }


BUYING = [
    {"type": "page_view", "url": f"{KB}/articles/itsm/why-itil", "title": "Why ITIL"},
    {
        "type": "link_click",
        "url": f"{KB}/articles/itsm/why-itil",
        "properties": {"in_article": True, "target_url": f"{KB}/downloads/evaluation-report.pdf"},
    },
    {"type": "page_view", "url": f"{KB}/pricing", "title": "Pricing"},
    {
        "type": "download",
        "url": f"{KB}/downloads/evaluation-report.pdf",
        "title": "the evaluation report",
    },
]


@pytest.fixture(scope="module")
def inbox(local_stack):
    """Sales subscribes an SQS queue to the hot-lead topic, as the README shows."""
    session = boto3.session.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name="eu-west-1"
    )
    sns = session.client("sns", endpoint_url=local_stack.emulator_url)
    sqs = session.client("sqs", endpoint_url=local_stack.emulator_url)
    topics = [
        t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith("hot-leads")
    ]
    assert len(topics) == 1
    queue = sqs.create_queue(QueueName=f"e2e-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topics[0], Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    received: list[dict] = []

    def messages_for(lead_id: str, wait: float = 0.0, at_least: int = 1) -> list[dict]:
        deadline = time.monotonic() + wait
        while True:
            answer = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)
            if not answer.get("Messages"):
                time.sleep(0.3)
            for message in answer.get("Messages", []):
                received.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
            mine = [m for m in received if m["lead_id"] == lead_id]
            if len(mine) >= at_least or time.monotonic() >= deadline:
                return mine

    return messages_for


def journey(local_stack, email: str, aid: str, form: str = "demo") -> str:
    answer = local_stack.api("POST", f"/v1/forms/{form}/submissions", director(email, aid))
    assert answer.status == 201, answer.body
    beacon = local_stack.api(
        "POST",
        "/v1/t/events",
        json.dumps({"anonymous_id": aid, "events": BUYING}),
        **{"Content-Type": "text/plain"},
    )
    assert beacon.status == 202
    return answer.json()["lead_id"]


def test_a_curl_form_post_becomes_a_lead_visible_by_email(local_stack):
    email = unique_email()
    body = f"email={quote(email)}&first_name=Jan&company=Acme"
    answer = local_stack.api(
        "POST",
        "/v1/forms/whitepaper/submissions",
        body,
        **{"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 303
    assert answer.headers["Location"].endswith("/thank-you/?asset=whitepaper")
    found = local_stack.sales("GET", f"/v1/leads?email={quote(email)}").json()
    assert found["items"][0]["email"] == email


@pytest.mark.parametrize("accept", ["*/*", None, "image/*", "image/webp,*/*"])
def test_the_pixel_answers_a_gif_over_http(local_stack, accept):
    headers = {"Accept": accept} if accept else {}
    answer = http(
        "GET", f"{local_stack.api_url}/v1/t/p.gif?aid=anon-12345678&url={KB}/x", headers=headers
    )
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "image/gif"
    assert answer.body[:6] == b"GIF89a"


def test_a_tampered_click_link_is_404(local_stack):
    links = local_stack.sales(
        "POST",
        "/v1/tracking-links",
        {
            "email": unique_email(),
            "campaign_id": "c",
            "message_id": "m",
            "links": [f"{KB}/pricing"],
        },
    ).json()
    good = links["links"][f"{KB}/pricing"]
    assert http("GET", good).status == 302
    token = urlsplit(good).path.rsplit("/", 1)[1]
    forged = token.split(".")[0][:-2] + "xx." + token.split(".")[1]
    answer = http("GET", f"{local_stack.api_url}/v1/t/c/{forged}")
    assert answer.status == 404
    assert "Location" not in answer.headers


def test_a_buying_journey_becomes_sql_within_3_seconds_and_sales_hears_once(local_stack, inbox):
    email, aid = unique_email(), f"anon-{uuid.uuid4().hex}"
    started = time.monotonic()
    lead_id = journey(local_stack, email, aid, form="whitepaper")

    def qualified_with_every_act():
        lead = local_stack.get_lead_by_email(email)
        texts = " ".join(r["text"] for r in (lead or {}).get("reasons", []))
        return lead if lead and lead["stage"] == "sql" and "evaluation report" in texts else None

    lead = local_stack.wait_for(qualified_with_every_act, timeout=3)
    assert time.monotonic() - started < 3.5
    texts = " ".join(r["text"] for r in lead["reasons"])
    assert "pricing" in texts and "Clicked through" in texts and "Why ITIL" in texts
    messages = inbox(lead_id, wait=5)
    assert len(messages) == 1
    assert messages[0]["recommended_channel"] == "phone"
    # more events: no second message
    local_stack.api(
        "POST",
        "/v1/t/events",
        {"anonymous_id": aid, "events": [{"type": "page_view", "url": f"{KB}/pricing"}]},
    )
    time.sleep(1.5)
    assert len(inbox(lead_id)) == 1
    # rejected feedback recycles; a new buying signal announces again
    recycled = local_stack.sales(
        "POST", f"/v1/leads/{lead_id}/feedback", {"outcome": "rejected", "note": "no budget yet"}
    )
    assert recycled.status == 200 and recycled.json()["stage"] == "recycled"
    local_stack.api(
        "POST",
        "/v1/t/events",
        {
            "anonymous_id": aid,
            "events": [{"type": "page_view", "url": f"{KB}/terms", "title": "Terms"}],
        },
    )
    assert len(inbox(lead_id, wait=5, at_least=2)) == 2


def test_three_colleagues_on_one_topic_outscore_a_lone_reader(local_stack):
    domain = f"team-{uuid.uuid4().hex[:6]}.nl"
    reader = {
        "type": "page_view",
        "url": f"{KB}/articles/security/zero-trust",
        "title": "Zero trust",
    }
    colleagues = []
    for i in range(3):
        email, aid = unique_email(f"c{i}", domain), f"anon-{uuid.uuid4().hex}"
        local_stack.api(
            "POST",
            "/v1/forms/whitepaper/submissions",
            {"email": email, "first_name": "C", "anonymous_id": aid},
        )
        local_stack.api("POST", "/v1/t/events", {"anonymous_id": aid, "events": [reader]})
        colleagues.append(email)
    lone, aid = unique_email("lone"), f"anon-{uuid.uuid4().hex}"
    local_stack.api(
        "POST",
        "/v1/forms/whitepaper/submissions",
        {"email": lone, "first_name": "L", "anonymous_id": aid},
    )
    local_stack.api("POST", "/v1/t/events", {"anonymous_id": aid, "events": [reader]})
    lead = local_stack.wait_for(
        lambda: (
            (found := local_stack.get_lead_by_email(colleagues[0]))
            and any(r["rule"] == "account_topic_surge" for r in found["reasons"])
            and found
        ),
        timeout=15,
    )
    alone = local_stack.get_lead_by_email(lone)
    assert "3 colleagues at" in " ".join(r["text"] for r in lead["reasons"])
    assert lead["score"] > alone["score"]


def test_160_mixed_requests_in_parallel_no_5xx_and_no_valid_lead_lost(local_stack):
    good = [unique_email(f"p{i}") for i in range(60)]
    requests = []
    for i, email in enumerate(good):
        requests.append(
            ("POST", "/v1/forms/whitepaper/submissions", {"email": email, "first_name": "P"}, {})
        )
        if i < 40:
            requests.append(
                (
                    "POST",
                    "/v1/forms/whitepaper/submissions",
                    {"email": f"broken{i}", "country": "ZZ"},
                    {},
                )
            )
    requests += [("POST", "/v1/t/events", "{oops", {"Content-Type": "text/plain"})] * 20
    requests += [("GET", f"/v1/t/p.gif?aid=anon-{i:08d}&url={KB}/a", None, {}) for i in range(20)]
    requests += [("GET", "/v1/t/c/forged.token", None, {})] * 20
    assert len(requests) == 160

    def send(request):
        method, path, body, headers = request
        return http(method, local_stack.api_url + path, body, headers).status

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(send, requests))
    assert not [s for s in statuses if s >= 500]
    assert statuses.count(201) == 60
    for email in good:
        assert local_stack.sales("GET", f"/v1/leads?email={quote(email)}").json()["items"], email


def test_a_corrupt_item_in_the_events_table_blocks_nothing(local_stack):
    session = boto3.session.Session(
        aws_access_key_id="x", aws_secret_access_key="x", region_name="eu-west-1"
    )
    dynamodb = session.client("dynamodb", endpoint_url=local_stack.emulator_url)
    table = next(t for t in dynamodb.list_tables()["TableNames"] if t.endswith("-events"))
    dynamodb.put_item(
        TableName=table, Item={"pk": {"S": "LEAD#corrupt"}, "sk": {"S": "EVENT#corrupt"}}
    )
    email, aid = unique_email(), f"anon-{uuid.uuid4().hex}"
    local_stack.api(
        "POST",
        "/v1/forms/whitepaper/submissions",
        {"email": email, "first_name": "Q", "anonymous_id": aid},
    )
    local_stack.api(
        "POST",
        "/v1/t/events",
        {"anonymous_id": aid, "events": [{"type": "page_view", "url": f"{KB}/pricing"}]},
    )
    local_stack.wait_for(
        lambda: (found := local_stack.get_lead_by_email(email)) and found["engagement_score"] > 0,
        timeout=15,
    )
    quarantine = next(t for t in dynamodb.list_tables()["TableNames"] if t.endswith("-quarantine"))
    reasons = [i["reason"]["S"] for i in dynamodb.scan(TableName=quarantine)["Items"]]
    assert any("corrupt event record" in r or "not an event" in r for r in reasons)


def test_erasure_leaves_nothing_that_get_export_or_a_pixel_brings_back(local_stack):
    email, aid = unique_email(), f"anon-{uuid.uuid4().hex}"
    lead_id = journey(local_stack, email, aid, form="whitepaper")
    local_stack.wait_for(lambda: local_stack.get_lead_by_email(email), timeout=3)
    assert local_stack.sales("DELETE", f"/v1/leads/{lead_id}").status == 204
    http("GET", f"{local_stack.api_url}/v1/t/p.gif?aid={aid}&url={KB}/pricing")
    time.sleep(1)
    assert local_stack.sales("GET", f"/v1/leads/{lead_id}").status == 404
    assert local_stack.sales("GET", f"/v1/leads/{lead_id}/export").status == 404
    assert local_stack.sales("GET", f"/v1/leads?email={quote(email)}").json()["items"] == []


def test_the_funnel_report_adds_up(local_stack):
    report = local_stack.sales("GET", "/v1/reports/funnel").json()
    assert report["entered"]["lead"] >= report["entered"]["sql"]
    assert sum(report["current"].values()) >= report["current"]["sql"] >= 0
    assert 0 <= (report["machine_share"] or 0) <= 1


def test_page_views_reach_the_funnel_reports_hits_through_the_hit_counter(local_stack):
    # Given the funnel report's hits now
    before = local_stack.sales("GET", "/v1/reports/funnel").json()["hits"]
    # When a new visitor's browser sends three page views
    aid = f"anon-{uuid.uuid4().hex}"
    views = [{"type": "page_view", "url": f"{KB}/articles/itsm/{n}"} for n in range(3)]
    beacon = local_stack.api("POST", "/v1/t/events", {"anonymous_id": aid, "events": views})
    assert beacon.status == 202
    # Then the scorer adds them to the visitor's lead item and the leads stream's second
    # reader (count_hits, its own stream worker under `make run`) adds them to the report
    local_stack.wait_for(
        lambda: local_stack.sales("GET", "/v1/reports/funnel").json()["hits"] >= before + 3,
        timeout=15,
    )
