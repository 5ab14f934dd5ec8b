"""What a service may know about the HTTP request that called it (no Chalice types)."""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field


def truncate_ip(address: str | None) -> str | None:
    """IPv4 to its /24, IPv6 to its /48: enough for abuse limits, not a person."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.split(",")[0].strip())
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


@dataclass(frozen=True, slots=True)
class RequestContext:
    """The request's facts that matter to capture and privacy."""

    received_at: float = field(default_factory=time.time)
    user_agent: str | None = None
    source_ip: str | None = None
    origin: str | None = None
    referer: str | None = None
    method: str = "GET"
    purpose: str | None = None
    global_privacy_control: bool = False
    idempotency_key: str | None = None
    base_url: str = ""

    @property
    def network(self) -> str | None:
        return truncate_ip(self.source_ip)
