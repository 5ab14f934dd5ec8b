"""Reading time (seed 003, 3.1): the tracker's page_engagement events, validated and scored."""

from __future__ import annotations

import pytest

from tests.support import DIRECTOR, tracker_body, world

KB = "https://kb.example.nl"
AID = "anon-0123456789"
ARTICLE = f"{KB}/articles/itsm/why-itil"


def engagement(**properties):
    return {
        "type": "page_engagement",
        "url": ARTICLE,
        "title": "Why ITIL",
        "properties": properties,
    }


@pytest.mark.parametrize(
    ("properties", "named"),
    [
        ({"scroll_depth": 50}, "properties.engaged_seconds"),
        ({"engaged_seconds": "long", "scroll_depth": 50}, "properties.engaged_seconds"),
        ({"engaged_seconds": -1, "scroll_depth": 50}, "properties.engaged_seconds"),
        ({"engaged_seconds": 90_000, "scroll_depth": 50}, "properties.engaged_seconds"),
        ({"engaged_seconds": 120}, "properties.scroll_depth"),
        ({"engaged_seconds": 120, "scroll_depth": 101}, "properties.scroll_depth"),
        ({"engaged_seconds": True, "scroll_depth": 5}, "properties.engaged_seconds"),
        ({"engaged_seconds": 1, "scroll_depth": 5, "content": "x" * 65}, "properties.content"),
    ],
)
def test_a_bad_page_engagement_is_rejected_naming_the_field(properties, named):
    w = world()
    answer = w.services.capture.track(tracker_body(AID, [engagement(**properties)]), w.ctx())
    assert answer.accepted == 0
    assert answer.rejected[0].index == 0
    assert "events.0.properties" in answer.rejected[0].message
    assert named in answer.rejected[0].message


def test_a_long_read_of_an_article_scores_and_a_glance_does_not():
    # Given an identified reader
    w = world()
    w.services.capture.submit_form("whitepaper", {**DIRECTOR, "anonymous_id": AID}, w.ctx())
    # When the tracker reports a glance and then a long, scrolled read
    w.services.capture.track(
        tracker_body(AID, [engagement(engaged_seconds=6, scroll_depth=5)]), w.ctx()
    )
    w.pump()
    glance = w.lead_by_email(DIRECTOR["email"])
    w.services.capture.track(
        tracker_body(AID, [engagement(engaged_seconds=300, scroll_depth=95)]), w.ctx()
    )
    w.pump()
    read = w.lead_by_email(DIRECTOR["email"])
    # Then only the long read is a reason, with its sentence; both are on the timeline
    assert not any(r["rule"] == "long_read" for r in glance["reasons"])
    assert [r["text"] for r in read["reasons"] if r["rule"] == "long_read"] == [
        "Read “Why ITIL” closely (5 min) on 18 Nov"
    ]
    kinds = [e["type"] for e in read["timeline"]]
    assert kinds.count("page_engagement") == 2


def test_a_director_reading_a_meta_tagged_opinion_piece_is_a_buying_signal_advised_by_mail():
    w = world()
    w.services.capture.submit_form("whitepaper", {**DIRECTOR, "anonymous_id": AID}, w.ctx())
    w.services.capture.track(
        tracker_body(AID, [engagement(engaged_seconds=200, scroll_depth=80, content="opinion")]),
        w.ctx(),
    )
    w.pump()
    lead = w.lead_by_email(DIRECTOR["email"])
    assert any(r["rule"] == "manager_opinion_read" for r in lead["reasons"])
    assert lead["recommended_channel"] == "email"
