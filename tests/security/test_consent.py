"""Consent decides whether e-mail opens and clicks are attributed to a person.

Without marketing consent (or after it is withdrawn, or with Sec-GPC: 1) a hit
counts only in the campaign's aggregate counters; the lead's timeline and score
do not move.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest

from chalicelib.adapters.items import event_partitions
from chalicelib.schemas import ConsentRequest, TrackerBatch, TrackingLinksRequest
from tests.support import DAY, World, world

KB = "https://kb.example.nl"
AID = "anon-consent-0001"
PERSON = {
    "email": "mila.vermeer@acme.nl",
    "first_name": "Mila",
    "last_name": "Vermeer",
    "company": "Acme",
    "job_title": "CIO",
    "page_url": f"{KB}/whitepapers/itsm",
    "anonymous_id": AID,
}


def _lead(w: World, consent: bool) -> str:
    fields = {**PERSON, **({"consent_marketing": "on"} if consent else {})}
    w.services.capture.submit_form("whitepaper", fields, w.ctx())
    w.pump()
    lead_id = w.leads.lead_id_by_email(PERSON["email"])
    assert lead_id
    return lead_id


def _tokens(w: World, campaign: str = "nov-news") -> tuple[str, str]:
    links = w.services.capture.create_tracking_links(
        TrackingLinksRequest(
            email=PERSON["email"],
            campaign_id=campaign,
            message_id="m-1",
            links=[f"{KB}/pricing"],
        ),
        w.ctx(),
    )
    open_token = urlsplit(links.open_pixel_url).path.rsplit("/", 1)[1]
    click_token = urlsplit(links.links[f"{KB}/pricing"]).path.rsplit("/", 1)[1]
    return open_token, click_token


def _open_and_click(w: World, open_token: str, click_token: str, **ctx: object) -> None:
    w.clock.now += 60
    w.services.capture.email_open(open_token, w.ctx(received_at=w.clock.now, **ctx))
    w.clock.now += 30
    target = w.services.capture.email_click(click_token, w.ctx(received_at=w.clock.now, **ctx))
    assert target.target_url == f"{KB}/pricing"  # the person always gets where the link points
    w.pump()


def _types(view: dict[str, object]) -> list[str]:
    return [str(e["type"]) for e in view["timeline"]]  # type: ignore[attr-defined, index]


def test_without_consent_an_open_and_a_click_count_only_for_the_campaign():
    # Given a lead who downloaded a whitepaper without ticking marketing consent
    w = world()
    lead_id = _lead(w, consent=False)
    open_token, click_token = _tokens(w)
    before = w.services.sales.view(lead_id).model_dump()
    # When the lead opens the mail and clicks its link
    _open_and_click(w, open_token, click_token)
    # Then the campaign counts both, and the lead's score and timeline do not change
    after = w.services.sales.view(lead_id).model_dump()
    counts = w.leads.campaign("nov-news")
    assert (counts.get("opens"), counts.get("clicks")) == (1, 1)
    assert after["score"] == before["score"]
    assert after["engagement_score"] == before["engagement_score"]
    assert _types(after) == _types(before)
    assert not {"email_open", "email_click"} & set(_types(after))


def test_with_consent_an_open_and_a_click_are_on_the_lead_timeline():
    # Given a lead who ticked marketing consent on the form
    w = world()
    lead_id = _lead(w, consent=True)
    open_token, click_token = _tokens(w)
    before = w.services.sales.view(lead_id).model_dump()
    # When the lead opens the mail and clicks its link
    _open_and_click(w, open_token, click_token)
    # Then both are attributed to the lead and score, and the campaign counts them too
    after = w.services.sales.view(lead_id).model_dump()
    assert {"email_open", "email_click"} <= set(_types(after))
    assert after["engagement_score"] > before["engagement_score"]
    counts = w.leads.campaign("nov-news")
    assert (counts.get("opens"), counts.get("clicks")) == (1, 1)


def test_consent_is_recorded_with_its_time_form_page_and_text_version():
    # Given a form post with consent
    w = world()
    # When it is stored
    lead_id = _lead(w, consent=True)
    # Then the lead holds the evidence a regulator asks for
    consent = w.services.sales.view(lead_id).model_dump()["consent"]
    assert consent["granted"] is True
    assert consent["form_id"] == "whitepaper"
    assert consent["page_url"] == PERSON["page_url"]
    assert consent["text_version"] == "2026-11"
    assert consent["at"].startswith("2026-11-18")


def test_withdrawal_through_the_api_stops_attribution_from_that_moment_and_is_recorded():
    # Given a consenting lead whose first click was attributed
    w = world()
    lead_id = _lead(w, consent=True)
    open_token, click_token = _tokens(w)
    _open_and_click(w, open_token, click_token)
    clicks_before = _types(w.services.sales.view(lead_id).model_dump()).count("email_click")
    # When consent is withdrawn through the API
    w.clock.now += 3600
    view = w.services.sales.set_consent(lead_id, ConsentRequest(granted=False)).model_dump()
    w.pump()
    # And the lead clicks again
    _open_and_click(w, open_token, click_token)
    # Then the withdrawal is on record, and the later hits count only for the campaign
    after = w.services.sales.view(lead_id).model_dump()
    assert view["consent"]["granted"] is False
    assert "consent_changed" in _types(after)
    assert _types(after).count("email_click") == clicks_before == 1
    assert w.leads.campaign("nov-news").get("clicks") == 2


@pytest.mark.parametrize("by", ["email", "token"])
def test_newsletter_unsubscribe_in_the_tracker_withdraws_consent(by):
    # Given a consenting lead who received a newsletter
    w = world()
    lead_id = _lead(w, consent=True)
    open_token, click_token = _tokens(w)
    identity = {"email": PERSON["email"]} if by == "email" else {"token": click_token}
    # When the unsubscribe page reports the unsubscribe
    w.clock.now += DAY
    answer = w.services.capture.track(
        TrackerBatch(
            anonymous_id="anon-unsub-0001",
            events=[
                {
                    "type": "newsletter_unsubscribe",
                    "url": f"{KB}/newsletter/unsubscribe/",
                    "properties": identity,
                }
            ],
        ).model_dump(),
        w.ctx(received_at=w.clock.now),
    )
    w.pump()
    # Then consent is withdrawn and recorded, and later clicks are not attributed
    assert answer.rejected == []
    _open_and_click(w, open_token, click_token)
    after = w.services.sales.view(lead_id).model_dump()
    assert after["consent"]["granted"] is False
    assert "newsletter_unsubscribe" in _types(after)
    assert "email_click" not in _types(after)
    assert w.leads.campaign("nov-news").get("clicks") == 1


def test_a_global_privacy_control_hit_is_counted_but_never_attributed():
    # Given a consenting lead
    w = world()
    lead_id = _lead(w, consent=True)
    open_token, click_token = _tokens(w)
    # When the open and the click come from a browser that sends Sec-GPC: 1
    _open_and_click(w, open_token, click_token, global_privacy_control=True)
    # Then the campaign counts them and the person's timeline does not show them
    after = w.services.sales.view(lead_id).model_dump()
    assert not {"email_open", "email_click"} & set(_types(after))
    counts = w.leads.campaign("nov-news")
    assert (counts.get("opens"), counts.get("clicks")) == (1, 1)


def test_a_global_privacy_control_beacon_or_pixel_stores_nothing():
    # Given a visitor whose browser sends Sec-GPC: 1
    w = world()
    ctx = w.ctx(global_privacy_control=True)
    # When the tracker and the no-JavaScript pixel report page views
    answer = w.services.capture.track(
        {"anonymous_id": AID, "events": [{"type": "page_view", "url": f"{KB}/pricing"}]}, ctx
    )
    w.services.capture.page_pixel({"aid": AID, "url": f"{KB}/pricing"}, ctx)
    # Then the beacon is answered as accepted, and nothing is stored about the visitor
    assert answer.accepted == 1
    assert w.events.table.items == {}
    assert w.leads.anonymous_link(AID) is None


def test_an_erased_person_is_not_tracked_again_by_an_old_mail():
    # Given a consenting lead who was then erased
    w = world()
    lead_id = _lead(w, consent=True)
    open_token, click_token = _tokens(w)
    w.services.sales.erase(lead_id)
    # When an old mail is opened and its link clicked
    _open_and_click(w, open_token, click_token)
    # Then nothing about the person is stored again
    assert w.leads.lead_id_by_email(PERSON["email"]) is None
    assert not [k for k in w.events.table.items if k[0] in event_partitions(lead_id)]


@pytest.mark.e2e
def test_on_the_local_stack_an_unconsented_open_and_click_move_only_the_campaign(security_stack):
    # Given a lead who downloaded the whitepaper without marketing consent, scored
    stack = security_stack
    email = "ruben.stam@example-industries.nl"
    stack.api(
        "POST",
        "/v1/forms/whitepaper/submissions",
        {"email": email, "first_name": "Ruben", "job_title": "CTO"},
    )
    stack.wait_for(lambda: (found := stack.get_lead_by_email(email)) and found["score"] > 0)
    time.sleep(1.0)  # the scorer's batch is done: a late record would move the score below
    lead = stack.get_lead_by_email(email)
    links = stack.sales(
        "POST",
        "/v1/tracking-links",
        {"email": email, "campaign_id": "e2e-consent", "message_id": "m1", "links": [KB]},
    ).json()
    # When the lead opens the mail and clicks its link
    opened = stack.api("GET", urlsplit(links["open_pixel_url"]).path)
    clicked = stack.api("GET", urlsplit(links["links"][KB]).path)
    # Then the pixel and the redirect work, the campaign's counts rise...
    assert opened.status == 200 and opened.body.startswith(b"GIF")
    assert clicked.status == 302 and clicked.headers["Location"] == KB
    # (the click comes the moment the link was issued, before anyone could have read the
    # mail: a machine click, counted for the campaign as such; docs/SCORING.md)
    campaign = stack.wait_for(
        lambda: (
            (c := stack.sales("GET", "/v1/campaigns/e2e-consent").json())["machine_clicks"] == 1
            and c
        )
    )
    assert (campaign["opens"], campaign["clicks"], campaign["machine_clicks"]) == (1, 0, 1)
    # ...and, once the stream workers had time to score anything, the lead is unchanged
    time.sleep(2.0)
    after = stack.get_lead_by_email(email)
    assert after["score"] == lead["score"]
    assert after["engagement_score"] == lead["engagement_score"]
    assert [e["event_id"] for e in after["timeline"]] == [e["event_id"] for e in lead["timeline"]]
