"""A cursor the API did not issue: a domain error the stores raise, a 422 naming ``cursor``."""

from __future__ import annotations

import json

import pytest

from chalicelib.adapters.items import decode_cursor, decode_list_cursor
from chalicelib.api.errors import error_response
from chalicelib.domain.errors import InvalidCursor, InvalidInput


@pytest.mark.parametrize("forged", ["bm90IGEgY3Vyc29y", "%%%", "WzFd"])
def test_the_cursor_readers_refuse_a_forgery_with_invalid_cursor(forged):
    for read in (decode_cursor, decode_list_cursor):
        with pytest.raises(InvalidCursor):
            read(forged)


def test_a_well_formed_key_that_is_no_list_position_is_refused_too():
    with pytest.raises(InvalidCursor):
        decode_list_cursor("e30=")  # {}


def test_invalid_cursor_is_a_422_naming_the_cursor_and_still_a_value_error():
    error = InvalidCursor()
    assert isinstance(error, InvalidInput) and isinstance(error, ValueError)
    answer = error_response(error)
    body = json.loads(answer.body)
    assert answer.status_code == 422
    assert body["errors"] == [{"field": "cursor", "message": "not a cursor this API returned"}]
    assert body["message"] == "Invalid input: cursor: not a cursor this API returned"
