"""Every page of the site, crawled from the index: no console errors, no broken links, the
basics of accessibility, and a full-page screenshot of each (desktop and phone)."""

from __future__ import annotations

from collections import deque
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from tests.browser.helpers import LANDING_PAGES, screenshot

pytestmark = pytest.mark.browser

# Pages no link leads to: reached after a form, or with a query.
UNLINKED = ["/thank-you/", "/thank-you/?asset=whitepaper", "/search/?q=iso"]
PHONE = {"width": 390, "height": 844}


def site_pages() -> set[str]:
    """Every page in landing_pages/, as the URL path it is served at."""
    pages = set()
    for index in LANDING_PAGES.rglob("index.html"):
        relative = index.parent.relative_to(LANDING_PAGES).as_posix()
        pages.add("/" if relative == "." else f"/{relative}/")
    return pages


def same_site_links(page: Any, base: str) -> set[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    found = set()
    for href in hrefs:
        url, _ = urldefrag(urljoin(page.url, href))
        if url.startswith(base):
            found.add(url[len(base) :] or "/")
    return found


def check_basics(page: Any) -> list[str]:
    """What a page must have: a language, a title, one h1, labelled fields, alt texts."""
    return page.evaluate(
        """() => {
      const problems = [];
      if (document.documentElement.lang !== 'en') problems.push('html lang is not en');
      if (!document.title.trim()) problems.push('no title');
      const h1 = document.querySelectorAll('h1:not([hidden] h1)');
      const visibleH1 = [...h1].filter(h => h.offsetParent !== null);
      if (visibleH1.length !== 1) problems.push(visibleH1.length + ' visible h1 elements');
      if (!document.querySelector('main#main')) problems.push('no main#main for the skip link');
      for (const el of document.querySelectorAll('input, select, textarea')) {
        if (el.type === 'hidden' || el.closest('[aria-hidden=true]')) continue;
        const named = el.labels.length || el.getAttribute('aria-label');
        if (!named) problems.push('unlabelled ' + el.tagName + ' ' + (el.name || el.id));
      }
      for (const img of document.querySelectorAll('img')) {
        if (!img.hasAttribute('alt')) problems.push('img without alt: ' + img.src);
      }
      const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
      const dupes = ids.filter((id, i) => ids.indexOf(id) !== i);
      if (dupes.length) problems.push('duplicate ids: ' + dupes.join(', '));
      return problems;
    }"""
    )


def crawl(local_stack: Any, new_context: Any, viewport: dict[str, int], tag: str) -> None:
    base = local_stack.pages_url
    context = new_context(viewport=viewport)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.on(
        "response",
        lambda r: errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
    )

    queue: deque[str] = deque(["/"])
    seen: set[str] = {"/"}
    problems: dict[str, list[str]] = {}
    visited: list[str] = []

    def visit(path: str) -> None:
        before = len(errors)
        response = page.goto(base + path, wait_until="load")
        assert response is not None
        page.wait_for_timeout(300)  # let deferred scripts and the first beacon run
        if response.status != 200:
            errors.append(f"{path}: HTTP {response.status}")
        found = check_basics(page)
        if found or len(errors) > before:
            problems[path] = found + errors[before:]
        screenshot(page, f"{tag}-{path.strip('/') or 'index'}")
        visited.append(path)

    while queue:
        path = queue.popleft()
        visit(path)
        for link in sorted(same_site_links(page, base)):
            target = urlsplit(link).path
            if target.endswith((".pdf", ".json", ".svg")) or link in seen:
                continue
            seen.add(link)
            queue.append(link)
    for path in UNLINKED:
        visit(path)

    # Then every page in landing_pages/ was reached, and none had a problem
    reached = {urlsplit(p).path for p in visited}
    assert site_pages() <= reached, f"not linked from anywhere: {site_pages() - reached}"
    assert problems == {}


def test_every_page_is_free_of_errors_on_a_desktop(local_stack: Any, new_context: Any) -> None:
    crawl(local_stack, new_context, {"width": 1280, "height": 900}, "desktop")


def test_every_page_is_free_of_errors_on_a_phone(local_stack: Any, new_context: Any) -> None:
    crawl(local_stack, new_context, PHONE, "phone")
