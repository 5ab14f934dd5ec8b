"""Segment's HTTP Tracking API through the Chalice app on moto: auth, bodies, limits, lookup."""

from __future__ import annotations

import base64
import gzip
import json

from tests.integration.conftest import API_KEY, ORIGIN, WRITE_KEY
from tests.support import BROWSER_UA

BASIC = "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
TRAITS = {"email": "sanne@acme.nl", "firstName": "Sanne", "title": "Head of IT"}


def post(harness, path, body, content_type="application/json", **headers):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    all_headers = {"user-agent": "analytics-python/2.4.0", "content-type": content_type, **headers}
    return harness.client.http.post(path, body=data, headers=all_headers)


def test_a_wrong_or_missing_write_key_gets_401(harness):
    body = {"userId": "u1", "event": "Trial Started"}
    wrong = "Basic " + base64.b64encode(b"nope:").decode()
    assert post(harness, "/segment/v1/track", body).status_code == 401
    assert post(harness, "/segment/v1/track", body, authorization=wrong).status_code == 401
    answer = post(harness, "/segment/v1/track", {**body, "writeKey": "nope"})
    assert answer.status_code == 401
    assert "writeKey" in json.loads(answer.body)["message"]


def test_analytics_js_short_path_with_text_plain_and_the_key_in_the_body(harness):
    # Given what analytics.js posts for analytics.page()
    body = {
        "type": "page",
        "writeKey": WRITE_KEY,
        "anonymousId": "5c8e-aid-0001",
        "properties": {"url": "https://kb.example.nl/pricing", "path": "/pricing"},
        "context": {"userAgent": BROWSER_UA},
        "messageId": "ajs-next-1",
        "sentAt": "2026-11-18T10:00:00.000Z",
        "timestamp": "2026-11-18T09:59:59.000Z",
    }
    # When it arrives as text/plain on /segment/v1/p, from the landing page's origin
    answer = post(harness, "/segment/v1/p", json.dumps(body), "text/plain", origin=ORIGIN)
    # Then it is stored, answered as Segment does, readable by the page (CORS)
    assert answer.status_code == 200
    assert json.loads(answer.body) == {"success": True, "rejected": []}
    assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_the_preflight_allows_the_authorization_header(harness):
    answer = harness.client.http.request(
        "OPTIONS",
        "/segment/v1/t",
        headers={"origin": ORIGIN, "access-control-request-headers": "authorization"},
    )
    assert answer.status_code == 204
    assert "Authorization" in answer.headers["Access-Control-Allow-Headers"]


def test_a_gzipped_batch_with_basic_auth_is_stored_and_the_lead_found_by_user_id(harness):
    # Given RudderStack's default: a gzipped batch, the key as Basic user
    batch = {
        "batch": [
            {"type": "identify", "userId": "u-55", "traits": TRAITS, "messageId": "r-1"},
            {"type": "track", "userId": "u-55", "event": "Trial Started", "messageId": "r-2"},
            {"type": "track", "event": "no ids", "messageId": "r-3"},
        ]
    }
    data = gzip.compress(json.dumps(batch).encode())
    # When it is posted
    answer = post(
        harness, "/segment/v1/batch", data, authorization=BASIC, **{"content-encoding": "gzip"}
    )
    # Then the good messages are stored, the bad one answered
    assert answer.status_code == 200
    assert [r["index"] for r in json.loads(answer.body)["rejected"]] == [2]
    harness.pump()
    found = harness.client.http.get("/v1/leads?user_id=u-55", headers={"x-api-key": API_KEY})
    (lead,) = json.loads(found.body)["items"]
    assert lead["email"] == "sanne@acme.nl"
    view = json.loads(harness.sales("GET", f"/v1/leads/{lead['lead_id']}").body)
    assert "trial_started" in {r["rule"] for r in view["reasons"]}


def test_segment_s_limits_are_enforced_and_named(harness):
    big = {"userId": "u1", "event": "x", "properties": {"blob": "x" * 33_000}}
    answer = post(harness, "/segment/v1/track", big, authorization=BASIC)
    assert answer.status_code == 413
    assert "32 KB per call" in json.loads(answer.body)["message"]
    # A batch may be 500 KB (the rest of the API stops at 64 KiB), not more
    ok = {
        "batch": [
            {"type": "track", "userId": "u1", "event": "x", "properties": {"blob": "x" * 30_000}}
            for _ in range(15)
        ]
    }
    assert post(harness, "/segment/v1/b", ok, authorization=BASIC).status_code == 200
    too_big = {"batch": ok["batch"] * 2}
    answer = post(harness, "/segment/v1/b", too_big, authorization=BASIC)
    assert answer.status_code == 413
    assert "500 KB per batch" in json.loads(answer.body)["message"]
    # A gzip bomb is refused once it inflates past the limit
    bomb = gzip.compress(b'{"batch": ["' + b"0" * 5_000_000 + b'"]}')
    answer = post(
        harness, "/segment/v1/batch", bomb, authorization=BASIC, **{"content-encoding": "gzip"}
    )
    assert answer.status_code == 413


def test_malformed_segment_bodies_get_a_4xx(harness):
    for data, kind, status in (
        (b"{", "application/json", 400),
        (b"[]", "application/json", 400),
        (b"\x1f\x8b broken", "application/json", 400),
        (b"{}", "application/xml", 415),
    ):
        answer = post(harness, "/segment/v1/batch", data, kind, authorization=BASIC)
        assert answer.status_code == status, data
