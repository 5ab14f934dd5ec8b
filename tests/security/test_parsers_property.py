"""Any bytes, with any Content-Type, to the tracker or a form get a 2xx or a 4xx, never a
5xx; a refused request stores nothing, and whatever is stored is a whole event."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from chalicelib.adapters.items import event_from_item
from chalicelib.domain.events import EventType
from chalicelib.schemas import TRACKER_TYPES
from tests.security.conftest import InProcessApp, in_process

FORMS = ("whitepaper", "newsletter", "demo", "contact")
MEDIA = (
    "application/json",
    "application/json; charset=utf-8",
    "text/plain",
    "text/plain;charset=UTF-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "",
)
KNOWN_TYPES = {t.value for t in EventType}

_header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
_media = st.one_of(st.sampled_from(MEDIA), _header_text)
# Mostly what a real sender uses, so that most cases reach the parsers and the stores.
# (Hypothesis leans on a one_of's first branch: the usual case goes first.)
_tracker_media = st.one_of(st.sampled_from(["text/plain", "application/json"]), _media)
_form_media = st.one_of(
    st.sampled_from(["application/x-www-form-urlencoded", "application/json"]), _media
)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
_urls = st.sampled_from(
    ["https://kb.example.nl/pricing", "http://x.nl/docs/a", "javascript:alert(1)", "", "/rel"]
) | st.text(max_size=30)
_timestamps = st.sampled_from(
    ["2026-11-23T10:00:00Z", "2026-11-23T10:00:00+01:00", "1999-01-01T00:00:00Z", "tomorrow", ""]
) | st.text(max_size=25)
_tracker_event = st.fixed_dictionaries(
    {},
    optional={
        "type": st.one_of(st.sampled_from(TRACKER_TYPES), st.text(max_size=15)),
        "url": _urls,
        "ts": _timestamps,
        "title": st.text(max_size=30),
        "referrer": _urls,
        "properties": st.dictionaries(st.text(max_size=10), _scalars, max_size=4) | _json,
    },
)
_tracker_body = st.fixed_dictionaries(
    {},
    optional={
        "sent_at": _timestamps,
    },
).flatmap(
    lambda envelope: st.fixed_dictionaries(
        {
            "anonymous_id": st.one_of(
                st.sampled_from(["anon-prop-0000001", "anon-prop-0000002"]), st.text(max_size=70)
            ),
            "events": st.one_of(st.lists(_tracker_event, min_size=1, max_size=5), _json),
        }
    ).map(lambda body: {**envelope, **body})
)
_form_fields = st.fixed_dictionaries(
    {},
    optional={
        "email": st.one_of(st.emails(), st.just("x"), st.text(max_size=30)),
        "first_name": st.text(max_size=30),
        "last_name": st.text(max_size=30),
        "phone": st.sampled_from(["+31 6 12345678", "0612345678", "abc"]) | st.text(max_size=20),
        "country": st.sampled_from(["NL", "be", "XX", ""]) | st.text(max_size=4),
        "company_size": st.sampled_from(["50", "-1", "1e9", "many"]) | st.integers(),
        "consent_marketing": st.sampled_from(["true", "on", "1", "no"]) | st.booleans(),
        "anonymous_id": st.sampled_from(["anon-prop-0000001", ""]) | st.text(max_size=70),
        "page_url": _urls,
        "rendered_at": st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
        "website": st.sampled_from(["", "http://spam"]),
    },
)


def _as_bytes(value: object, how: str) -> bytes:
    if how == "json":
        return json.dumps(value, default=str).encode()
    if how == "form" and isinstance(value, dict):
        return urlencode({str(k): str(v) for k, v in value.items()}).encode()
    return str(value).encode()


_noise = st.one_of(
    st.binary(max_size=600), st.tuples(_json, st.just("json")).map(lambda p: _as_bytes(*p))
)
_tracker_bodies = st.one_of(
    st.tuples(_tracker_body, st.sampled_from(["json", "form"])).map(lambda p: _as_bytes(*p)),
    _noise,
)
_form_bodies = st.one_of(
    st.tuples(_form_fields, st.sampled_from(["json", "form"])).map(lambda p: _as_bytes(*p)),
    _noise,
)


@pytest.fixture(scope="module")
def app() -> Iterator[InProcessApp]:
    # The limits would answer 429 before the parsers see anything; they are tested elsewhere.
    with in_process(
        RATE_LIMIT_PER_IP_PER_MINUTE="100000000",
        RATE_LIMIT_PER_FORM_PER_MINUTE="100000000",
        MAX_LEADS_PER_ANONYMOUS_ID_PER_HOUR="100000000",
        BOT_MIN_FILL_SECONDS="0",
    ) as application:
        yield application


def _stored(app: InProcessApp) -> tuple[int, int]:
    counts = []
    for table in ("events", "leads"):
        answer = app.dynamodb.scan(TableName=app.names[table], Select="COUNT")
        counts.append(answer["Count"])
    return counts[0], counts[1]


def _assert_whole_events(app: InProcessApp) -> None:
    for item in app.scan("events"):
        event = event_from_item(item)
        assert event.lead_id and event.event_id
        assert event.type in KNOWN_TYPES
        assert math.isfinite(event.occurred_at)
        assert item["expires_at"] > event.occurred_at


_PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


def _check_tracker(app: InProcessApp, body: bytes, media: str) -> None:
    before = _stored(app)
    answer = app.request("POST", "/v1/t/events", body, media)
    event(f"status {answer.status_code}")
    # Never a 5xx; a refusal stores nothing; whatever is stored is a whole event
    assert answer.status_code < 500, answer.body
    if answer.status_code >= 400:
        assert _stored(app) == before
        assert json.loads(answer.body)["message"]
    else:
        assert answer.status_code == 202
        assert json.loads(answer.body)["accepted"] >= 0
    _assert_whole_events(app)


def _check_form(app: InProcessApp, form_id: str, body: bytes, media: str) -> None:
    before = _stored(app)
    answer = app.request("POST", f"/v1/forms/{form_id}/submissions", body, media)
    event(f"status {answer.status_code}")
    # Never a 5xx, and a refusal stores nothing
    assert answer.status_code < 500, answer.body
    if answer.status_code >= 400:
        assert _stored(app) == before
        assert json.loads(answer.body)["message"]
    else:
        assert answer.status_code in (201, 303)
    _assert_whole_events(app)


_form_ids = st.one_of(
    st.sampled_from(FORMS),
    st.text(alphabet=st.characters(blacklist_characters="/?#%"), max_size=20),
)


@_PROPERTY
@given(body=st.binary(max_size=800) | _tracker_bodies, media=_media)
def test_any_bytes_with_any_content_type_to_the_tracker_get_2xx_or_4xx(app, body, media):
    # Given whatever a sender may post, with whatever Content-Type
    # When it arrives at the tracker
    # Then see _check_tracker
    _check_tracker(app, body, media)


@_PROPERTY
@given(body=_tracker_body, media=st.sampled_from(["text/plain", "application/json"]))
def test_any_beacon_shaped_json_gets_2xx_or_4xx_and_stores_whole_events_only(app, body, media):
    # Given a well-formed beacon envelope with arbitrary content, as sendBeacon sends it
    # When it arrives at the tracker
    # Then see _check_tracker
    _check_tracker(app, json.dumps(body, default=str).encode(), media)


@_PROPERTY
@given(form_id=_form_ids, body=st.binary(max_size=800) | _form_bodies, media=_media)
def test_any_bytes_with_any_content_type_to_a_form_get_2xx_or_4xx(app, form_id, body, media):
    # Given whatever a browser or a bot may post to a form, known or not
    # When it arrives
    # Then see _check_form
    _check_form(app, form_id, body, media)


@_PROPERTY
@given(
    form_id=st.sampled_from(FORMS),
    email=st.one_of(st.emails(), st.text(max_size=30)),
    fields=_form_fields,
    encoding=st.sampled_from(["form", "json"]),
)
def test_any_form_shaped_post_gets_201_303_or_422_and_stores_nothing_when_refused(
    app, form_id, email, fields, encoding
):
    # Given a plain HTML form post or a JSON post with arbitrary field values
    media = "application/x-www-form-urlencoded" if encoding == "form" else "application/json"
    # When it arrives
    # Then see _check_form
    _check_form(app, form_id, _as_bytes({"email": email, **fields}, encoding), media)
