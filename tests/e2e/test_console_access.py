"""On the local stack: the emulator's user pool signs people in, and each role reaches
exactly its routes (`make run`'s users, one per role)."""

from __future__ import annotations

import pytest

from tests.conftest import LocalStackHandle, http

pytestmark = pytest.mark.e2e


def _lead(stack: LocalStackHandle, email: str) -> str:
    answer = stack.api("POST", "/v1/forms/whitepaper/submissions", {"email": email})
    assert answer.status == 201, answer.body
    return str(answer.json()["lead_id"])


def test_each_local_user_signs_in_and_reaches_its_role_s_routes(local_stack):
    lead_id = _lead(local_stack, "roles-e2e@example.org")
    for role in ("sales", "marketing", "admin"):
        assert local_stack.as_role(role, "GET", f"/v1/leads/{lead_id}").status == 200, role
    assert local_stack.as_role("sales", "GET", "/v1/reports/funnel").status == 403
    assert local_stack.as_role("marketing", "GET", "/v1/reports/funnel").status == 200


def test_sales_gets_403_from_the_erasure_route_naming_admin(local_stack):
    lead_id = _lead(local_stack, "erase-e2e@example.org")
    answer = local_stack.as_role("sales", "DELETE", f"/v1/leads/{lead_id}")
    assert answer.status == 403
    assert "admin" in answer.json()["message"]
    assert local_stack.as_role("admin", "GET", f"/v1/leads/{lead_id}").status == 200


def test_the_console_is_served_with_a_strict_policy_and_its_config(local_stack):
    page = http("GET", local_stack.console_url + "/")
    assert page.status == 200
    policy = page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "script-src 'self'" in policy
    config = http("GET", local_stack.console_url + "/config.json").json()
    assert config["api_url"] == local_stack.api_url
    assert config["cognito_client_id"]


def test_the_banner_names_the_console_and_its_users(local_stack):
    log = local_stack.log()
    assert f"console        {local_stack.console_url}" in log
    assert "admin@trechter.local" in log
    assert local_stack.console_password in log
