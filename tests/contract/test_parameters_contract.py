"""The ``Parameters`` port on SSM (under moto) and in memory, and the key sets read from it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from chalicelib.adapters.parameters import MemoryParameters, SsmParameters
from chalicelib.adapters.ports import ParameterMissing, Parameters
from chalicelib.services import secrets
from tests.support import settings


@pytest.fixture(params=["memory", "ssm"])
def parameters(request) -> Iterator[tuple[Parameters, object]]:
    """A port with ``/t/keys`` = ``a, b``, and a function that sets a parameter on it."""
    if request.param == "memory":
        store = MemoryParameters({"/t/keys": "a, b"})
        yield store, store.values.__setitem__
        return
    from moto import mock_aws

    os.environ.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
    with mock_aws():
        import boto3

        from chalicelib.adapters.aws import reset_clients

        reset_clients()
        ssm = boto3.client("ssm", region_name="eu-west-1")

        def put(name: str, value: str) -> None:
            ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)

        put("/t/keys", "a, b")
        yield SsmParameters("eu-west-1"), put
        reset_clients()


def test_a_parameter_reads_as_stored_and_a_missing_one_says_so(parameters):
    store, _ = parameters
    assert store.get("/t/keys") == "a, b"
    with pytest.raises(ParameterMissing):
        store.get("/t/nothing")


def test_keys_come_from_the_parameter_and_follow_it_without_a_deploy(parameters, monkeypatch):
    store, put = parameters
    monkeypatch.setattr(secrets, "_REFRESH_SECONDS", 0.0)
    keys = secrets.api_keys(settings(api_keys=(), api_keys_param="/t/keys"), store)
    assert keys.values() == ("a", "b")
    put("/t/keys", "b")
    assert keys.matches("b") and not keys.matches("a")


def test_a_missing_optional_parameter_means_no_keys_and_a_missing_required_one_fails(parameters):
    store, _ = parameters
    optional = secrets.segment_write_keys(settings(segment_write_keys_param="/t/none"), store)
    assert optional.values() == () and not optional.matches("anything")
    required = secrets.api_keys(settings(api_keys=(), api_keys_param="/t/none"), store)
    with pytest.raises(ParameterMissing):
        required.values()
