"""Browser fixtures: Debian's Chromium driven by Playwright, and a stand-in API.

Two kinds of browser tests live here:

* tracker contract tests run against ``site``: the real ``landing_pages/`` served by a
  small static server (placeholders replaced, like the local stack does) and a fake
  Trechter API on another port (so CORS is real) that records every request. They
  need nothing but Chromium.
* end-to-end tests run against the ``local_stack`` fixture from ``tests/conftest.py``
  (``make run``'s stack): real API, real pipeline, real leads.

Chromium is ``/usr/bin/chromium``. When it is missing the tests skip, unless
``REQUIRE_BROWSER=1`` (CI), where they fail.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.browser.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    FakeApi,
    Site,
    fake_api_handler,
    pages_handler,
    serve,
)


# ------------------------------------------------------------------------- browser
@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session (skips without Chromium, unless required)."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser: Any) -> Iterator[Callable[..., Any]]:
    """Make browser contexts (a fresh profile each: no cookies, no storage); closed after."""
    contexts: list[Any] = []

    def make(**options: Any) -> Any:
        options.setdefault("viewport", {"width": 1280, "height": 900})
        options.setdefault("locale", "nl-NL")
        options.setdefault("timezone_id", "Europe/Amsterdam")
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
    time.sleep(0.2)  # let beacons sent on close land before the next test clears the log


@pytest.fixture(scope="session")
def _site_servers() -> Iterator[Site]:
    api = FakeApi()
    api_server = serve(fake_api_handler(api))
    api.url = f"http://127.0.0.1:{api_server.server_address[1]}"
    pages_server = serve(pages_handler(api.url, "not-required"))
    api.pages_url = f"http://127.0.0.1:{pages_server.server_address[1]}"
    yield Site(api.pages_url, api)
    for server in (api_server, pages_server):
        server.shutdown()
        server.server_close()


@pytest.fixture
def site(_site_servers: Site) -> Site:
    """The pages and a fake API with an empty request log."""
    _site_servers.api.clear()
    return _site_servers
