"""Abuse limits: bursts get 429 with Retry-After; pixels and links keep their contract;
one browser cannot create lead after lead; a campaign's tracked links can be switched off.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from chalicelib.schemas import TrackingLinksRequest
from chalicelib.services.ratelimit import PeoplePerAnonymousId, TokenBuckets
from tests.security.conftest import in_process
from tests.support import world

KB = "https://kb.example.nl"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- the mechanisms ----------------------------------------------------------------------


def test_a_token_bucket_lets_a_burst_pass_then_refills_at_its_rate():
    # Given a bucket of 60 per minute
    clock = FakeClock()
    buckets = TokenBuckets(60, clock)
    # When 61 requests arrive at once
    waits = [buckets.take("198.51.100.0/24") for _ in range(61)]
    # Then 60 pass, the 61st waits about a second, and one second later one passes again
    assert waits[:60] == [0.0] * 60
    assert 0.9 < waits[60] <= 1.0
    clock.now += 1.0
    assert buckets.take("198.51.100.0/24") == 0.0
    # And another network has its own bucket
    assert buckets.take("203.0.113.0/24") == 0.0


def test_buckets_are_bounded_in_memory():
    # Given buckets that keep at most 100 keys
    buckets = TokenBuckets(10, FakeClock(), max_keys=100)
    # When a thousand networks pass by
    for n in range(1000):
        buckets.take(f"10.{n // 256}.{n % 256}.0/24")
    # Then only the most recent hundred are remembered
    assert len(buckets._buckets) == 100


def test_an_anonymous_id_may_identify_a_few_people_and_the_same_person_again():
    # Given a limit of 2 people per anonymous id per hour
    people = PeoplePerAnonymousId(2)
    # When three people are identified from one browser, and the first comes back
    first, second, third = (people.admit("aid-1", who, 0.0) for who in ("a", "b", "c"))
    again = people.admit("aid-1", "a", 10.0)
    # Then the third is refused, the returning one is not, and an hour later all is new
    assert (first, second, third, again) == (True, True, False, True)
    assert people.admit("aid-1", "c", 3601.0) is True


# -- through the app, with the default limits --------------------------------------------


def _freeze_time(app) -> None:
    """No refill while the test runs, however slow the machine."""
    limits = app.module.get_services().capture.limits
    limits.per_network.clock = limits.per_form.clock = lambda: 0.0


def test_a_tracker_burst_from_one_network_gets_429_with_retry_after():
    # Given the app with its default per-network limit (600 a minute)
    with in_process() as app:
        _freeze_time(app)
        body = json.dumps({"anonymous_id": "anon-burst-00001", "events": [{"type": "page_view"}]})
        # When one network sends 650 beacons within the same instant
        answers = [app.request("POST", "/v1/t/events", body, "text/plain") for _ in range(650)]
    # Then the first 600 are accepted and the rest are refused with Retry-After
    statuses = [a.status_code for a in answers]
    assert statuses[:600] == [202] * 600
    assert set(statuses[600:]) == {429}
    refused = answers[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "network" in json.loads(refused.body)["message"]


def test_a_form_burst_gets_429_and_other_forms_still_work():
    # Given the app with its default per-form limit (120 a minute from one network)
    with in_process() as app:
        _freeze_time(app)
        # When one network posts the demo form 125 times (invalid posts count too)
        answers = [
            app.request("POST", "/v1/forms/demo/submissions", {"email": "x"}) for _ in range(125)
        ]
        other = app.request(
            "POST", "/v1/forms/newsletter/submissions", {"email": "anna@example.org"}
        )
    # Then the burst is cut at 120 with Retry-After, and the newsletter form still answers
    statuses = [a.status_code for a in answers]
    assert statuses[:120] == [422] * 120
    assert set(statuses[120:]) == {429}
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert json.loads(answers[-1].body)["message"].startswith("form_id:")
    assert other.status_code == 201


def test_over_the_limit_pixels_still_answer_a_gif_and_links_still_redirect_but_count_nothing():
    # Given a recipient's open pixel and tracked link, and a network over its limit
    w = world(rate_limit_per_ip_per_minute=1)
    links = w.services.capture.create_tracking_links(
        TrackingLinksRequest(
            email="ruud@acme.nl", campaign_id="dec", message_id="m", links=[f"{KB}/pricing"]
        ),
        w.ctx(),
    )
    open_token = urlsplit(links.open_pixel_url).path.rsplit("/", 1)[1]
    click_token = urlsplit(links.links[f"{KB}/pricing"]).path.rsplit("/", 1)[1]
    w.services.capture.email_open(open_token, w.ctx())  # spends the network's only token
    # When the network keeps opening and clicking
    w.services.capture.email_open(open_token, w.ctx())
    target = w.services.capture.email_click(click_token, w.ctx())
    # Then the person still gets to the page, and only the first hit was counted
    assert target.target_url == f"{KB}/pricing"
    assert w.leads.campaign("dec") == {"opens": 1}


def test_the_sixth_person_from_one_browser_within_an_hour_is_quarantined_not_created():
    # Given one anonymous id (a bot, or a kiosk) and the default of 5 people per hour
    w = world()
    aid = "anon-kiosk-000001"
    # When six different people submit the newsletter form from it
    answers = [
        w.services.capture.submit_form(
            "newsletter", {"email": f"person{n}@example.org", "anonymous_id": aid}, w.ctx()
        )
        for n in range(6)
    ]
    # Then each gets the same kind of answer, five leads exist, and the sixth is quarantined
    assert all(a.redirect_url for a in answers)
    created = [w.leads.lead_id_by_email(f"person{n}@example.org") for n in range(6)]
    assert all(created[:5]) and created[5] is None
    quarantined = w.quarantine.recent(10)
    assert len(quarantined) == 1
    assert "more than 5 people within an hour" in quarantined[0]["reason"]
    # And the first person coming back is recorded as usual
    w.services.capture.submit_form(
        "whitepaper", {"email": "person0@example.org", "anonymous_id": aid}, w.ctx()
    )
    assert len(w.quarantine.recent(10)) == 1


# -- the kill switch ---------------------------------------------------------------------


def test_a_campaign_kill_switch_makes_its_tracked_links_404_without_a_redirect(app_in_process):
    # Given tracked links of a campaign, bulk and personal
    app = app_in_process
    links = {}
    for personal in (False, True):
        answer = app.sales(
            "POST",
            "/v1/tracking-links",
            {
                "email": "nina@acme.nl",
                "campaign_id": "black-friday",
                "message_id": f"m-{personal}",
                "links": [f"{KB}/pricing"],
                "personal": personal,
            },
        )
        links[personal] = urlsplit(json.loads(answer.body)["links"][f"{KB}/pricing"]).path
    assert app.request("GET", links[False]).status_code == 302
    # When an operator switches the campaign's tracked links off
    switched = app.sales("POST", "/v1/campaigns/black-friday", {"tracked_links_enabled": False})
    # Then every link of it answers 404 with no Location, until it is switched on again
    assert switched.status_code == 200
    assert json.loads(switched.body)["tracked_links_enabled"] is False
    for path in links.values():
        answer = app.request("GET", path)
        assert answer.status_code == 404
        assert "Location" not in answer.headers
    app.sales("POST", "/v1/campaigns/black-friday", {"tracked_links_enabled": True})
    assert app.request("GET", links[True]).status_code == 302
    view = json.loads(app.sales("GET", "/v1/campaigns/black-friday").body)
    # (both clicks came seconds after the links were issued: before anyone could have read
    # the mail, so they count as machine clicks; see docs/SCORING.md, "Machine traffic")
    assert view == {
        "campaign_id": "black-friday",
        "tracked_links_enabled": True,
        "opens": 0,
        "clicks": 0,
        "machine_opens": 0,
        "machine_clicks": 2,
    }


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/campaigns/nov", None),
        ("POST", "/v1/campaigns/nov", {"tracked_links_enabled": False}),
    ],
)
def test_the_campaign_endpoints_need_the_api_key(app_in_process, method, path, body):
    # Given no API key
    # When an outsider calls a campaign endpoint
    answer = app_in_process.request(method, path, body)
    # Then it is refused
    assert answer.status_code == 401


def test_the_kill_switch_names_the_bad_field(app_in_process):
    # Given an operator
    # When the body or the campaign id is wrong
    bad_body = app_in_process.sales("POST", "/v1/campaigns/nov", {"tracked_links_enabled": "nope"})
    bad_id = app_in_process.sales("GET", "/v1/campaigns/" + "x" * 200)
    # Then 422 names the field
    assert bad_body.status_code == 422
    assert "tracked_links_enabled" in json.loads(bad_body.body)["message"]
    assert bad_id.status_code == 422
    assert "campaign_id" in json.loads(bad_id.body)["message"]


# -- on the local stack ------------------------------------------------------------------


@pytest.mark.e2e
def test_a_burst_on_the_local_stack_gets_429_with_retry_after(security_stack):
    # Given the local stack with the default per-form limit (120 a minute from one network)
    url = "/v1/forms/newsletter/submissions"

    def post(n: int):
        return security_stack.api("POST", url, {"email": f"burst-{n}"})

    # When 200 newsletter sign-ups (with a typo, so nothing is stored) arrive at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(post, range(200)))
    # Then past the first 120 they are refused with 429 and a Retry-After, and none fails
    statuses = [a.status for a in answers]
    assert statuses.count(429) >= 40
    assert set(statuses) == {422, 429}
    refused = next(a for a in answers if a.status == 429)
    assert int(refused.headers["Retry-After"]) >= 1
