"""Stream redelivery without a ledger item per event: the lead's recent event digests.

A stream retry delivers records again. Each lead keeps the digests of the last
``RECENT_EVENTS`` events applied to it (one scoring commit applies at most that
many: ``services/scoring.py``'s ``CHUNK``), written in the same conditional write as
its state, so a redelivered event is recognised and skipped. Digests are 42 bits of
SHA-256 (7 base64url characters, each after a ``.``): a false match needs two events
of one lead among its last 24 to share 42 bits, about one chance in 2 * 10^11 per
event.

The digests form one string so the store can check them in a write condition
(``contains``) without reading: a ``.`` only ever starts an entry, so a digest
cannot match across two entries.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

RECENT_EVENTS = 24
_ENTRY = 8  # "." + 7 characters


def event_digest(event_id: str) -> str:
    """The entry for one event id: ``.`` and 7 base64url characters (42 bits)."""
    raw = hashlib.sha256(event_id.encode()).digest()[:6]
    return "." + base64.urlsafe_b64encode(raw).decode()[:7]


def was_applied(recent: str, event_id: str) -> bool:
    """Whether ``event_id`` is among the lead's recently applied events."""
    return event_digest(event_id) in recent


def remember(recent: str, event_ids: Iterable[str]) -> str:
    """The recent digests after applying ``event_ids`` (oldest dropped first)."""
    updated = recent + "".join(event_digest(e) for e in event_ids)
    return updated[-RECENT_EVENTS * _ENTRY :] if len(updated) > RECENT_EVENTS * _ENTRY else updated
