"""The JavaScript tracker against a recording stand-in of the API: what it sends, and when.

These tests hold the tracker to the contract's tracker body and form fields, in a real
browser, without needing the local stack.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.browser.helpers import Site, screenshot, unique_email, wait_until

pytestmark = pytest.mark.browser

WHY_ITIL = "/articles/itsm/why-itil/"
INCIDENT = "/articles/itsm/incident-vs-problem-management/"
GUIDE = "/guides/itsm-in-practice/"
GPC = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});"
DNT = "Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'});"


def events_of(site: Site, kind: str) -> list[dict[str, Any]]:
    return [e for e in site.api.events() if e["type"] == kind]


def wait_for_event(site: Site, kind: str, timeout: float = 5.0, **match: Any) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        for event in events_of(site, kind):
            props = event.get("properties", {})
            if all(event.get(k) == v or props.get(k) == v for k, v in match.items()):
                return event
        return None

    return wait_until(found, timeout)


def api_requests(page: Any, site: Site) -> list[str]:
    """Start recording every request the page makes to the API's origin."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if r.url.startswith(site.api.url) else None)
    return seen


def cookie(context: Any, name: str) -> dict[str, Any] | None:
    return next((c for c in context.cookies() if c["name"] == name), None)


def test_page_view_body_follows_the_contract(site: Site, new_context: Any) -> None:
    # Given a visitor
    page = new_context().new_page()
    # When they open an article
    page.goto(site.pages_url + WHY_ITIL)
    # Then one text/plain body with the contract's keys arrives
    view = wait_for_event(site, "page_view")
    request = site.api.received("/v1/t/events")[0]
    assert request.headers["content-type"].startswith("text/plain")
    body = request.json()
    assert set(body) == {"anonymous_id", "sent_at", "events"}
    assert uuid.UUID(body["anonymous_id"]).version == 4
    sent_at = datetime.fromisoformat(body["sent_at"].replace("Z", "+00:00"))
    assert abs((datetime.now(UTC) - sent_at).total_seconds()) < 30
    assert set(view) == {"event_id", "type", "url", "ts", "title", "referrer", "properties"}
    assert uuid.UUID(view["event_id"]).version == 4
    assert view["url"] == site.pages_url + WHY_ITIL
    assert view["title"] == page.title()
    assert view["properties"] == {}
    assert datetime.fromisoformat(view["ts"].replace("Z", "+00:00")) <= sent_at


def test_anonymous_id_is_kept_in_a_first_party_cookie_and_local_storage(
    site: Site, new_context: Any
) -> None:
    # Given a visitor who reads two pages
    context = new_context()
    page = context.new_page()
    page.goto(site.pages_url + WHY_ITIL)
    first_id = page.evaluate("trechter.id()")
    page.goto(site.pages_url + "/pricing/")
    wait_until(lambda: len(events_of(site, "page_view")) == 2)
    # Then both page views carry one id, kept in a 1-year SameSite=Lax cookie and localStorage
    ids = {r.json()["anonymous_id"] for r in site.api.received("/v1/t/events")}
    assert ids == {first_id}
    stored = cookie(context, "trechter_aid")
    assert stored is not None
    assert stored["value"] == first_id
    assert stored["sameSite"] == "Lax"
    assert stored["path"] == "/"
    assert abs(stored["expires"] - (time.time() + 365 * 86400)) < 2 * 86400
    assert page.evaluate("localStorage.getItem('trechter_aid')") == first_id


def test_a_link_inside_an_article_is_marked_in_article(site: Site, new_context: Any) -> None:
    # Given a reader of an article
    page = new_context().new_page()
    page.goto(site.pages_url + WHY_ITIL)
    # When they click a link in the article body, and then a link in the navigation
    page.locator(f'article a[href="{INCIDENT}"]').first.click()
    page.wait_for_url("**" + INCIDENT)
    page.locator('nav[aria-label="Main"] a[href="/pricing/"]').click()
    page.wait_for_url("**/pricing/")
    # Then the first click is in_article, the second is not
    inside = wait_for_event(site, "link_click", target_url=site.pages_url + INCIDENT)
    outside = wait_for_event(site, "link_click", target_url=site.pages_url + "/pricing/")
    assert inside["properties"]["in_article"] is True
    assert inside["url"] == site.pages_url + WHY_ITIL
    assert outside["properties"]["in_article"] is False


def test_a_file_link_sends_a_download_with_the_file_url(site: Site, new_context: Any) -> None:
    # Given a reader of an article that links to the evaluation report
    page = new_context().new_page()
    page.route("**/*.pdf", lambda route: route.fulfill(status=204))
    page.goto(site.pages_url + WHY_ITIL)
    # When they click the report link inside the article
    page.locator('article a[href="/downloads/evaluation-report.pdf"]').click()
    # Then a download with the file's URL arrives, after the in-article click
    report = site.pages_url + "/downloads/evaluation-report.pdf"
    download = wait_for_event(site, "download", url=report)
    assert download["properties"]["page_url"] == site.pages_url + WHY_ITIL
    click = wait_for_event(site, "link_click", target_url=report)
    assert click["properties"]["in_article"] is True


def test_the_search_page_sends_the_query_as_site_search(site: Site, new_context: Any) -> None:
    # Given a visitor on the home page
    page = new_context().new_page()
    page.goto(site.pages_url + "/")
    # When they search with the search box in the header
    page.get_by_role("searchbox", name="Search the Kennisbank").fill("ITIL")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=ITIL")
    # Then the results list the ITIL article and the query is tracked
    page.get_by_role("link", name="Why ITIL 4 still earns its place").wait_for()
    search = wait_for_event(site, "site_search")
    assert search["properties"] == {"query": "ITIL"}
    assert "article" in page.get_by_role("status").inner_text()


def test_events_are_batched_at_most_100_per_body(site: Site, new_context: Any) -> None:
    # Given a page with the tracker
    page = new_context().new_page()
    page.goto(site.pages_url + "/pricing/")
    wait_for_event(site, "page_view")
    # When 250 events are tracked at once
    page.evaluate(
        "for (let i = 0; i < 250; i++) trechter.track('link_click', "
        "{target_url: 'https://example.com/' + i, in_article: false}); trechter.flush()"
    )
    # Then all of them arrive, in bodies of at most 100 (beacons may overtake each other)
    wait_until(lambda: len(events_of(site, "link_click")) == 250)
    sizes = [len(r.json()["events"]) for r in site.api.received("/v1/t/events")]
    assert max(sizes) == 100
    targets = {e["properties"]["target_url"] for e in events_of(site, "link_click")}
    assert targets == {f"https://example.com/{i}" for i in range(250)}
    # And every event has an id of its own
    assert len({e["event_id"] for e in events_of(site, "link_click")}) == 250


def test_fetch_with_keepalive_is_the_fallback_without_send_beacon(
    site: Site, new_context: Any
) -> None:
    # Given a browser whose sendBeacon refuses the body
    context = new_context()
    context.add_init_script("Navigator.prototype.sendBeacon = () => false;")
    page = context.new_page()
    # When a page is viewed
    page.goto(site.pages_url + "/about/")
    # Then the event still arrives as text/plain
    wait_for_event(site, "page_view")
    assert site.api.received("/v1/t/events")[0].headers["content-type"].startswith("text/plain")


def test_a_body_sent_again_carries_the_same_event_ids(site: Site, new_context: Any) -> None:
    # Given a browser whose sendBeacon takes the body, then refuses it
    context = new_context()
    context.add_init_script(
        "Navigator.prototype.sendBeacon = function (u, b) {"
        " b.text().then(t => { window.__tried = t; }); return false; };"
    )
    page = context.new_page()
    # When a page is viewed (the tracker falls back to fetch with the same body)
    page.goto(site.pages_url + "/about/")
    view = wait_for_event(site, "page_view")
    wait_until(lambda: page.evaluate("window.__tried || null"))
    tried = json.loads(page.evaluate("window.__tried"))
    # Then the second attempt names the same event, so the API stores it once
    assert [e["event_id"] for e in tried["events"]] == [view["event_id"]]


def test_queued_events_are_sent_when_the_page_is_left(site: Site, new_context: Any) -> None:
    # Given a tracker that batches for a second
    page = new_context().new_page()
    page.goto(site.pages_url + "/team/")
    # When the visitor leaves before the timer fires
    page.locator('nav[aria-label="Main"] a[href="/about/"]').click()
    page.wait_for_url("**/about/")
    # Then the first page's view and the click were flushed on pagehide
    wait_for_event(site, "page_view", url=site.pages_url + "/team/", timeout=2)
    wait_for_event(site, "link_click", target_url=site.pages_url + "/about/", timeout=2)


def test_forms_carry_visit_attribution_and_render_time(site: Site, new_context: Any) -> None:
    # Given a visitor who lands from a campaign via a search engine
    page = new_context().new_page()
    landing = "/?utm_source=linkedin&utm_medium=social&utm_campaign=itsm-q4&utm_content=carousel"
    page.goto(site.pages_url + landing, referer="https://www.google.com/")
    # When they go on to the whitepaper page
    page.goto(site.pages_url + GUIDE)
    form = page.locator("#whitepaper-form")
    # Then the form carries the id, the page, the landing attribution and the render time
    hidden = form.evaluate(
        "f => Object.fromEntries([...f.querySelectorAll('input[type=hidden]')]"
        ".map(i => [i.name, i.value]))"
    )
    assert hidden["anonymous_id"] == page.evaluate("trechter.id()")
    assert hidden["page_url"] == site.pages_url + GUIDE
    assert hidden["referrer"] == "https://www.google.com/"
    assert hidden["utm_source"] == "linkedin"
    assert hidden["utm_medium"] == "social"
    assert hidden["utm_campaign"] == "itsm-q4"
    assert hidden["utm_content"] == "carousel"
    assert hidden["utm_term"] == ""
    rendered_at = int(hidden["rendered_at"])
    assert abs(rendered_at - page.evaluate("Date.now()")) < 10_000


@pytest.mark.parametrize("path", [GUIDE, "/demo/", "/newsletter/", "/contact/"])
def test_every_form_has_a_honeypot_people_never_see(
    site: Site, new_context: Any, path: str
) -> None:
    # Given a page with a Trechter form
    page = new_context().new_page()
    page.goto(site.pages_url + path)
    # Then its honeypot is out of sight, out of the tab order, and not autofilled
    trap = page.locator("form[action*='/v1/forms/'] input[name=website]")
    assert trap.count() == 1
    assert trap.get_attribute("tabindex") == "-1"
    assert trap.get_attribute("autocomplete") == "off"
    assert trap.evaluate("e => e.closest('[aria-hidden=true]') !== null")
    box = trap.bounding_box()
    assert box is None or box["x"] + box["width"] <= 0


def fill_whitepaper(page: Any, email: str) -> None:
    page.get_by_label("First name").fill("Anne")
    page.get_by_label("Last name").fill("de Boer")
    page.get_by_label("Work e-mail").fill(email)
    page.get_by_label("Organisation").fill("Gemeente Utrecht")
    page.get_by_label("Job title").fill("IT manager")


def test_a_rejected_email_is_shown_next_to_the_field_then_success_redirects(
    site: Site, new_context: Any
) -> None:
    # Given a visitor on the whitepaper page
    page = new_context().new_page()
    page.goto(site.pages_url + GUIDE)
    # When they send an address the API rejects
    fill_whitepaper(page, "anne@gemeente")
    page.get_by_role("button", name="Send me the guide").click()
    # Then the error appears next to the e-mail field, which is marked invalid and focused
    email = page.get_by_label("Work e-mail")
    error = page.locator("#whitepaper-email-trechter-error")
    error.wait_for()
    assert error.inner_text() == "Not a valid e-mail address"
    assert email.get_attribute("aria-invalid") == "true"
    described_by = email.get_attribute("aria-describedby").split()
    assert described_by == ["whitepaper-email-hint", "whitepaper-email-trechter-error"]
    assert email.evaluate("e => e === document.activeElement")
    screenshot(page, "contract-whitepaper-inline-error")
    sent = site.api.received("/v1/forms/whitepaper/submissions")[-1]
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["accept"] == "application/json"
    # When they correct it
    email.fill("anne.deboer@utrecht.example.com")
    page.get_by_role("button", name="Send me the guide").click()
    # Then they land on the thank-you page that delivers the guide
    page.wait_for_url("**/thank-you/?asset=whitepaper")
    page.get_by_role("link", name="Download the guide (PDF, 40 pages)").wait_for()
    body = site.api.received("/v1/forms/whitepaper/submissions")[-1].json()
    assert body["email"] == "anne.deboer@utrecht.example.com"
    assert uuid.UUID(body["anonymous_id"]).version == 4
    assert body["page_url"] == site.pages_url + GUIDE
    assert body["first_name"] == "Anne"
    assert "website" not in body
    assert "consent_marketing" not in body


def test_an_error_without_field_errors_is_shown_on_top_of_the_form(
    site: Site, new_context: Any
) -> None:
    # Given a visitor on the newsletter page
    page = new_context().new_page()
    page.goto(site.pages_url + "/newsletter/")
    # When the API answers 422 with only a message
    page.get_by_role("textbox", name="E-mail", exact=True).fill("reject-all@example.com")
    page.get_by_label("Yes, e-mail me").check()
    page.get_by_role("button", name="Subscribe").click()
    # Then the message is announced on top of the form and focused
    alert = page.locator("#newsletter-form [role=alert]")
    alert.wait_for()
    assert alert.inner_text() == "Too many requests."
    assert alert.evaluate("e => e === document.activeElement")


def test_a_server_error_falls_back_to_the_plain_html_post(site: Site, new_context: Any) -> None:
    # Given a visitor on the contact page
    page = new_context().new_page()
    page.goto(site.pages_url + "/contact/")
    # When the JSON submission fails with a 5xx
    page.get_by_label("First name").fill("Bram")
    page.get_by_role("textbox", name="E-mail", exact=True).fill("boom@example.com")
    page.get_by_label("Your message").fill("Can you help us with our BIO audit?")
    page.get_by_role("button", name="Send message").click()
    # Then the browser posts the form itself and still reaches the thank-you page
    page.wait_for_url("**/thank-you/?asset=contact")
    plain = site.api.received("/v1/forms/contact/submissions")[-1]
    assert plain.headers["content-type"] == "application/x-www-form-urlencoded"
    fields = plain.form()
    assert fields["message"] == "Can you help us with our BIO audit?"
    assert uuid.UUID(fields["anonymous_id"]).version == 4


@pytest.mark.parametrize("signal", [GPC, DNT], ids=["global-privacy-control", "do-not-track"])
def test_privacy_signals_turn_tracking_off_but_forms_still_work(
    site: Site, new_context: Any, signal: str
) -> None:
    # Given a browser that sends a privacy signal
    context = new_context()
    context.add_init_script(signal)
    page = context.new_page()
    seen = api_requests(page, site)
    # When the visitor reads, clicks and searches
    page.goto(site.pages_url + WHY_ITIL)
    page.locator(f'article a[href="{INCIDENT}"]').first.click()
    page.goto(site.pages_url + "/search/?q=audit")
    page.wait_for_timeout(1500)
    # Then nothing is tracked and nothing is stored
    assert seen == []
    assert page.evaluate("[trechter.consent(), trechter.id()]") == ["blocked", None]
    assert cookie(context, "trechter_aid") is None
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    # When they ask for the guide, the form works, without an anonymous id
    page.goto(site.pages_url + GUIDE)
    fill_whitepaper(page, unique_email("gpc"))
    page.get_by_role("button", name="Send me the guide").click()
    page.wait_for_url("**/thank-you/?asset=whitepaper")
    assert [u for u in seen if "/v1/t/" in u] == []
    body = site.api.received("/v1/forms/whitepaper/submissions")[-1].json()
    assert "anonymous_id" not in body


def test_consent_required_tracks_nothing_until_the_visitor_accepts(
    site: Site, new_context: Any
) -> None:
    # Given a page that requires consent
    context = new_context()
    page = context.new_page()
    seen = api_requests(page, site)
    page.goto(site.pages_url + WHY_ITIL + "?trechter_consent=required")
    banner = page.get_by_role("region", name="Cookies on the Kennisbank")
    banner.wait_for()
    screenshot(page, "contract-consent-banner")
    # When the visitor reads without answering
    page.mouse.wheel(0, 800)
    page.wait_for_timeout(1500)
    # Then nothing leaves the page and nothing is stored
    assert seen == []
    assert page.evaluate("trechter.consent()") == "pending"
    assert cookie(context, "trechter_aid") is None
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0
    # When they accept
    banner.get_by_role("button", name="Accept").click()
    # Then the page view flows, and the choice and the id are remembered
    view = wait_for_event(site, "page_view")
    assert view["url"].startswith(site.pages_url + WHY_ITIL)
    assert banner.count() == 0
    assert cookie(context, "trechter_consent")["value"] == "yes"
    assert cookie(context, "trechter_aid")["value"] == page.evaluate("trechter.id()")


def test_declining_consent_is_remembered(site: Site, new_context: Any) -> None:
    # Given a visitor who declines on a consent-required page
    context = new_context()
    page = context.new_page()
    seen = api_requests(page, site)
    page.goto(site.pages_url + "/pricing/?trechter_consent=required")
    page.get_by_role("button", name="Decline").click()
    # When they read on, with and without the consent requirement
    page.goto(site.pages_url + "/docs/?trechter_consent=required")
    page.goto(site.pages_url + WHY_ITIL)
    page.wait_for_timeout(1500)
    # Then no banner returns and nothing is ever sent
    assert page.get_by_role("region", name="Cookies on the Kennisbank").count() == 0
    assert seen == []
    assert cookie(context, "trechter_consent")["value"] == "no"
    assert page.evaluate("trechter.consent()") == "denied"


def test_the_privacy_page_lets_a_visitor_opt_out(site: Site, new_context: Any) -> None:
    # Given a tracked visitor (consent not required)
    context = new_context()
    page = context.new_page()
    page.goto(site.pages_url + "/privacy/")
    wait_for_event(site, "page_view")
    assert cookie(context, "trechter_aid") is not None
    assert not page.get_by_role("button", name="Allow measurement").is_visible()
    # When they opt out on the privacy page
    page.get_by_role("button", name="Do not measure me").click()
    # Then the id is forgotten and nothing more is sent
    assert page.evaluate("[trechter.consent(), trechter.id()]") == ["denied", None]
    assert cookie(context, "trechter_aid") is None
    assert page.evaluate("localStorage.getItem('trechter_aid')") is None
    assert page.get_by_role("button", name="Allow measurement").is_visible()
    assert not page.get_by_role("button", name="Do not measure me").is_visible()
    before = len(site.api.events())
    page.goto(site.pages_url + "/pricing/")
    page.wait_for_timeout(1500)
    assert len(site.api.events()) == before


def test_without_javascript_forms_post_plainly_and_the_pixel_counts_the_page(
    site: Site, new_context: Any
) -> None:
    # Given a browser without JavaScript
    page = new_context(java_script_enabled=False).new_page()
    # When the visitor opens the whitepaper page
    page.goto(site.pages_url + GUIDE)
    # Then the noscript pixel reports the page's path and title
    pixel = wait_until(lambda: site.api.received("/v1/t/p.gif"))[0]
    assert f"url={GUIDE}" in pixel.path
    assert "title=Free%20guide" in pixel.path
    # When they submit the form
    email = unique_email("nojs")
    fill_whitepaper(page, email)
    page.get_by_role("button", name="Send me the guide").click()
    # Then the plain post lands on the thank-you page, which still offers the guide
    page.wait_for_url("**/thank-you/?asset=whitepaper")
    page.locator('a[href="/whitepapers/itsm-in-practice.pdf"]').first.wait_for()
    fields = site.api.received("/v1/forms/whitepaper/submissions")[-1].form()
    assert fields["email"] == email
    assert "anonymous_id" not in fields


def test_unsubscribing_sends_the_address_whatever_the_privacy_signal(
    site: Site, new_context: Any
) -> None:
    # Given a newsletter reader with Global Privacy Control, following the link in a newsletter
    context = new_context()
    context.add_init_script(GPC)
    page = context.new_page()
    page.goto(site.pages_url + "/newsletter/unsubscribe/?email=joke%40gemeente-ede.example.nl")
    # When they confirm
    assert page.get_by_label("E-mail", exact=True).input_value() == "joke@gemeente-ede.example.nl"
    page.get_by_role("button", name="Unsubscribe").click()
    # Then the API hears it, without the address in the event's URL
    page.get_by_role("status").filter(has_text="no more newsletters").wait_for()
    (event,) = events_of(site, "newsletter_unsubscribe")
    assert event["properties"] == {"email": "joke@gemeente-ede.example.nl"}
    assert event["url"] == site.pages_url + "/newsletter/unsubscribe/"
    assert events_of(site, "page_view") == []


def test_unsubscribing_with_a_token_from_the_e_mail(site: Site, new_context: Any) -> None:
    # Given the unsubscribe link of a newsletter, which carries a signed token
    page = new_context().new_page()
    page.goto(site.pages_url + "/newsletter/unsubscribe/?token=signed.token-123")
    # When the reader confirms
    page.get_by_role("button", name="Unsubscribe").click()
    # Then the token is sent, and no address was asked
    wait_for_event(site, "newsletter_unsubscribe", token="signed.token-123")
    assert not page.get_by_label("E-mail", exact=True).is_visible()
