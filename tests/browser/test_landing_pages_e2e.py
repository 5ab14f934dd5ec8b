"""A person on the landing pages, end to end: Chromium, the local stack's page server and API,
the stream workers, and the lead that comes out of it.

Needs the ``local_stack`` fixture (``tests/conftest.py``), which starts ``make run``'s stack.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser.helpers import screenshot, unique_email

pytestmark = pytest.mark.browser

SECURITY_ARTICLE = "/articles/informatiebeveiliging/iso-27001-gap-analysis/"
ITIL_ARTICLE = "/articles/itsm/why-itil/"
GUIDE = "/guides/itsm-in-practice/"
GUIDE_PDF = "/whitepapers/itsm-in-practice.pdf"
TIME_TRAP_SECONDS = 2.5  # the API treats a form sent under 2 s after render as a bot


def api_traffic(page: Any, api_url: str) -> list[Any]:
    """Record every request the page sends to the API's origin."""
    seen: list[Any] = []
    page.on("request", lambda r: seen.append(r) if r.url.startswith(api_url) else None)
    return seen


def lead_for(local_stack: Any, email: str, until: Any = bool, timeout: float = 10) -> dict:
    """The lead with this e-mail, once ``until(lead)`` holds."""
    holder: dict[str, Any] = {}

    def ready() -> bool:
        lead = local_stack.get_lead_by_email(email)
        holder["lead"] = lead
        return bool(lead) and bool(until(lead))

    local_stack.wait_for(ready, timeout=timeout)
    return holder["lead"]


def path_of(event: dict[str, Any]) -> str:
    return urlsplit(event.get("url") or "").path


def fill_whitepaper(page: Any, email: str) -> None:
    page.get_by_label("First name").fill("Marieke")
    page.get_by_label("Last name").fill("Jansen")
    page.get_by_label("Work e-mail").fill(email)
    page.get_by_label("Organisation").fill("Waterschap Rivierenland")
    page.get_by_label("Job title").fill("IT manager")


def test_a_reader_becomes_a_lead_with_their_earlier_reading_on_the_timeline(
    local_stack: Any, new_context: Any
) -> None:
    # Given a person who reads two articles and clicks through inside the second
    page = new_context().new_page()
    traffic = api_traffic(page, local_stack.api_url)
    page.goto(local_stack.pages_url + SECURITY_ARTICLE)
    page.goto(local_stack.pages_url + ITIL_ARTICLE)
    anonymous_id = page.evaluate("trechter.id()")
    page.locator(f'article a[href="{GUIDE}"]').click()
    page.wait_for_url("**" + GUIDE)
    page.wait_for_timeout(TIME_TRAP_SECONDS * 1000)

    # When they ask for the guide with a mistyped address
    email = unique_email("reader")
    fill_whitepaper(page, email.replace(".com", ""))
    page.get_by_role("button", name="Send me the guide").click()
    # Then the API's error shows next to the e-mail field
    error = page.locator("#whitepaper-email-trechter-error")
    error.wait_for()
    field = page.get_by_label("Work e-mail")
    assert field.get_attribute("aria-invalid") == "true"
    assert "whitepaper-email-trechter-error" in field.get_attribute("aria-describedby")
    assert field.evaluate("e => e === document.activeElement")
    screenshot(page, "e2e-whitepaper-invalid-email")

    # When they correct it
    field.fill(email)
    page.get_by_role("button", name="Send me the guide").click()
    # Then the thank-you page delivers the guide
    page.wait_for_url("**/thank-you/?asset=whitepaper")
    download = page.get_by_role("link", name="Download the guide (PDF, 40 pages)")
    assert download.get_attribute("href") == GUIDE_PDF
    screenshot(page, "e2e-thank-you-whitepaper")

    # And the beacons were accepted, and the form carried the id the pages were read under
    beacons = [r for r in traffic if r.url.endswith("/v1/t/events")]
    assert beacons
    assert {r.response().status for r in beacons} == {202}
    forms = [r for r in traffic if r.method == "POST" and "/v1/forms/" in r.url]
    assert [json.loads(r.post_data)["anonymous_id"] for r in forms] == [anonymous_id] * 2

    # And the person is a lead whose timeline holds the reading done before the form
    def has_history(lead: dict[str, Any]) -> bool:
        viewed = {path_of(e) for e in lead.get("timeline", []) if e.get("type") == "page_view"}
        return {SECURITY_ARTICLE, ITIL_ARTICLE, GUIDE} <= viewed

    lead = lead_for(local_stack, email, until=has_history)
    assert lead["email"] == email
    assert lead["first_name"] == "Marieke"
    assert lead["stage"] != "visitor"
    timeline = lead["timeline"]
    stamps = [e["ts"] for e in timeline]
    assert stamps == sorted(stamps, reverse=True), "the timeline is newest first"
    earlier = [e for e in timeline if e.get("source") == "tracker"]
    assert {e.get("anonymous_id") for e in earlier} == {anonymous_id}
    assert [e.get("machine") for e in earlier] == [None] * len(earlier), "seen as a person"
    click = next(e for e in timeline if e["type"] == "link_click")
    assert click["properties"] == {"target_url": local_stack.pages_url + GUIDE, "in_article": True}
    assert path_of(click) == ITIL_ARTICLE


def test_without_javascript_the_plain_form_post_makes_a_lead(
    local_stack: Any, new_context: Any
) -> None:
    # Given a person whose browser runs no JavaScript
    page = new_context(java_script_enabled=False).new_page()
    responses: list[Any] = []
    page.on("response", lambda r: responses.append(r))
    page.goto(local_stack.pages_url + ITIL_ARTICLE)
    page.goto(local_stack.pages_url + GUIDE)

    # When they submit the whitepaper form
    email = unique_email("nojs")
    fill_whitepaper(page, email)
    page.get_by_role("button", name="Send me the guide").click()

    # Then the API answers the plain post with 303 to the thank-you page
    page.wait_for_url("**/thank-you/**")
    posts = [r for r in responses if r.request.method == "POST" and "/v1/forms/" in r.url]
    assert [r.status for r in posts] == [303]
    assert urlsplit(posts[0].headers["location"]).path == "/thank-you/"
    # And the page still offers the guide
    assert page.locator(f'a[href="{GUIDE_PDF}"]').first.is_visible()
    screenshot(page, "e2e-thank-you-without-javascript")
    # And the lead exists
    lead = lead_for(local_stack, email)
    assert lead["last_name"] == "Jansen"
    assert lead["company"] == "Waterschap Rivierenland"


def test_with_consent_required_nothing_reaches_the_api_until_the_visitor_accepts(
    local_stack: Any, new_context: Any
) -> None:
    # Given a page that requires consent
    context = new_context()
    page = context.new_page()
    traffic = api_traffic(page, local_stack.api_url)
    page.goto(local_stack.pages_url + ITIL_ARTICLE + "?trechter_consent=required")
    banner = page.get_by_role("region", name="Cookies on the Kennisbank")
    banner.wait_for()

    # When the visitor reads and scrolls without answering
    page.mouse.wheel(0, 1200)
    page.wait_for_timeout(2000)
    # Then no request leaves the page for the API, and no id is stored
    assert [r.url for r in traffic] == []
    assert not [c for c in context.cookies() if c["name"] == "trechter_aid"]

    # When they accept
    with page.expect_request(lambda r: r.url.endswith("/v1/t/events")) as sent:
        banner.get_by_role("button", name="Accept").click()
    # Then the events flow to the API, and are accepted
    answer = sent.value.response()
    assert answer is not None
    assert answer.status == 202
    assert [c["value"] for c in context.cookies() if c["name"] == "trechter_consent"] == ["yes"]


GPC = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});"
DNT = "Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'});"


@pytest.mark.parametrize(
    ("signal", "header"),
    [(GPC, {"Sec-GPC": "1"}), (DNT, {"DNT": "1"})],
    ids=["global-privacy-control", "do-not-track"],
)
def test_a_privacy_signal_means_no_tracking_but_forms_still_work(
    local_stack: Any, new_context: Any, signal: str, header: dict[str, str]
) -> None:
    # Given a browser that sends a privacy signal (to scripts and in its requests)
    context = new_context(extra_http_headers=header)
    context.add_init_script(signal)
    page = context.new_page()
    traffic = api_traffic(page, local_stack.api_url)

    # When the visitor reads, clicks inside an article, searches and lingers
    page.goto(local_stack.pages_url + "/search/?q=ITIL")
    page.goto(local_stack.pages_url + ITIL_ARTICLE)
    page.locator(f'article a[href="{GUIDE}"]').click()
    page.wait_for_url("**" + GUIDE)
    page.wait_for_timeout(TIME_TRAP_SECONDS * 1000)

    # Then not a single request went to the API
    assert [r.url for r in traffic] == []
    assert page.evaluate("[trechter.consent(), trechter.id()]") == ["blocked", None]

    # When they ask for the guide
    email = unique_email("private")
    fill_whitepaper(page, email)
    page.get_by_role("button", name="Send me the guide").click()
    page.wait_for_url("**/thank-you/?asset=whitepaper")
    # Then only the form went to the API, without an anonymous id, and the lead exists
    assert {urlsplit(r.url).path for r in traffic} == {"/v1/forms/whitepaper/submissions"}
    sent = json.loads(next(r for r in traffic if r.method == "POST").post_data)
    assert "anonymous_id" not in sent
    assert lead_for(local_stack, email)["email"] == email


def test_a_subscriber_can_unsubscribe_and_the_lead_records_it(
    local_stack: Any, new_context: Any
) -> None:
    # Given a person who subscribed to the newsletter
    page = new_context().new_page()
    page.goto(local_stack.pages_url + "/newsletter/")
    page.wait_for_timeout(TIME_TRAP_SECONDS * 1000)
    email = unique_email("subscriber")
    page.get_by_role("textbox", name="E-mail", exact=True).fill(email)
    page.get_by_label("First name").fill("Joke")
    page.get_by_label("Yes, e-mail me").check()
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url("**/thank-you/?asset=newsletter")
    lead_for(local_stack, email)

    # When they follow the unsubscribe link and confirm
    page.goto(f"{local_stack.pages_url}/newsletter/unsubscribe/?email={email}")
    page.get_by_role("button", name="Unsubscribe").click()
    page.get_by_role("status").filter(has_text="no more newsletters").wait_for()

    # Then the lead's timeline records the unsubscribe
    def unsubscribed(lead: dict[str, Any]) -> bool:
        return any(e["type"] == "newsletter_unsubscribe" for e in lead.get("timeline", []))

    lead = lead_for(local_stack, email, until=unsubscribed)
    assert lead["email"] == email


def test_a_form_sent_faster_than_a_person_types_is_thanked_but_not_stored(
    local_stack: Any, new_context: Any
) -> None:
    # Given a bot that fills the form the moment the page renders (rendered_at is < 2 s ago)
    page = new_context().new_page()
    page.goto(local_stack.pages_url + GUIDE)
    email = unique_email("hasty")
    fill_whitepaper(page, email)
    page.get_by_role("button", name="Send me the guide").click()
    # Then it sees the normal thank-you page, and no lead is made
    page.wait_for_url("**/thank-you/?asset=whitepaper")
    page.wait_for_timeout(1500)
    assert local_stack.get_lead_by_email(email) is None


def test_a_filled_honeypot_is_thanked_but_not_stored(local_stack: Any, new_context: Any) -> None:
    # Given a bot that fills every field it finds, the hidden website field too
    page = new_context().new_page()
    page.goto(local_stack.pages_url + GUIDE)
    page.wait_for_timeout(TIME_TRAP_SECONDS * 1000)
    email = unique_email("honeypot")
    fill_whitepaper(page, email)
    page.locator("#whitepaper-website").fill("https://cheap-pills.example.com", force=True)
    page.get_by_role("button", name="Send me the guide").click()
    # Then it sees the normal thank-you page, and no lead is made
    page.wait_for_url("**/thank-you/?asset=whitepaper")
    page.wait_for_timeout(1500)
    assert local_stack.get_lead_by_email(email) is None
