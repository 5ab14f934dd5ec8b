"""The first-sightings contract, on the in-memory fake and on DynamoDB under moto."""

from __future__ import annotations

import pytest

from chalicelib.adapters.ports import Sightings
from tests.contract.conftest import Backend
from tests.contract.registry import covers
from tests.support import T0


@pytest.fixture
def sightings(backend: Backend) -> Sightings:
    return backend.sightings


@covers(Sightings.first_seen)
def test_a_key_is_new_the_first_time(sightings: Sightings) -> None:
    assert sightings.first_seen("event:anon-1:e1", T0, 86_400) is True


@covers(Sightings.first_seen)
def test_a_repeat_inside_the_window_is_not_new(sightings: Sightings) -> None:
    sightings.first_seen("click:t1", T0, 10)
    assert sightings.first_seen("click:t1", T0 + 9.9, 10) is False


@covers(Sightings.first_seen)
def test_a_repeat_does_not_extend_the_window(sightings: Sightings) -> None:
    sightings.first_seen("click:t1", T0, 10)
    sightings.first_seen("click:t1", T0 + 5, 10)
    assert sightings.first_seen("click:t1", T0 + 10, 10) is True


@covers(Sightings.first_seen)
def test_after_the_window_the_key_is_new_again(sightings: Sightings) -> None:
    sightings.first_seen("form:x", T0, 300)
    assert sightings.first_seen("form:x", T0 + 301, 300) is True
    assert sightings.first_seen("form:x", T0 + 302, 300) is False


@covers(Sightings.first_seen)
def test_keys_are_independent(sightings: Sightings) -> None:
    sightings.first_seen("event:anon-1:e1", T0, 86_400)
    assert sightings.first_seen("event:anon-2:e1", T0, 86_400) is True
    assert sightings.first_seen("event:anon-1:e2", T0, 86_400) is True
