"""Published networks of mail scanners and mail proxies, looked up in O(log n).

The list is data (``scanner_networks.json``: each network with its source and the
day it was last checked), loaded once per process. Ranges are kept as sorted
integer intervals per IP version and searched with ``bisect``; they may not
overlap, so the one interval that starts at or before an address is the only
candidate.
"""

from __future__ import annotations

import ipaddress
import json
from bisect import bisect_right
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

NETWORKS_PATH = Path(__file__).with_name("scanner_networks.json")


@dataclass(frozen=True, slots=True)
class KnownNetwork:
    """One published network: who runs it, where a hit from it is a machine, the evidence."""

    name: str
    contexts: frozenset[str]
    source: str
    checked: str
    cidr: str


class NetworkIndex:
    """Sorted, non-overlapping address intervals; ``lookup`` is one bisect per address."""

    def __init__(self, networks: list[KnownNetwork]) -> None:
        intervals: dict[int, list[tuple[int, int, KnownNetwork]]] = {4: [], 6: []}
        for network in networks:
            block = ipaddress.ip_network(network.cidr, strict=True)
            intervals[block.version].append(
                (int(block.network_address), int(block.broadcast_address), network)
            )
        self._starts: dict[int, list[int]] = {}
        self._intervals: dict[int, list[tuple[int, int, KnownNetwork]]] = {}
        for version, items in intervals.items():
            items.sort(key=lambda item: item[0])
            for before, after in pairwise(items):
                if after[0] <= before[1]:
                    raise ValueError(
                        f"scanner networks overlap: {before[2].cidr} and {after[2].cidr}"
                    )
            self._intervals[version] = items
            self._starts[version] = [start for start, _end, _network in items]

    def __len__(self) -> int:
        return sum(len(items) for items in self._intervals.values())

    def lookup(self, address: str | None) -> KnownNetwork | None:
        """The published network holding ``address`` (a full IPv4/IPv6 address), or None."""
        if not address:
            return None
        try:
            ip = ipaddress.ip_address(address.split(",")[0].strip())
        except ValueError:
            return None
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        value = int(ip)
        position = bisect_right(self._starts[ip.version], value) - 1
        if position < 0:
            return None
        start, end, network = self._intervals[ip.version][position]
        return network if start <= value <= end else None


def parse_networks(data: dict[str, Any]) -> list[KnownNetwork]:
    """The networks of a ``scanner_networks.json`` document, one entry per range."""
    found = []
    for entry in data["networks"]:
        for cidr in entry["ranges"]:
            found.append(
                KnownNetwork(
                    name=str(entry["name"]),
                    contexts=frozenset(entry["contexts"]),
                    source=str(entry["source"]),
                    checked=str(entry["checked"]),
                    cidr=str(cidr),
                )
            )
    return found


@cache
def scanner_networks() -> NetworkIndex:
    """The shipped list, parsed and indexed on first use (once per process)."""
    data = json.loads(NETWORKS_PATH.read_text(encoding="utf-8"))
    return NetworkIndex(parse_networks(data))
