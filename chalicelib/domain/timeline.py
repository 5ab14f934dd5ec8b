"""Labels for people: each event on a lead's timeline as a short sentence, and the
headings of a lead's export, in a language."""

from __future__ import annotations

from urllib.parse import urlsplit

from chalicelib.domain.events import EventType, TrackingEvent
from chalicelib.domain.language import LocalText, short_date
from chalicelib.domain.scoring.model import ScoringModel

_LABELS: dict[str, LocalText] = {
    EventType.PAGE_VIEW: LocalText(en="Visited {page}", nl="Bezocht {page}"),
    EventType.LINK_CLICK: LocalText(
        en="Clicked a link to {target}", nl="Klikte op een link naar {target}"
    ),
    EventType.DOWNLOAD: LocalText(en="Downloaded {page}", nl="Downloadde {page}"),
    EventType.SITE_SEARCH: LocalText(en="Searched for “{query}”", nl="Zocht naar “{query}”"),
    EventType.NEWSLETTER_UNSUBSCRIBE: LocalText(
        en="Unsubscribed from the newsletter", nl="Zegde de nieuwsbrief op"
    ),
    EventType.FORM_SUBMIT: LocalText(
        en="Filled in the form for {form}", nl="Vulde het formulier in voor {form}"
    ),
    EventType.EMAIL_OPEN: LocalText(en="Opened a mail", nl="Opende een mail"),
    EventType.EMAIL_CLICK: LocalText(
        en="Clicked {target} in a mail", nl="Klikte op {target} in een mail"
    ),
    EventType.IDENTITY_LINKED: LocalText(
        en="Earlier visits linked to this lead", nl="Eerdere bezoeken aan deze lead gekoppeld"
    ),
    EventType.ACCOUNT_SIGNAL: LocalText(
        en="Colleagues read about {topic} too", nl="Collega's lazen ook over {topic}"
    ),
    EventType.SALES_FEEDBACK: LocalText(en="Sales: {outcome}", nl="Sales: {outcome}"),
    EventType.STAGE_CHANGED: LocalText(en="Moved from {from} to {to}", nl="Van {from} naar {to}"),
    EventType.CONSENT_CHANGED: LocalText(en="Consent changed", nl="Toestemming gewijzigd"),
    # Segment's track events by their own name ("Trial Started"), and identify/group.
    EventType.CUSTOM: LocalText(en="{event}", nl="{event}"),
    EventType.PROFILE_UPDATED: LocalText(en="Profile updated", nl="Profiel bijgewerkt"),
}
_STAGES: dict[str, LocalText] = {
    "visitor": LocalText(en="visitor", nl="bezoeker"),
    "lead": LocalText(en="lead", nl="lead"),
    "mql": LocalText(en="marketing qualified", nl="marketing-gekwalificeerd"),
    "sql": LocalText(en="sales qualified", nl="sales-gekwalificeerd"),
    "customer": LocalText(en="customer", nl="klant"),
    "recycled": LocalText(en="back in nurturing", nl="terug in nurturing"),
}
_OUTCOMES: dict[str, LocalText] = {
    "accepted": LocalText(en="accepted", nl="geaccepteerd"),
    "rejected": LocalText(en="rejected", nl="afgewezen"),
    "won": LocalText(en="won", nl="gewonnen"),
    "lost": LocalText(en="lost", nl="verloren"),
}
_MACHINE = LocalText(
    en="{label} (machine traffic, 0 points)", nl="{label} (machineverkeer, 0 punten)"
)
_ON = LocalText(en="{label} on {date}", nl="{label} op {date}")


_EXPORT_HEADINGS: dict[str, LocalText] = {
    "lead": LocalText(en="The person and the lead", nl="De persoon en de lead"),
    "events": LocalText(en="Everything the person did", nl="Alles wat de persoon deed"),
    "ledger": LocalText(en="Every change of score, and why", nl="Elke scorewijziging, en waarom"),
    "identities": LocalText(en="Linked anonymous ids", nl="Gekoppelde anonieme id's"),
    "announcements": LocalText(en="Hand-overs to sales", nl="Overdrachten aan sales"),
    "deals": LocalText(en="Deals won or lost", nl="Gewonnen of verloren deals"),
    "exported_at": LocalText(en="Exported at", nl="Geëxporteerd op"),
}


def export_headings(language: str) -> dict[str, str]:
    """The export's sections, named for the person who asked for it."""
    return {section: text[language] for section, text in _EXPORT_HEADINGS.items()}


def _path(url: str) -> str:
    try:
        return urlsplit(url).path or url
    except ValueError:
        return url


def stage_name(stage: str, language: str) -> str:
    text = _STAGES.get(stage)
    return text[language] if text is not None else stage


def timeline_label(event: TrackingEvent, model: ScoringModel, language: str) -> str:
    """'Downloaded /downloads/evaluation.pdf on 12 Nov' (nl: '... op 12 nov')."""
    template = _LABELS.get(event.type)
    if template is None:
        return event.type
    properties = event.properties or {}
    form = model.forms_by_id.get(event.form_id or "")
    values = {
        "page": f"“{event.title}”" if event.title else _path(event.url) or "?",
        "target": _path(str(properties.get("target_url") or event.url or "?")),
        "query": str(properties.get("query", ""))[:80],
        "form": form.title_in(language) if form is not None else (event.title or "?"),
        "topic": str(properties.get("topic", "?")),
        "event": str(properties.get("event", "?"))[:80],
        "outcome": _OUTCOMES[o][language]
        if (o := str(properties.get("outcome", ""))) in _OUTCOMES
        else o,
        "from": stage_name(str(properties.get("from", "?")), language),
        "to": stage_name(str(properties.get("to", "?")), language),
    }
    label = template[language].format_map(values)
    if event.machine is not None:
        label = _MACHINE[language].format(label=label)
    return _ON[language].format(label=label, date=short_date(event.occurred_at, language))
