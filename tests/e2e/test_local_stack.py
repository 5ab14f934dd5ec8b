"""End-to-end: the local stack over HTTP, as a new user drives it with curl."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_health_answers_once_the_stack_says_ready(local_stack):
    # Given the stack printed its ready line
    # When the health endpoint is called
    answer = local_stack.api("GET", "/v1/health")
    # Then it answers 200 ok
    assert answer.status == 200
    assert answer.json() == {"status": "ok"}
