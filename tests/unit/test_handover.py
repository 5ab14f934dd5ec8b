"""Hand-over to sales on in-memory stores: exactly-once notifications, feedback, privacy, funnel."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.lead import Stage
from chalicelib.schemas import FeedbackRequest
from tests.support import DAY, DIRECTOR, tracker_body, world

KB = "https://kb.example.nl"
AID = "anon-0123456789"
JOURNEY = [
    {"type": "page_view", "url": f"{KB}/articles/itsm/why-itil", "title": "Why ITIL"},
    {
        "type": "link_click",
        "url": f"{KB}/articles/itsm/why-itil",
        "properties": {"in_article": True, "target_url": f"{KB}/downloads/evaluation-report.pdf"},
    },
    {"type": "page_view", "url": f"{KB}/pricing", "title": "Pricing"},
    {
        "type": "download",
        "url": f"{KB}/downloads/evaluation-report.pdf",
        "title": "the evaluation report",
    },
]


def qualified_world():
    w = world()
    w.services.capture.submit_form(
        "demo" if False else "whitepaper", {**DIRECTOR, "anonymous_id": AID}, w.ctx()
    )
    w.services.capture.track(tracker_body(AID, JOURNEY), w.ctx())
    w.pump()
    return w


def test_a_lead_entering_sql_is_announced_once_with_reasons_and_channel():
    w = qualified_world()
    assert len(w.publisher.messages) == 1
    sent = w.publisher.messages[0]
    message = sent["message"]
    assert message["type"] == "lead.sales_qualified"
    assert message["version"] == 1
    assert message["email"] == DIRECTOR["email"]
    assert message["recommended_channel"] == "phone"
    assert message["reasons"][0]["points"] >= message["reasons"][-1]["points"]
    assert sent["attributes"] == {
        "type": "lead.sales_qualified",
        "score": message["score"],
        "recommended_channel": "phone",
        "country": "NL",
    }
    assert "Hot lead: Jan Jansen (Acme)" in sent["subject"]


def test_more_events_and_stream_retries_give_no_second_message():
    w = qualified_world()
    w.services.capture.track(
        tracker_body(AID, [{"type": "page_view", "url": f"{KB}/pricing"}]), w.ctx()
    )
    w.pump()
    # a stream retry delivers the qualifying record again
    lead = w.leads.table.items[(f"LEAD#{w.leads.lead_id_by_email(DIRECTOR['email'])}", "PROFILE")]
    from tests.support import stream_record

    old = {**lead, "stage": "mql", "qualifications": 0}
    w.notify([stream_record(lead, old, "MODIFY")] * 2)
    assert len(w.publisher.messages) == 1


def test_a_crash_between_claim_and_publish_neither_loses_nor_duplicates():
    w = world()
    w.publisher.fail_next = 1  # the worker dies after claiming, before SNS has the message
    w.services.capture.submit_form("whitepaper", {**DIRECTOR, "anonymous_id": AID}, w.ctx())
    w.services.capture.track(tracker_body(AID, JOURNEY), w.ctx())
    w.score(w.new_event_records())
    records = w.new_lead_records()
    first = w.notify(records)
    assert first.failed and not w.publisher.messages
    # The stream retries at once: the lease is still held, nothing is sent twice
    second = w.notify(records)
    assert second.failed and not w.publisher.messages
    # After the lease expires the retry publishes exactly once
    w.clock.now += 61
    third = w.notify(records)
    assert third.published == 1 and not third.failed
    w.notify(records)
    assert len(w.publisher.messages) == 1


def test_rejected_feedback_recycles_and_a_new_buying_signal_announces_again():
    w = qualified_world()
    lead_id = w.leads.lead_id_by_email(DIRECTOR["email"])
    w.clock.now += 60
    after = w.services.sales.feedback(
        lead_id, FeedbackRequest(outcome="rejected", note="no budget", by="sales@x")
    )
    assert after.stage == Stage.RECYCLED
    assert after.timeline[0].type in ("stage_changed", "sales_feedback")
    w.pump()
    # more reading is not enough: it needs a new buying signal
    w.clock.now += DAY
    w.services.capture.track(
        tracker_body(AID, [{"type": "page_view", "url": f"{KB}/articles/itsm/b"}]),
        w.ctx(received_at=w.clock.now),
    )
    w.pump()
    assert len(w.publisher.messages) == 1
    w.services.capture.track(
        tracker_body(AID, [{"type": "page_view", "url": f"{KB}/docs/setup"}]),
        w.ctx(received_at=w.clock.now),
    )
    w.pump()
    assert len(w.publisher.messages) == 2
    assert w.publisher.messages[1]["message"]["qualification"] == 2


def test_feedback_transitions():
    w = qualified_world()
    lead_id = w.leads.lead_id_by_email(DIRECTOR["email"])
    accepted = w.services.sales.feedback(lead_id, FeedbackRequest(outcome="accepted"))
    assert (accepted.stage, accepted.sales_status) == (Stage.SQL, "accepted")
    won = w.services.sales.feedback(lead_id, FeedbackRequest(outcome="won"))
    assert won.stage == Stage.CUSTOMER
    with pytest.raises(Conflict):
        w.services.sales.feedback(lead_id, FeedbackRequest(outcome="accepted"))
    ledger = w.leads.ledger(lead_id)
    assert {"sales_accepted", "sales_won"} <= {e.rule for e in ledger}


def test_erasure_leaves_no_trace_and_later_hits_are_dropped():
    w = qualified_world()
    lead_id = w.leads.lead_id_by_email(DIRECTOR["email"])
    w.services.sales.erase(lead_id)
    with pytest.raises(NotFound):
        w.services.sales.view(lead_id)
    assert w.leads.lead_id_by_email(DIRECTOR["email"]) is None
    assert list(w.events.history(lead_id)) == []
    assert w.leads.ledger(lead_id) == []
    # later tracker hits for the same browser are dropped, not a new visitor
    w.services.capture.track(
        tracker_body(AID, [{"type": "page_view", "url": f"{KB}/pricing"}]), w.ctx()
    )
    assert w.new_event_records() == []
    stored = w.leads.contents() + str(w.events.table.items)
    assert DIRECTOR["email"] not in stored and "Jansen" not in stored and "+3161" not in stored
    assert [a["action"] for a in w.leads.audit_log()] == ["erased"]


def test_export_holds_everything_about_the_person():
    w = qualified_world()
    lead_id = w.leads.lead_id_by_email(DIRECTOR["email"])
    export = w.services.sales.export(lead_id)
    assert export.lead["email"] == DIRECTOR["email"]
    assert len(export.events) >= 5
    assert export.ledger
    assert export.identities == [AID]
    assert export.announcements and export.announcements[0]["status"] == "published"


def test_the_funnel_report_adds_up():
    w = qualified_world()
    w.services.capture.submit_form("newsletter", {"email": "someone@gmail.com"}, w.ctx())
    w.pump()
    report = w.services.reports.funnel(None, None)
    assert report.current["sql"] == 1
    assert report.current["lead"] == 1
    assert report.entered["lead"] == 2
    assert report.entered["sql"] == 1
    assert sum(report.current.values()) == 2
    assert report.hits == len(JOURNEY)
    assert report.machine_share == 0.0
    rates = {(c.from_stage, c.to_stage): c.rate for c in report.conversion}
    assert rates[("lead", "mql")] == 0.0 or rates[("lead", "mql")] is not None


def test_rescore_under_a_new_model_replays_every_lead_and_the_ledger_reproduces_it():
    from chalicelib.domain.scoring.model import load_scoring_model
    from chalicelib.domain.scoring.scorer import effective_ledger, scores_from_ledger
    from chalicelib.services.rescore import RescoreService

    w = qualified_world()
    lead_id = w.leads.lead_id_by_email(DIRECTOR["email"])
    model = load_scoring_model().model_copy(update={"version": "2026.12.0"})
    progress = RescoreService(model, w.leads, w.events, w.clock).rescore_all()
    assert progress.rescored == 1
    record = w.leads.get_lead(lead_id)
    assert record.state.model_version == "2026.12.0"
    assert record.state.stage == Stage.SQL
    fit, engagement = scores_from_ledger(
        effective_ledger(w.leads.ledger(lead_id), "2026.12.0"), model, w.clock.now
    )
    assert fit == pytest.approx(record.state.fit_total)
    assert engagement == pytest.approx(
        record.state.engagement_at(w.clock.now, model.half_lives_seconds)
    )
    again = RescoreService(model, w.leads, w.events, w.clock).rescore_all()
    assert (again.rescored, again.skipped) == (0, 1)


def test_open_and_click_without_consent_count_only_in_aggregates():
    from chalicelib.schemas import TrackingLinksRequest

    w = world()
    w.services.capture.submit_form("whitepaper", DIRECTOR, w.ctx())
    w.pump()
    lead_id = w.leads.lead_id_by_email(DIRECTOR["email"])
    before = w.services.sales.view(lead_id)
    links = w.services.capture.create_tracking_links(
        TrackingLinksRequest(
            lead_id=lead_id, campaign_id="nov", message_id="m1", links=[f"{KB}/pricing"]
        ),
        w.ctx(),
    )
    token = links.open_pixel_url.rsplit("/", 1)[1]
    w.clock.now += 60  # read a minute after it was sent (a click at once is a scanner's)
    w.services.capture.email_open(token, w.ctx())
    click = links.links[f"{KB}/pricing"].rsplit("/", 1)[1]
    assert w.services.capture.email_click(click, w.ctx()).target_url == f"{KB}/pricing"
    w.pump()
    after = w.services.sales.view(lead_id)
    assert (after.score, len(after.timeline)) == (before.score, len(before.timeline))
    assert w.leads.campaign("nov") == {"opens": 1, "clicks": 1}


def test_a_lead_that_jumps_to_sql_counts_as_passing_mql_in_the_funnel():
    w = world()
    w.services.capture.submit_form("demo", DIRECTOR, w.ctx())
    w.pump()
    report = w.services.reports.funnel(None, None)
    assert report.entered["mql"] == report.entered["sql"] == 1
    assert report.current["mql"] == 0
    rates = {(c.from_stage, c.to_stage): c.rate for c in report.conversion}
    assert rates[("lead", "mql")] == 1.0
    assert rates[("mql", "sql")] == 1.0


def test_a_lead_record_with_an_unreadable_score_state_is_held_and_the_batch_goes_on():
    from tests.support import stream_record

    w = world()
    w.services.capture.submit_form("whitepaper", {**DIRECTOR, "anonymous_id": AID}, w.ctx())
    w.services.capture.track(tracker_body(AID, JOURNEY), w.ctx())
    w.score(w.new_event_records())
    [good] = [r for r in w.new_lead_records() if "sql" in str(r["dynamodb"]["NewImage"])]
    image = good["dynamodb"]["NewImage"]
    broken = stream_record(
        {
            "pk": "LEAD#broken",
            "sk": "PROFILE",
            "lead_id": "broken",
            "stage": "sql",
            "qualifications": 1,
            "scoring_state": b"not a score state",
        },
    )
    assert image["stage"] == {"S": "sql"}
    result = w.notify([broken, good])
    assert (result.quarantined, result.published, result.failed) == (1, 1, [])
    [held] = w.quarantine.items
    assert held["source"] == "stream:leads" and held["reason"].startswith("corrupt lead record")
    assert len(w.publisher.messages) == 1


def test_a_lead_item_without_stored_sentences_is_announced_with_reasons_from_its_state():
    from tests.support import stream_record

    w = qualified_world()
    first = w.publisher.messages[0]["message"]
    lead = w.leads.table.items[(f"LEAD#{first['lead_id']}", "PROFILE")]
    bare = {k: v for k, v in lead.items() if k not in ("reasons", "channel_reason")}
    again = {**bare, "qualifications": 2}
    result = w.notify([stream_record(again, {**bare, "stage": "mql"}, "MODIFY")])
    assert result.published == 1
    second = w.publisher.messages[1]["message"]
    assert [r["rule"] for r in second["reasons"]] == [r["rule"] for r in first["reasons"]]
    assert second["recommended_channel_reason"] == first["recommended_channel_reason"]
