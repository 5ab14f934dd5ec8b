"""Every URL Trechter generates starts with PUBLIC_BASE_URL when it is set."""

from __future__ import annotations

from typing import Any

from chalicelib.api.http import public_base_url


class _Request:
    def __init__(self, host: str, stage: str = "api", proto: str | None = None) -> None:
        self.headers: dict[str, Any] = {"host": host}
        if proto:
            self.headers["x-forwarded-proto"] = proto
        self.context = {"stage": stage}


def test_a_configured_public_base_url_wins_over_the_host_the_caller_used():
    request = _Request("abc123.execute-api.eu-west-1.amazonaws.com")
    assert public_base_url(request, "https://t.example.nl/") == "https://t.example.nl"  # type: ignore[arg-type]


def test_without_a_configured_url_the_callers_host_and_stage_are_used():
    request = _Request("abc123.execute-api.eu-west-1.amazonaws.com")
    assert (
        public_base_url(request)  # type: ignore[arg-type]
        == "https://abc123.execute-api.eu-west-1.amazonaws.com/api"
    )
    assert public_base_url(_Request("127.0.0.1:8000")) == "http://127.0.0.1:8000"  # type: ignore[arg-type]
