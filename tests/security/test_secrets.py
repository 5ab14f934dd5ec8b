"""Secrets: signing keys rotate with two valid keys, API keys are revocable one by one,
SSM Parameter Store is read in AWS, and no secret is in the repository or the logs."""

from __future__ import annotations

import json
import re
import subprocess
from urllib.parse import urlsplit

import pytest

from chalicelib.domain.tokens import TokenKind, TrackingToken, sign_token, verify_token
from chalicelib.observability import logger
from chalicelib.services import secrets as secrets_module
from tests.conftest import ROOT
from tests.security.conftest import IN_PROCESS_API_KEY, captured_logs, in_process
from tests.support import settings

OLD = "old-signing-secret-2026-10-xxxxxxxx"
NEW = "new-signing-secret-2026-11-yyyyyyyy"
KB = "https://kb.example.nl"
LINK = {"email": "eva@acme.nl", "campaign_id": "nov", "message_id": "m1", "links": [f"{KB}/a"]}


def _click_path(app) -> str:
    answer = app.sales("POST", "/v1/tracking-links", LINK)
    assert answer.status_code == 201
    return urlsplit(json.loads(answer.body)["links"][f"{KB}/a"]).path


# -- link signing keys -------------------------------------------------------------------


def test_a_token_verifies_under_every_configured_key_and_the_first_signs():
    # Given a token signed before a rotation
    token = TrackingToken(TokenKind.CLICK, "lead-1", "nov", "m1", f"{KB}/a", 0)
    old_token = sign_token(token, [OLD])
    # When the new key is put first and the old one kept
    rotating = [NEW, OLD]
    # Then old tokens still verify, new ones are signed with the new key,
    # and once the old key is removed its tokens stop working
    assert verify_token(old_token, rotating, TokenKind.CLICK) == token
    assert verify_token(sign_token(token, rotating), [NEW], TokenKind.CLICK) == token
    assert verify_token(old_token, [NEW], TokenKind.CLICK) is None


def test_a_tracked_link_survives_a_rotation_and_dies_when_the_old_key_is_removed():
    # Given a tracked link signed with the old key
    with in_process(LINK_SIGNING_SECRETS=OLD) as app:
        path = _click_path(app)
    # When both keys are configured (the rotation window)
    with in_process(LINK_SIGNING_SECRETS=f"{NEW},{OLD}") as app:
        during = app.request("GET", path)
        fresh = _click_path(app)
    # And after the old key is removed
    with in_process(LINK_SIGNING_SECRETS=NEW) as app:
        after = app.request("GET", path)
        fresh_after = app.request("GET", fresh)
    # Then the old link redirects during the window and is a 404 after it;
    # links signed during the window keep working
    assert during.status_code == 302
    assert during.headers["Location"] == f"{KB}/a"
    assert after.status_code == 404
    assert "Location" not in after.headers
    assert fresh_after.status_code == 302


# -- API keys ----------------------------------------------------------------------------


def test_several_api_keys_work_and_a_revoked_one_gets_401():
    # Given two API keys (two sales tools)
    with in_process(API_KEYS=f"{IN_PROCESS_API_KEY},crm-key-2") as app:
        both = [
            app.request("GET", "/v1/leads", **{"x-api-key": key}).status_code
            for key in (IN_PROCESS_API_KEY, "crm-key-2")
        ]
    # When the CRM's key is revoked
    with in_process(API_KEYS=IN_PROCESS_API_KEY) as app:
        revoked = app.request("GET", "/v1/leads", **{"x-api-key": "crm-key-2"})
        kept = app.request("GET", "/v1/leads", **{"x-api-key": IN_PROCESS_API_KEY})
    # Then both worked before, and the revoked key now gets 401 while the other works
    assert both == [200, 200]
    assert revoked.status_code == 401
    assert revoked.headers["WWW-Authenticate"].startswith("ApiKey")
    assert kept.status_code == 200


@pytest.mark.parametrize(
    "key", [None, "", "wrong", IN_PROCESS_API_KEY + "x", IN_PROCESS_API_KEY[:-1]]
)
def test_a_missing_or_wrong_api_key_gets_401(app_in_process, key):
    headers = {"x-api-key": key} if key is not None else {}
    assert app_in_process.request("GET", "/v1/leads", **headers).status_code == 401


def test_keys_in_ssm_rotate_and_revoke_without_a_deploy(monkeypatch):
    # Given API keys and signing keys in SSM Parameter Store, re-read without delay
    monkeypatch.setattr(secrets_module, "_REFRESH_SECONDS", 0.0)
    import boto3
    from moto import mock_aws

    with mock_aws():
        ssm = boto3.client("ssm", region_name="eu-west-1")
        for name, value in (("/t/api-keys", "tool-a,tool-b"), ("/t/signing", OLD)):
            ssm.put_parameter(Name=name, Value=value, Type="SecureString")
        with in_process(
            API_KEYS="",
            API_KEYS_PARAM="/t/api-keys",
            LINK_SIGNING_SECRETS="",
            LINK_SIGNING_SECRET_PARAM="/t/signing",
        ) as app:

            def status(method: str, path: str, key: str) -> int:
                return app.request(method, path, **{"x-api-key": key}).status_code

            before = status("GET", "/v1/leads", "tool-b")
            answer = app.request("POST", "/v1/tracking-links", LINK, **{"x-api-key": "tool-a"})
            path = urlsplit(json.loads(answer.body)["links"][f"{KB}/a"]).path
            # When tool-b is revoked and the signing key rotated (new first, old kept)
            ssm.put_parameter(
                Name="/t/api-keys", Value="tool-a", Type="SecureString", Overwrite=True
            )
            ssm.put_parameter(
                Name="/t/signing", Value=f"{NEW},{OLD}", Type="SecureString", Overwrite=True
            )
            revoked = status("GET", "/v1/leads", "tool-b")
            during = status("GET", path, "")
            # And the old signing key is removed at the end of the window
            ssm.put_parameter(Name="/t/signing", Value=NEW, Type="SecureString", Overwrite=True)
            after = status("GET", path, "")
    # Then the running app follows SSM: 200 then 401 for tool-b; the old link until removal
    assert (before, revoked) == (200, 401)
    assert (during, after) == (302, 404)


# -- never in the repository or the logs -------------------------------------------------


def test_settings_never_show_their_secrets():
    # Given settings with keys
    configured = settings(api_keys=("sk-live-abcdef",), link_signing_secrets=(NEW,))
    # When they are printed or logged
    with captured_logs() as output:
        logger.info("settings: %s", configured)
        logger.info("settings", extra={"settings": configured.model_dump()})
    # Then no key shows
    shown = repr(configured) + str(configured) + output.getvalue()
    assert "sk-live-abcdef" not in shown
    assert NEW not in shown


_SECRET_SHAPES = {
    "AWS access key id": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "AWS secret access key": re.compile(
        r"aws_secret_access_key\s*[=:]\s*['\"]?[A-Za-z0-9/+]{40}", re.IGNORECASE
    ),
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH )?PRIVATE KEY-----"),
}
#: Deployment configuration names the SSM parameters, never the values.
_DEPLOY_CONFIG = re.compile(r"(?:API_KEYS|LINK_SIGNING_SECRETS)\"?\s*[:=]\s*\"?[^\s\",}]+")


def test_no_secret_is_committed_to_the_repository():
    # Given every file git tracks
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    found = []
    for name in files:
        path = ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        found += [f"{name}: {kind}" for kind, shape in _SECRET_SHAPES.items() if shape.search(text)]
        if name.startswith((".chalice/", "infra/")) and name.endswith((".json", ".yaml")):
            found += [f"{name}: {m.group(0)}" for m in _DEPLOY_CONFIG.finditer(text)]
    # Then none holds a credential (deployed keys live in SSM Parameter Store)
    assert found == []
