"""How a hot-lead message reads where sales reads it: an e-mail, a chat channel.

Pure functions of the contract's message (section 4, with ``follow_up``), in the
message's own language (``follow_up.language``). The e-mail text is also what the
local sales inbox prints, so what a developer sees is what sales gets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chalicelib.domain.language import LocalText

_SUBJECT = LocalText(
    en="Hot lead: {who}{at}, score {score}, follow up by {channel}",
    nl="Hot lead: {who}{at}, score {score}, opvolgen per {channel}",
)
_CHANNELS = {
    "phone": LocalText(en="phone", nl="telefoon"),
    "email": LocalText(en="e-mail", nl="e-mail"),
    "nurture": LocalText(en="nurturing", nl="nurturing"),
}
_HEADINGS = {
    "name": LocalText(en="Name", nl="Naam"),
    "company": LocalText(en="Company", nl="Bedrijf"),
    "job_title": LocalText(en="Job title", nl="Functie"),
    "phone": LocalText(en="Phone", nl="Telefoon"),
    "email": LocalText(en="E-mail", nl="E-mail"),
    "score": LocalText(
        en="Score: {score} (fit {fit}, engagement {engagement})",
        nl="Score: {score} (fit {fit}, betrokkenheid {engagement})",
    ),
    "channel": LocalText(en="Follow up by {channel}: {why}", nl="Opvolgen per {channel}: {why}"),
    "reasons": LocalText(en="Why this lead", nl="Waarom deze lead"),
    "opener": LocalText(en="Call opener", nl="Openingszin voor het gesprek"),
    "mail": LocalText(en="Mail draft", nl="Conceptmail"),
    "mail_subject": LocalText(en="Subject", nl="Onderwerp"),
    "link": LocalText(en="Open the lead", nl="Open de lead"),
    "call": LocalText(
        en="Call {who} ({phone}) with the opener", nl="Bel {who} ({phone}) met de openingszin"
    ),
    "write": LocalText(en="Send {who} the mail draft", nl="Stuur {who} de conceptmail"),
}


def language_of_message(message: Mapping[str, Any]) -> str:
    follow_up = message.get("follow_up") or {}
    return "nl" if follow_up.get("language") == "nl" else "en"


def _who(message: Mapping[str, Any]) -> str:
    name = " ".join(p for p in (message.get("first_name"), message.get("last_name")) if p)
    return name or str(message.get("email") or message.get("lead_id") or "?")


def _channel(message: Mapping[str, Any], language: str) -> str:
    name = str(message.get("recommended_channel") or "email")
    return _CHANNELS[name][language] if name in _CHANNELS else name


def subject_line(message: Mapping[str, Any]) -> str:
    """'Hot lead: Jan Jansen (Acme), score 87, follow up by phone' (in the lead's language)."""
    language = language_of_message(message)
    at = f" ({message['company']})" if message.get("company") else ""
    return _SUBJECT[language].format(
        who=_who(message), at=at, score=message.get("score", 0), channel=_channel(message, language)
    )


def email_text(message: Mapping[str, Any], lead_url: str) -> str:
    """The plain text an e-mail subscriber gets: who, score, reasons, opener, mail, link."""
    language = language_of_message(message)
    h = {name: text[language] for name, text in _HEADINGS.items()}
    follow_up = message.get("follow_up") or {}
    lines = [subject_line(message), "", f"{h['name']}: {_who(message)}"]
    company, domain = message.get("company"), message.get("company_domain")
    if company or domain:
        lines.append(
            f"{h['company']}: {company} ({domain})"
            if company and domain
            else f"{h['company']}: {company or domain}"
        )
    for field in ("job_title", "phone", "email"):
        if message.get(field):
            lines.append(f"{h[field]}: {message[field]}")
    lines.append(
        h["score"].format(
            score=message.get("score", 0),
            fit=message.get("fit_score", 0),
            engagement=message.get("engagement_score", 0),
        )
    )
    why = message.get("recommended_channel_reason") or ""
    lines.append(h["channel"].format(channel=_channel(message, language), why=why))
    lines += ["", f"{h['reasons']}:"]
    lines += [f"- {r.get('text', '')} (+{r.get('points', 0)})" for r in message.get("reasons", [])]
    if follow_up.get("phone_opener"):
        lines += ["", f"{h['opener']}:", str(follow_up["phone_opener"])]
    mail = follow_up.get("email") or {}
    if mail:
        lines += [
            "",
            f"{h['mail']}:",
            f"{h['mail_subject']}: {mail.get('subject', '')}",
            "",
            str(mail.get("body", "")),
        ]
    lines += ["", f"{h['link']}: {lead_url}"]
    return "\n".join(lines)


def chat_notification(message: Mapping[str, Any], lead_url: str) -> dict[str, Any]:
    """AWS Chatbot's custom-notification format (Slack, Microsoft Teams)."""
    language = language_of_message(message)
    h = {name: text[language] for name, text in _HEADINGS.items()}
    follow_up = message.get("follow_up") or {}
    who = _who(message)
    description = [
        h["score"].format(
            score=message.get("score", 0),
            fit=message.get("fit_score", 0),
            engagement=message.get("engagement_score", 0),
        ),
        "",
        f"*{h['reasons']}*",
        *(f"• {r.get('text', '')} (+{r.get('points', 0)})" for r in message.get("reasons", [])),
    ]
    if follow_up.get("phone_opener"):
        description += ["", f"*{h['opener']}*", f"> {follow_up['phone_opener']}"]
    steps = []
    if message.get("recommended_channel") == "phone" and message.get("phone"):
        steps.append(h["call"].format(who=who, phone=message["phone"]))
    elif (follow_up.get("email") or {}).get("subject"):
        steps.append(h["write"].format(who=who))
    steps.append(f"{h['link']}: {lead_url}")
    return {
        "version": "1.0",
        "source": "custom",
        "id": str(message.get("notification_id") or message.get("lead_id") or ""),
        "content": {
            "textType": "client-markdown",
            "title": subject_line(message),
            "description": "\n".join(description),
            "nextSteps": steps,
            "keywords": [k for k in (message.get("country"), message.get("company")) if k],
        },
        "metadata": {
            "threadId": str(message.get("lead_id") or ""),
            "summary": subject_line(message),
            "eventType": str(message.get("type") or ""),
            "relatedResources": [lead_url],
            "additionalContext": {"lead_id": str(message.get("lead_id") or "")},
        },
    }
