"""Segment-compatible ingest on the in-memory stores: mapping, auth, limits, dedupe, identity."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as settings_
from hypothesis import strategies as st

from chalicelib.domain.clock import iso
from chalicelib.domain.errors import InvalidInput, Unauthorized
from chalicelib.domain.scoring.model import ScoringModelError, load_scoring_model
from chalicelib.domain.segment import (
    declined_tracking,
    occurred_at,
    parse_message,
    profile_fields,
    user_key,
)
from tests.support import BROWSER_UA, DIRECTOR, T0, World, world

KEY = "wk-test"
TRAITS = {
    "email": DIRECTOR["email"],
    "firstName": "Jan",
    "lastName": "Jansen",
    "title": "Director of IT",
    "phone": "06 12345678",
    "company": {"name": "Acme", "employee_count": 400},
    "address": {"country": "NL"},
}


@pytest.fixture
def w() -> World:
    return world(segment_write_keys=(KEY,))


def send(w: World, path: str, body: dict[str, Any], key: str | None = KEY, **ctx: Any) -> Any:
    context = w.ctx(user_agent="analytics-python/2.4.0", **ctx)
    return w.services.segment.receive(path, {**body, "writeKey": key}, None, context)


def page(aid: str, path: str, title: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "page",
        "anonymousId": aid,
        "properties": {"url": f"https://kb.example.nl{path}", "path": path, "title": title},
        "context": {"userAgent": BROWSER_UA},
        "timestamp": iso(T0 - 60),
        **extra,
    }


def reasons(view: dict[str, Any]) -> list[tuple[str, float, str]]:
    return sorted((r["rule"], r["points"], r["text"]) for r in view["reasons"])


# -- the protocol ------------------------------------------------------------------------


def test_a_missing_or_wrong_write_key_is_refused(w):
    # Given a track call
    body = {"userId": "u1", "event": "Trial Started"}
    # When it comes without a key, or with a wrong one, Then it is 401 and nothing is stored
    for key in (None, "wrong-key"):
        with pytest.raises(Unauthorized, match="writeKey"):
            send(w, "track", body, key=key)
    assert w.events.table.items == {}


def test_the_write_key_may_come_as_the_basic_auth_user(w):
    # Given a call whose key is only in the Authorization header
    answer = w.services.segment.receive(
        "t", {"userId": "u1", "event": "Trial Started"}, KEY, w.ctx()
    )
    # Then it is stored
    assert answer.success and answer.rejected == []
    assert len(w.events.table.items) == 1


def test_one_bad_message_in_a_batch_is_rejected_and_quarantined_the_others_stored(w):
    # Given a batch with a good page view, a message without ids and a too large one
    batch = [
        page("aid-000001", "/pricing", "Pricing"),
        {"type": "track", "event": "Trial Started", "writeKey": KEY},
        {"type": "track", "userId": "u2", "event": "x", "properties": {"blob": "x" * 40_000}},
    ]
    # When it is sent
    answer = send(w, "batch", {"batch": batch})
    # Then only the bad ones are answered, each with its reason, and quarantined
    assert [r.index for r in answer.rejected] == [1, 2]
    assert answer.rejected[0].message.startswith("userId: a userId or an anonymousId")
    assert "32 KB per message" in answer.rejected[1].message
    quarantined = w.quarantine.recent(10)
    assert len(quarantined) == 2
    assert "wk-" not in str(quarantined), "the write key is not kept"
    assert len(w.events.table.items) == 1


def test_a_single_bad_call_is_a_4xx_naming_the_field(w):
    with pytest.raises(InvalidInput, match="event"):
        send(w, "track", {"userId": "u1"})


def test_a_retried_message_id_counts_once(w):
    # Given a page view with a messageId
    message = page("aid-000001", "/pricing", "Pricing", messageId="m-1")
    # When the client sends it, then retries it alone and again inside a batch
    send(w, "page", message)
    send(w, "p", message)
    send(w, "batch", {"batch": [message]})
    w.pump()
    # Then one page view is stored and scored
    assert len(w.events.table.items) == 1


def test_the_clients_clock_skew_is_corrected_as_the_tracker_does():
    # Given a client whose clock runs an hour fast: it sent 10 s after the act
    message, _ = parse_message(
        {
            "type": "page",
            "anonymousId": "a",
            "originalTimestamp": iso(T0 + 3600 - 10),
            "sentAt": iso(T0 + 3600),
        }
    )
    assert message is not None
    # Then the act happened 10 s before it was received
    assert occurred_at(message, T0, None) == pytest.approx(T0 - 10)


def test_traits_become_the_forms_profile_fields():
    assert profile_fields({"name": "Jan van Dijk", "company": {"name": "Acme"}}) == {
        "first_name": "Jan",
        "last_name": "van Dijk",
        "company": "Acme",
    }


def test_declined_consent_category_means_no_tracking():
    declined = {"consent": {"categoryPreferences": {"Analytics": False, "Ads": True}}}
    assert declined_tracking(declined, ("analytics",))
    assert not declined_tracking(
        {"consent": {"categoryPreferences": {"Ads": False}}}, ("analytics",)
    )
    assert not declined_tracking({}, ("analytics",))


def test_page_views_of_a_visitor_who_declined_are_not_stored(w):
    message = page("aid-000001", "/pricing", "Pricing")
    message["context"]["consent"] = {"categoryPreferences": {"Marketing": False}}
    answer = send(w, "page", message)
    assert answer.rejected == []
    assert w.events.table.items == {}


def test_global_privacy_control_means_no_tracking_through_segment_either(w):
    answer = send(w, "page", page("aid-000001", "/pricing", "Pricing"), global_privacy_control=True)
    assert answer.rejected == []
    assert w.events.table.items == {}
    assert w.leads.anonymous_link("aid-000001") is None


def test_a_crawler_s_page_view_is_kept_labelled_and_scores_nothing(w):
    message = page("aid-000001", "/pricing", "Pricing")
    message["context"]["userAgent"] = "Mozilla/5.0 (compatible; Googlebot/2.1)"
    send(w, "page", message)
    w.pump()
    (item,) = w.events.table.items.values()
    assert item["machine"] == "crawler"
    view = w.services.sales.view(item["lead_id"])
    assert view.score == 0


def test_a_server_side_track_without_user_agent_is_first_party_and_scores(w):
    # Given a known lead (identify) and a backend's "Trial Started" without context
    send(w, "identify", {"userId": "u-9", "traits": TRAITS})
    send(w, "track", {"userId": "u-9", "event": "Trial Started", "properties": {"plan": "pro"}})
    w.pump()
    # Then the custom event scores by the model's rule, with its sentence
    view = w.lead_by_email(DIRECTOR["email"])
    assert "trial_started" in {r["rule"] for r in view["reasons"]}
    custom = [e for e in view["timeline"] if e["type"] == "custom"]
    assert custom and custom[0]["properties"]["event"] == "Trial Started"
    assert custom[0]["label"].startswith("Trial Started on ")


def test_an_unnamed_custom_event_is_kept_on_the_timeline_and_scores_nothing(w):
    send(w, "identify", {"userId": "u-9", "traits": TRAITS})
    w.pump()
    before = w.lead_by_email(DIRECTOR["email"])["score"]
    send(w, "track", {"userId": "u-9", "event": "Invoice Viewed"})
    w.pump()
    view = w.lead_by_email(DIRECTOR["email"])
    assert view["score"] == before
    assert any(e["type"] == "custom" for e in view["timeline"])


def test_the_mapping_is_data_a_model_may_override():
    # Given a model whose segment section maps to a form that does not exist
    raw = load_scoring_model().model_dump(by_alias=True)
    raw["segment"]["forms"] = {"Demo Requested": "no-such-form"}
    from chalicelib.domain.scoring.model import ScoringModel

    with pytest.raises(ValueError, match="unknown form"):
        ScoringModel.model_validate(raw)
    assert issubclass(ScoringModelError, ValueError)


# -- identity ----------------------------------------------------------------------------


def test_a_lead_can_be_found_by_user_id(w):
    send(w, "identify", {"userId": "u-7", "anonymousId": "aid-000007", "traits": TRAITS})
    w.pump()
    found = w.services.sales.list_leads(None, None, None, None, user_id="u-7")
    assert [item.email for item in found.items] == [DIRECTOR["email"]]
    assert w.services.sales.list_leads(None, None, None, None, user_id="nobody").items == []


def test_alias_links_the_previous_id_to_the_user(w):
    # Given a browser's page views, then the user known by e-mail under a userId
    send(w, "page", page("aid-000042", "/pricing", "Pricing"))
    send(w, "identify", {"userId": "u-42", "traits": TRAITS})
    # When the site aliases its browser id to the userId
    send(w, "alias", {"previousId": "aid-000042", "userId": "u-42"})
    w.pump()
    # Then the browser's pricing view is the lead's
    view = w.lead_by_email(DIRECTOR["email"])
    assert "pricing_view" in {r["rule"] for r in view["reasons"]}


def test_two_known_leads_are_never_silently_merged(w):
    # Given two identified people, each with a userId
    send(w, "identify", {"userId": "u-a", "traits": TRAITS})
    other = {**TRAITS, "email": "piet@acme.nl", "firstName": "Piet"}
    send(w, "identify", {"userId": "u-b", "traits": other})
    # When one is aliased to the other
    send(w, "alias", {"previousId": "u-a", "userId": "u-b"})
    w.pump()
    # Then both stay leads of their own, and the refusal is recorded
    a = w.leads.lead_id_by_email(DIRECTOR["email"])
    b = w.leads.lead_id_by_email("piet@acme.nl")
    assert a and b and a != b
    assert w.leads.anonymous_link(user_key("u-a")).lead_id == a  # type: ignore[union-attr]
    linked = [e for e in w.events.history(b) if e.type == "identity_linked"]
    assert any(e.properties["outcome"] == "shared_device" for e in linked)


def test_group_for_a_visitor_without_e_mail_is_kept_on_its_timeline(w):
    # Given a visitor the site knows only by its browser id
    send(w, "page", page("aid-visitor-1", "/pricing", "Pricing"))
    # When the site groups it with a company
    answer = send(w, "group", {"anonymousId": "aid-visitor-1", "traits": {"name": "Acme"}})
    w.pump()
    # Then nothing is lost: the company is on the visitor's timeline, scoring nothing extra
    assert answer.rejected == []
    (lead_id,) = {item["lead_id"] for item in w.events.table.items.values()}
    kept = [e for e in w.events.history(lead_id) if e.type == "profile_updated"]
    assert [e.properties["traits"] for e in kept] == [{"company": "Acme"}]


def test_group_sets_the_company_traits(w):
    send(w, "identify", {"userId": "u-g", "traits": {"email": "kees@acme.nl"}})
    send(
        w,
        "group",
        {
            "userId": "u-g",
            "groupId": "acme",
            "traits": {"name": "Acme", "employees": 250, "industry": "Software"},
        },
    )
    w.pump()
    view = w.lead_by_email("kees@acme.nl")
    assert (view["company"], view["company_size"], view["industry"]) == ("Acme", 250, "Software")
    fit_alone = world(segment_write_keys=(KEY,))
    send(fit_alone, "identify", {"userId": "u-g", "traits": {"email": "kees@acme.nl"}})
    fit_alone.pump()
    assert view["fit_score"] > fit_alone.lead_by_email("kees@acme.nl")["fit_score"]


# -- the same behaviour, the same lead ---------------------------------------------------


def native_journey(w: World, email: str) -> dict[str, Any]:
    """Trechter's own tracker and demo form."""
    aid = "native-aid-01"
    events = [
        {"type": "page_view", "url": "https://kb.example.nl/pricing", "title": "Pricing"},
        {"type": "page_view", "url": "https://kb.example.nl/docs/api", "title": "API docs"},
    ]
    for one in events:
        w.services.capture.track({"anonymous_id": aid, "events": [one]}, w.ctx())
        w.clock.now += 1
    w.clock.now += 60
    form = {**DIRECTOR, "email": email, "anonymous_id": aid, "company_size": "400"}
    w.services.capture.submit_form("demo", form, w.ctx(received_at=w.clock.now))
    w.pump()
    return w.lead_by_email(email)


def segment_journey(w: World, email: str) -> dict[str, Any]:
    """analytics.js page views and identify(userId); the backend's identify and track."""
    aid = "segment-aid-01"
    browser = {"userAgent": BROWSER_UA}
    for path, title in (("/pricing", "Pricing"), ("/docs/api", "API docs")):
        url = f"https://kb.example.nl{path}"
        send(
            w,
            "p",
            {
                "type": "page",
                "anonymousId": aid,
                "context": browser,
                "properties": {"url": url, "path": path, "title": title},
            },
        )
        w.clock.now += 1
    w.clock.now += 60
    send(
        w,
        "i",
        {"type": "identify", "anonymousId": aid, "userId": "u-1", "context": browser},
        received_at=w.clock.now,
    )
    send(
        w,
        "batch",
        {
            "batch": [
                {"type": "identify", "userId": "u-1", "traits": {**TRAITS, "email": email}},
                {"type": "track", "userId": "u-1", "event": "Demo Requested"},
            ]
        },
        received_at=w.clock.now,
    )
    w.pump()
    return w.lead_by_email(email)


def test_segment_calls_make_the_same_lead_score_and_reasons_as_tracker_and_forms():
    # Given the same behaviour through Trechter's tracker and forms, and through Segment
    native = native_journey(world(segment_write_keys=(KEY,)), "jan@acme.nl")
    segment = segment_journey(world(segment_write_keys=(KEY,)), "jan@acme.nl")
    # Then the lead, its scores, stage and reasons are the same
    for field in (
        "email",
        "first_name",
        "last_name",
        "company",
        "job_title",
        "phone",
        "country",
        "stage",
        "score",
        "fit_score",
        "engagement_score",
    ):
        assert segment[field] == native[field], field
    assert reasons(segment) == reasons(native)
    assert native["stage"] == "sql"


def test_write_keys_come_from_ssm_and_a_missing_parameter_means_401_not_500(monkeypatch):
    import boto3
    from moto import mock_aws

    from chalicelib.services import secrets as secrets_module
    from chalicelib.services.secrets import segment_write_keys
    from tests.support import settings

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        from chalicelib.adapters.aws import reset_clients
        from chalicelib.adapters.parameters import SsmParameters

        reset_clients()
        configured = settings(segment_write_keys_param="/t/segment-write-keys")
        ssm = SsmParameters(configured.region)
        # Given no parameter yet: no key is valid, and nothing raises
        assert not segment_write_keys(configured, ssm).matches("site-key")
        # When the parameter holds two sources' keys
        boto3.client("ssm", region_name="eu-west-1").put_parameter(
            Name="/t/segment-write-keys", Value="site-key,backend-key", Type="SecureString"
        )
        monkeypatch.setattr(secrets_module, "_REFRESH_SECONDS", 0.0)
        keys = segment_write_keys(configured, ssm)
        # Then each is accepted, and nothing else
        assert keys.matches("site-key") and keys.matches("backend-key")
        assert not keys.matches("local-write-key")
        reset_clients()


def test_an_erased_person_s_user_id_finds_nothing_and_later_calls_are_dropped(w):
    # Given a lead known by a userId
    send(w, "identify", {"userId": "u-e", "anonymousId": "aid-erase-1", "traits": TRAITS})
    w.pump()
    lead_id = w.leads.lead_id_by_email(DIRECTOR["email"])
    assert lead_id
    # When the person is erased
    w.services.sales.erase(lead_id)
    # Then the userId finds nothing, and the backend's later events are not stored
    assert w.services.sales.list_leads(None, None, None, None, user_id="u-e").items == []
    before = len(w.events.table.items)
    send(w, "track", {"userId": "u-e", "event": "Trial Started"})
    send(w, "page", page("aid-erase-1", "/pricing", "Pricing"))
    assert len(w.events.table.items) == before
    # And the backend's routine identify does not bring the person back (a form would)
    send(w, "identify", {"userId": "u-new", "traits": TRAITS})
    assert w.leads.lead_id_by_email(DIRECTOR["email"]) is None
    assert len(w.events.table.items) == before


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
_fields = st.sampled_from(
    [
        "type",
        "userId",
        "anonymousId",
        "messageId",
        "event",
        "traits",
        "properties",
        "context",
        "timestamp",
        "sentAt",
        "originalTimestamp",
        "previousId",
        "name",
        "groupId",
    ]
)
_message = st.dictionaries(
    _fields,
    _json
    | st.sampled_from(
        ["identify", "track", "page", "screen", "group", "alias", "u-1", "2026-11-18T10:00:00Z"]
    ),
    max_size=8,
)


@settings_(max_examples=40, deadline=None)
@given(batch=st.lists(_message | _json, max_size=4), path=st.sampled_from(["batch", "t", "i"]))
def test_any_message_is_stored_or_answered_never_an_unexpected_error(batch, path):
    # Given any batch, or any single call, with a valid write key
    w = world(segment_write_keys=(KEY,))
    body = (
        {"batch": batch}
        if path == "batch"
        else (batch[0] if batch and isinstance(batch[0], dict) else {})
    )
    # When it is received
    try:
        answer = send(w, path, body)
    except (InvalidInput, Unauthorized):
        return  # a 4xx naming the field
    # Then every message is either stored or answered in rejected (and quarantined)
    assert all(0 <= r.index < len(batch) for r in answer.rejected)
    assert len(w.quarantine.recent(100)) == len(answer.rejected)


# -- the mapping in the default model ------------------------------------------------------


def test_products_searched_is_a_site_search_scored_as_one(w):
    send(w, "identify", {"userId": "u-s", "traits": TRAITS})
    send(
        w,
        "track",
        {
            "userId": "u-s",
            "event": "Products Searched",
            "properties": {"query": "pricing for 50 users"},
        },
    )
    w.pump()
    view = w.lead_by_email(DIRECTOR["email"])
    assert "needful_search" in {r["rule"] for r in view["reasons"]}
    assert any(e["type"] == "site_search" for e in view["timeline"])


def test_unsubscribed_withdraws_consent_and_is_on_the_timeline(w):
    # Given a subscriber (newsletter form with consent) who is also a product user
    form = {**DIRECTOR, "consent_marketing": "on"}
    w.services.capture.submit_form("newsletter", form, w.ctx())
    send(w, "identify", {"userId": "u-n", "traits": {"email": DIRECTOR["email"]}})
    # When the e-mail tool reports "Unsubscribed" through Segment
    send(w, "track", {"userId": "u-n", "event": "Unsubscribed"})
    w.pump()
    # Then consent is withdrawn and the newsletter points cancel out
    view = w.lead_by_email(DIRECTOR["email"])
    lead_id = w.leads.lead_id_by_email(DIRECTOR["email"])
    assert w.leads.get_lead(lead_id).lead.consent.granted is False  # type: ignore[union-attr]
    assert any(e["type"] == "newsletter_unsubscribe" for e in view["timeline"])
    assert view["engagement_score"] == 0  # +10 and -10, as with the tracker's unsubscribe


def test_email_opened_counts_only_with_marketing_consent(w):
    # Given a lead without marketing consent
    send(w, "identify", {"userId": "u-o", "traits": TRAITS})
    # When the e-mail tool reports an open
    send(
        w, "track", {"userId": "u-o", "event": "Email Opened", "properties": {"campaign_id": "nov"}}
    )
    # Then nothing about the person is stored
    lead_id = w.leads.lead_id_by_email(DIRECTOR["email"])
    assert lead_id
    assert not [e for e in w.events.history(lead_id) if e.type == "email_open"]


def test_a_screen_is_a_page_view_of_the_app(w):
    send(
        w,
        "screen",
        {"userId": "u-app", "name": "Billing", "context": {"app": {"name": "Acme App"}}},
    )
    (item,) = w.events.table.items.values()
    assert (item["type"], item["url"], item["title"]) == (
        "page_view",
        "app://Acme%20App/Billing",
        "Billing",
    )


def test_a_batch_reads_each_id_once_and_writes_its_events_together(w):
    # Given a batch of 100 page views by 10 visitors already known
    def views(prefix: str) -> list[dict[str, Any]]:
        return [
            {**page(f"aid-{i % 10:08d}", f"/p{i}", "P"), "messageId": f"{prefix}{i}"}
            for i in range(100)
        ]

    send(w, "batch", {"batch": views("warm")})
    w.leads.table.requests.clear()
    w.events.table.requests.clear()
    # When the next 100 arrive
    send(w, "batch", {"batch": views("m")})
    # Then each visitor's link is read once and the events go in 25-item batch writes
    assert dict(w.leads.table.requests) == {"GetItem": 10}
    assert dict(w.events.table.requests) == {"BatchWriteItem": 4}
