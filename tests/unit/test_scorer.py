"""The default model encodes the seeds (DOMAIN.md); the scorer is pure and explains every point."""

from __future__ import annotations

import pytest

from chalicelib.domain.lead import Stage
from chalicelib.domain.scoring.explain import current_scores, reasons, recommend_channel
from chalicelib.domain.scoring.model import (
    ScoringModelError,
    load_scoring_model,
    parse_scoring_model,
)
from chalicelib.domain.scoring.scorer import replay, score_event
from chalicelib.domain.scoring.state import CompanyState, LeadScoreState
from tests.support import DAY, DIRECTOR, STUDENT, T0, event, form_event

MODEL = load_scoring_model()
KB = "https://kb.example.nl"


def buying_journey(profile=DIRECTOR, lead_id="L1", start=T0):
    return [
        form_event(start, profile, lead_id=lead_id),
        event("page_view", start + 60, f"{KB}/articles/itsm/why-itil", lead_id, title="Why ITIL"),
        event(
            "link_click",
            start + 90,
            f"{KB}/articles/itsm/why-itil",
            lead_id,
            properties={"in_article": True, "target_url": f"{KB}/downloads/evaluation-report.pdf"},
        ),
        event("page_view", start + 120, f"{KB}/pricing", lead_id, title="Pricing"),
        event(
            "download",
            start + 150,
            f"{KB}/downloads/evaluation-report.pdf",
            lead_id,
            title="the evaluation report",
        ),
    ]


def final(events, at=None):
    state, ledger, transitions = replay(events, MODEL, at or events[-1].occurred_at)
    return state, ledger, transitions


def test_director_who_reads_clicks_through_views_pricing_and_downloads_evaluation_becomes_sql():
    # Given a director of a 400-person company on a business address
    # When they read an article, click through inside it, view pricing and download the evaluation
    state, _, transitions = final(buying_journey())
    # Then they are sales-qualified, with reasons naming those acts
    assert state.stage == Stage.SQL
    assert [t.to_stage for t in transitions][-1] == Stage.SQL
    texts = " | ".join(r.text for r in reasons(state, MODEL, T0 + 200))
    assert "evaluation report" in texts
    assert "pricing" in texts
    assert "Clicked through from an article" in texts
    assert "Why ITIL" in texts


def test_the_move_to_sql_says_which_buying_signal_came_last():
    # Given the buying journey, which qualifies on viewing the pricing
    state, _, transitions = final(buying_journey())
    (to_sql,) = [t for t in transitions if t.to_stage == Stage.SQL]
    # Then the stage change's reason ends with that act's sentence, not an empty "latest:"
    latest = to_sql.reason.rsplit("latest: ", 1)[1]
    assert latest.startswith("Looked at pricing on ")


def test_channel_is_phone_for_a_hot_lead_with_a_number_and_email_without():
    state, _, _ = final(buying_journey())
    assert recommend_channel(state)[0] == "phone"
    no_phone = {k: v for k, v in DIRECTOR.items() if k != "phone"}
    state, _, _ = final(buying_journey(no_phone))
    channel, why = recommend_channel(state)
    assert channel == "email"
    assert "no phone" in why


def test_channel_is_email_when_an_article_triggered_it():
    # Seed 003: a triggering article (3.3, an opinion piece a manager clicked) is followed up
    # by mail, where the provocation can be made specific. (Since model 2026.12.1 an
    # in-article click-through is phoned instead, seed 003 3.1: see test_scoring_trust.py.)
    events = [
        *buying_journey()[:1],
        event("page_view", T0 + 10, f"{KB}/pricing"),
        event(
            "link_click",
            T0 + 20,
            f"{KB}/articles/itsm/a",
            properties={"in_article": True, "target_url": f"{KB}/x"},
        ),
        event("page_view", T0 + 30, f"{KB}/docs/setup", title="Setup guide"),
        event(
            "page_view",
            T0 + 40,
            f"{KB}/articles/itsm/opinion-bury-itil",
            title="Burying ITIL is the start of recovery",
        ),
    ]
    state, _, _ = final(events)
    assert state.stage == Stage.SQL
    channel, why = recommend_channel(state)
    assert channel == "email"
    assert "article" in why


def test_student_on_gmail_reading_40_articles_across_8_topics_stays_below_sql():
    topics = ["itsm", "security", "quality", "cloud", "hr", "finance", "privacy", "agile"]
    events = [form_event(T0, STUDENT, kind="newsletter_subscribe", form_id="newsletter")]
    events += [
        event(
            "page_view", T0 + 3600 * (i + 1), f"{KB}/articles/{topics[i % 8]}/a{i}", title=f"A{i}"
        )
        for i in range(40)
    ]
    state, ledger, _ = final(events)
    assert state.stage != Stage.SQL
    assert any(e.rule == "broad_reading_poor_fit" for e in ledger)
    assert state.buying_signals == 0


def test_newsletter_subscribe_and_unsubscribe_cancel_exactly():
    events = [
        form_event(T0, DIRECTOR, kind="newsletter_subscribe", form_id="newsletter"),
        event("newsletter_unsubscribe", T0 + 40 * DAY),
    ]
    state, ledger, _ = final(events)
    points = {e.rule: e.points for e in ledger if e.kind == "engagement"}
    assert points == {"newsletter_subscribe": 10, "newsletter_unsubscribe": -10}
    assert state.engagement_at(T0 + 41 * DAY, MODEL.half_lives_seconds) == 0


def test_two_form_submissions_make_an_mql():
    state, _, _ = final(
        [
            form_event(T0, STUDENT),
            form_event(T0 + DAY, STUDENT, kind="newsletter_subscribe", form_id="newsletter"),
        ]
    )
    assert state.stage == Stage.MQL


def test_one_whitepaper_download_alone_never_makes_an_sql():
    events = [
        form_event(T0, DIRECTOR),
        event("download", T0 + 5, f"{KB}/whitepapers/itsm.pdf", title="ITSM"),
    ]
    state, _, _ = final(events)
    assert state.stage != Stage.SQL
    assert state.buying_signals == 0


def test_bot_hits_add_nothing():
    bots = [
        event(kind, T0 + i, url, machine=True, properties=props)
        for i, (kind, url, props) in enumerate(
            [
                ("page_view", f"{KB}/pricing", {}),
                ("email_click", f"{KB}/pricing", {"personal": True}),
                ("download", f"{KB}/downloads/evaluation-report.pdf", {}),
            ]
        )
    ]
    state, ledger, _ = final([form_event(T0 - 10, DIRECTOR), *bots])
    bot_ids = {b.event_id for b in bots}
    assert [e for e in ledger if e.event_id in bot_ids] == []
    assert state.buying_signals == 0


def test_a_decision_maker_scores_higher_than_a_junior_for_the_same_behaviour():
    junior = {**DIRECTOR, "email": "intern@acme.nl", "job_title": "Junior marketing assistant"}
    director, _, _ = final(buying_journey())
    intern, _, _ = final(buying_journey(junior))
    at = T0 + 200
    assert current_scores(director, MODEL, at).score > current_scores(intern, MODEL, at).score


def test_engagement_halves_after_the_half_life_exactly():
    state, _, _ = final([form_event(T0, STUDENT), event("page_view", T0 + 1, f"{KB}/pricing")])
    fresh = state.engagement_at(T0 + 1, MODEL.half_lives_seconds) - state.static_engagement
    later = (
        state.engagement_at(T0 + 1 + 30 * DAY, MODEL.half_lives_seconds) - state.static_engagement
    )
    assert later == pytest.approx(fresh / 2)


def test_article_views_are_capped_per_day():
    events = [event("page_view", T0 + i, f"{KB}/articles/itsm/a{i}") for i in range(10)]
    _, ledger, _ = final(events)
    assert sum(1 for e in ledger if e.rule == "article_view") == 3


def test_about_page_after_reading_the_knowledge_base_is_a_buying_signal_but_not_before():
    before, _, _ = final([event("page_view", T0, f"{KB}/about")])
    after, _, _ = final(
        [event("page_view", T0, f"{KB}/articles/itsm/a"), event("page_view", T0 + 9, f"{KB}/about")]
    )
    assert before.buying_signals == 0
    assert after.buying_signals == 1


def test_long_dormant_visitor_returning_selectively_is_a_buying_signal():
    state, ledger, _ = final(
        [
            event("page_view", T0, f"{KB}/articles/itsm/a"),
            event("page_view", T0 + 90 * DAY, f"{KB}/pricing"),
        ]
    )
    assert "dormant_return" in {e.rule for e in ledger}


def test_selective_subscriber_click_and_personal_mail_click_are_signals():
    selective, ledger, _ = final(
        [event("email_click", T0, f"{KB}/x", properties={"target_url": f"{KB}/x"})]
    )
    assert "selective_subscriber_click" in {e.rule for e in ledger}
    busy = [event("email_click", T0 + i * DAY, f"{KB}/x") for i in range(5)]
    _, ledger, _ = final(busy)
    assert sum(1 for e in ledger if e.rule == "selective_subscriber_click") <= 1
    _, ledger, _ = final([event("email_click", T0, f"{KB}/x", properties={"personal": True})])
    assert "personal_mail_click" in {e.rule for e in ledger}


def test_site_search_that_reveals_a_need_is_a_signal():
    _, ledger, _ = final(
        [event("site_search", T0, f"{KB}/search", properties={"query": "ITSM tool prijs"})]
    )
    assert "needful_search" in {e.rule for e in ledger}


def test_three_colleagues_on_one_topic_raise_each_of_them():
    company = CompanyState("acme.nl")
    surges = []
    for i, lead in enumerate(["A", "B", "C"]):
        outcome = score_event(
            LeadScoreState(),
            company,
            event("page_view", T0 + i * DAY, f"{KB}/articles/itsm/x", lead_id=lead),
            MODEL,
            T0,
        )
        company = outcome.company
        if outcome.account_surge:
            surges.append(outcome.account_surge)
    assert len(surges) == 1
    assert set(surges[0].lead_ids) == {"A", "B", "C"}
    signal = event(
        "account_signal",
        T0 + 3 * DAY,
        properties={"topic": "itsm", "domain": "acme.nl", "readers": 3},
    )
    outcome = score_event(LeadScoreState(), None, signal, MODEL, T0)
    assert outcome.ledger[0].text == "3 colleagues at acme.nl read about itsm this week"
    assert outcome.lead.buying_signals == 1


def test_colleagues_outside_the_window_do_not_count():
    company = CompanyState("acme.nl")
    for i, lead in enumerate(["A", "B", "C"]):
        outcome = score_event(
            LeadScoreState(),
            company,
            event("page_view", T0 + i * 8 * DAY, f"{KB}/articles/itsm/x", lead_id=lead),
            MODEL,
            T0,
        )
        company = outcome.company
        assert outcome.account_surge is None


def test_a_bad_model_file_fails_with_the_line_and_field():
    text = "version: '1'\nforms: []\ncontent_classes: []\nfit_rules: []\nengagement_rules:\n  - id: x\n    event: [page_view]\n    points: many\n    text: t\n"
    with pytest.raises(ScoringModelError) as error:
        parse_scoring_model(text, "model.yaml")
    message = str(error.value)
    assert "model.yaml: line 8: engagement_rules.0.points" in message
    assert "forms" in message


def test_the_scorer_does_not_change_its_input_state():
    state = LeadScoreState()
    before = state.to_dict()
    score_event(state, None, form_event(T0, DIRECTOR), MODEL, T0)
    assert state.to_dict() == before


def test_a_link_target_that_is_no_url_never_fails_scoring():
    state, _, _ = final(
        [
            event(
                "link_click",
                T0,
                f"{KB}/articles/itsm/a",
                properties={"in_article": True, "target_url": "http://["},
            )
        ]
    )
    assert state.events_applied == 1
