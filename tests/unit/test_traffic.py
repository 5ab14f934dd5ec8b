"""Machine traffic is recognised from maintained lists and vendors' signatures."""

from __future__ import annotations

import pytest

from chalicelib.domain.events import MachineLabel
from chalicelib.domain.traffic import HitContext, classify_hit
from tests.support import BROWSER_UA


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            MachineLabel.CRAWLER,
        ),
        ("curl/8.5.0", MachineLabel.HTTP_LIBRARY),
        ("python-requests/2.32.3", MachineLabel.HTTP_LIBRARY),
        (
            "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/131.0.0.0 Safari/537.36",
            MachineLabel.BROWSER_AUTOMATION,
        ),
        (
            "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
            MachineLabel.MAIL_PROXY,
        ),
        (
            "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
            MachineLabel.MAIL_PROXY,
        ),
        ("Mozilla/5.0 Barracuda Sentinel (EE)", MachineLabel.LINK_SCANNER),
        (None, MachineLabel.HTTP_LIBRARY),
    ],
)
def test_machines_are_labelled_with_a_reason(agent, label):
    verdict = classify_hit(agent, HitContext.PAGE)
    assert verdict is not None
    assert verdict.label is label
    assert verdict.reason


def test_a_person_in_a_browser_is_not_a_machine():
    assert classify_hit(BROWSER_UA, HitContext.EMAIL_CLICK) is None


def test_apple_mail_privacy_protection_prefetch_is_a_mail_proxy_on_opens_only():
    assert classify_hit("Mozilla/5.0", HitContext.EMAIL_OPEN).label is MachineLabel.MAIL_PROXY


def test_head_requests_on_links_are_link_scanners():
    assert (
        classify_hit(BROWSER_UA, HitContext.EMAIL_CLICK, method="HEAD").label
        is MachineLabel.LINK_SCANNER
    )


def test_speculative_prefetch_is_not_a_visit():
    assert classify_hit(BROWSER_UA, HitContext.PAGE, purpose="prefetch") is not None
