"""Roles and sign-in tokens: who may call what, and which tokens are believed."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters.cognito import CognitoTokens, pool_issuer
from chalicelib.domain.access import (
    ADMIN,
    MACHINE,
    MARKETING,
    SALES,
    Principal,
    Role,
    authorize,
    roles_from_groups,
)
from chalicelib.domain.errors import Forbidden, Unauthorized

POOL = "eu-west-1_TestPool"
ISSUER = pool_issuer("eu-west-1", POOL)
CLIENT = "console-client"


def _principal(*roles: Role) -> Principal:
    return Principal(subject="u-1", roles=frozenset(roles), email="anna@trechter.local")


def test_sales_may_read_leads_but_not_erase_and_is_told_the_role_needed():
    # Given a salesperson
    anna = _principal(Role.SALES)
    # When she reaches a sales route and an admin route
    authorize(anna, SALES)
    with pytest.raises(Forbidden) as denied:
        authorize(anna, ADMIN)
    # Then the admin route is refused, naming the role it needs
    assert "admin" in denied.value.message
    assert "you have: sales" in denied.value.message


def test_marketing_reaches_sales_and_marketing_routes_but_not_admin_ones():
    marketing = _principal(Role.MARKETING)
    authorize(marketing, SALES)
    authorize(marketing, MARKETING)
    with pytest.raises(Forbidden):
        authorize(marketing, ADMIN)


def test_the_api_key_is_a_machine_client_with_every_role():
    for allowed in (SALES, MARKETING, ADMIN):
        authorize(MACHINE, allowed)


def test_a_user_without_a_role_group_is_refused_everywhere():
    nobody = _principal()
    with pytest.raises(Forbidden, match="you have: none"):
        authorize(nobody, SALES)


def test_only_known_groups_become_roles():
    assert roles_from_groups(["sales", "board", 3, "admin"]) == {Role.SALES, Role.ADMIN}


# -- tokens -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_jwk = jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {"private": private, "jwks": {"keys": [{**public_jwk, "kid": "k1"}]}, "other": other}


class _Jwks:
    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.fetches = 0

    def __call__(self, url: str) -> dict[str, Any]:
        self.fetches += 1
        return self.jwks


def _token(keys: dict[str, Any], kid: str = "k1", key: Any = None, **claims: Any) -> str:
    now = int(time.time())
    payload = {
        "iss": ISSUER,
        "sub": "u-1",
        "aud": CLIENT,
        "token_use": "id",
        "exp": now + 3600,
        "iat": now,
        "email": "anna@trechter.local",
        "cognito:groups": ["sales"],
        **claims,
    }
    payload = {k: v for k, v in payload.items() if v is not None}
    return jwt.encode(payload, key or keys["private"], algorithm="RS256", headers={"kid": kid})


def _verifier(keys: dict[str, Any], fetch: _Jwks | None = None) -> CognitoTokens:
    return CognitoTokens(
        ISSUER, (CLIENT,), "https://example/jwks.json", fetch or _Jwks(keys["jwks"])
    )


def test_a_pool_id_token_gives_the_person_and_the_roles_of_their_groups(keys):
    person = _verifier(keys).verify(_token(keys))
    assert person.roles == {Role.SALES}
    assert person.email == "anna@trechter.local"
    assert not person.machine


def test_an_access_token_is_checked_against_its_client_id(keys):
    token = _token(keys, aud=None, client_id=CLIENT, token_use="access")
    assert _verifier(keys).verify(token).roles == {Role.SALES}
    stranger = _token(keys, aud=None, client_id="another-app", token_use="access")
    with pytest.raises(Unauthorized, match="another app client"):
        _verifier(keys).verify(stranger)


@pytest.mark.parametrize(
    ("claims", "says"),
    [
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"iss": pool_issuer("eu-west-1", "eu-west-1_Other")}, "does not verify"),
        ({"aud": "another-app"}, "another app client"),
        ({"token_use": "refresh"}, "token_use"),
        ({"token_use": None}, "does not verify"),
    ],
)
def test_a_token_that_is_expired_foreign_or_of_the_wrong_use_is_refused(keys, claims, says):
    with pytest.raises(Unauthorized, match=says):
        _verifier(keys).verify(_token(keys, **claims))


def test_a_token_signed_by_another_key_is_refused(keys):
    forged = _token(keys, key=keys["other"], **{"cognito:groups": ["admin"]})
    with pytest.raises(Unauthorized, match="does not verify"):
        _verifier(keys).verify(forged)


def test_garbage_is_not_a_token(keys):
    with pytest.raises(Unauthorized, match="not a JSON Web Token"):
        _verifier(keys).verify("not-a-jwt")


def test_the_key_set_is_fetched_once_and_again_only_for_an_unknown_key_after_a_minute(keys):
    # Given a verifier whose key set is fetched through a counter
    fetch = _Jwks(keys["jwks"])
    clock = [1000.0]
    verifier = CognitoTokens(ISSUER, (CLIENT,), "https://x/jwks.json", fetch, lambda: clock[0])
    # When many tokens are verified
    for _ in range(5):
        verifier.verify(_token(keys))
    # Then the keys were fetched once
    assert fetch.fetches == 1
    # And a token with an unknown key id is refused without hammering the pool
    for _ in range(3):
        with pytest.raises(Unauthorized, match="not signed by the user pool"):
            verifier.verify(_token(keys, kid="k2"))
    assert fetch.fetches == 1
    # And after a minute an unknown key id (a rotation) fetches the set again
    clock[0] += 61
    with pytest.raises(Unauthorized):
        verifier.verify(_token(keys, kid="k2"))
    assert fetch.fetches == 2


# -- settings and the rule book -----------------------------------------------------------


def _environ(**extra: str) -> dict[str, str]:
    return {
        "LEADS_TABLE": "leads",
        "EVENTS_TABLE": "events",
        "QUARANTINE_TABLE": "quarantine",
        "IDEMPOTENCY_TABLE": "idempotency",
        "LINK_SIGNING_SECRETS": "a-signing-secret-of-length",
        "API_KEYS": "k",
        **extra,
    }


def test_a_user_pool_without_its_app_client_is_refused_at_start_naming_the_variable():
    from chalicelib.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="COGNITO_CLIENT_IDS"):
        Settings.from_environ(_environ(COGNITO_USER_POOL_ID=POOL))
    settings = Settings.from_environ(
        _environ(
            COGNITO_USER_POOL_ID=POOL,
            COGNITO_CLIENT_IDS="a,b",
            ALLOWED_ORIGINS="https://kb.example.nl",
            CONSOLE_ORIGINS="https://d111.cloudfront.net",
        )
    )
    assert settings.cognito_client_ids == ("a", "b")
    assert settings.allowed_origins == ("https://kb.example.nl", "https://d111.cloudfront.net")


def test_without_a_user_pool_only_the_api_key_is_accepted():
    from chalicelib.services.container import _user_tokens
    from tests.support import settings

    assert _user_tokens(settings()) is None
    verifier = _user_tokens(settings(cognito_user_pool_id=POOL, cognito_client_ids=(CLIENT,)))
    assert isinstance(verifier, CognitoTokens)


def test_the_rule_book_lists_every_rule_with_its_sentence_in_one_or_two_languages():
    from chalicelib.domain.scoring.model import load_scoring_model
    from chalicelib.services.console import _sentence, rule_book

    model = load_scoring_model()
    book = rule_book(model)
    assert book.version == model.version
    assert len(book.rules) == len(model.fit_rules) + len(model.engagement_rules) + 1
    assert _sentence("Read a pricing page") == "Read a pricing page"
    assert _sentence({"en": "Read pricing", "nl": "Las de prijzen"}) == {
        "en": "Read pricing",
        "nl": "Las de prijzen",
    }
