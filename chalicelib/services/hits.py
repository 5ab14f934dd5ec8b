"""The funnel's hits, added up from the leads stream: one counter update per batch.

The scorer adds a commit's funnel hits to the lead's own all-time counts, in the lead's
one write (no counter write per page view). This reader of the leads stream turns each
lead write's increase into the day's ``hits``/``machine_hits``: one update per day in a
batch, and its event source waits up to five minutes for a batch (infra/template.yaml), so
a quiet site's page views share one counter write instead of paying one each.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from chalicelib.adapters.ports import Counters, Quarantine
from chalicelib.domain.stream import Delivery, HitDelta
from chalicelib.observability import logger


@dataclass(slots=True)
class HitBatchResult:
    """Which records to retry, and what was counted, for metrics."""

    failed: list[str] = field(default_factory=list)
    hits: int = 0
    machine_hits: int = 0
    quarantined: int = 0
    lag_seconds: float = 0.0


class HitCounter:
    """Adds a leads-stream batch's hit increases to the funnel's day counters."""

    def __init__(
        self, counters: Counters, quarantine: Quarantine, clock: Callable[[], float] = time.time
    ) -> None:
        self._counters = counters
        self._quarantine = quarantine
        self._clock = clock

    def process(self, deliveries: Sequence[Delivery[HitDelta]]) -> HitBatchResult:
        """Count a batch; on a failed counter write every record is retried.

        The counts are summed per day and written once per day, in one counter shard
        chosen by the batch's id (a digest of its records' positions). The store skips a
        day's update when that counter's last update was the same batch, so a batch
        delivered again (Lambda retries a failed invocation with the same records) counts
        once; a failed write has counted nothing, so the retry counts it.
        """
        result = HitBatchResult()
        days: dict[str, dict[str, int]] = {}
        counted = False
        now = self._clock()
        for delivery in deliveries:
            result.lag_seconds = max(result.lag_seconds, delivery.position.lag_seconds)
            if delivery.problem is not None:
                self._quarantine.put("stream:hits", delivery.problem, delivery.record, now)
                result.quarantined += 1
                continue
            delta = delivery.value
            if delta is None:
                continue
            counts = days.setdefault(delta.day, {})
            for name, amount in (("hits", delta.hits), ("machine_hits", delta.machine_hits)):
                if amount:
                    counts[name] = counts.get(name, 0) + amount
            counted = True
        if not counted:
            return result
        batch = batch_id(d.position.sequence for d in deliveries)
        try:
            self._counters.add_funnel_counts(batch, days, batch=batch)
        except Exception:
            logger.exception("the funnel's hits were not counted; the batch will be retried")
            result.failed = [d.position.sequence for d in deliveries]
            return result
        result.hits = sum(c.get("hits", 0) for c in days.values())
        result.machine_hits = sum(c.get("machine_hits", 0) for c in days.values())
        return result


def batch_id(sequences: Iterable[str]) -> str:
    """A stream batch's id: a digest of its records' sequence numbers, in order."""
    digest = hashlib.blake2b(digest_size=9)
    for sequence in sequences:
        digest.update(sequence.encode())
        digest.update(b"/")
    return digest.hexdigest()
