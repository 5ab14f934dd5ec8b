"""A realistic, reproducible mix of tracking events: what the knowledge base sees in a day.

Used by the scorer benchmark (the pure function over many leads) and to seed a lead's
history for the request-count benchmark. Seeded randomness: every run scores the same
events.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass

from chalicelib.adapters.items import event_from_item, event_to_item
from chalicelib.domain.events import EventType, MachineLabel, MachineVerdict, TrackingEvent

SITE = "https://kb.example.nl"
TOPICS = ("itsm", "itil", "security", "cloud", "service-desk", "asset-management", "iso27001")
ARTICLES = tuple(f"/articles/{topic}/article-{n}" for topic in TOPICS for n in range(1, 6))
OTHER_PAGES = ("/", "/about", "/team", "/contact", "/pricing", "/docs/setup", "/terms")
WHITEPAPERS = ("/whitepapers/itsm-in-practice.pdf",)
DOWNLOADS = ("/downloads/evaluation-report.pdf", "/downloads/evaluation-checklist.pdf")
QUERIES = ("itil incident", "pricing", "service desk kosten", "iso 27001 checklist", "cmdb")
BUSINESS_DOMAINS = tuple(f"company{n}.nl" for n in range(40))
FREE_DOMAINS = ("gmail.com", "hotmail.com", "outlook.com")
TITLES = ("Director of IT", "IT manager", "Service desk lead", "Student", "CIO", "Consultant")
BROWSER_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)

DAY = 86_400.0

# (event type, weight): page views dominate, as on any content site.
_MIX = (
    ("article", 52),
    ("page", 14),
    ("pricing", 4),
    ("link_click", 8),
    ("download", 3),
    ("whitepaper", 2),
    ("site_search", 5),
    ("email_open", 5),
    ("email_click", 3),
    ("form_submit", 1),
    ("machine", 3),
)


@dataclass(frozen=True, slots=True)
class LeadProfile:
    lead_id: str
    domain: str
    profile: dict[str, object]


def _profile(rng: random.Random, lead_id: str) -> LeadProfile:
    business = rng.random() < 0.8
    domain = rng.choice(BUSINESS_DOMAINS if business else FREE_DOMAINS)
    return LeadProfile(
        lead_id,
        domain,
        {
            "email": f"{lead_id[:8]}@{domain}",
            "first_name": "Sam",
            "last_name": "Jansen",
            "company": domain.split(".")[0].title(),
            "job_title": rng.choice(TITLES),
            "company_size": rng.choice((5, 40, 120, 400, 2500)),
            "country": rng.choice(("NL", "BE", "DE", "US")),
        },
    )


def event_for(
    rng: random.Random, lead: LeadProfile, at: float, kind: str | None = None
) -> TrackingEvent:
    """One event of the mix (or of ``kind``) for ``lead`` at ``at``."""
    if kind is None:
        kind = rng.choices([k for k, _ in _MIX], weights=[w for _, w in _MIX])[0]
    event_id = uuid.UUID(int=rng.getrandbits(128)).hex
    common = {"event_id": event_id, "lead_id": lead.lead_id, "occurred_at": at, "received_at": at}
    if kind in ("article", "machine"):
        path = rng.choice(ARTICLES)
        machine = (
            MachineVerdict(MachineLabel.CRAWLER, "user agent names a crawler")
            if kind == "machine"
            else None
        )
        return TrackingEvent(
            type=EventType.PAGE_VIEW,
            url=SITE + path,
            title=path.rsplit("/", 1)[-1].replace("-", " ").title(),
            machine=machine,
            **common,
        )
    if kind in ("page", "pricing"):
        path = "/pricing" if kind == "pricing" else rng.choice(OTHER_PAGES)
        return TrackingEvent(type=EventType.PAGE_VIEW, url=SITE + path, title=path, **common)
    if kind == "whitepaper":
        return TrackingEvent(
            type=EventType.DOWNLOAD, url=SITE + WHITEPAPERS[0], title="Whitepaper", **common
        )
    if kind == "link_click":
        return TrackingEvent(
            type=EventType.LINK_CLICK,
            url=SITE + rng.choice(ARTICLES),
            properties={"target_url": SITE + "/pricing", "in_article": rng.random() < 0.7},
            **common,
        )
    if kind == "download":
        return TrackingEvent(
            type=EventType.DOWNLOAD, url=SITE + rng.choice(DOWNLOADS), title="Report", **common
        )
    if kind == "site_search":
        return TrackingEvent(
            type=EventType.SITE_SEARCH,
            url=SITE + "/search",
            properties={"query": rng.choice(QUERIES)},
            **common,
        )
    if kind in ("email_open", "email_click"):
        return TrackingEvent(
            type=EventType.EMAIL_OPEN if kind == "email_open" else EventType.EMAIL_CLICK,
            source="email",
            url=SITE + rng.choice(ARTICLES) if kind == "email_click" else "",
            properties={"personal": rng.random() < 0.1, "target_url": SITE + "/pricing"}
            if kind == "email_click"
            else {"personal": False},
            campaign_id="nov-newsletter",
            message_id="m1",
            **common,
        )
    form = rng.choice(("whitepaper", "newsletter", "demo", "contact"))
    kinds = {
        "whitepaper": "whitepaper_download",
        "newsletter": "newsletter_subscribe",
        "demo": "demo_request",
        "contact": "contact_request",
    }
    return TrackingEvent(
        type=EventType.FORM_SUBMIT,
        source="form",
        url=SITE + "/forms/" + form,
        form_id=form,
        form_kind=kinds[form],
        profile=lead.profile,
        **common,
    )


def as_stored(event: TrackingEvent) -> TrackingEvent:
    """The event as the stream handler reads it back from its DynamoDB item."""
    return event_from_item(event_to_item(event, 0))


def mixed_stream(
    count: int,
    leads: int = 2_000,
    start: float = 1_790_000_000.0,
    seed: int = 8,
    known_share: float = 0.3,
) -> tuple[list[tuple[TrackingEvent, str | None]], list[tuple[TrackingEvent, str | None]]]:
    """(prologue, stream): ``count`` events over ``leads`` people, in time order.

    Each event comes with the company domain the scorer is given for it: the lead's
    e-mail domain once the lead is identified (a form), None before, exactly as the
    stream handler passes a company only for a known business domain. ``known_share``
    of the people are known leads already; the prologue is their earlier form posts
    (to score before timing). Visits come in sessions: a person shows up, does a few
    things a minute apart, leaves. Events come as the stream handler sees them (read
    back from their stored item).
    """
    rng = random.Random(seed)
    people = [_profile(rng, uuid.UUID(int=rng.getrandbits(128)).hex) for _ in range(leads)]
    known = {p.lead_id for p in people if rng.random() < known_share}
    prologue = [
        (as_stored(event_for(rng, person, start - 30 * DAY, "form_submit")), person.domain)
        for person in people
        if person.lead_id in known
    ]
    stream: list[tuple[TrackingEvent, str | None]] = []
    at = start
    while len(stream) < count:
        person = rng.choice(people)
        for _ in range(min(rng.randint(1, 8), count - len(stream))):
            at += rng.uniform(1.0, 90.0)
            event = as_stored(event_for(rng, person, at))
            if event.type == EventType.FORM_SUBMIT:
                known.add(person.lead_id)
            stream.append((event, person.domain if person.lead_id in known else None))
    return prologue, stream


def history_for(lead_id: str, count: int, end: float, seed: int = 3) -> list[TrackingEvent]:
    """``count`` prior events of one lead, spread over the year before ``end``."""
    rng = random.Random(seed)
    lead = LeadProfile(lead_id, "bench-example.nl", {})
    span = min(365 * DAY, max(count, 1) * 600.0)
    times = sorted(end - rng.uniform(60.0, span) for _ in range(count))
    kinds = [k for k, _ in _MIX if k != "form_submit"]
    weights = [w for k, w in _MIX if k != "form_submit"]
    return [event_for(rng, lead, t, rng.choices(kinds, weights=weights)[0]) for t in times]
