"""The first-sightings contract, on the in-memory fake and on DynamoDB under moto."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from chalicelib.adapters.memory import MemorySightings
from chalicelib.adapters.ports import Sightings
from tests.support import T0


@pytest.fixture(params=["memory", "dynamodb"])
def sightings(request) -> Iterator[Sightings]:
    if request.param == "memory":
        yield MemorySightings()
        return
    from moto import mock_aws

    os.environ.update(
        AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="eu-west-1"
    )
    with mock_aws():
        import boto3

        from chalicelib.adapters.dynamodb import DynamoSightings
        from infra.definitions import dynamodb_tables, table_names

        client = boto3.client("dynamodb", region_name="eu-west-1")
        for kwargs in dynamodb_tables("test"):
            client.create_table(**kwargs)
        yield DynamoSightings(client, table_names("test")["idempotency"])


def test_a_key_is_new_the_first_time(sightings: Sightings) -> None:
    assert sightings.first_seen("event:anon-1:e1", T0, 86_400) is True


def test_a_repeat_inside_the_window_is_not_new(sightings: Sightings) -> None:
    sightings.first_seen("click:t1", T0, 10)
    assert sightings.first_seen("click:t1", T0 + 9.9, 10) is False


def test_a_repeat_does_not_extend_the_window(sightings: Sightings) -> None:
    sightings.first_seen("click:t1", T0, 10)
    sightings.first_seen("click:t1", T0 + 5, 10)
    assert sightings.first_seen("click:t1", T0 + 10, 10) is True


def test_after_the_window_the_key_is_new_again(sightings: Sightings) -> None:
    sightings.first_seen("form:x", T0, 300)
    assert sightings.first_seen("form:x", T0 + 301, 300) is True
    assert sightings.first_seen("form:x", T0 + 302, 300) is False


def test_keys_are_independent(sightings: Sightings) -> None:
    sightings.first_seen("event:anon-1:e1", T0, 86_400)
    assert sightings.first_seen("event:anon-2:e1", T0, 86_400) is True
    assert sightings.first_seen("event:anon-1:e2", T0, 86_400) is True
