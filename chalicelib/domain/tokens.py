"""Signed tracking tokens for e-mail open pixels and tracked links.

A token is ``base64url(payload).base64url(hmac_sha256(payload)[:16])``. It is
signed with the first secret and verified against every configured secret, so a
secret can be rotated with two valid keys during the rotation window. Anything
that does not verify, in constant time, is treated as unknown.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

_MAC_BYTES = 16
MAX_TOKEN_LENGTH = 4096


class TokenKind(StrEnum):
    OPEN = "o"
    CLICK = "c"


@dataclass(frozen=True, slots=True)
class TrackingToken:
    """What a tracked e-mail link or open pixel says about itself."""

    kind: TokenKind
    lead_id: str
    campaign_id: str
    message_id: str
    target_url: str | None = None
    issued_at: int = 0


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), payload, hashlib.sha256).digest()[:_MAC_BYTES]


def sign_token(token: TrackingToken, secrets: Sequence[str]) -> str:
    """Serialise and sign a token with the current (first) secret."""
    if not secrets:
        raise ValueError("no signing secret configured")
    body: dict[str, Any] = {
        "k": token.kind.value,
        "l": token.lead_id,
        "c": token.campaign_id,
        "m": token.message_id,
        "t": token.issued_at,
    }
    if token.target_url is not None:
        body["u"] = token.target_url
    payload = json.dumps(body, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return f"{_b64(payload)}.{_b64(_mac(secrets[0], payload))}"


def verify_token(text: str, secrets: Sequence[str], kind: TokenKind) -> TrackingToken | None:
    """The token if its signature verifies under any secret and its kind matches, else None."""
    if not text or len(text) > MAX_TOKEN_LENGTH or text.count(".") != 1:
        return None
    payload_part, mac_part = text.split(".")
    try:
        payload = _unb64(payload_part)
        mac = _unb64(mac_part)
    except (ValueError, TypeError):
        return None
    valid = False
    for secret in secrets:
        # Check every secret so the time taken does not reveal which one matched.
        valid = hmac.compare_digest(_mac(secret, payload), mac) | valid
    if not valid:
        return None
    try:
        body = json.loads(payload)
        token = TrackingToken(
            kind=TokenKind(body["k"]),
            lead_id=str(body["l"]),
            campaign_id=str(body["c"]),
            message_id=str(body["m"]),
            target_url=str(body["u"]) if "u" in body else None,
            issued_at=int(body.get("t", 0)),
        )
    except (ValueError, KeyError, TypeError):
        return None
    if token.kind is not kind:
        return None
    if kind is TokenKind.CLICK and not (token.target_url or "").startswith(("http://", "https://")):
        return None
    return token
