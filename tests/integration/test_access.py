"""Roles on the routes, end to end in-process: Cognito tokens from the emulated user pool,
the API key for machines, 403 naming the role with the attempt in the audit log."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.adapters.attributes import from_item
from tests.integration.conftest import API_KEY, AppHarness

PASSWORD = "Local-dev-password-1"


@pytest.fixture
def signed_in(harness: AppHarness) -> dict[str, str]:
    """A user pool with the three groups, one user per role; their ID tokens."""
    import boto3
    from moto.cognitoidp.responses import load_resource

    from chalicelib.adapters.cognito import CognitoTokens, pool_issuer
    from chalicelib.services.container import get_services

    idp = boto3.client("cognito-idp", region_name="eu-west-1")
    pool = idp.create_user_pool(PoolName="console", UsernameAttributes=["email"])["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="console", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    tokens = {}
    for role in ("sales", "marketing", "admin"):
        idp.create_group(UserPoolId=pool, GroupName=role)
        email = f"{role}@trechter.local"
        idp.admin_create_user(UserPoolId=pool, Username=email, TemporaryPassword=PASSWORD)
        idp.admin_set_user_password(
            UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True
        )
        idp.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=role)
        answer = idp.initiate_auth(
            ClientId=client,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
        )
        tokens[role] = answer["AuthenticationResult"]["IdToken"]
        tokens[f"{role}-access"] = answer["AuthenticationResult"]["AccessToken"]
    public_keys = load_resource("cognitoidp/resources/jwks-public.json")
    get_services().users = CognitoTokens(
        pool_issuer("eu-west-1", pool), (client,), "emulated", lambda url: public_keys
    )
    return tokens


def _call(harness: AppHarness, method: str, path: str, token: str, body: Any = None) -> Any:
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    call = getattr(harness.client.http, method.lower())
    if body is None:
        return call(path, headers=headers)
    return call(path, headers=headers, body=json.dumps(body))


def _lead(harness: AppHarness) -> str:
    answer = harness.post(
        "/v1/forms/whitepaper/submissions",
        {"email": "jan@acme.nl", "first_name": "Jan", "company": "Acme"},
    )
    assert answer.status_code == 201, answer.body
    harness.pump()
    return str(json.loads(answer.body)["lead_id"])


def _audit(harness: AppHarness) -> list[dict[str, Any]]:
    answer = harness.dynamodb.scan(TableName=harness.names["leads"])
    items = [from_item(i) for i in answer["Items"]]
    return [i for i in items if str(i["pk"]).startswith("AUDIT#")]


def test_sales_reads_leads_and_gives_feedback_with_a_pool_token(harness, signed_in):
    lead_id = _lead(harness)
    assert _call(harness, "GET", "/v1/leads?stage=lead", signed_in["sales"]).status_code == 200
    assert _call(harness, "GET", f"/v1/leads/{lead_id}", signed_in["sales"]).status_code == 200
    feedback = _call(
        harness,
        "POST",
        f"/v1/leads/{lead_id}/feedback",
        signed_in["sales-access"],
        {"outcome": "won", "note": "signed"},
    )
    assert feedback.status_code == 200, feedback.body
    assert json.loads(feedback.body)["stage"] == "customer"


def test_sales_gets_403_from_erasure_naming_admin_and_the_attempt_is_audited(harness, signed_in):
    # Given a lead and a salesperson
    lead_id = _lead(harness)
    # When she tries to erase it
    answer = _call(harness, "DELETE", f"/v1/leads/{lead_id}", signed_in["sales"])
    # Then she is refused, told the role needed, and the lead is still there
    assert answer.status_code == 403
    assert "admin" in json.loads(answer.body)["message"]
    assert _call(harness, "GET", f"/v1/leads/{lead_id}", signed_in["sales"]).status_code == 200
    # And the attempt is in the audit log, with who, what and the role needed
    denied = [a for a in _audit(harness) if a["action"] == "access_denied"]
    assert len(denied) == 1
    assert denied[0]["lead_id"] == lead_id
    detail = json.loads(denied[0]["detail"])
    assert detail["who"] == "sales@trechter.local"
    assert detail["path"] == "/v1/leads/{lead_id}"
    assert detail["method"] == "DELETE"
    assert detail["needed"] == ["admin"]


def test_sales_cannot_see_the_funnel_but_marketing_can(harness, signed_in):
    assert _call(harness, "GET", "/v1/reports/funnel", signed_in["sales"]).status_code == 403
    assert _call(harness, "GET", "/v1/reports/funnel", signed_in["marketing"]).status_code == 200


def test_marketing_cannot_export_but_admin_can_and_erases(harness, signed_in):
    lead_id = _lead(harness)
    path = f"/v1/leads/{lead_id}/export"
    assert _call(harness, "GET", path, signed_in["marketing"]).status_code == 403
    assert _call(harness, "GET", path, signed_in["admin"]).status_code == 200
    assert _call(harness, "DELETE", f"/v1/leads/{lead_id}", signed_in["admin"]).status_code == 204


def test_the_api_key_still_reaches_every_role_s_routes(harness, signed_in):
    lead_id = _lead(harness)
    assert harness.sales("GET", f"/v1/leads/{lead_id}/export").status_code == 200
    assert harness.sales("GET", "/v1/reports/funnel").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": "Bearer not-a-token"},
        {"authorization": "Basic c2FsZXM6cHc="},
        {"x-api-key": "wrong-key"},
    ],
)
def test_no_or_bad_credentials_get_401_and_are_never_believed(harness, signed_in, headers):
    answer = harness.client.http.get("/v1/leads", headers=headers)
    assert answer.status_code == 401
    assert "Bearer" in answer.headers["WWW-Authenticate"]


def test_a_wrong_api_key_is_refused_even_beside_a_good_token(harness, signed_in):
    answer = harness.client.http.get(
        "/v1/leads",
        headers={"x-api-key": "wrong-key", "authorization": f"Bearer {signed_in['admin']}"},
    )
    assert answer.status_code == 401
    assert API_KEY != "wrong-key"


def test_the_console_origin_may_send_its_bearer_token_cross_origin(harness):
    answer = harness.client.http.request(
        "OPTIONS",
        "/v1/leads",
        headers={"origin": "https://kb.example.nl", "access-control-request-method": "GET"},
    )
    assert answer.status_code == 204
    assert "Authorization" in answer.headers["Access-Control-Allow-Headers"]
    assert "DELETE" in answer.headers["Access-Control-Allow-Methods"]
