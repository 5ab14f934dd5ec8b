"""The front-door function: payload-2.0 events (Lambda function URL) answered by the app's routes."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from infra.local_stack import FakeLambdaContext
from tests.support import BROWSER_UA

KB = "https://kb.example.nl"
AID = "anon-frontdoor-01"
GIF_MAGIC = b"GIF89a"


def url_event(
    method: str,
    path: str,
    query: str = "",
    body: str | bytes | None = None,
    headers: dict[str, str] | None = None,
    cookies: list[str] | None = None,
) -> dict[str, Any]:
    """What a Lambda function URL sends (payload format 2.0)."""
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"user-agent": BROWSER_UA, "host": "abc.lambda-url.eu-west-1.on.aws"}
        | (headers or {}),
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abc",
            "domainName": "abc.lambda-url.eu-west-1.on.aws",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.10",
                "userAgent": BROWSER_UA,
            },
            "requestId": "req-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Dec/2026:22:00:00 +0000",
            "timeEpoch": 1_795_000_000_000,
        },
        "isBase64Encoded": False,
    }
    if query:
        event["queryStringParameters"] = dict(p.split("=", 1) for p in query.split("&"))
    if cookies:
        event["cookies"] = cookies
    if isinstance(body, bytes):
        event["body"] = base64.b64encode(body).decode()
        event["isBase64Encoded"] = True
    elif body is not None:
        event["body"] = body
    return event


def call(harness, event: dict[str, Any]) -> dict[str, Any]:
    answer = harness.module.front_door(event, FakeLambdaContext("front_door"))
    assert set(answer) <= {"statusCode", "headers", "body", "isBase64Encoded", "cookies"}
    return answer


def body_bytes(answer: dict[str, Any]) -> bytes:
    if answer["isBase64Encoded"]:
        return base64.b64decode(answer["body"])
    return str(answer["body"]).encode()


def stored_events(harness) -> list[dict[str, Any]]:
    return harness.dynamodb.scan(TableName=harness.names["events"])["Items"]


BEACON = {"anonymous_id": AID, "events": [{"type": "page_view", "url": f"{KB}/pricing"}]}


@pytest.mark.parametrize("encoded", [False, True])
def test_a_tracker_beacon_is_accepted_and_stored_plain_or_base64(harness, encoded):
    text = json.dumps(BEACON)
    event = url_event(
        "POST",
        "/v1/t/events",
        body=text.encode() if encoded else text,
        headers={"content-type": "text/plain;charset=UTF-8", "origin": KB},
        cookies=["_ga=GA1.2.3", "consent=yes"],
    )
    answer = call(harness, event)
    assert answer["statusCode"] == 202
    assert json.loads(body_bytes(answer))["accepted"] == 1
    assert answer["headers"]["Access-Control-Allow-Origin"] == KB
    [item] = stored_events(harness)
    assert item["type"]["S"] == "page_view"


def test_tracker_problems_come_from_the_one_error_table(harness):
    bad_json = call(
        harness,
        url_event("POST", "/v1/t/events", body="{", headers={"content-type": "text/plain"}),
    )
    assert bad_json["statusCode"] == 400
    assert "body" in json.loads(bad_json["body"])["message"]
    wrong_type = call(
        harness,
        url_event("POST", "/v1/t/events", body="{}", headers={"content-type": "image/png"}),
    )
    assert wrong_type["statusCode"] == 415
    too_big = call(
        harness,
        url_event(
            "POST",
            "/v1/t/events",
            body=b"x" * (65 * 1024),
            headers={"content-type": "application/json"},
        ),
    )
    assert too_big["statusCode"] == 413
    assert stored_events(harness) == []


def test_the_tracker_preflight_answers_an_allowed_origin(harness):
    answer = call(harness, url_event("OPTIONS", "/v1/t/events", headers={"origin": KB}))
    assert answer["statusCode"] == 204
    assert answer["headers"]["Access-Control-Allow-Origin"] == KB


@pytest.mark.parametrize("accept", ["*/*", "image/*", "text/html", None])
def test_the_page_pixel_is_a_gif_for_any_accept_header_and_reads_the_query(harness, accept):
    headers = {"accept": accept} if accept else {}
    query = f"aid={AID}&url=%2Fpricing&title=Prijzen"
    answer = call(
        harness,
        url_event("GET", "/v1/t/p.gif", query, headers={"referer": f"{KB}/x", **headers}),
    )
    assert answer["statusCode"] == 200
    assert answer["headers"]["Content-Type"] == "image/gif"
    assert answer["isBase64Encoded"] is True
    assert body_bytes(answer).startswith(GIF_MAGIC)
    assert "no-store" in answer["headers"]["Cache-Control"]
    [item] = stored_events(harness)
    assert item["url"]["S"] == f"{KB}/pricing"
    assert item["title"]["S"] == "Prijzen"


@pytest.mark.parametrize("accept", ["*/*", "image/*", None])
def test_the_open_pixel_is_a_gif_even_for_an_unknown_token(harness, accept):
    headers = {"accept": accept} if accept else {}
    answer = call(harness, url_event("GET", "/v1/t/o/not-a-token", headers=headers))
    assert answer["statusCode"] == 200
    assert body_bytes(answer).startswith(GIF_MAGIC)


def test_a_tracked_link_redirects_and_a_tampered_one_is_404_without_location(harness):
    created = harness.sales(
        "POST",
        "/v1/tracking-links",
        {"email": "jan@acme.nl", "campaign_id": "nov", "message_id": "m-1", "links": [KB]},
    )
    links = json.loads(created.body)
    path = urlsplit(links["links"][KB]).path
    answer = call(harness, url_event("GET", path))
    assert answer["statusCode"] == 302
    assert answer["headers"]["Location"] == KB
    tampered = call(
        harness, url_event("GET", path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    )
    assert tampered["statusCode"] == 404
    assert "Location" not in tampered["headers"]
    opened = call(harness, url_event("GET", urlsplit(links["open_pixel_url"]).path))
    assert body_bytes(opened).startswith(GIF_MAGIC)


def test_other_paths_and_methods_are_not_served_by_the_front_door(harness):
    assert call(harness, url_event("GET", "/v1/leads"))["statusCode"] == 404
    assert call(harness, url_event("GET", "/v1/t/events"))["statusCode"] == 405
    assert call(harness, url_event("DELETE", "/v1/t/c/abc"))["statusCode"] == 405


def test_with_a_front_door_secret_only_cloudfront_is_served_and_its_viewer_ip_used(
    harness, monkeypatch
):
    from chalicelib.settings import get_settings

    monkeypatch.setenv("FRONT_DOOR_SECRET", "cloudfront-origin-secret-1")
    get_settings.cache_clear()
    try:
        beacon = {"content-type": "application/json"}
        direct = call(
            harness, url_event("POST", "/v1/t/events", body=json.dumps(BEACON), headers=beacon)
        )
        assert direct["statusCode"] == 404
        assert stored_events(harness) == []
        via_cloudfront = {
            **beacon,
            "x-trechter-origin": "cloudfront-origin-secret-1",
            "cloudfront-viewer-address": "198.51.100.7:50123",
        }
        answer = call(
            harness,
            url_event("POST", "/v1/t/events", body=json.dumps(BEACON), headers=via_cloudfront),
        )
        assert answer["statusCode"] == 202
        assert len(stored_events(harness)) == 1
    finally:
        get_settings.cache_clear()
