"""A generated population whose true drivers are not the default model's.

In this world deals are won by people who read the newsletter, click our mails
and look at who we are; pricing views and demo requests, which the default model
rewards most, come from tire-kickers who lose; job titles say nothing. Deterministic for a seed.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from chalicelib.domain.events import EventType, TrackingEvent
from chalicelib.domain.lead import Lead
from chalicelib.domain.submissions import FormSubmission

DAY = 86_400.0
TITLES = ("Director of IT", "IT manager", "Student", "Consultant", "CEO", "Service desk lead")
FORMS = {
    "newsletter": "newsletter_subscribe",
    "whitepaper": "whitepaper_download",
    "demo": "demo_request",
}


@dataclass
class Person:
    lead: Lead
    events: list[TrackingEvent]
    won_probability: float
    won: bool
    closed_at: float
    email: str = field(default="")


def _event(lead_id: str, type_: str, at: float, **extra: object) -> TrackingEvent:
    return TrackingEvent(
        event_id=uuid.uuid4().hex,
        lead_id=lead_id,
        type=type_,
        occurred_at=at,
        received_at=at,
        **extra,  # type: ignore[arg-type]
    )


def people(count: int, start: float, span_days: float, seed: int, prefix: str) -> Iterator[Person]:
    """``count`` people whose histories start between ``start`` and ``start + span_days``."""
    rng = random.Random(seed)
    for index in range(count):
        lead_id = uuid.UUID(int=rng.getrandbits(128)).hex
        email = f"{prefix}{index}@firm{index % 37}.nl"
        first = start + rng.uniform(0, span_days) * DAY
        profile = FormSubmission.model_validate(
            {
                "email": email,
                "first_name": f"P{index}",
                "last_name": "Test",
                "company": f"Firm {index % 37}",
                "job_title": rng.choice(TITLES),
                "company_size": str(rng.choice((5, 30, 120, 400))),
                "country": rng.choice(("NL", "BE", "DE")),
            }
        ).profile()
        form_id = rng.choice(tuple(FORMS))
        newsletter = form_id == "newsletter" or rng.random() < 0.3
        clicks = rng.choice((0, 0, 1, 2, 3))
        about = rng.choice((0, 0, 1, 2))
        pricing = rng.choice((0, 1, 2, 3))
        demo = form_id == "demo" or rng.random() < 0.2
        events = [
            _event(
                lead_id,
                EventType.FORM_SUBMIT,
                first,
                source="form",
                form_id=form_id,
                form_kind=FORMS[form_id],
                profile=profile,
            )
        ]
        at = first
        if newsletter and form_id != "newsletter":
            at += rng.uniform(0.1, 2) * DAY
            events.append(
                _event(
                    lead_id,
                    EventType.FORM_SUBMIT,
                    at,
                    source="form",
                    form_id="newsletter",
                    form_kind="newsletter_subscribe",
                    profile=profile,
                )
            )
        if demo and form_id != "demo":
            at += rng.uniform(0.1, 2) * DAY
            events.append(
                _event(
                    lead_id,
                    EventType.FORM_SUBMIT,
                    at,
                    source="form",
                    form_id="demo",
                    form_kind="demo_request",
                    profile=profile,
                )
            )
        for _ in range(clicks):
            at += rng.uniform(0.5, 4) * DAY
            events.append(
                _event(
                    lead_id,
                    EventType.EMAIL_CLICK,
                    at,
                    source="email",
                    url="https://kb.example.nl/articles/itsm/news",
                    properties={"campaign": "monthly", "target_url": "https://kb.example.nl/x"},
                )
            )
        for _ in range(about):
            at += rng.uniform(0.5, 3) * DAY
            events.append(
                _event(
                    lead_id,
                    EventType.PAGE_VIEW,
                    at,
                    source="tracker",
                    url="https://kb.example.nl/about",
                )
            )
        for _ in range(pricing):
            at += rng.uniform(0.2, 2) * DAY
            events.append(
                _event(
                    lead_id,
                    EventType.PAGE_VIEW,
                    at,
                    source="tracker",
                    url="https://kb.example.nl/pricing",
                )
            )
        logit = -2.2 + 1.4 * newsletter + 0.8 * clicks + 0.9 * about - 0.5 * pricing - 0.8 * demo
        probability = 1 / (1 + math.exp(-logit))
        won = rng.random() < probability
        closed_at = at + rng.uniform(3, 10) * DAY
        lead = Lead(
            lead_id=lead_id,
            created_at=first,
            profile=dict(profile),
            company_domain=email.split("@")[1],
        )
        yield Person(lead, events, probability, won, closed_at, email)


def load(services: object, persons: list[Person]) -> None:
    """Create the leads and score their events the way the stream scorer does."""
    for person in persons:
        services.leads.create_lead(person.lead)  # type: ignore[attr-defined]
        services.leads.claim_email(person.email, person.lead.lead_id)  # type: ignore[attr-defined]
        services.events.put_events(person.events)  # type: ignore[attr-defined]
        services.scoring.apply(person.lead.lead_id, person.events)  # type: ignore[attr-defined]


def outcome_rows(persons: list[Person]) -> list[dict[str, object]]:
    from chalicelib.domain.clock import iso

    return [
        {
            "email": p.email,
            "outcome": "won" if p.won else "lost",
            "closed_at": iso(p.closed_at),
            "amount": 5000,
        }
        for p in persons
    ]
