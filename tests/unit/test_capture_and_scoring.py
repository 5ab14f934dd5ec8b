"""Services on in-memory stores: capture, identity, stream scoring, idempotency, quarantine."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.lead import Stage
from tests.support import DIRECTOR, T0, tracker_body, world

KB = "https://kb.example.nl"
AID = "anon-0123456789"


def test_form_post_creates_a_lead_with_a_normalised_profile():
    w = world()
    accepted = w.services.capture.submit_form(
        "whitepaper", {**DIRECTOR, "anonymous_id": AID}, w.ctx()
    )
    assert accepted.redirect_url == "https://kb.example.nl/thank-you/?asset=whitepaper"
    w.pump()
    lead = w.lead_by_email("jan.jansen@acme.nl")
    assert lead["lead_id"] == accepted.lead_id
    assert lead["phone"] == "+31612345678"
    assert lead["company_domain"] == "acme.nl"
    assert lead["stage"] == Stage.LEAD
    assert [e["type"] for e in lead["timeline"]] == [
        "stage_changed",
        "identity_linked",
        "form_submit",
    ] or {e["type"] for e in lead["timeline"]} >= {"form_submit", "identity_linked"}


def test_resubmission_updates_the_same_lead_newer_values_win_nothing_blanked():
    w = world()
    first = w.services.capture.submit_form("whitepaper", DIRECTOR, w.ctx())
    second = w.services.capture.submit_form(
        "newsletter", {"email": "JAN.JANSEN@acme.nl", "job_title": "CIO", "company": ""}, w.ctx()
    )
    assert (
        first.lead_id == second.lead_id
        or w.leads.lead_id_by_email("jan.jansen@acme.nl") == first.lead_id
    )
    w.pump()
    lead = w.lead_by_email("jan.jansen@acme.nl")
    assert lead["job_title"] == "CIO"
    assert lead["company"] == "Acme"
    assert sum(1 for e in lead["timeline"] if e["type"] == "form_submit") == 2


def test_unknown_form_is_not_found_and_bad_fields_are_named():
    w = world()
    with pytest.raises(NotFound):
        w.services.capture.submit_form("nope", DIRECTOR, w.ctx())
    with pytest.raises(InvalidInput) as error:
        w.services.capture.submit_form("demo", {"email": "jan@acme.nl"}, w.ctx())
    assert {e.field for e in error.value.errors} == {"first_name", "last_name", "company"}


def test_honeypot_answers_like_success_but_stores_no_lead_and_quarantines_the_payload():
    w = world()
    accepted = w.services.capture.submit_form(
        "whitepaper", {**DIRECTOR, "website": "http://spam"}, w.ctx()
    )
    assert accepted.lead_id
    assert w.leads.lead_id_by_email(DIRECTOR["email"]) is None
    assert "honeypot" in w.quarantine.items[0]["reason"]


def test_time_trap_under_two_seconds_is_a_bot():
    w = world()
    rendered = (T0 - 0.5) * 1000
    w.services.capture.submit_form(
        "whitepaper", {**DIRECTOR, "rendered_at": str(rendered)}, w.ctx()
    )
    assert w.leads.lead_id_by_email(DIRECTOR["email"]) is None
    assert "time trap" in w.quarantine.items[0]["reason"]
    w.services.capture.submit_form(
        "whitepaper", {**DIRECTOR, "rendered_at": str((T0 - 30) * 1000)}, w.ctx()
    )
    assert w.leads.lead_id_by_email(DIRECTOR["email"]) is not None


def test_idempotency_key_returns_the_first_answer_without_a_second_event():
    from chalicelib.schemas import SubmissionAccepted
    from chalicelib.services.idempotency import run_once

    w = world()
    ctx = w.ctx(idempotency_key="retry-1")

    def submit():
        return run_once(
            w.services.idempotency,
            3600,
            ctx.idempotency_key,
            "form:whitepaper",
            DIRECTOR,
            SubmissionAccepted,
            lambda: w.services.capture.submit_form("whitepaper", DIRECTOR, ctx),
        )

    first, second = submit(), submit()
    assert first == second
    w.pump()
    timeline = w.lead_by_email(DIRECTOR["email"])["timeline"]
    assert sum(1 for e in timeline if e["type"] == "form_submit") == 1
    with pytest.raises(InvalidInput, match="Idempotency-Key"):
        run_once(
            w.services.idempotency,
            3600,
            "retry-1",
            "form:whitepaper",
            {"email": "x@y.nl"},
            SubmissionAccepted,
            lambda: w.services.capture.submit_form("whitepaper", {"email": "x@y.nl"}, ctx),
        )


def test_anonymous_pricing_views_before_a_form_count_after_it():
    w = world()
    # Given an anonymous visitor who looked at pricing
    w.services.capture.track(
        tracker_body(AID, [{"type": "page_view", "url": f"{KB}/pricing", "title": "Pricing"}]),
        w.ctx(),
    )
    w.pump()
    # When they submit a form with the tracker's id
    w.services.capture.submit_form("whitepaper", {**DIRECTOR, "anonymous_id": AID}, w.ctx())
    w.pump()
    # Then the lead's score and timeline include the pricing view
    lead = w.lead_by_email(DIRECTOR["email"])
    assert any(r["rule"] == "pricing_view" for r in lead["reasons"])
    assert any(e["url"] == f"{KB}/pricing" for e in lead["timeline"])


def test_a_visitor_merged_into_an_existing_lead_brings_its_history():
    w = world()
    w.services.capture.submit_form("whitepaper", DIRECTOR, w.ctx())
    w.services.capture.track(
        tracker_body("anon-other-device", [{"type": "page_view", "url": f"{KB}/pricing"}]), w.ctx()
    )
    w.pump()
    w.services.capture.submit_form(
        "newsletter", {"email": DIRECTOR["email"], "anonymous_id": "anon-other-device"}, w.ctx()
    )
    w.pump()
    lead = w.lead_by_email(DIRECTOR["email"])
    assert any(e["url"] == f"{KB}/pricing" for e in lead["timeline"])
    assert any(r["rule"] == "pricing_view" for r in lead["reasons"])


def test_two_identified_people_on_one_browser_are_never_merged():
    w = world()
    w.services.capture.submit_form("whitepaper", {**DIRECTOR, "anonymous_id": AID}, w.ctx())
    w.services.capture.submit_form(
        "whitepaper", {"email": "piet@acme.nl", "anonymous_id": AID}, w.ctx()
    )
    w.pump()
    assert w.leads.lead_id_by_email("piet@acme.nl") != w.leads.lead_id_by_email(DIRECTOR["email"])
    # Issue 11: the browser now belongs to the person who identified last
    assert w.leads.anonymous_link(AID).lead_id == w.leads.lead_id_by_email("piet@acme.nl")


def test_a_shared_browser_credits_the_person_who_identified_last():
    # Given Jan identified on a browser and looked at pricing on it
    w = world()
    w.services.capture.submit_form("whitepaper", {**DIRECTOR, "anonymous_id": AID}, w.ctx())
    pricing = {"type": "page_view", "url": f"{KB}/pricing", "title": "Pricing"}
    w.services.capture.track(tracker_body(AID, [pricing]), w.ctx())
    w.pump()
    # When Piet fills in a form on the same browser, and the browser then visits pricing
    w.clock.now += 3600
    w.services.capture.submit_form(
        "whitepaper",
        {"email": "piet@acme.nl", "first_name": "Piet", "anonymous_id": AID},
        w.ctx(),
    )
    w.services.capture.track(tracker_body(AID, [pricing]), w.ctx())
    w.pump()
    jan = w.lead_by_email(DIRECTOR["email"])
    piet = w.lead_by_email("piet@acme.nl")
    # Then the later visit is Piet's; Jan keeps his earlier one and nothing later
    jan_views = [e for e in jan["timeline"] if e["type"] == "page_view"]
    piet_views = [e for e in piet["timeline"] if e["type"] == "page_view"]
    assert len(jan_views) == 1 and len(piet_views) == 1
    assert any(r["rule"] == "pricing_view" for r in piet["reasons"])
    jan_pricing = next(r for r in jan["reasons"] if r["rule"] == "pricing_view")
    assert "times)" not in jan_pricing["text"]  # once, not "(2 times)"
    # And the switch is said on both timelines
    left = [e for e in jan["timeline"] if e["properties"].get("outcome") == "shared_device_left"]
    joined = [e for e in piet["timeline"] if e["properties"].get("outcome") == "shared_device"]
    assert len(left) == 1 and len(joined) == 1
    assert left[0]["properties"]["next_lead_id"] == piet["lead_id"]
    assert joined[0]["properties"]["previous_lead_id"] == jan["lead_id"]
    assert "Another person identified on this shared browser" in left[0]["properties"]["text"]
    assert "gedeelde browser" in left[0]["properties"]["text_nl"]
    assert "another lead used before" in joined[0]["properties"]["text"]


def test_tracker_rejects_bad_events_one_by_one_and_stores_the_rest():
    w = world()
    answer = w.services.capture.track(
        tracker_body(
            AID,
            [
                {"type": "page_view", "url": f"{KB}/a"},
                {"type": "teleport", "url": f"{KB}/b"},
                {"type": "page_view", "url": "javascript:alert(1)"},
                {"type": "page_view", "url": f"{KB}/c", "ts": "2020-01-01T00:00:00Z"},
            ],
        ),
        w.ctx(),
    )
    assert answer.accepted == 1
    assert [r.index for r in answer.rejected] == [1, 2, 3]
    assert "events.1.type" in answer.rejected[0].message
    assert "events.2.url" in answer.rejected[1].message
    assert "400 days" in answer.rejected[2].message


def test_tracker_envelope_problems_are_named():
    w = world()
    with pytest.raises(InvalidInput) as error:
        w.services.capture.track({"anonymous_id": "x", "events": []}, w.ctx())
    assert {e.field for e in error.value.errors} == {"anonymous_id", "events"}


def test_machine_hits_are_stored_labelled_and_score_zero():
    w = world()
    w.services.capture.submit_form("whitepaper", {**DIRECTOR, "anonymous_id": AID}, w.ctx())
    w.services.capture.track(
        tracker_body(AID, [{"type": "page_view", "url": f"{KB}/pricing"}]),
        w.ctx(user_agent="curl/8.5.0"),
    )
    w.pump()
    lead = w.lead_by_email(DIRECTOR["email"])
    machine = [e for e in lead["timeline"] if e["machine"]]
    assert machine[0]["machine"]["label"] == "http_library"
    assert not any(r["rule"] == "pricing_view" for r in lead["reasons"])


def test_redelivered_and_reordered_stream_records_are_applied_once():
    w = world()
    w.services.capture.submit_form("whitepaper", {**DIRECTOR, "anonymous_id": AID}, w.ctx())
    w.services.capture.track(
        tracker_body(
            AID,
            [
                {"type": "page_view", "url": f"{KB}/pricing"},
                {"type": "download", "url": f"{KB}/downloads/evaluation-report.pdf"},
            ],
        ),
        w.ctx(),
    )
    records = w.new_event_records()
    w.score(records)
    score_once = w.lead_by_email(DIRECTOR["email"])["score"]
    # When the stream delivers the same records again, in another order
    result = w.score(list(reversed(records)))
    # Then nothing is applied twice
    assert result.applied == 0
    assert result.duplicates == len(records)
    assert w.lead_by_email(DIRECTOR["email"])["score"] == score_once


def test_a_poison_record_is_quarantined_and_blocks_nothing():
    w = world()
    w.services.capture.track(
        tracker_body(AID, [{"type": "page_view", "url": f"{KB}/pricing"}]), w.ctx()
    )
    good = w.new_event_records()
    poison = {
        "eventName": "INSERT",
        "dynamodb": {
            "SequenceNumber": "1",
            "NewImage": {"pk": {"S": "LEAD#x"}, "sk": {"S": "EVENT#x"}, "type": {"N": "7"}},
        },
    }
    result = w.score([poison, *good])
    assert result.failed == []
    assert result.quarantined == 1
    assert result.applied == 1
    assert "corrupt event record" in w.quarantine.items[0]["reason"]


def test_ttl_removals_are_ignored():
    w = world()
    result = w.score([{"eventName": "REMOVE", "dynamodb": {"SequenceNumber": "9", "OldImage": {}}}])
    assert (result.applied, result.failed, result.quarantined) == (0, [], 0)


def test_a_concurrent_writer_makes_the_scorer_re_read_and_retry():
    w = world()
    w.services.capture.submit_form("whitepaper", DIRECTOR, w.ctx())
    w.pump()
    lead_id = w.leads.lead_id_by_email(DIRECTOR["email"])
    w.services.capture.track(
        tracker_body(AID, [{"type": "page_view", "url": f"{KB}/pricing"}]), w.ctx()
    )
    w.leads.link_anonymous_id(AID, lead_id, replace=True)
    w.services.capture.track(
        tracker_body(AID, [{"type": "page_view", "url": f"{KB}/pricing"}]), w.ctx()
    )
    records = w.new_event_records()
    from chalicelib.adapters.ports import VersionConflict

    calls = []

    def interfere(commit):
        calls.append(commit)
        if len(calls) == 1:
            raise VersionConflict("someone else wrote")

    w.leads.before_commit.append(interfere)
    result = w.score(records)
    assert result.conflicts >= 1
    assert result.failed == []


def test_stream_scoring_costs_one_read_and_one_write_per_lead_per_batch():
    w = world()
    w.services.capture.submit_form("whitepaper", {**DIRECTOR, "anonymous_id": AID}, w.ctx())
    w.pump()
    w.services.capture.track(
        tracker_body(
            AID, [{"type": "page_view", "url": f"{KB}/articles/itsm/{i}"} for i in range(20)]
        ),
        w.ctx(),
    )
    records = w.new_event_records()
    w.leads.table.requests.clear()
    w.score(records)
    assert w.leads.table.requests["BatchGetItem"] == 1
    assert w.leads.table.requests["TransactWriteItems"] == 1


def test_a_noscript_pixel_with_a_path_is_resolved_on_the_embedding_site():
    w = world()
    w.services.capture.page_pixel(
        {"aid": AID, "url": "/pricing", "title": "Pricing"},
        w.ctx(referer="https://kb.example.nl/", origin=None),
    )
    stored = [e for _, e in w.events.table.items.items()]
    assert [e["url"] for e in stored] == [f"{KB}/pricing"]


def test_a_pixel_without_an_anonymous_id_or_a_site_stores_nothing():
    w = world()
    w.services.capture.page_pixel({"url": f"{KB}/pricing"}, w.ctx())
    w.services.capture.page_pixel({"aid": AID, "url": "/pricing"}, w.ctx(referer=None, origin=None))
    assert w.events.table.items == {}


def test_the_tracker_rejects_a_link_target_that_is_no_url():
    w = world()
    answer = w.services.capture.track(
        tracker_body(
            AID,
            [{"type": "link_click", "url": f"{KB}/a", "properties": {"target_url": "http://["}}],
        ),
        w.ctx(),
    )
    assert answer.accepted == 0
    assert "target_url" in answer.rejected[0].message


def test_colleagues_reading_one_topic_with_a_clear_senior_get_phone_advice_for_the_senior():
    # Given a director who looked at pricing, and two junior colleagues
    w = world()
    article = {"type": "page_view", "url": f"{KB}/articles/itsm/why-itil", "title": "Why ITIL"}
    pricing = {"type": "page_view", "url": f"{KB}/pricing", "title": "Pricing"}
    people = [
        (DIRECTOR, "anon-director-01", [pricing, article]),
        (
            {"email": "kim@acme.nl", "first_name": "Kim", "job_title": "Junior analyst"},
            "anon-junior-0001",
            [article],
        ),
        (
            {"email": "tom@acme.nl", "first_name": "Tom", "job_title": "Trainee"},
            "anon-junior-0002",
            [article],
        ),
    ]
    # When all three read about the same topic within the week
    for profile, aid, events in people:
        w.services.capture.submit_form("whitepaper", {**profile, "anonymous_id": aid}, w.ctx())
        w.pump()
        w.services.capture.track(tracker_body(aid, events), w.ctx())
        w.pump()
    # Then the director is a hot lead to phone, because one of them is clearly senior
    lead = w.lead_by_email(DIRECTOR["email"])
    assert any(r["rule"] == "account_topic_surge" for r in lead["reasons"])
    assert lead["stage"] == Stage.SQL
    assert lead["recommended_channel"] == "phone"
    assert "clearly the most senior" in lead["recommended_channel_reason"]
