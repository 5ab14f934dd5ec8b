"""Signing secrets and API keys: from settings locally, from SSM Parameter Store in AWS.

Values are cached for a few minutes so a rotation takes effect without a deploy.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable

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


def _ssm_loader(settings: Settings, name: str) -> Callable[[], tuple[str, ...]]:
    def load() -> tuple[str, ...]:
        from chalicelib.adapters.aws import ssm_client

        answer = ssm_client(settings.region).get_parameter(Name=name, WithDecryption=True)
        raw = answer["Parameter"].get("Value", "")
        return tuple(part.strip() for part in raw.split(",") if part.strip())

    return load


def signing_secrets(settings: Settings) -> SecretSet:
    loader = (
        _ssm_loader(settings, settings.link_signing_secret_param)
        if settings.link_signing_secret_param
        else None
    )
    return SecretSet(settings.link_signing_secrets, loader)


def api_keys(settings: Settings) -> SecretSet:
    loader = _ssm_loader(settings, settings.api_keys_param) if settings.api_keys_param else None
    return SecretSet(settings.api_keys, loader)


def _optional(load: Callable[[], tuple[str, ...]]) -> Callable[[], tuple[str, ...]]:
    """A parameter that may not exist yet: no values (for a while) instead of an error."""
    missing_until = 0.0

    def load_if_present() -> tuple[str, ...]:
        nonlocal missing_until
        if time.monotonic() < missing_until:
            return ()
        try:
            return load()
        except Exception as error:
            code = getattr(error, "response", {}).get("Error", {}).get("Code")
            if code != "ParameterNotFound":
                raise
            # Asked again only after the refresh period: an unset feature costs no SSM calls.
            missing_until = time.monotonic() + _REFRESH_SECONDS
            return ()

    return load_if_present


def segment_write_keys(settings: Settings) -> SecretSet:
    """The write keys Segment's clients may send (``writeKey`` or HTTP Basic user).

    Optional: without the SSM parameter (or ``SEGMENT_WRITE_KEYS``) every call is 401.
    """
    name = settings.segment_write_keys_param
    loader = _optional(_ssm_loader(settings, name)) if name else None
    return SecretSet(settings.segment_write_keys, loader)
