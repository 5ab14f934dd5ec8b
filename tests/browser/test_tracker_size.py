"""The tracker stays small: every visitor downloads it on every first page view."""

from __future__ import annotations

import gzip
import re

import pytest

from tests.browser.helpers import LANDING_PAGES

pytestmark = pytest.mark.browser

BUDGET_BYTES = 3 * 1024


def test_the_tracker_is_under_3_kib_gzipped() -> None:
    # Given the tracker as shipped
    source = (LANDING_PAGES / "trechter.js").read_bytes()
    # When it is gzipped as a web server would
    size = len(gzip.compress(source, compresslevel=9))
    # Then it fits the budget
    assert size < BUDGET_BYTES, f"trechter.js is {size} bytes gzipped, budget {BUDGET_BYTES}"


def test_the_tracker_has_no_dependencies_and_no_configuration_of_its_own() -> None:
    # Given the tracker's source
    source = (LANDING_PAGES / "trechter.js").read_text()
    # Then it imports nothing and names no API: that lives in config.js or data-api
    assert not re.search(r"\bimport\b|\brequire\(", source)
    assert "__TRECHTER_API__" not in source
    config = (LANDING_PAGES / "config.js").read_text()
    assert '"__TRECHTER_API__"' in config
    assert '"__TRECHTER_CONSENT__"' in config
