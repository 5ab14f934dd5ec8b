"""Scores sales can trust (issue 11): no act counted twice, caps and ceilings everywhere
it matters, and seed 003 completely (3.1 phone and reading time, 3.2 colleagues, 3.3
opinion titles, 3.8 search-engine terms)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.lead import Stage
from chalicelib.domain.scoring.explain import recommend_channel
from chalicelib.domain.scoring.model import (
    ScoringModelError,
    load_scoring_model,
    model_warnings,
    parse_scoring_model,
)
from chalicelib.domain.scoring.scorer import replay, score_event
from chalicelib.domain.scoring.state import Accumulator, CompanyState, LeadScoreState
from tests.support import DAY, DIRECTOR, STUDENT, T0, event, form_event

MODEL = load_scoring_model()
KB = "https://kb.example.nl"
ASSET = f"{KB}/whitepapers/itsm-in-practice.pdf"
MANAGER = {**DIRECTOR, "email": "sanne@acme.nl", "job_title": "IT manager"}
JUNIOR = {**DIRECTOR, "email": "kim@acme.nl", "job_title": "Junior service desk employee"}


def final(events, at=None):
    return replay(events, MODEL, at or events[-1].occurred_at)


def engagement(state, at):
    return state.engagement_at(at, MODEL.half_lives_seconds)


# -- no act counted twice ------------------------------------------------------------------


def test_a_whitepaper_form_and_the_download_of_its_own_pdf_are_one_act():
    # Given a whitepaper form whose asset (forms[].asset) is the PDF
    form = form_event(T0, DIRECTOR)
    # When the PDF is downloaded and viewed right after the form
    download = event("download", T0 + 5, ASSET, title="ITSM in practice")
    view = event("page_view", T0 + 6, ASSET, title="ITSM in practice")
    state, ledger, _ = final([form, download, view])
    # Then they earn nothing extra, and the ledger says why
    for fetched in (download, view):
        entries = [e for e in ledger if e.event_id == fetched.event_id]
        assert [(e.rule, e.points) for e in entries] == [("form_asset", 0.0)]
        assert "counted with the form" in entries[0].text
        assert "ITSM in practice" in entries[0].text
    alone, _, _ = final([form])
    assert engagement(state, T0 + 6) == pytest.approx(engagement(alone, T0 + 6), abs=1e-3)


def test_the_asset_downloaded_long_after_its_form_is_a_new_act():
    state, ledger, _ = final(
        [form_event(T0, DIRECTOR), event("download", T0 + 3 * DAY, ASSET, title="ITSM")]
    )
    assert "whitepaper_file" in {e.rule for e in ledger}


def test_the_same_form_twice_is_never_two_forms_for_the_mql():
    # Given the same whitepaper form posted twice (a double click, a reload, a day later)
    state, _, _ = final(
        [form_event(T0, STUDENT), form_event(T0 + 2, STUDENT), form_event(T0 + DAY, STUDENT)]
    )
    # Then "two forms make an MQL" does not apply
    assert state.forms == 1
    assert state.stage == Stage.LEAD


def test_two_different_forms_within_minutes_count_once_and_apart_twice():
    together, _, _ = final(
        [
            form_event(T0, STUDENT),
            form_event(T0 + 30, STUDENT, kind="newsletter_subscribe", form_id="newsletter"),
        ]
    )
    assert together.stage == Stage.LEAD
    apart, _, _ = final(
        [
            form_event(T0, STUDENT),
            form_event(T0 + 3600, STUDENT, kind="newsletter_subscribe", form_id="newsletter"),
        ]
    )
    assert apart.stage == Stage.MQL


# -- caps and ceilings ---------------------------------------------------------------------


def test_the_default_model_has_no_uncapped_high_value_rule_and_no_unbounded_group():
    assert model_warnings(MODEL) == []
    rules = {r.id: r for r in MODEL.engagement_rules}
    for rule_id in ("personal_mail_click", "demo_request", "contact_request"):
        assert rules[rule_id].cap is not None


def test_model_validation_warns_about_an_uncapped_rule_worth_more_than_a_few_points():
    text = (
        "version: '1'\nforms: [{form_id: f, kind: other, title: {en: F, nl: F}}]\ncontent_classes: []\n"
        "fit_rules: []\nengagement_rules:\n"
        "  - {id: big, event: [email_click], points: 30, group: mail, text: {en: t, nl: t}}\n"
        "  - {id: small, event: [page_view], points: 2, text: {en: t, nl: t}}\n"
        "ceilings: {mail: {points: 40}}\n"
    )
    warnings = model_warnings(parse_scoring_model(text))
    assert any("big" in w and "no cap" in w for w in warnings)
    assert any("big" in w and "above its group's ceiling" not in w for w in warnings)
    assert any("ceiling mail" in w and "SQL" in w for w in warnings)
    assert any("small" in w and "no ceiling" in w for w in warnings)
    assert not any("small" in w and "no cap" in w for w in warnings)


def test_a_ceiling_for_a_group_no_rule_uses_is_an_error():
    text = (
        "version: '1'\nforms: [{form_id: f, kind: other, title: {en: F, nl: F}}]\ncontent_classes: []\n"
        "fit_rules: []\nengagement_rules: []\nceilings: {ghost: {points: 5}}\n"
    )
    with pytest.raises(ScoringModelError, match="ghost"):
        parse_scoring_model(text, "m.yaml")


def test_personal_mail_clicks_by_the_dozen_cannot_make_an_sql_alone():
    # Given a director identified by one form
    events = [form_event(T0, DIRECTOR)]
    # When a personal follow-up mail's link is clicked 40 times over two months
    events += [
        event(
            "email_click", T0 + 60 + i * 1.5 * DAY, f"{KB}/pricing", properties={"personal": True}
        )
        for i in range(40)
    ]
    state, ledger, _ = final(events)
    # Then the e-mail group never holds more than its ceiling and the lead is no SQL
    assert state.stage != Stage.SQL
    assert sum(e.points for e in ledger if e.rule == "personal_mail_click") < 30 * 10
    assert (
        state.ceilings["email"].at(events[-1].occurred_at, MODEL.half_lives_seconds["behaviour"])
        <= 15 + 1e-9
    )


@pytest.mark.parametrize(
    ("kind", "path", "properties"),
    [
        ("email_click", "/pricing", {"personal": True}),
        ("page_view", "/pricing", {}),
        ("page_view", "/?utm_term=itsm+tool+prijs", {}),
        ("download", "/downloads/evaluation-report.pdf", {}),
        ("page_view", "/terms", {}),
        ("link_click", "/articles/itsm/a", {"in_article": True, "target_url": f"{KB}/x"}),
        ("site_search", "/search", {"query": "itsm tool prijs"}),
    ],
)
def test_one_kind_of_act_repeated_never_makes_an_sql(kind, path, properties):
    # Given a director identified by the newsletter form (the form worth most)
    # When one act is repeated 60 times over 24 days (each also a page visit, where it is one)
    # Then its ceilings keep the lead below the SQL engagement
    events = [form_event(T0, DIRECTOR, kind="newsletter_subscribe", form_id="newsletter")]
    events += [
        event(kind, T0 + 60 + i * 0.4 * DAY, KB + path, properties=properties) for i in range(60)
    ]
    state, _, _ = final(events)
    assert state.stage != Stage.SQL


def test_a_demo_request_still_makes_an_sql_alone_it_is_the_person_asking():
    state, _, _ = final([form_event(T0, DIRECTOR, kind="demo_request", form_id="demo")])
    assert state.stage == Stage.SQL


KINDS = ["page_view", "link_click", "download", "site_search", "email_click", "email_open"]
PATHS = ["/pricing", "/terms", "/docs/a", "/about", "/articles/itsm/a", "/articles/x/opinion-y"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(KINDS),
            st.sampled_from(PATHS),
            st.floats(min_value=0, max_value=90 * DAY, allow_nan=False),
            st.booleans(),
        ),
        max_size=60,
    ),
    st.floats(min_value=0, max_value=60 * DAY, allow_nan=False),
)
def test_engagement_from_one_group_never_exceeds_its_ceiling(spec, later):
    events = [form_event(T0 - 1, DIRECTOR)]
    for kind, path, offset, flag in spec:
        props = {
            "in_article": flag,
            "personal": flag,
            "target_url": KB + path,
            "query": "prijs tool",
        }
        events.append(event(kind, T0 + offset, KB + path, properties=props))
    state, ledger, _ = final(events)
    at = max(e.occurred_at for e in events) + later
    groups = {r.id: r.group for r in MODEL.engagement_rules}
    half_life = MODEL.half_lives_seconds["behaviour"]
    held: dict[str, float] = {}
    for entry in ledger:
        group = groups.get(entry.rule)
        if group is None or entry.kind != "engagement" or entry.decay is None:
            continue
        held[group] = held.get(group, 0.0) + Accumulator(entry.points, entry.at).at(at, half_life)
    for group, points in held.items():
        assert points <= MODEL.ceilings[group].points + 1e-6, group


# -- seed 003 ------------------------------------------------------------------------------


def click_through_journey(profile=DIRECTOR):
    return [
        form_event(T0, profile),
        event("page_view", T0 + 10, f"{KB}/pricing", title="Pricing"),
        event("page_view", T0 + 20, f"{KB}/docs/setup", title="Setup guide"),
        event(
            "link_click",
            T0 + 30,
            f"{KB}/articles/itsm/why-itil",
            properties={"in_article": True, "target_url": f"{KB}/articles/itsm/bisl"},
        ),
    ]


def test_an_in_article_click_through_of_a_hot_lead_with_a_phone_is_followed_up_by_phone():
    # Seed 003, 3.1: "Dit soort inhoudelijke klikgedrag kunt u het best telefonisch opvolgen."
    state, _, _ = final(click_through_journey())
    assert state.stage == Stage.SQL
    assert state.last_signal_rule == "article_click_through"
    channel, why = recommend_channel(state)
    assert channel == "phone"
    assert "Clicked through from an article" in why and "phone" in why
    no_phone = {k: v for k, v in DIRECTOR.items() if k != "phone"}
    state, _, _ = final(click_through_journey(no_phone))
    assert recommend_channel(state) == ("email", "no phone number known")


def engaged(at, seconds, depth, path="/articles/itsm/why-itil", **props):
    return event(
        "page_engagement",
        at,
        KB + path,
        title="Why ITIL",
        properties={"engaged_seconds": seconds, "scroll_depth": depth, **props},
    )


def test_a_long_read_of_an_article_is_a_signal_and_a_glance_is_not():
    _, long_ledger, _ = final([engaged(T0, 240, 90)])
    _, glance_ledger, _ = final([engaged(T0, 8, 10)])
    long_read = [e for e in long_ledger if e.rule == "long_read"]
    assert len(long_read) == 1 and long_read[0].points > 0
    assert long_read[0].text == "Read “Why ITIL” closely (4 min) on 18 Nov"
    assert glance_ledger == []


def test_reading_time_is_not_one_more_article_read():
    # A page_engagement belongs to its page view: topics and colleagues count the view only
    state, _, _ = final([engaged(T0, 240, 90)])
    assert state.topics == {}
    outcome = score_event(
        LeadScoreState(), CompanyState("acme.nl"), engaged(T0, 240, 90), MODEL, T0
    )
    assert outcome.company == CompanyState("acme.nl")


def test_a_manager_clicking_an_opinion_title_is_a_buying_signal_followed_up_by_mail():
    # By path (the model's content_tags) or by the page's meta tag (properties.content)
    for hit in (
        event("page_view", T0 + 10, f"{KB}/articles/itsm/opinion-bury-itil", title="Bury ITIL"),
        engaged(T0 + 10, 30, 40, path="/articles/itsm/why-itil", content="opinion"),
    ):
        state, ledger, _ = final([form_event(T0, MANAGER), hit])
        assert "manager_opinion_read" in {e.rule for e in ledger}
        assert state.buying_signals == 1
        assert recommend_channel(state)[0] == "email"


def test_a_junior_reading_an_opinion_title_is_no_buying_signal():
    state, ledger, _ = final(
        [
            form_event(T0, JUNIOR),
            event("page_view", T0 + 10, f"{KB}/articles/itsm/opinion-bury-itil", title="Bury"),
        ]
    )
    assert "manager_opinion_read" not in {e.rule for e in ledger}
    assert state.buying_signals == 0


@pytest.mark.parametrize(
    ("url", "referrer", "properties"),
    [
        (f"{KB}/articles/itsm/a", "https://www.google.com/search?q=itsm+tool+prijs", {}),
        (f"{KB}/articles/itsm/a", "https://search.yahoo.com/search?p=itsm+leverancier", {}),
        (f"{KB}/articles/itsm/a", "https://duckduckgo.com/?query=servicedesk+software", {}),
        (f"{KB}/articles/itsm/a?utm_term=itsm%20offerte", "", {}),
        (f"{KB}/articles/itsm/a", "", {"utm_term": "itsm migratie"}),
    ],
)
def test_search_engine_terms_that_reveal_a_need_are_a_signal(url, referrer, properties):
    _, ledger, _ = final([event("page_view", T0, url, referrer=referrer, properties=properties)])
    found = [e for e in ledger if e.rule == "needful_search_engine"]
    assert len(found) == 1
    assert found[0].text.startswith("Found us through a search engine with “")


@pytest.mark.parametrize(
    "referrer",
    [
        "https://www.google.com/search?q=itil+history",  # no need in the terms
        "https://kb.example.nl/search/?q=itsm+prijs",  # our own site: that is site_search
        "",
    ],
)
def test_search_terms_without_a_need_or_from_our_own_site_are_not(referrer):
    _, ledger, _ = final([event("page_view", T0, f"{KB}/articles/itsm/a", referrer=referrer)])
    assert "needful_search_engine" not in {e.rule for e in ledger}


def colleagues_surge(profiles):
    company = CompanyState("acme.nl")
    surge = None
    for i, profile in enumerate(profiles):
        lead = score_event(
            LeadScoreState(), None, form_event(T0, profile, lead_id=f"C{i}"), MODEL, T0
        ).lead
        outcome = score_event(
            lead,
            company,
            event("page_view", T0 + i * 60, f"{KB}/articles/itsm/x", lead_id=f"C{i}"),
            MODEL,
            T0,
        )
        company = outcome.company
        surge = outcome.account_surge or surge
    return company, surge


def signal_for(surge, lead_id, profile):
    lead = score_event(
        LeadScoreState(), None, form_event(T0, profile, lead_id=lead_id), MODEL, T0
    ).lead
    lead = score_event(
        lead, None, event("page_view", T0 + 1, f"{KB}/pricing", lead_id=lead_id), MODEL, T0
    ).lead
    properties = {"topic": surge.topic, "domain": surge.domain, "readers": surge.readers}
    if surge.senior:
        properties["senior_lead_id"] = surge.senior
    return score_event(
        lead,
        None,
        event("account_signal", T0 + 600, lead_id=lead_id, properties=properties),
        MODEL,
        T0,
    ).lead


def test_colleagues_with_a_clear_senior_are_advised_phone():
    # Seed 003, 3.2: "Als er duidelijk een hiërarchie te bepalen is ... telefonische follow up"
    people = [DIRECTOR, {**JUNIOR, "email": "a@acme.nl"}, {**JUNIOR, "email": "b@acme.nl"}]
    company, surge = colleagues_surge(people)
    assert surge is not None and surge.senior == "C0"
    state = signal_for(surge, "C0", DIRECTOR)
    assert state.stage == Stage.SQL
    channel, why = recommend_channel(state)
    assert channel == "phone"
    assert "clearly the most senior" in why and "3 colleagues at acme.nl" in why
    assert "hoogste in rang" in recommend_channel(state, MODEL, "nl")[1]
    restored = CompanyState.from_dict("acme.nl", json.loads(json.dumps(company.to_dict())))
    assert restored == company


def test_colleagues_without_a_clear_senior_are_advised_one_mail_with_ccs():
    people = [DIRECTOR, {**DIRECTOR, "email": "b@acme.nl"}, {**JUNIOR, "email": "c@acme.nl"}]
    _, surge = colleagues_surge(people)
    assert surge is not None and surge.senior is None
    state = signal_for(surge, "C0", DIRECTOR)
    channel, why = recommend_channel(state)
    assert channel == "email"
    assert "with CCs" in why and "no clear senior" in why
    assert "3 colleagues at acme.nl" in why
    assert "met cc's" in recommend_channel(state, MODEL, "nl")[1]


def test_new_state_survives_storage():
    state, _, _ = final(
        [form_event(T0, DIRECTOR), event("download", T0 + 5, ASSET), *click_through_journey()[1:]]
    )
    assert state.form_assets and state.form_ids and state.ceilings
    again = LeadScoreState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again.to_dict() == state.to_dict()
    assert again.clone().to_dict() == state.to_dict()
    assert again.rules["article_click_through"].follow_up == "phone"


def test_an_uncapped_high_value_rule_is_logged_when_the_services_start(monkeypatch):
    from chalicelib.domain.scoring.model import DEFAULT_MODEL_PATH
    from chalicelib.observability import logger
    from tests.support import world

    text = DEFAULT_MODEL_PATH.read_text(encoding="utf-8").replace(
        "    points: 15\n    cap: {count: 2, days: 7}\n    group: email\n",
        "    points: 15\n    group: email\n",
    )
    model = parse_scoring_model(text)
    assert model_warnings(model) == [
        "rule personal_mail_click: worth 15 points and has no cap per window"
    ]
    logged: list[str] = []
    monkeypatch.setattr(logger, "warning", lambda message, *args: logged.append(message % args))
    world(model)
    assert logged == [
        f"scoring model {model.version}: rule personal_mail_click: worth 15 points and has no "
        "cap per window"
    ]
