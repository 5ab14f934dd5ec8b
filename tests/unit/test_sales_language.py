"""Two sales languages: the model's sentences, the language rule, local dates, the advice
(opener and mail draft, seed 003) and every rendering of a hot lead."""

from __future__ import annotations

import json

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from chalicelib.adapters.items import decode_state
from chalicelib.adapters.sns import SnsPublisher
from chalicelib.domain.announcement import chat_notification, email_text
from chalicelib.domain.followup import NURTURE, follow_up
from chalicelib.domain.language import lead_language, short_date
from chalicelib.domain.lead import Channel
from chalicelib.domain.scoring.explain import recommend_channel
from chalicelib.domain.scoring.model import (
    ScoringModelError,
    load_scoring_model,
    parse_scoring_model,
)
from chalicelib.domain.scoring.state import LeadScoreState
from chalicelib.settings import Settings as TrechterSettings
from chalicelib.settings import SettingsError
from tests.support import DIRECTOR, T0, stream_record, tracker_body, world

MODEL = load_scoring_model()
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
CONTRACT_FIELDS = {
    "type",
    "version",
    "lead_id",
    "email",
    "first_name",
    "last_name",
    "company",
    "company_domain",
    "job_title",
    "phone",
    "country",
    "score",
    "fit_score",
    "engagement_score",
    "reasons",
    "recommended_channel",
    "qualified_at",
}


def hot_lead(language: str, **profile_overrides: str):
    w = world(sales_language=language, knowledge_base_name="ZBC")
    w.services.capture.submit_form(
        "whitepaper", {**DIRECTOR, **profile_overrides, "anonymous_id": AID}, w.ctx()
    )
    w.services.capture.track(tracker_body(AID, JOURNEY), w.ctx())
    w.pump()
    return w


# -- dates and the language rule ----------------------------------------------------------


def test_dates_are_said_the_local_way():
    november_12 = 1_762_905_600.0  # 2025-11-12T00:00:00Z
    assert short_date(november_12 + 3600, "en") == "12 Nov"
    assert short_date(november_12 + 3600, "nl") == "12 nov"
    assert short_date(november_12 - 3600 * 24 * 200, "nl") == "26 apr"


@pytest.mark.parametrize(
    ("default", "country", "page_lang", "expected"),
    [
        ("en", None, None, "en"),
        ("nl", None, None, "nl"),
        ("nl", "NL", None, "nl"),
        ("nl", "BE", None, "nl"),
        ("nl", "SR", None, "nl"),
        ("nl", "DE", None, "en"),  # a Dutch team writes to a German in English
        ("en", "NL", None, "en"),  # the country alone never makes a lead Dutch
        ("en", "DE", "nl-BE", "nl"),  # a form on a Dutch page does
        ("nl", "NL", "en", "en"),  # and a form on an English page makes it English
        ("nl", "DE", "fr", "en"),  # a page in neither language says nothing
    ],
)
def test_the_lead_language_rule(default, country, page_lang, expected):
    profile = {"country": country} if country else {}
    assert lead_language(default, profile, page_lang) == expected


def test_sales_language_is_validated_at_start_up_naming_the_variable():
    env = {
        "LEADS_TABLE": "leads",
        "EVENTS_TABLE": "events",
        "QUARANTINE_TABLE": "quarantine",
        "IDEMPOTENCY_TABLE": "idempotency",
        "LINK_SIGNING_SECRETS": "a-secret-of-sixteen-chars",
        "API_KEYS": "key",
    }
    assert TrechterSettings.from_environ({**env, "SALES_LANGUAGE": "NL"}).sales_language == "nl"
    with pytest.raises(SettingsError, match="SALES_LANGUAGE"):
        TrechterSettings.from_environ({**env, "SALES_LANGUAGE": "de"})


# -- the model ----------------------------------------------------------------------------

MINIMAL = """
version: "1"
forms:
  - form_id: demo
    kind: demo_request
    title: {en: "a demo", nl: "een demo"}
content_classes:
  - name: pricing
    label: {en: "the pricing page", nl: "de prijzenpagina"}
    paths: ["/pricing*"]
fit_rules: []
engagement_rules:
  - id: pricing_view
    event: [page_view]
    content_class: [pricing]
    points: 15
    buying_signal: true
    RULE
"""


def test_every_buying_signal_of_the_default_model_has_an_opener_in_both_languages():
    signals = [r.id for r in MODEL.engagement_rules if r.buying_signal]
    assert signals and all(MODEL.openers[rule].nl and MODEL.openers[rule].en for rule in signals)
    assert all(text.en and text.nl for text in MODEL.sentences.values())


def test_a_model_with_both_languages_loads():
    text = MINIMAL.replace(
        "RULE",
        'text: {en: "Looked at pricing", nl: "Bekeek de prijzen"}\n'
        '    opener: {en: "looked at pricing", nl: "de prijzen bekeek"}',
    )
    assert parse_scoring_model(text).sentences["pricing_view"].nl == "Bekeek de prijzen"


def test_a_missing_translation_fails_validation_naming_the_rule():
    text = MINIMAL.replace(
        "RULE",
        'text: {en: "Looked at pricing"}\n    opener: {en: "looked", nl: "bekeek"}',
    )
    with pytest.raises(ScoringModelError, match="rule pricing_view: text: missing the nl"):
        parse_scoring_model(text, "model.yaml")


def test_an_english_only_sentence_fails_validation_naming_the_rule():
    text = MINIMAL.replace(
        "RULE", 'text: "Looked at pricing"\n    opener: {en: "looked", nl: "bekeek"}'
    )
    with pytest.raises(ScoringModelError, match="rule pricing_view: text: needs the sentence"):
        parse_scoring_model(text, "model.yaml")


def test_a_buying_signal_without_an_opener_fails_validation_naming_the_rule():
    text = MINIMAL.replace("RULE", 'text: {en: "Looked at pricing", nl: "Bekeek de prijzen"}')
    with pytest.raises(ScoringModelError, match="rule pricing_view: a buying signal needs"):
        parse_scoring_model(text, "model.yaml")


def test_an_untranslated_label_or_form_title_fails_validation():
    good = 'text: {en: "a", nl: "b"}\n    opener: {en: "a", nl: "b"}'
    label = MINIMAL.replace("RULE", good).replace(
        'label: {en: "the pricing page", nl: "de prijzenpagina"}', "label: the pricing page"
    )
    with pytest.raises(ScoringModelError, match="content class pricing: label"):
        parse_scoring_model(label)
    title = MINIMAL.replace("RULE", good).replace(
        'title: {en: "a demo", nl: "een demo"}', "title: a demo"
    )
    with pytest.raises(ScoringModelError, match="form demo: title"):
        parse_scoring_model(title)


# -- the state keeps values, not sentences ------------------------------------------------


def test_the_state_keeps_placeholder_values_and_renders_in_either_language_at_read_time():
    w = hot_lead("en")
    lead_id = w.leads.lead_id_by_email(DIRECTOR["email"])
    state = w.leads.get_lead(lead_id).state
    stored = json.dumps(state.to_dict(), ensure_ascii=False)
    assert "Downloaded" not in stored and "Downloadde" not in stored
    assert "the evaluation report" in stored  # the title, once, as a value
    english = w.services.sales.view(lead_id)
    w.services.sales._sales_language = "nl"
    dutch = w.services.sales.view(lead_id)
    assert any("Downloaded “the evaluation report” on" in r.text for r in english.reasons)
    assert any("Downloadde op" in r.text for r in dutch.reasons)
    assert any("Directeur" in r.text or "een beslisser" in r.text for r in dutch.fit_reasons)


def test_a_state_written_before_keeps_its_english_sentences():
    old = {
        "r": {"pricing_view": [15, 1, T0, "Looked at pricing on 1 Jan", "behaviour", 15, T0, 1, 0]}
    }
    state = LeadScoreState.from_dict(old)
    assert state.rules["pricing_view"].text == "Looked at pricing on 1 Jan"
    assert state.to_dict()["r"]["pricing_view"][3] == "Looked at pricing on 1 Jan"


# -- the channel and the advice -----------------------------------------------------------


def test_the_channel_reason_does_not_repeat_the_channel():
    w = hot_lead("en")
    message = w.publisher.messages[0]["message"]
    assert message["recommended_channel"] == "phone"
    assert message["recommended_channel_reason"] == "a hot lead who left a phone number"
    assert (
        "Follow up by phone: a hot lead who left a phone number"
        in w.publisher.messages[0]["email_text"]
    )


def test_with_dutch_the_message_and_its_email_text_are_dutch_and_name_the_leads_own_acts():
    w = hot_lead("nl")
    sent = w.publisher.messages[0]
    message, text = sent["message"], sent["email_text"]
    advice = message["follow_up"]
    assert advice["language"] == "nl"
    assert advice["channel"] == "phone"
    assert advice["phone_opener"].startswith(
        "Goedemorgen, ik ben {seller} van {seller_company} en ik bel u naar aanleiding van "
        "uw internetbezoek aan de ZBC-kennisbank. Hier zag ik dat u "
    )
    assert "“the evaluation report” downloadde" in advice["phone_opener"]
    assert advice["email"]["subject"] == "RE: Artikelen ZBC"
    body = advice["email"]["body"].split("\n")
    assert body[0] == "Beste Jan,"
    assert body[2].startswith("Op de ZBC-kennisbank zag ik dat u ")  # why the visitor stood out
    assert body[3].startswith("Ik vermoed dat")  # the assumption
    assert body[5] == "Hoe pakt Acme dit nu aan, en wie zijn daarbij betrokken?"  # the company
    assert "demo" not in body[5] and "product" not in body[5]
    said = " | ".join(r["text"] for r in message["reasons"])
    assert "Downloadde op" in said and "Bekeek op" in said
    for english in ("Downloaded", "Clicked", "Looked at", "Works at", "Read “", " on "):
        assert english not in said
    assert "Opvolgen per telefoon: een hot lead die een telefoonnummer achterliet" in text
    assert "Waarom deze lead:" in text and "Openingszin voor het gesprek:" in text
    assert "Open de lead: /v1/leads/" in text
    assert "Score:" in text and "betrokkenheid" in text


def test_with_english_the_message_and_its_email_text_are_english():
    w = hot_lead("en")
    sent = w.publisher.messages[0]
    advice = sent["message"]["follow_up"]
    assert advice["language"] == "en"
    assert advice["phone_opener"].startswith(
        "Good morning, I'm {seller} from {seller_company}, and I'm calling about your visit "
        "to the ZBC knowledge base. There I saw that you "
    )
    assert "downloaded “the evaluation report”" in advice["phone_opener"]
    assert advice["email"]["subject"] == "RE: Articles ZBC"
    assert advice["email"]["body"].startswith("Dear Jan,\n\nOn the ZBC knowledge base I noticed")
    assert "How does Acme handle this today" in advice["email"]["body"]
    assert "Why this lead:" in sent["email_text"] and "Call opener:" in sent["email_text"]
    assert "Hot lead: Jan Jansen (Acme)" in sent["subject"]


def test_a_form_on_a_dutch_page_makes_the_lead_dutch_under_english_sales():
    w = hot_lead("en", page_url="https://kb.example.nl/nl/whitepaper")
    assert w.publisher.messages[0]["message"]["follow_up"]["language"] == "nl"


def test_the_message_keeps_the_contract_and_only_adds_fields():
    w = hot_lead("nl")
    sent = w.publisher.messages[0]
    message = sent["message"]
    assert set(message) >= CONTRACT_FIELDS
    assert message["version"] == 1
    assert set(message["follow_up"]) == {"language", "channel", "why", "phone_opener", "email"}
    assert set(message["follow_up"]["email"]) == {"subject", "body"}
    assert sent["attributes"] == {
        "type": "lead.sales_qualified",
        "score": message["score"],
        "recommended_channel": "phone",
        "country": "NL",
    }


def test_the_lead_view_carries_the_same_follow_up():
    w = hot_lead("nl")
    lead_id = w.leads.lead_id_by_email(DIRECTOR["email"])
    view = w.services.sales.view(lead_id)
    assert view.follow_up is not None
    assert view.follow_up.language == "nl"
    assert (
        view.follow_up.phone_opener
        == w.publisher.messages[0]["message"]["follow_up"]["phone_opener"]
    )
    assert view.timeline[0].label and " op " in view.timeline[0].label


def test_a_lead_whose_behaviour_explains_nothing_gets_nurture_advice_and_no_announcement():
    # Given a lead in SQL whose only buying signal has faded away entirely
    w = hot_lead("en")
    lead_id = w.leads.lead_id_by_email(DIRECTOR["email"])
    item = dict(w.leads.table.items[(f"LEAD#{lead_id}", "PROFILE")])
    state = decode_state(item["scoring_state"])
    for tally in state.rules.values():
        tally.signal = False
    # When its advice is asked for
    channel, reason = recommend_channel(state, MODEL, "en")
    advice = follow_up(state, MODEL, T0, "en", channel, reason, "ZBC")
    # Then it is to nurture, without an opener
    assert advice.channel == NURTURE and advice.phone_opener is None
    assert "webinar" in advice.email.body and "newsletter" in advice.email.body
    # And a qualification of such a lead is not announced, but counted
    from chalicelib.adapters.items import encode_state

    item.update(scoring_state=encode_state(state), qualifications=2)
    old = {**item, "stage": "mql", "qualifications": 1}
    result = w.notify([stream_record(item, old, "MODIFY")])
    assert result.nurtured == 1 and result.published == 0
    assert len(w.publisher.messages) == 1


def test_the_advice_is_built_from_buying_signals_not_from_fit():
    state = LeadScoreState(profile=dict(DIRECTOR), fit={"seniority_director": 20.0})
    advice = follow_up(state, MODEL, T0, "en", Channel.PHONE, "a hot lead", "ZBC")
    assert advice.channel == NURTURE and "Director" not in advice.why


# -- every protocol's rendering -----------------------------------------------------------


def test_chat_gets_aws_chatbots_custom_notification_format():
    w = hot_lead("nl")
    sent = w.publisher.messages[0]
    chat = sent["chat"]
    assert chat["version"] == "1.0" and chat["source"] == "custom"
    content = chat["content"]
    assert content["textType"] == "client-markdown"
    assert content["title"].startswith("Hot lead: Jan Jansen (Acme)")
    assert "*Waarom deze lead*" in content["description"]
    assert "Goedemorgen" in content["description"]
    assert content["nextSteps"][0].startswith("Bel Jan Jansen")
    assert content["nextSteps"][-1].startswith("Open de lead: ")
    lead_id = sent["message"]["lead_id"]
    assert chat_notification(sent["message"], f"/v1/leads/{lead_id}") == chat


def test_sns_sends_json_to_machines_text_to_email_and_the_chat_format_to_chat():
    w = hot_lead("en")
    sent = w.publisher.messages[0]
    with mock_aws():
        sns = boto3.client("sns", region_name="eu-west-1")
        sqs = boto3.client("sqs", region_name="eu-west-1")
        topic = sns.create_topic(Name="trechter-test-hot-leads")["TopicArn"]
        chat_topic = sns.create_topic(Name="trechter-test-hot-leads-chat")["TopicArn"]
        queues = {}
        for name, arn in (("machines", topic), ("chat", chat_topic)):
            url = sqs.create_queue(QueueName=name)["QueueUrl"]
            queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            sns.subscribe(
                TopicArn=arn,
                Protocol="sqs",
                Endpoint=queue_arn,
                Attributes={"RawMessageDelivery": "true"},
            )
            queues[name] = url
        publisher = SnsPublisher(sns, topic, chat_topic)
        publisher.publish(
            sent["message"], sent["attributes"], sent["subject"], sent["email_text"], sent["chat"]
        )
        machines = sqs.receive_message(QueueUrl=queues["machines"])["Messages"][0]["Body"]
        chat = sqs.receive_message(QueueUrl=queues["chat"])["Messages"][0]["Body"]
    assert json.loads(machines) == sent["message"]
    assert json.loads(chat) == sent["chat"]
    from chalicelib.adapters.sns import message_structure

    structure = json.loads(message_structure(sent["message"], sent["email_text"]))
    assert structure["email"] == sent["email_text"]
    for protocol in ("default", "sqs", "lambda", "http", "https", "email-json"):
        assert json.loads(structure[protocol]) == sent["message"]


def test_the_email_text_names_who_score_reasons_opener_and_link():
    w = hot_lead("en")
    message = w.publisher.messages[0]["message"]
    text = email_text(message, "https://console.example/leads/x")
    assert text.splitlines()[0].startswith("Hot lead: Jan Jansen (Acme), score ")
    assert "Name: Jan Jansen" in text and "Company: Acme (acme.nl)" in text
    assert f"Score: {message['score']} (fit " in text
    for reason in message["reasons"]:
        assert reason["text"] in text
    assert message["follow_up"]["phone_opener"] in text
    assert text.endswith("Open the lead: https://console.example/leads/x")


def test_the_local_sales_inbox_prints_the_email_text():
    from infra.local_stack import format_notification

    w = hot_lead("nl")
    sent = w.publisher.messages[0]
    lead_id = sent["message"]["lead_id"]
    printed = format_notification(json.dumps(sent["message"]), "http://127.0.0.1:8000")
    assert email_text(sent["message"], f"http://127.0.0.1:8000/v1/leads/{lead_id}") in printed
    assert printed.startswith("=" * 72 + "\n HOT LEAD ")


def test_the_export_names_its_sections_and_labels_its_events_in_the_leads_language():
    w = hot_lead("nl")
    lead_id = w.leads.lead_id_by_email(DIRECTOR["email"])
    export = w.services.sales.export(lead_id)
    assert export.language == "nl"
    assert export.headings["ledger"] == "Elke scorewijziging, en waarom"
    assert set(export.headings) == {
        "lead",
        "events",
        "ledger",
        "identities",
        "announcements",
        "deals",
        "exported_at",
    }
    labels = [event["label"] for event in export.events]
    assert any(label.startswith("Downloadde “the evaluation report” op ") for label in labels)
    assert any(label.startswith("Van ") for label in labels)  # the stage changes


def test_the_forms_lang_field_sets_the_language_and_junk_is_ignored_not_refused():
    assert (
        hot_lead("en", lang="nl-NL").publisher.messages[0]["message"]["follow_up"]["language"]
        == "nl"
    )
    junk = hot_lead("nl", lang="<script>")
    assert junk.publisher.messages[0]["message"]["follow_up"]["language"] == "nl"


def test_both_languages_of_every_default_sentence_use_the_same_placeholders():
    import string

    def names(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    sentences = {**MODEL.sentences, **{f"{k} (opener)": v for k, v in MODEL.openers.items()}}
    for rule, text in sentences.items():
        assert names(text.en) == names(text.nl), rule


@settings(max_examples=60, deadline=None)
@given(title=st.text(min_size=1, max_size=40), language=st.sampled_from(["en", "nl"]))
def test_any_title_is_said_as_given_in_every_rendering(title, language):
    # Given a director who downloads a buyer-only document with any title at all
    from chalicelib.domain.events import TrackingEvent
    from chalicelib.domain.scoring.explain import reasons
    from chalicelib.domain.scoring.scorer import score_event

    state = LeadScoreState(profile=dict(DIRECTOR), stage="sql")
    download = TrackingEvent(
        event_id="e1",
        lead_id="L1",
        type="download",
        occurred_at=T0,
        received_at=T0,
        source="tracker",
        url=f"{KB}/downloads/evaluation-report.pdf",
        title=title,
    )
    state = score_event(state, None, download, MODEL, T0).lead
    # When every rendering is made
    said = " ".join(r.text for r in reasons(state, MODEL, T0, language))
    channel, reason = recommend_channel(state, MODEL, language)
    advice = follow_up(state, MODEL, T0, language, channel, reason, "ZBC{0}")
    message = {"lead_id": "L1", "score": 1, "reasons": [], "follow_up": advice.to_dict()}
    text = email_text(message, "/v1/leads/L1")
    chat = chat_notification(message, "/v1/leads/L1")
    # Then the title is said as given, never interpreted, in the reasons, opener and mail
    assert f"“{title}”" in said
    assert advice.phone_opener is not None and f"“{title}”" in advice.phone_opener
    assert f"“{title}”" in advice.email.body and "ZBC{0}" in advice.email.subject
    assert advice.phone_opener in text and advice.phone_opener in chat["content"]["description"]


def test_colleagues_reading_one_topic_open_the_call_in_both_languages():
    from chalicelib.domain.events import TrackingEvent
    from chalicelib.domain.scoring.scorer import score_event

    signal = TrackingEvent(
        event_id="a1",
        lead_id="L1",
        type="account_signal",
        occurred_at=T0,
        received_at=T0,
        source="system",
        properties={"topic": "itsm", "domain": "acme.nl", "readers": 3},
    )
    state = score_event(LeadScoreState(profile=dict(DIRECTOR)), None, signal, MODEL, T0).lead
    dutch = follow_up(state, MODEL, T0, "nl", Channel.PHONE, "een hot lead", "ZBC")
    english = follow_up(state, MODEL, T0, "en", Channel.PHONE, "a hot lead", "ZBC")
    assert "Hier zag ik dat u deze week over itsm las, net als collega's bij acme.nl" in (
        dutch.phone_opener or ""
    )
    assert "There I saw that you read about itsm this week, as did colleagues at acme.nl" in (
        english.phone_opener or ""
    )
