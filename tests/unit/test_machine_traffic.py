"""Machine traffic by behaviour (scanner bursts, clicks before reading, scanner networks),
and repeats that count once (tracker event ids, forms, pixels, links): issue 11, items 1-2."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.events import MachineLabel
from chalicelib.domain.lead import Stage
from chalicelib.domain.networks import NETWORKS_PATH, KnownNetwork, NetworkIndex, scanner_networks
from chalicelib.domain.scoring.model import load_scoring_model
from chalicelib.domain.scoring.scorer import replay, score_event
from chalicelib.domain.scoring.state import LeadScoreState
from chalicelib.schemas import TrackingLinksRequest
from tests.support import DIRECTOR, T0, event, form_event, tracker_body, world

KB = "https://kb.example.nl"
AID = "anon-0123456789"
LINKS = [f"{KB}/pricing", f"{KB}/docs/install", f"{KB}/articles/itsm/why-itil", f"{KB}/about"]
HOUR = 3600.0
CONSENTING = {**DIRECTOR, "consent_marketing": "true"}


def _mail(w, personal=True, message_id="m-1"):
    """A lead who asked for the whitepaper (with consent to be mailed), and a (personal)
    follow-up mail with four links."""
    w.services.capture.submit_form("whitepaper", CONSENTING, w.ctx())
    w.pump()
    lead_id = w.leads.lead_id_by_email(DIRECTOR["email"])
    links = w.services.capture.create_tracking_links(
        TrackingLinksRequest(
            lead_id=lead_id,
            campaign_id="follow-up",
            message_id=message_id,
            links=LINKS,
            personal=personal,
        ),
        w.ctx(),
    )
    return lead_id, links


def _token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _scan(w, links, order=None):
    """A mail scanner: the open pixel and every link within the same second."""
    hits = [("open", links.open_pixel_url)] + [("click", links.links[u]) for u in LINKS]
    for kind, url in order(hits) if order else hits:
        if kind == "open":
            w.services.capture.email_open(_token(url), w.ctx())
        else:
            assert w.services.capture.email_click(_token(url), w.ctx()).target_url


# -- 1. machine clicks by behaviour ---------------------------------------------------------


@pytest.mark.parametrize("reverse", [False, True], ids=["pixel-first", "links-first"])
def test_a_scanner_burst_with_a_chrome_agent_leaves_stage_and_score_unchanged_and_publishes_nothing(
    reverse,
):
    w = world()
    lead_id, links = _mail(w)
    before = w.services.sales.view(lead_id)
    published = len(w.publisher.messages)
    w.clock.now += HOUR  # delivered and scanned an hour after it was written
    _scan(w, links, (lambda hits: hits[::-1]) if reverse else None)
    w.pump()
    after = w.services.sales.view(lead_id)
    assert (after.stage, after.score) == (before.stage, before.score)
    assert after.stage != Stage.SQL
    assert len(w.publisher.messages) == published
    assert not any(r.rule == "personal_mail_click" for r in after.reasons)


def test_every_hit_of_a_scanner_burst_is_stored_labelled_and_counted_in_the_machine_share():
    w = world()
    lead_id, links = _mail(w)
    w.clock.now += HOUR
    _scan(w, links)
    w.pump()
    mail = [e for e in w.events.history(lead_id) if e.type in ("email_open", "email_click")]
    assert len(mail) == 5
    # The first hit looked human when it came; the burst's ledger takes it back.
    ledger = w.leads.ledger(lead_id)
    reversed_ = [e for e in ledger if e.text.startswith("Reversed: part of a mail scanner")]
    assert reversed_ and sum(e.points for e in reversed_) < 0
    # Every hit of the burst is worth nothing: the ledger nets to the whitepaper alone
    assert sum(e.points for e in ledger if e.kind == "engagement") == pytest.approx(5.0)
    # And the lead's timeline labels every one of them
    timeline = w.services.sales.view(lead_id).timeline
    labels = [t.machine.label for t in timeline if t.type in ("email_open", "email_click")]
    assert labels == [MachineLabel.SCANNER_BURST.value] * 5
    funnel = w.services.reports.funnel(None, None)
    assert funnel.machine_hits == 5


def test_a_later_human_click_on_the_same_link_still_counts():
    w = world()
    lead_id, links = _mail(w)
    w.clock.now += HOUR
    _scan(w, links)
    w.pump()
    scanned = w.services.sales.view(lead_id)
    w.clock.now += HOUR  # Jan reads the mail and clicks the pricing link himself
    w.services.capture.email_click(_token(links.links[f"{KB}/pricing"]), w.ctx())
    w.pump()
    after = w.services.sales.view(lead_id)
    assert any(r.rule == "personal_mail_click" for r in after.reasons)
    assert after.engagement_score > scanned.engagement_score


def test_a_click_counted_then_shown_part_of_a_burst_is_reversed_in_the_ledger_with_the_reason():
    w = world()
    lead_id, links = _mail(w, personal=False)
    w.clock.now += HOUR
    w.services.capture.email_click(_token(links.links[LINKS[0]]), w.ctx())
    w.pump()
    counted = w.services.sales.view(lead_id)
    assert counted.engagement_score > 5  # the whitepaper, and the click as a person's
    w.services.capture.email_click(_token(links.links[LINKS[1]]), w.ctx())  # same second
    w.pump()
    after = w.services.sales.view(lead_id)
    ledger = w.leads.ledger(lead_id)
    reversed_ = [e for e in ledger if e.points < 0 and e.text.startswith("Reversed")]
    assert {e.text for e in reversed_} == {"Reversed: part of a mail scanner's burst on 18 Nov"}
    credited = [e for e in ledger if e.points > 0 and e.rule in {r.rule for r in reversed_}]
    assert sum(e.points for e in reversed_) == -sum(e.points for e in credited)
    assert after.engagement_score == pytest.approx(5.0)  # only the whitepaper is left
    assert not any(r.rule in ("email_click", "selective_subscriber_click") for r in after.reasons)


def test_a_click_seconds_after_the_link_was_issued_came_before_it_could_be_read():
    w = world()
    lead_id, links = _mail(w)
    before = w.services.sales.view(lead_id)
    w.clock.now += 2
    w.services.capture.email_click(_token(links.links[LINKS[0]]), w.ctx())
    w.pump()
    [click] = [e for e in w.events.history(lead_id) if e.type == "email_click"]
    assert click.machine is not None
    assert click.machine.label is MachineLabel.CLICK_BEFORE_READ
    assert w.services.sales.view(lead_id).score == before.score
    assert w.leads.campaign("p:follow-up") == {"machine_clicks": 1}


@pytest.mark.parametrize(
    ("address", "name"),
    [
        ("40.107.12.34", "Microsoft"),
        ("91.220.42.17", "Mimecast"),
        ("67.231.150.9", "Proofpoint"),
        ("64.235.150.1", "Barracuda"),
        ("2a01:111:f400:7c00::15", "Microsoft"),
    ],
)
def test_a_click_from_a_published_scanner_network_is_machine_whatever_its_agent(address, name):
    w = world()
    lead_id, links = _mail(w)
    w.clock.now += HOUR
    w.services.capture.email_click(_token(links.links[LINKS[0]]), w.ctx(source_ip=address))
    w.pump()
    [click] = [e for e in w.events.history(lead_id) if e.type == "email_click"]
    assert click.machine is not None
    assert click.machine.label is MachineLabel.SCANNER_NETWORK
    assert name in click.machine.reason


def test_the_full_address_decides_not_its_truncated_network():
    # 40.107.0.0/16 is Microsoft's; 40.106.255.x shares no /24 with it but is next door.
    index = scanner_networks()
    assert index.lookup("40.107.0.1") is not None
    assert index.lookup("40.106.255.254") is None
    assert index.lookup("40.108.0.0") is None
    assert index.lookup("not an address") is None
    assert index.lookup(None) is None


def test_a_gmail_proxy_address_marks_an_open_but_not_a_click():
    w = world()
    lead_id, links = _mail(w, personal=False)
    w.clock.now += HOUR
    w.services.capture.email_open(_token(links.open_pixel_url), w.ctx(source_ip="66.249.84.10"))
    w.clock.now += HOUR
    w.services.capture.email_click(_token(links.links[LINKS[0]]), w.ctx(source_ip="66.249.84.10"))
    w.pump()
    by_type = {e.type: e for e in w.events.history(lead_id)}
    assert by_type["email_open"].machine is not None
    assert by_type["email_open"].machine.label is MachineLabel.SCANNER_NETWORK
    assert by_type["email_click"].machine is None


def test_every_scanner_network_names_its_source_and_date_and_none_overlap():
    data = json.loads(NETWORKS_PATH.read_text())
    for entry in data["networks"]:
        assert entry["source"] and entry["ranges"]
        assert len(entry["checked"]) == 10 and entry["checked"][4] == "-"
        assert set(entry["contexts"]) <= {"email_open", "email_click", "page"}
    assert len(scanner_networks()) == sum(len(e["ranges"]) for e in data["networks"])
    a = KnownNetwork("a", frozenset({"email_click"}), "x", "2026-12-01", "10.0.0.0/8")
    b = KnownNetwork("b", frozenset({"email_click"}), "x", "2026-12-01", "10.1.0.0/16")
    with pytest.raises(ValueError, match="overlap"):
        NetworkIndex([a, b])


@settings(max_examples=60, deadline=None)
@given(st.permutations(["open", *LINKS]), st.floats(0, 0.99))
def test_any_order_of_a_scanners_hits_within_a_second_scores_nothing(order, spread):
    model = load_scoring_model()
    base = [form_event(T0, DIRECTOR)]
    hits = []
    for step, target in enumerate(order):
        at = T0 + HOUR + spread * step / len(order)
        props = {"personal": True} | ({} if target == "open" else {"target_url": target})
        kind = "email_open" if target == "open" else "email_click"
        hits.append(
            event(
                kind,
                at,
                url="" if target == "open" else target,
                properties=props,
                campaign_id="p:follow-up",
                message_id="m-1",
                source="email",
            )
        )
    without, _, _ = replay(base, model, T0)
    state, ledger, _ = replay(base + hits, model, T0)
    at = T0 + 2 * HOUR
    assert state.engagement_at(at, model.half_lives_seconds) == pytest.approx(
        without.engagement_at(at, model.half_lives_seconds)
    )
    assert state.stage == without.stage
    assert state.buying_signals == without.buying_signals
    assert sum(e.points for e in ledger) == pytest.approx(
        sum(e.points for e in replay(base, model, T0)[1])
    )


def test_the_scorers_mail_memory_survives_a_round_trip_and_stays_bounded():
    model = load_scoring_model()
    state = LeadScoreState()
    for n in range(40):
        hit = event(
            "email_click",
            T0 + n * HOUR,
            url=f"{KB}/p{n}",
            campaign_id="c",
            message_id=f"m{n}",
            source="email",
            properties={"target_url": f"{KB}/p{n}"},
        )
        state = score_event(state, None, hit, model, T0).lead
    assert len(state.mail_hits) <= 10
    again = LeadScoreState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again.mail_hits == state.mail_hits
    assert again.clone().mail_hits == state.mail_hits


# -- 2. exactly once ---------------------------------------------------------------------------


def test_a_repeated_beacon_is_one_event():
    w = world()
    body = tracker_body(
        AID,
        [
            {"type": "page_view", "url": f"{KB}/pricing", "event_id": "0b8f6d0e-1f7c-4f55-9a43-1"},
            {"type": "page_view", "url": f"{KB}/about", "event_id": "0b8f6d0e-1f7c-4f55-9a43-2"},
        ],
    )
    first = w.services.capture.track(body, w.ctx())
    w.clock.now += 30
    again = w.services.capture.track(body, w.ctx())  # sendBeacon retried, or the page resent it
    assert first.accepted == again.accepted == 2
    assert again.rejected == []
    w.pump()
    views = [e for e in w.events.table.items.values() if e.get("type") == "page_view"]
    assert len(views) == 2


def test_the_same_event_id_from_another_visitor_is_another_event():
    w = world()
    event_ = {"type": "page_view", "url": f"{KB}/pricing", "event_id": "same-id-123456"}
    w.services.capture.track(tracker_body(AID, [event_]), w.ctx())
    w.services.capture.track(tracker_body("anon-other-visitor", [event_]), w.ctx())
    views = [e for e in w.events.table.items.values() if e.get("type") == "page_view"]
    assert len(views) == 2


@pytest.mark.parametrize("bad", ["short", "x" * 65, "has space in it", 12345678, "a/b/c/d/e/f"])
def test_a_bad_event_id_is_refused_naming_the_event(bad):
    w = world()
    body = tracker_body(
        AID,
        [
            {"type": "page_view", "url": f"{KB}/a", "event_id": "good-id-12345678"},
            {"type": "page_view", "url": f"{KB}/b", "event_id": bad},
        ],
    )
    with pytest.raises(InvalidInput) as error:
        w.services.capture.track(body, w.ctx())
    assert [e.field for e in error.value.errors] == ["events.1.event_id"]
    assert not [e for e in w.events.table.items.values() if e.get("type") == "page_view"]


def test_a_double_submitted_whitepaper_form_is_one_submission():
    w = world()
    post = {**DIRECTOR, "anonymous_id": AID, "rendered_at": str(int(T0 * 1000) - 60_000)}
    first = w.services.capture.submit_form_once("whitepaper", post, w.ctx())
    w.clock.now += 1
    again = w.services.capture.submit_form_once(
        "whitepaper",
        {**post, "rendered_at": str(int(T0 * 1000))},
        w.ctx(),  # a reload
    )
    assert again == first
    w.pump()
    lead = w.lead_by_email(DIRECTOR["email"])
    assert sum(1 for e in lead["timeline"] if e["type"] == "form_submit") == 1
    assert lead["stage"] == Stage.LEAD  # not an MQL from "submitted 2 forms"


def test_the_same_person_with_other_fields_is_another_submission():
    w = world()
    w.services.capture.submit_form_once("whitepaper", DIRECTOR, w.ctx())
    w.services.capture.submit_form_once("whitepaper", {**DIRECTOR, "job_title": "CIO"}, w.ctx())
    w.services.capture.submit_form_once("newsletter", DIRECTOR, w.ctx())
    w.pump()
    lead = w.lead_by_email(DIRECTOR["email"])
    assert sum(1 for e in lead["timeline"] if e["type"] == "form_submit") == 3


def test_a_refused_form_is_refused_again_not_remembered():
    w = world()
    for _ in range(2):
        with pytest.raises(InvalidInput):
            w.services.capture.submit_form_once("demo", {"email": "jan@acme.nl"}, w.ctx())


@pytest.mark.parametrize("kind", ["open", "click"])
def test_a_repeated_open_or_click_within_seconds_is_one_hit_and_still_answers(kind):
    w = world()
    lead_id, links = _mail(w, personal=False)
    w.clock.now += HOUR
    url = links.open_pixel_url if kind == "open" else links.links[LINKS[0]]
    for step in (0, 2, 5):
        w.clock.now += step
        if kind == "open":
            w.services.capture.email_open(_token(url), w.ctx())
        else:
            assert w.services.capture.email_click(_token(url), w.ctx()).target_url == LINKS[0]
    hits = [e for e in w.events.history(lead_id) if e.type == f"email_{kind}"]
    assert len(hits) == 1
    assert w.leads.campaign("follow-up") == {f"{kind}s": 1}
    w.clock.now += HOUR  # outside the window: another hit of its own
    if kind == "open":
        w.services.capture.email_open(_token(url), w.ctx())
    else:
        w.services.capture.email_click(_token(url), w.ctx())
    assert len([e for e in w.events.history(lead_id) if e.type == f"email_{kind}"]) == 2


def test_a_model_may_not_keep_event_ids_for_less_than_a_day():
    from chalicelib.domain.scoring.model import (
        DEFAULT_MODEL_PATH,
        ScoringModelError,
        parse_scoring_model,
    )

    text = DEFAULT_MODEL_PATH.read_text().replace(
        "repeat_event_hours: 24", "repeat_event_hours: 12"
    )
    with pytest.raises(ScoringModelError, match=r"machine_traffic\.repeat_event_hours"):
        parse_scoring_model(text)
