"""Signing secrets and API keys: from settings locally, from SSM Parameter Store in AWS.

Values are cached for a few minutes so a rotation takes effect without a deploy. The
parameters are read through the ``Parameters`` port (SSM: ``adapters/parameters.py``).
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable

from chalicelib.adapters.ports import ParameterMissing, Parameters
from chalicelib.settings import Settings

_REFRESH_SECONDS = 300.0


class SecretSet:
    """A list of currently valid values (the first one signs), refreshed periodically."""

    def __init__(
        self, literal: tuple[str, ...], loader: Callable[[], tuple[str, ...]] | None
    ) -> None:
        self._literal = literal
        self._loader = loader
        self._values: tuple[str, ...] = literal
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def values(self) -> tuple[str, ...]:
        if self._loader is None:
            return self._literal
        with self._lock:
            if time.monotonic() - self._loaded_at > _REFRESH_SECONDS or not self._values:
                self._values = self._loader()
                self._loaded_at = time.monotonic()
            return self._values

    def matches(self, candidate: str | None) -> bool:
        """Constant-time comparison against every valid value."""
        if not candidate:
            return False
        found = False
        for value in self.values():
            found = hmac.compare_digest(value.encode(), candidate.encode()) | found
        return found


def _loader(parameters: Parameters | None, name: str) -> Callable[[], tuple[str, ...]] | None:
    """A loader of a comma-separated list parameter; None without a parameter name."""
    if not name or parameters is None:
        return None

    def load() -> tuple[str, ...]:
        raw = parameters.get(name)
        return tuple(part.strip() for part in raw.split(",") if part.strip())

    return load


def signing_secrets(settings: Settings, parameters: Parameters | None = None) -> SecretSet:
    loader = _loader(parameters, settings.link_signing_secret_param)
    return SecretSet(settings.link_signing_secrets, loader)


def api_keys(settings: Settings, parameters: Parameters | None = None) -> SecretSet:
    return SecretSet(settings.api_keys, _loader(parameters, settings.api_keys_param))


def _optional(load: Callable[[], tuple[str, ...]]) -> Callable[[], tuple[str, ...]]:
    """A parameter that may not exist yet: no values (for a while) instead of an error."""
    missing_until = 0.0

    def load_if_present() -> tuple[str, ...]:
        nonlocal missing_until
        if time.monotonic() < missing_until:
            return ()
        try:
            return load()
        except ParameterMissing:
            # Asked again only after the refresh period: an unset feature costs no SSM calls.
            missing_until = time.monotonic() + _REFRESH_SECONDS
            return ()

    return load_if_present


def segment_write_keys(settings: Settings, parameters: Parameters | None = None) -> SecretSet:
    """The write keys Segment's clients may send (``writeKey`` or HTTP Basic user).

    Optional: without the SSM parameter (or ``SEGMENT_WRITE_KEYS``) every call is 401.
    """
    load = _loader(parameters, settings.segment_write_keys_param)
    return SecretSet(settings.segment_write_keys, _optional(load) if load else None)
