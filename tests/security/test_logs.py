"""No personal data, secrets or whole IP addresses in logs.

The redaction layer is checked on its own, then a full journey (a form with
name, phone and e-mail, tracker events, a tracked-link click, feedback, export,
erasure) runs through the app in-process and through the local stack, and
neither one's logs may contain any of the person's data.
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import quote, urlsplit

import pytest

from chalicelib.observability import logger
from chalicelib.redaction import (
    REDACTED,
    personal_values_scope,
    redact_text,
    redact_value,
    remember_personal_values,
)
from tests.security.conftest import IN_PROCESS_API_KEY, captured_logs, client_address, in_process

KB = "https://kb.example.nl"
EMAIL = "quirijn.zwartveld@voorbeeld-bedrijf.nl"
FIRST, LAST = "Quirijn", "Zwartveld"
PHONE = "+31 6 4815 1623"
PHONE_DIGITS = "648151623"
AID = "anon-logs-7c1e0001"
IDEMPOTENCY_KEY = "idem-4b7d9e2a-journey"
CLIENT_IP = "203.0.113.77"


def _secrets_in(text: str, extra: tuple[str, ...] = ()) -> list[str]:
    """Which of the journey's personal values and secrets occur in the text."""
    needles = (
        EMAIL,
        quote(EMAIL),
        EMAIL.split("@")[0],
        FIRST,
        LAST,
        PHONE,
        PHONE.replace(" ", ""),
        PHONE_DIGITS,
        IDEMPOTENCY_KEY,
        CLIENT_IP,
        *extra,
    )
    lowered = text.lower()
    return [n for n in needles if n and n.lower() in lowered]


# -- the redaction layer ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        (f"lead {EMAIL} signed up", EMAIL),
        (f"GET /v1/leads?email={quote(EMAIL)}", quote(EMAIL)),
        (f"call {PHONE} today", PHONE),
        ("call 06-48151623 today", "48151623"),
        ("call 0475 12 34 56 today", "12 34 56"),
        (f"first_name={FIRST}&last_name={LAST}&company=Acme", FIRST),
        (f'{{"first_name": "{FIRST}", "phone": "{PHONE}"}}', FIRST),
        (f"{{'last_name': '{LAST}'}}", LAST),
        (f"value error [type=value_error, input_value='{FIRST} {LAST}', input_type=str]", FIRST),
        ("GET /v1/t/c/eyJjIjoiYzEiLCJrIjoiYyJ9.FJ-T-PAxDbvEkeuF2B_Ecw HTTP/1.1", "eyJjIjoi"),
        ("GET /v1/t/o/anything-at-all HTTP/1.1", "anything-at-all"),
        ("x-api-key: sk-live-123456", "sk-live-123456"),
        (f"client {CLIENT_IP} said hi", CLIENT_IP),
        ("client 2001:db8:85a3:1:2:8a2e:370:7334 said hi", "8a2e:370:7334"),
    ],
)
def test_redaction_removes_personal_data_tokens_keys_and_whole_ips(text, gone):
    # Given a log text with personal data or a secret
    # When it is redacted
    redacted = redact_text(text)
    # Then the value is gone
    assert gone not in redacted


@pytest.mark.parametrize(
    "text",
    [
        '"timestamp":"2026-11-23 12:30:49,979+0000"',
        "arn:aws:lambda:eu-west-1:123456789012:function:trechter-dev-api",
        "scored lead 0a1b2c3d4e5f60718293a4b5c6d7e8f9 at 1795437049.5 (applied 12)",
        "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.0.0 Safari/537.36",
        "form whitepaper, stage sql, score 87",
    ],
)
def test_redaction_leaves_operational_facts_alone(text):
    # Given a log text without personal data
    # When it is redacted
    # Then it is unchanged: timestamps, ARNs, ids and counts stay readable
    assert redact_text(text) == text


def test_redaction_by_key_cuts_ips_to_their_network_and_hides_keys_and_names():
    # Given a Lambda event as Powertools would log it with log_event on
    event = {
        "headers": {"X-Api-Key": "k-123", "Idempotency-Key": "i-1", "X-Forwarded-For": CLIENT_IP},
        "requestContext": {"identity": {"sourceIp": CLIENT_IP}},
        "body": json.dumps({"email": EMAIL, "first_name": FIRST}),
        "profile": {"first_name": FIRST, "last_name": LAST, "company": "Acme"},
    }
    # When it is redacted
    clean = redact_value(event)
    # Then keys and names are gone, IPs are their /24, and the rest stays
    assert clean["headers"]["X-Api-Key"] == REDACTED
    assert clean["headers"]["Idempotency-Key"] == REDACTED
    assert clean["requestContext"]["identity"]["sourceIp"] == "203.0.113.0/24"
    assert clean["profile"] == {"first_name": REDACTED, "last_name": REDACTED, "company": "Acme"}
    assert _secrets_in(json.dumps(clean)) == []


def test_the_powertools_logger_writes_no_personal_data_whatever_the_call():
    # Given Trechter's logger, in a request that submitted a name (as a form post does)
    with captured_logs() as output, personal_values_scope():
        remember_personal_values(FIRST, LAST)
        # When code logs personal data in every way the logging API allows
        logger.info("lead %s from %s", EMAIL, CLIENT_IP)
        logger.info({"first_name": FIRST, "phone": PHONE})
        logger.warning("profile", extra={"last_name": LAST, "source_ip": CLIENT_IP})
        logger.append_keys(idempotency_key=IDEMPOTENCY_KEY)
        try:
            raise ValueError(f"bad address {EMAIL}, phone {PHONE}")
        except ValueError:
            logger.exception("failed for %s %s", FIRST, LAST)
        finally:
            logger.remove_keys(["idempotency_key"])
        logging.getLogger("trechter").error("chalice-style line for %s", EMAIL)
        logging.getLogger("botocore.test").warning("library line about %s", EMAIL)
    # Then every line was written, and none carries the data
    text = output.getvalue()
    assert text.count("\n") >= 6
    assert _secrets_in(text) == []


def test_a_request_s_personal_values_are_forgotten_when_it_ends():
    # Given a request that submitted a name
    with personal_values_scope():
        remember_personal_values(FIRST)
        inside = redact_text(f"hello {FIRST}")
    # When the next request logs an unrelated word that happens to be the same
    outside = redact_text(f"hello {FIRST}")
    # Then only the first request's logs were redacted
    assert (inside, outside) == (f"hello {REDACTED}", f"hello {FIRST}")


# -- a full journey, in-process ----------------------------------------------------------


def _journey(call, sales, settle) -> dict[str, str]:
    """A person's whole journey; returns the tokens it produced."""
    answer = call(
        "POST",
        "/v1/forms/whitepaper/submissions",
        "&".join(
            f"{k}={quote(v)}"
            for k, v in {
                "email": EMAIL,
                "first_name": FIRST,
                "last_name": LAST,
                "phone": PHONE,
                "company": "Voorbeeld Bedrijf",
                "job_title": "Director of IT",
                "consent_marketing": "on",
                "anonymous_id": AID,
                "page_url": f"{KB}/whitepapers/itsm",
            }.items()
        ),
        "application/x-www-form-urlencoded",
        **{"Idempotency-Key": IDEMPOTENCY_KEY},
    )
    assert answer[0] == 303, answer
    answer = call(
        "POST",
        "/v1/t/events",
        json.dumps(
            {
                "anonymous_id": AID,
                "events": [
                    {"type": "page_view", "url": f"{KB}/pricing", "title": "Pricing"},
                    {"type": "site_search", "url": f"{KB}/search", "properties": {"query": "sla"}},
                    {"type": "download", "url": f"{KB}/downloads/evaluation-report.pdf"},
                ],
            }
        ),
        "text/plain",
    )
    assert answer[0] == 202, answer
    # A broken post with the person's data in it: its error must not leak either.
    call("POST", "/v1/forms/whitepaper/submissions", json.dumps({"email": f"{FIRST} {LAST}"}))
    links = sales(
        "POST",
        "/v1/tracking-links",
        {"email": EMAIL, "campaign_id": "nov", "message_id": "m1", "links": [f"{KB}/pricing"]},
    )
    assert links[0] == 201, links
    pixel = urlsplit(links[1]["open_pixel_url"]).path
    click = urlsplit(links[1]["links"][f"{KB}/pricing"]).path
    assert call("GET", pixel, None, "application/json")[0] == 200
    assert call("GET", click, None, "application/json")[0] == 302
    lead = sales("GET", f"/v1/leads?email={quote(EMAIL)}")
    lead_id = lead[1]["items"][0]["lead_id"]
    settle(lead_id)  # the scorer has seen the form: the lead is past 'visitor'
    assert (
        sales(
            "POST",
            f"/v1/leads/{lead_id}/feedback",
            {"outcome": "won", "note": f"Signed by {FIRST}"},
        )[0]
        == 200
    )
    assert sales("GET", f"/v1/leads/{lead_id}/export")[0] == 200
    assert sales("DELETE", f"/v1/leads/{lead_id}")[0] == 204
    return {"pixel": pixel.rsplit("/", 1)[1], "click": click.rsplit("/", 1)[1]}


@pytest.mark.parametrize("log_event", ["false", "true"])
def test_a_full_journey_in_process_logs_no_personal_data(log_event):
    # Given the app in-process, logging at DEBUG, behind a client with a public address,
    # and even with Powertools logging every incoming Lambda event (headers, body, path)
    settings = {"LOG_LEVEL": "DEBUG", "POWERTOOLS_LOGGER_LOG_EVENT": log_event}
    with client_address(CLIENT_IP), in_process(**settings) as app, captured_logs() as output:
        previous = logger.log_level
        logger.setLevel("DEBUG")

        def call(method, path, body=None, content_type="application/json", **headers):
            answer = app.request(method, path, body, content_type, **headers)
            return answer.status_code, answer

        def sales(method, path, body=None):
            answer = app.request(method, path, body, **{"x-api-key": IN_PROCESS_API_KEY})
            payload = json.loads(answer.body) if answer.body else None
            return answer.status_code, payload

        try:
            # When a person goes through the whole journey, and the scorer runs
            tokens = _journey(call, sales, lambda lead_id: app.score_new_events())
        finally:
            logger.setLevel(previous)
    # Then the logs hold none of the person's data, tokens or keys
    text = output.getvalue()
    assert _secrets_in(text, (*tokens.values(), IN_PROCESS_API_KEY)) == []
    if log_event == "true":
        assert '"requestContext"' in text  # the events were logged, redacted


def test_an_unexpected_error_is_logged_without_the_data_in_its_message(monkeypatch):
    # Given a store that fails with personal data in its error message
    with in_process() as app, captured_logs() as output:
        from chalicelib.services.container import get_services

        def broken(*args, **kwargs):
            raise RuntimeError(f"could not write lead {EMAIL} ({FIRST} {LAST}, {PHONE})")

        monkeypatch.setattr(get_services().leads, "create_lead", broken)
        # When a form post hits it
        answer = app.request(
            "POST",
            "/v1/forms/whitepaper/submissions",
            {"email": EMAIL, "first_name": FIRST, "last_name": LAST, "phone": PHONE},
        )
    # Then the caller gets a bare 500, and the traceback in the log carries no data
    assert answer.status_code == 500
    text = output.getvalue()
    assert "RuntimeError" in text
    assert _secrets_in(text) == []


# -- the same journey against the local stack (`make run`) -------------------------------


def _without_sales_inbox(log: str) -> str:
    """The stack's output less the hot-lead notifications it prints for sales (=== blocks)."""
    return re.sub(r"^=+\n HOT LEAD .*?^=+$", "", log, flags=re.MULTILINE | re.DOTALL)


@pytest.mark.e2e
def test_a_full_journey_on_the_local_stack_logs_no_personal_data(security_stack):
    # Given the local stack, with what it printed at start-up set aside
    started = len(security_stack.log())

    def call(method, path, body=None, content_type="application/json", **headers):
        answer = security_stack.api(method, path, body, **{"Content-Type": content_type, **headers})
        return answer.status, answer

    def sales(method, path, body=None):
        answer = security_stack.sales(method, path, body)
        return answer.status, (answer.json() if answer.body else None)

    # When a person goes through the whole journey, and the stream workers score it
    def settle(lead_id: str) -> None:
        security_stack.wait_for(
            lambda: sales("GET", f"/v1/leads/{lead_id}")[1]["stage"] != "visitor", timeout=10
        )

    tokens = _journey(call, sales, settle)
    # Then the stack's output (API access lines, Powertools logs, workers) holds none of it;
    # the sales inbox's printout of a hot lead is the one place meant to show the person
    log = _without_sales_inbox(security_stack.log()[started:])
    assert "/v1/t/c/" in log  # the access lines are there, redacted
    assert _secrets_in(log, (*tokens.values(), security_stack.api_key)) == []
    access_lines = [
        line for line in log.splitlines() if '"GET /v1/' in line or '"POST /v1/' in line
    ]
    assert access_lines
    assert all(line.startswith("127.0.0.0/24 ") for line in access_lines)
