"""Abuse limits, kept in memory per Lambda container (and per local server).

- per network (the client's IP address cut to /24 or /48, never the whole
  address): ``rate_limit_per_ip_per_minute`` requests to the capture endpoints;
- per form and network: ``rate_limit_per_form_per_minute`` submissions of one
  form. Per network as well, so a flood from one place cannot shut a form for
  everyone else (a mail blast brings many people to one form in one minute);
- per anonymous id: ``max_leads_per_anonymous_id_per_hour`` different people
  (e-mail addresses) identified from one browser in an hour; more is a bot
  enumerating addresses, and its submissions are quarantined.

Each limit is a token bucket: a burst up to the per-minute number passes, then
requests pass at that rate. Buckets live in the container, so the limits hold
per container; API Gateway's stage throttling (infra/template.yaml) bounds the
whole API. Nothing here is stored, and the keys hold no whole IP address.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.domain.errors import RateLimited
from chalicelib.settings import Settings

#: Buckets kept at most per limit; the least recently used are forgotten first.
MAX_KEYS = 20_000
_UNKNOWN_NETWORK = "unknown"


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBuckets:
    """One token bucket per key: ``per_minute`` tokens at most, refilled continuously."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self.capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self.clock = clock  # tests may freeze it
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one token: 0 when the request may pass, else the seconds until it may."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = _Bucket(self.capacity, now)
                self._buckets[key] = bucket
                while len(self._buckets) > self._max_keys:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(key)
                elapsed = max(0.0, now - bucket.updated)
                bucket.tokens = min(self.capacity, bucket.tokens + elapsed * self._rate)
                bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self._rate

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()


class PeoplePerAnonymousId:
    """How many different people (e-mail keys) one anonymous id identified in the last hour."""

    WINDOW_SECONDS = 3600.0

    def __init__(self, per_hour: int, max_keys: int = MAX_KEYS) -> None:
        self.per_hour = per_hour
        self._max_keys = max_keys
        self._seen: OrderedDict[str, deque[tuple[float, str]]] = OrderedDict()
        self._lock = threading.Lock()

    def admit(self, anonymous_id: str, person_key: str, now: float) -> bool:
        """True when this person may be identified from this anonymous id now.

        The same person again always passes and is not counted twice.
        """
        with self._lock:
            seen = self._seen.get(anonymous_id)
            if seen is None:
                seen = deque()
                self._seen[anonymous_id] = seen
                while len(self._seen) > self._max_keys:
                    self._seen.popitem(last=False)
            else:
                self._seen.move_to_end(anonymous_id)
            while seen and seen[0][0] <= now - self.WINDOW_SECONDS:
                seen.popleft()
            if any(key == person_key for _, key in seen):
                return True
            if len(seen) >= self.per_hour:
                return False
            seen.append((now, person_key))
            return True

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


class AbuseLimits:
    """The capture endpoints' limits for one container, from the settings."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_network = TokenBuckets(settings.rate_limit_per_ip_per_minute, clock)
        self.per_form = TokenBuckets(settings.rate_limit_per_form_per_minute, clock)
        self.people = PeoplePerAnonymousId(settings.max_leads_per_anonymous_id_per_hour)

    def allow_network(self, network: str | None) -> bool:
        """Take a token for the client's network; False when it is over its limit."""
        return self.per_network.take(network or _UNKNOWN_NETWORK) == 0.0

    def check_network(self, network: str | None) -> None:
        """Raise RateLimited when the client's network is over its per-minute limit."""
        wait = self.per_network.take(network or _UNKNOWN_NETWORK)
        if wait:
            raise RateLimited(
                "Too many requests from your network; try again later", _seconds(wait)
            )

    def check_form(self, form_id: str, network: str | None) -> None:
        """Raise RateLimited when this form got too many submissions from this network."""
        wait = self.per_form.take(f"{form_id}|{network or _UNKNOWN_NETWORK}")
        if wait:
            raise RateLimited(
                f"form_id: too many submissions of '{form_id}' from your network; try again later",
                _seconds(wait),
            )

    def clear(self) -> None:
        """Forget every bucket (tests; a new container starts empty too)."""
        self.per_network.clear()
        self.per_form.clear()
        self.people.clear()


def _seconds(wait: float) -> int:
    return max(1, math.ceil(wait))
