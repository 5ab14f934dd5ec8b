"""Machine traffic: tell people from crawlers, link scanners, mail proxies and HTTP libraries.

Known crawlers come from the maintained ``crawler-user-agents`` list (its tags
say what kind of machine it is); mail proxies and link scanners from the
signatures their vendors document. A machine hit is stored with its label and
reason, so scoring gives it zero points and reports can count it.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache, lru_cache

from chalicelib.domain.events import MachineLabel, MachineVerdict


class HitContext(StrEnum):
    """Where a hit came from: the same user agent means different things in each."""

    PAGE = "page"
    EMAIL_OPEN = "email_open"
    EMAIL_CLICK = "email_click"


_MAIL_PROXIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"GoogleImageProxy|via ggpht\.com"), "Google Image Proxy prefetch"),
    (re.compile(r"YahooMailProxy"), "Yahoo Mail image proxy"),
)
_LINK_SCANNERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"BarracudaCentral|Barracuda"), "Barracuda link protection"),
    (re.compile(r"Proofpoint|ppops"), "Proofpoint URL defense"),
    (re.compile(r"Mimecast"), "Mimecast URL protect"),
    (re.compile(r"SafeLinks|Microsoft Defender|Office365 ATP"), "Microsoft Safe Links"),
    (re.compile(r"Trend ?Micro|TMUFE"), "Trend Micro URL check"),
    (re.compile(r"Sophos|Cisco ?IronPort|FireEye|Forcepoint"), "e-mail security gateway"),
)
_TAG_LABELS = {
    "http-library": MachineLabel.HTTP_LIBRARY,
    "browser-automation": MachineLabel.BROWSER_AUTOMATION,
    "scanner": MachineLabel.LINK_SCANNER,
}
# Apple Mail Privacy Protection prefetches every image with this bare user agent.
_APPLE_MPP_AGENT = "Mozilla/5.0"


@cache
def _crawler_patterns() -> tuple[re.Pattern[str], list[tuple[str, str]]]:
    """The maintained list as one pattern, compiled once per process on first use.

    The ~1,500 single patterns are only searched (and so compiled) when the
    combined one matches, to name the crawler: a person's browser never pays that.
    """
    from crawleruseragents import CRAWLER_USER_AGENTS_DATA

    entries = [
        (str(entry["pattern"]), (entry.get("tags") or ["crawler"])[0])
        for entry in CRAWLER_USER_AGENTS_DATA
    ]
    combined = re.compile("|".join(f"(?:{entry['pattern']})" for entry in CRAWLER_USER_AGENTS_DATA))
    return combined, entries


@lru_cache(maxsize=4096)
def _classify_agent(user_agent: str) -> MachineVerdict | None:
    for pattern, reason in _MAIL_PROXIES:
        if pattern.search(user_agent):
            return MachineVerdict(MachineLabel.MAIL_PROXY, reason)
    for pattern, reason in _LINK_SCANNERS:
        if pattern.search(user_agent):
            return MachineVerdict(MachineLabel.LINK_SCANNER, reason)
    combined, entries = _crawler_patterns()
    if not combined.search(user_agent):
        return None
    for source, tag in entries:
        if re.search(source, user_agent):
            label = _TAG_LABELS.get(tag, MachineLabel.CRAWLER)
            return MachineVerdict(label, f"user agent matches known {tag} pattern '{source}'")
    return MachineVerdict(MachineLabel.CRAWLER, "user agent matches a known crawler")


def classify_hit(
    user_agent: str | None,
    context: HitContext,
    method: str = "GET",
    purpose: str | None = None,
) -> MachineVerdict | None:
    """Label a hit as machine traffic, or None for what looks like a person.

    Parameters
    ----------
    user_agent
        the request's User-Agent header, as sent.
    context
        the page tracker, an e-mail open pixel or an e-mail link click.
    method
        HEAD requests on tracked links are link scanners checking the target.
    purpose
        the ``Purpose``/``Sec-Purpose`` header: browsers' speculative prefetches.
    """
    agent = (user_agent or "").strip()
    if not agent:
        return MachineVerdict(MachineLabel.HTTP_LIBRARY, "no User-Agent header")
    if method.upper() == "HEAD":
        return MachineVerdict(MachineLabel.LINK_SCANNER, "HEAD request checks the link target")
    if purpose and "prefetch" in purpose.lower():
        return MachineVerdict(MachineLabel.MAIL_PROXY, "speculative prefetch, not a visit")
    if context is HitContext.EMAIL_OPEN and agent == _APPLE_MPP_AGENT:
        return MachineVerdict(MachineLabel.MAIL_PROXY, "Apple Mail Privacy Protection prefetch")
    return _classify_agent(agent[:1024])


def classify_network(source_ip: str | None, context: HitContext) -> MachineVerdict | None:
    """A hit from a mail scanner's or mail proxy's published network (full address).

    Only where that network means a machine: a Gmail image-proxy address is an open
    by proxy, but a click from Google's space is a person at Google.
    """
    from chalicelib.domain.networks import scanner_networks

    network = scanner_networks().lookup(source_ip)
    if network is None or context.value not in network.contexts:
        return None
    return MachineVerdict(
        MachineLabel.SCANNER_NETWORK,
        f"from {network.name}'s published network {network.cidr} "
        f"(source: {network.source.split(' ')[0]}, checked {network.checked})",
    )


def click_before_read(
    issued_at: float, clicked_at: float, min_read_seconds: float
) -> MachineVerdict | None:
    """A click so soon after its link was issued that nobody can have read the mail."""
    if issued_at <= 0 or min_read_seconds <= 0:
        return None
    elapsed = clicked_at - issued_at
    if 0 <= elapsed < min_read_seconds:
        return MachineVerdict(
            MachineLabel.CLICK_BEFORE_READ,
            f"clicked {elapsed:.0f} s after the link was issued, before the mail could be read",
        )
    return None
