"""Segment's and RudderStack's official Python SDKs against the local stack (`make run`).

The SDKs are pinned in requirements-dev.txt; each is pointed at Trechter by its one
host setting (segment-analytics-python: ``host``; rudder-sdk-python: ``dataPlaneUrl``).
"""

from __future__ import annotations

import threading
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

WRITE_KEY = "local-write-key"  # the local stack's default (SEGMENT_WRITE_KEYS)
TRAITS = {
    "firstName": "Noor",
    "lastName": "de Vries",
    "title": "CIO",
    "phone": "+31 20 123 4567",
    "company": {"name": "Globex", "employee_count": 800, "industry": "Software"},
    "address": {"country": "NL"},
}


def lead_of_user(stack: Any, user_id: str, until: Any = bool, timeout: float = 10) -> dict:
    """The lead linked to a Segment userId, once ``until`` holds for it."""
    found: dict[str, Any] = {}

    def ready() -> bool:
        listed = stack.sales("GET", f"/v1/leads?user_id={urllib.request.quote(user_id)}")
        items = listed.json().get("items", []) if listed.status == 200 else []
        if not items:
            return False
        found.update(stack.sales("GET", f"/v1/leads/{items[0]['lead_id']}").json())
        return bool(until(found))

    stack.wait_for(ready, timeout=timeout)
    return found


def trial_events(lead: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        e
        for e in lead["timeline"]
        if e["type"] == "custom" and e.get("properties", {}).get("event") == "Trial Started"
    ]


def has_trial(lead: dict[str, Any]) -> bool:
    return "trial_started" in {r["rule"] for r in lead["reasons"]}


def test_segment_analytics_python_feeds_trechter_by_its_host_setting(local_stack):
    from segment.analytics import Client

    # Given the official client, its host changed to Trechter's /segment
    client = Client(WRITE_KEY, host=f"{local_stack.api_url}/segment", sync_mode=True)
    user = f"seg-{uuid.uuid4().hex[:8]}"
    # When the backend identifies a user and reports a product event
    client.identify(user, {**TRAITS, "email": f"{user}@globex.nl"})
    client.track(user, "Trial Started", {"plan": "pro"})
    # Then the lead, found by its userId, has the profile, the fit and the event's points
    lead = lead_of_user(local_stack, user, until=has_trial)
    assert (lead["email"], lead["job_title"], lead["company_size"]) == (
        f"{user}@globex.nl",
        "CIO",
        800,
    )
    assert lead["fit_score"] > 0
    assert len(trial_events(lead)) == 1


def test_rudder_sdk_python_feeds_trechter_gzipped_by_its_data_plane_url(local_stack):
    from rudderstack.analytics.client import Client

    # Given RudderStack's client (gzip on by default), its data plane URL set to Trechter
    client = Client(WRITE_KEY, host=f"{local_stack.api_url}/segment", sync_mode=True)
    assert client.gzip is True
    user = f"rud-{uuid.uuid4().hex[:8]}"
    # When it identifies and tracks
    client.identify(user, {**TRAITS, "email": f"{user}@globex.nl"})
    client.track(user, "Trial Started")
    # Then Trechter has the lead with the event scored
    lead = lead_of_user(local_stack, user, until=has_trial)
    assert lead["company"] == "Globex"


def test_a_wrong_write_key_is_refused_with_401_and_the_sdk_does_not_retry(local_stack):
    from segment.analytics.request import APIError, post

    with pytest.raises(APIError) as refused:
        post(
            "not-a-key",
            f"{local_stack.api_url}/segment",
            batch=[{"type": "track", "userId": "u", "event": "x", "messageId": "m"}],
        )
    assert refused.value.status == 401


class _FlakyProxy(BaseHTTPRequestHandler):
    """Forwards every call to Trechter, but answers the first one 500 (a lost answer)."""

    target = ""
    calls: list[int] = []

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host",)}
        request = urllib.request.Request(
            self.target + self.path, data=body, headers=headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            status, payload = answer.status, answer.read()
        self.calls.append(status)
        if len(self.calls) == 1:
            status, payload = 500, b'{"code": "lost", "message": "answer lost on the way"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def flaky_proxy(local_stack) -> Iterator[tuple[str, list[int]]]:
    calls: list[int] = []
    handler = type("Flaky", (_FlakyProxy,), {"target": local_stack.api_url, "calls": calls})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", calls
    server.shutdown()


def test_a_batch_the_client_retries_after_a_lost_answer_counts_once(local_stack, flaky_proxy):
    from segment.analytics import Client

    # Given the client's own queue and retries, and an answer lost after Trechter stored it
    url, calls = flaky_proxy
    client = Client(WRITE_KEY, host=f"{url}/segment", max_retries=3, upload_interval=0.05)
    user = f"retry-{uuid.uuid4().hex[:8]}"
    # When the client sends a batch and flushes (the first answer is a 500: it retries)
    client.identify(user, {**TRAITS, "email": f"{user}@globex.nl"})
    client.track(user, "Trial Started")
    client.flush()
    client.join()
    # Then Trechter saw the batch twice but stored and scored each message once
    assert len(calls) >= 2, calls
    lead = lead_of_user(local_stack, user, until=has_trial)
    assert len(trial_events(lead)) == 1
    assert [r["rule"] for r in lead["reasons"]].count("trial_started") == 1


@pytest.mark.parametrize("sdk", ["segment.analytics", "rudderstack.analytics"])
def test_the_readme_s_sdk_examples_work_as_written(local_stack, sdk):
    import re
    import subprocess
    import sys

    from tests.conftest import ROOT

    # Given the README's example for this SDK, pointed at this stack with a fresh userId
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (code,) = [b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if f"import {sdk}" in b]
    user = f"readme-{uuid.uuid4().hex[:8]}"
    code = code.replace("http://127.0.0.1:8000", local_stack.api_url).replace("user-42", user)
    # When it runs (its own process: the SDKs keep module-level clients)
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    # Then Trechter has the user's "Trial Started"
    lead = lead_of_user(local_stack, user, until=lambda lead: bool(trial_events(lead)))
    assert len(trial_events(lead)) == 1
