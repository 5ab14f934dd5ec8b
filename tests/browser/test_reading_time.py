"""trechter-read.js: reading time per page view (seed 003, 3.1) and the page's content tag
(3.3), sent through trechter.js as one page_engagement event when the page is left."""

from __future__ import annotations

import gzip
import re
from typing import Any

import pytest

from tests.browser.helpers import LANDING_PAGES, Site, wait_until

pytestmark = pytest.mark.browser

OPINION = "/articles/itsm/why-itil/"  # carries <meta name="trechter:content" content="opinion">
PLAIN = "/articles/itsm/incident-vs-problem-management/"


def engagements(site: Site) -> list[dict[str, Any]]:
    return [e for e in site.api.events() if e["type"] == "page_engagement"]


def test_leaving_a_read_article_sends_one_page_engagement_with_time_depth_and_tag(
    site: Site, new_context: Any
) -> None:
    # Given a visitor reading the opinion article for a few seconds, scrolling to its end
    page = new_context().new_page()
    page.goto(site.pages_url + OPINION)
    page.bring_to_front()
    for _ in range(3):
        page.mouse.move(200, 300)
        page.mouse.wheel(0, 4000)
        page.wait_for_timeout(1000)
    # When they leave for another article
    page.goto(site.pages_url + PLAIN)
    # Then exactly one page_engagement for the article left arrives, in the contract's shape
    sent = wait_until(lambda: engagements(site) or None)
    assert len(sent) == 1
    event = sent[0]
    assert event["url"] == site.pages_url + OPINION
    props = event["properties"]
    assert set(props) == {"engaged_seconds", "scroll_depth", "content"}
    assert props["content"] == "opinion"
    assert 2 <= props["engaged_seconds"] <= 10
    assert props["scroll_depth"] == 100


def test_a_page_without_a_content_tag_sends_no_content_and_a_glance_is_short(
    site: Site, new_context: Any
) -> None:
    page = new_context().new_page()
    page.goto(site.pages_url + PLAIN)
    page.evaluate("window.trechterRead.report()")
    event = wait_until(lambda: engagements(site) or None)[0]
    assert "content" not in event["properties"]
    assert event["properties"]["engaged_seconds"] <= 2
    page.evaluate("window.trechterRead.report()")  # once per page view
    page.wait_for_timeout(1500)
    assert len(engagements(site)) == 1


def test_the_reading_add_on_is_small_and_has_no_dependencies() -> None:
    source = (LANDING_PAGES / "trechter-read.js").read_bytes()
    assert len(gzip.compress(source, compresslevel=9)) < 1024
    assert not re.search(rb"\bimport\b|\brequire\(", source)
