"""The ``Parameters`` port on SSM (under moto) and in memory, and the key sets read from it."""

from __future__ import annotations

import pytest

from chalicelib.adapters.ports import ParameterMissing, Parameters
from chalicelib.services import secrets
from tests.contract.conftest import Backend
from tests.contract.registry import covers
from tests.support import settings


@pytest.fixture
def parameters(backend: Backend) -> Parameters:
    """The backend's parameters, holding ``/t/keys`` = ``a, b``."""
    backend.put_parameter("/t/keys", "a, b")
    store: Parameters = backend.parameters
    return store


@covers(Parameters.get)
def test_a_parameter_reads_as_stored_and_a_missing_one_says_so(parameters):
    assert parameters.get("/t/keys") == "a, b"
    with pytest.raises(ParameterMissing):
        parameters.get("/t/nothing")


@covers(Parameters.get)
def test_keys_come_from_the_parameter_and_follow_it_without_a_deploy(
    parameters, backend, monkeypatch
):
    monkeypatch.setattr(secrets, "_REFRESH_SECONDS", 0.0)
    keys = secrets.api_keys(settings(api_keys=(), api_keys_param="/t/keys"), parameters)
    assert keys.values() == ("a", "b")
    backend.put_parameter("/t/keys", "b")
    assert keys.matches("b") and not keys.matches("a")


@covers(Parameters.get)
def test_a_missing_optional_parameter_means_no_keys_and_a_missing_required_one_fails(
    parameters,
):
    optional = secrets.segment_write_keys(settings(segment_write_keys_param="/t/none"), parameters)
    assert optional.values() == () and not optional.matches("anything")
    required = secrets.api_keys(settings(api_keys=(), api_keys_param="/t/none"), parameters)
    with pytest.raises(ParameterMissing):
        required.values()
