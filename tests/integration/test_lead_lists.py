"""The sales lists over the sharded indexes, through the API."""

from __future__ import annotations

import base64
import json

import pytest

from tests.support import DIRECTOR

FORGED = [
    "bm90IGEgY3Vyc29y",
    base64.urlsafe_b64encode(b'{"pk":{"S":"LEAD#x"}}').decode(),
    base64.urlsafe_b64encode(b'{"stage_sk":{"S":"0001000000#x"},"done":{"N":"-1"}}').decode(),
]


@pytest.mark.parametrize("cursor", FORGED)
def test_a_cursor_this_api_did_not_issue_is_a_4xx_naming_the_cursor(harness, cursor):
    for query in ("", "stage=sql&"):
        answer = harness.sales("GET", f"/v1/leads?{query}cursor={cursor}")
        assert 400 <= answer.status_code < 500
        assert "cursor" in answer.body.decode()


def test_the_list_pages_every_identified_lead_once_highest_score_first(harness):
    for n in range(5):
        body = {**DIRECTOR, "email": f"person{n}@acme.nl", "anonymous_id": f"anon-list-{n:04d}"}
        assert harness.post("/v1/forms/demo/submissions", body).status_code == 201
    harness.pump()
    seen, cursor = [], None
    while True:
        path = "/v1/leads?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = json.loads(harness.sales("GET", path).body)
        seen += [(item["score"], item["lead_id"]) for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 5 == len({lead_id for _, lead_id in seen})
    assert [score for score, _ in seen] == sorted((score for score, _ in seen), reverse=True)
