"""A site instrumented only with Segment's analytics.js, plus a backend on Segment's Python SDK,
makes the same lead as Trechter's own tracker and forms for the same behaviour.

analytics.js is ``@segment/analytics-next`` from the npm registry, vendored
(``make vendor-analytics-next``), loaded by ``landing_pages/examples/segment.html`` with
its CDN settings given inline (no request to Segment), ``apiHost`` = Trechter's /segment/v1.
Needs the ``local_stack`` fixture and Chromium.
"""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.helpers import screenshot, unique_email
from tests.browser.test_landing_pages_e2e import TIME_TRAP_SECONDS, lead_for

pytestmark = pytest.mark.browser

PAGES = ("/pricing/", "/docs/", "/demo/")
THANKS = "/thank-you/?asset=demo"
PROFILE = {
    "first_name": "Eva",
    "last_name": "Bakker",
    "job_title": "Head of IT",
    "company": "Polderbank",
    "phone": "020 123 4567",
}
SIZE_CHOICE, EMPLOYEES = "250-999", 624  # the form's range; its midpoint, as a form stores it


def complete(lead: dict[str, Any]) -> bool:
    """Every act of the journey is on the timeline and the lead reached sql."""
    timeline = lead.get("timeline", [])
    viewed = {urlsplit(e.get("url") or "").path for e in timeline if e["type"] == "page_view"}
    asked = any(e["type"] == "form_submit" for e in timeline)
    return {*PAGES, "/thank-you/"} <= viewed and asked and lead["stage"] == "sql"


def settled(local_stack: Any, email: str) -> dict[str, Any]:
    """The lead once its journey is stored and its score no longer moves (scoring is async)."""
    lead = lead_for(local_stack, email, until=complete, timeout=20)
    for _ in range(15):
        time.sleep(1.0)
        again = lead_for(local_stack, email, until=complete)
        if (again["score"], again["reasons"]) == (lead["score"], lead["reasons"]):
            return again
        lead = again
    raise AssertionError(f"the score of {email} kept moving")


def native_journey(local_stack: Any, new_context: Any, email: str) -> tuple[dict, dict]:
    """Trechter's own tracker on the landing pages, then the demo form; the lead and titles."""
    page = new_context().new_page()
    titles = {}
    for path in PAGES:
        page.goto(local_stack.pages_url + path)
        titles[path] = page.title()
    page.wait_for_timeout(TIME_TRAP_SECONDS * 1000)
    page.locator("#demo-first-name").fill(PROFILE["first_name"])
    page.locator("#demo-last-name").fill(PROFILE["last_name"])
    page.locator("#demo-email").fill(email)
    page.locator("#demo-phone").fill(PROFILE["phone"])
    page.locator("#demo-job-title").fill(PROFILE["job_title"])
    page.locator("#demo-company").fill(PROFILE["company"])
    page.locator("#demo-company-size").select_option(SIZE_CHOICE)
    page.locator("#demo-country").select_option("NL")
    page.get_by_role("button", name="Request my demo").click()
    page.wait_for_url("**/thank-you/**")
    page.wait_for_load_state("load")
    titles[THANKS] = page.title()
    return settled(local_stack, email), titles


def segment_journey(
    local_stack: Any, new_context: Any, email: str, titles: dict[str, str]
) -> tuple[dict, list[str], str]:
    """analytics.js page views and identify(userId) in Chromium; the backend's SDK calls."""
    from segment.analytics import Client

    page = new_context().new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(local_stack.pages_url + "/examples/segment.html?pageview=off")
    page.wait_for_function("window.analytics && window.AnalyticsNext")
    user = f"user-{uuid.uuid4().hex[:10]}"
    for path in PAGES:
        props = {"url": local_stack.pages_url + path, "path": path, "title": titles[path]}
        page.evaluate("props => window.analytics.page(props)", props)
    page.evaluate("user => window.analytics.identify(user)", user)
    screenshot(page, "segment-example-page")

    backend = Client("local-write-key", host=f"{local_stack.api_url}/segment", sync_mode=True)
    traits = {
        "email": email,
        "firstName": PROFILE["first_name"],
        "lastName": PROFILE["last_name"],
        "title": PROFILE["job_title"],
        "phone": PROFILE["phone"],
        "company": {"name": PROFILE["company"], "employee_count": EMPLOYEES},
        "address": {"country": "NL"},
    }
    backend.identify(user, traits)
    backend.track(user, "Demo Requested")
    # The site's thank-you page, as the form's redirect shows it on Trechter's pages
    thanks = {
        "url": local_stack.pages_url + THANKS,
        "path": THANKS.split("?")[0],
        "title": titles[THANKS],
    }
    page.evaluate("props => window.analytics.page(props)", thanks)
    return settled(local_stack, email), requested, user


def test_analytics_js_and_the_python_sdk_make_the_same_lead_as_tracker_and_forms(
    local_stack: Any, new_context: Any
) -> None:
    # Given a person who reads pricing and the docs and asks for a demo on Trechter's pages
    native, titles = native_journey(local_stack, new_context, unique_email("native"))
    # And the same behaviour on a site with only analytics.js, and a backend on the SDK
    email = unique_email("segment")
    segment, requested, user = segment_journey(local_stack, new_context, email, titles)

    # Then both are the same lead: profile, stage, scores and reasons
    for field in (
        "first_name",
        "last_name",
        "job_title",
        "company",
        "company_size",
        "country",
        "phone",
        "stage",
        "score",
        "fit_score",
        "engagement_score",
        "recommended_channel",
    ):
        assert segment[field] == native[field], (field, native["reasons"], segment["reasons"])

    def reasons(lead: dict[str, Any]) -> list[tuple[str, Any, str]]:
        return sorted((r["rule"], r["points"], r["text"]) for r in lead["reasons"])

    assert reasons(segment) == reasons(native)
    # And analytics.js spoke only to the pages and Trechter: no Segment CDN, no api.segment.io
    hosts = {url.split("/")[2] for url in requested}
    assert hosts <= {local_stack.pages_url.split("/")[2], local_stack.api_url.split("/")[2]}
    segment_calls = [url for url in requested if "/segment/v1/" in url]
    assert {url.rsplit("/", 1)[1] for url in segment_calls} >= {"p", "i"}
    # And the lead is found by the backend's userId
    found = local_stack.sales("GET", f"/v1/leads?user_id={user}").json()["items"]
    assert [item["lead_id"] for item in found] == [segment["lead_id"]]


def test_analytics_js_batching_delivery_posts_to_b_and_every_call_counts_once(
    local_stack: Any, new_context: Any
) -> None:
    # Given analytics.js with its batching delivery strategy (3 calls per POST)
    page = new_context().new_page()
    posts: list[Any] = []
    page.on("request", lambda r: posts.append(r) if "/segment/v1/" in r.url else None)
    page.goto(local_stack.pages_url + "/examples/segment.html?pageview=off&batching=on")
    page.wait_for_function("window.analytics && window.AnalyticsNext")
    user = f"batch-{uuid.uuid4().hex[:10]}"
    # When the visitor views two pages and the site identifies them
    for path in ("/pricing/", "/docs/"):
        props = {"url": local_stack.pages_url + path, "path": path, "title": path}
        page.evaluate("props => { window.analytics.page(props) }", props)
    with page.expect_request(
        lambda r: r.method == "POST" and r.url.endswith("/segment/v1/b"), timeout=10_000
    ) as sent:
        page.evaluate("user => { window.analytics.identify(user) }", user)
    assert sent.value.response() is not None and sent.value.response().status == 200

    # Then they went in one batch, and the user's lead holds each page view once
    def viewed(lead: dict[str, Any]) -> list[str]:
        return sorted(
            urlsplit(e.get("url") or "").path for e in lead["timeline"] if e["type"] == "page_view"
        )

    from tests.e2e.test_segment_clients import lead_of_user

    lead = lead_of_user(local_stack, user, until=lambda lead: len(viewed(lead)) == 2)
    assert viewed(lead) == ["/docs/", "/pricing/"]
    assert {r.url.rsplit("/", 1)[1] for r in posts if r.method == "POST"} == {"b"}
