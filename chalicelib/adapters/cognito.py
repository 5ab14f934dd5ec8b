"""Console users' sign-in tokens: Cognito user pool JWTs, verified against the pool's keys.

The same verification runs in AWS (the pool's public JWKS) and locally (the emulator's
user pool serves its JWKS at ``{endpoint}/{pool_id}/.well-known/jwks.json``). The key
set is cached and fetched again only for a key id it does not know (a key rotation),
at most once a minute.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from chalicelib.domain.access import Principal, roles_from_groups
from chalicelib.domain.errors import Unauthorized
from chalicelib.settings import Settings

if TYPE_CHECKING:
    import jwt

_REFETCH_AFTER_SECONDS = 60.0
_LEEWAY_SECONDS = 30


def pool_issuer(region: str, pool_id: str) -> str:
    """The ``iss`` of a pool's tokens (the emulator uses the same form)."""
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


def fetch_json(url: str) -> dict[str, Any]:
    if not url.startswith(("https://", "http://")):
        raise ValueError(f"not an http(s) URL: {url}")
    with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310  # nosec B310
        data: dict[str, Any] = json.loads(answer.read())
        return data


class CognitoTokens:
    """Verifies ID and access tokens of one user pool and its console app client(s).

    Checks the RS256 signature, ``iss``, expiry, ``token_use`` (``id`` or ``access``) and
    the app client (``aud`` of an ID token, ``client_id`` of an access token); the
    roles are the token's ``cognito:groups``.
    """

    def __init__(
        self,
        issuer: str,
        client_ids: tuple[str, ...],
        jwks_url: str,
        fetch: Callable[[str], dict[str, Any]] = fetch_json,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._issuer = issuer
        self._client_ids = frozenset(client_ids)
        self._jwks_url = jwks_url
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._lock = threading.Lock()

    @classmethod
    def for_pool(cls, settings: Settings) -> CognitoTokens:
        issuer = pool_issuer(settings.region, settings.cognito_user_pool_id)
        jwks_url = settings.cognito_jwks_url or f"{issuer}/.well-known/jwks.json"
        return cls(issuer, settings.cognito_client_ids, jwks_url)

    def verify(self, token: str) -> Principal:
        """The signed-in person; raises ``Unauthorized`` saying what is wrong with the token."""
        # Imported on the first token, not at cold start: the stream functions never need
        # it, and it costs a few hundred milliseconds (cryptography's bindings).
        import jwt

        try:
            key_id = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            raise Unauthorized("Authorization: not a JSON Web Token") from None
        key = self._key(str(key_id))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self._issuer,
                leeway=_LEEWAY_SECONDS,
                options={"require": ["exp", "iss", "sub", "token_use"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("Authorization: the token has expired; sign in again") from None
        except jwt.PyJWTError as error:
            raise Unauthorized(f"Authorization: the token does not verify ({error})") from None
        use = claims.get("token_use")
        client = claims.get("aud") if use == "id" else claims.get("client_id")
        if use not in ("id", "access"):
            raise Unauthorized("Authorization: token_use must be id or access")
        if client not in self._client_ids:
            raise Unauthorized("Authorization: the token is for another app client")
        return Principal(
            subject=str(claims["sub"]),
            roles=roles_from_groups(claims.get("cognito:groups") or []),
            email=claims.get("email") or claims.get("username") or claims.get("cognito:username"),
        )

    def _key(self, key_id: str) -> jwt.PyJWK:
        import jwt

        with self._lock:
            stale = self._clock() - self._fetched_at > _REFETCH_AFTER_SECONDS
            if key_id not in self._keys and stale:
                try:
                    keys = jwt.PyJWKSet.from_dict(self._fetch(self._jwks_url)).keys
                except (OSError, ValueError, jwt.PyJWTError) as error:
                    raise Unauthorized(
                        f"Authorization: the user pool's keys cannot be read ({error})"
                    ) from None
                self._keys = {str(k.key_id): k for k in keys}
                self._fetched_at = self._clock()
            found = self._keys.get(key_id)
        if found is None:
            raise Unauthorized("Authorization: the token is not signed by the user pool")
        return found
