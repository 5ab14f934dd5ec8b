"""Laws: incremental scoring equals a full replay, and the ledger reproduces every score."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.scoring.model import load_scoring_model
from chalicelib.domain.scoring.scorer import replay, score_event, scores_from_ledger
from chalicelib.domain.scoring.state import LeadScoreState
from tests.support import DAY, DIRECTOR, STUDENT, T0, event, form_event

MODEL = load_scoring_model()
KB = "https://kb.example.nl"
PATHS = [
    "/pricing",
    "/about",
    "/team",
    "/docs/api",
    "/terms",
    "/downloads/evaluation-report.pdf",
    "/articles/itsm/a",
    "/articles/security/b",
    "/blog/quality/c",
    "/whitepapers/w.pdf",
    "/",
    "/careers",
]

events_strategy = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "page_view",
                "link_click",
                "download",
                "site_search",
                "email_open",
                "email_click",
                "form",
                "newsletter",
                "newsletter_unsubscribe",
                "account_signal",
            ]
        ),
        st.sampled_from(PATHS),
        st.floats(min_value=0, max_value=200 * DAY, allow_nan=False),
        st.booleans(),
        st.booleans(),
    ),
    max_size=40,
)


def build(spec):
    built = []
    for kind, path, offset, flag, machine in spec:
        at = T0 + offset
        if kind == "form":
            built.append(form_event(at, DIRECTOR if flag else STUDENT))
        elif kind == "newsletter":
            built.append(form_event(at, STUDENT, kind="newsletter_subscribe", form_id="newsletter"))
        elif kind == "account_signal":
            built.append(
                event(kind, at, properties={"topic": "itsm", "domain": "acme.nl", "readers": 3})
            )
        else:
            props = {
                "in_article": flag,
                "target_url": KB + path,
                "query": "prijs tool",
                "personal": flag,
            }
            built.append(event(kind, at, KB + path, properties=props, machine=machine))
    return built


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events_strategy)
def test_incremental_scoring_equals_a_full_replay(spec):
    events = build(spec)
    now = T0 + 250 * DAY
    # incremental, as the stream does it, with the state stored and read back between events
    state = LeadScoreState()
    for item in events:
        state = score_event(state, None, item, MODEL, now).lead
        state = LeadScoreState.from_dict(json.loads(json.dumps(state.to_dict())))
    replayed, ledger, _ = replay(events, MODEL, now)
    as_json = json.dumps(state.to_dict(), sort_keys=True)
    assert as_json == json.dumps(replayed.to_dict(), sort_keys=True)
    fit, engagement = scores_from_ledger(ledger, MODEL, now)
    assert fit == pytest.approx(state.fit_total)
    assert engagement == pytest.approx(state.engagement_at(now, MODEL.half_lives_seconds), abs=1e-6)
