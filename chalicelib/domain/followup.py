"""Follow-up advice per seed 003 (2.4-2.6): a call opener and a mail draft from what the
lead itself did, or the advice to keep nurturing when nothing it did explains an approach.

"If you cannot explain to a visitor why you approach him, do not approach him." The
explanation is the lead's own strongest buying signals, never its fit: a job title
is a reason to care, not something to say to the person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib.domain.language import LocalText
from chalicelib.domain.lead import Channel
from chalicelib.domain.scoring.explain import opener_phrase, tally_text
from chalicelib.domain.scoring.model import ScoringModel
from chalicelib.domain.scoring.state import LeadScoreState

NURTURE = "nurture"
#: At most this many acts are named in one opener: more reads like surveillance.
SIGNALS_NAMED = 2
_MIN_POINTS = 0.5

_AND = LocalText(en=" and ", nl=" en ")
_OPENER = LocalText(
    en=(
        "Good morning, I'm {{seller}} from {{seller_company}}, and I'm calling about your "
        "visit to {kb}. There I saw that you {acts}. You'll understand that was a reason "
        "for me to give you a call."
    ),
    nl=(
        "Goedemorgen, ik ben {{seller}} van {{seller_company}} en ik bel u naar aanleiding "
        "van uw internetbezoek aan {kb}. Hier zag ik dat u {acts}. U zult begrijpen dat "
        "dat voor mij reden was om even te bellen."
    ),
)
_SUBJECT = LocalText(en="RE: Articles {name}", nl="RE: Artikelen {name}")
_NURTURE_SUBJECT = LocalText(en="Invitation: {name} webinar", nl="Uitnodiging: webinar {name}")
_GREETING = LocalText(en="Dear {first_name},", nl="Beste {first_name},")
_GREETING_ANONYMOUS = LocalText(en="Hello,", nl="Goedendag,")
_STOOD_OUT = LocalText(en="On {kb} I noticed that you {acts}.", nl="Op {kb} zag ik dat u {acts}.")
_ASSUMPTION = LocalText(
    en="I assume this is on the table at {company} right now.",
    nl="Ik vermoed dat dit op dit moment speelt bij {company}.",
)
_SOLUTION = LocalText(
    en="How others went about it: {{solution_link}}",
    nl="Hoe anderen dit aanpakten, leest u hier: {{solution_link}}",
)
_QUESTION = LocalText(
    en="How does {company} handle this today, and who is involved in it?",
    nl="Hoe pakt {company} dit nu aan, en wie zijn daarbij betrokken?",
)
_YOUR_ORGANISATION = LocalText(en="your organisation", nl="uw organisatie")
_SIGN_OFF = LocalText(en="Kind regards,", nl="Met vriendelijke groet,")
_NURTURE_BODY = LocalText(
    en=(
        "Thank you for reading along on {kb}.\n"
        "In our next webinar we go deeper into the topics you read about; you are "
        "welcome to join: {{webinar_link}}\n"
        "Would you rather keep up through our newsletter? Subscribe here: {{newsletter_link}}"
    ),
    nl=(
        "Dank voor het meelezen op {kb}.\n"
        "In ons volgende webinar gaan we dieper in op de onderwerpen waarover u las; u "
        "bent van harte welkom: {{webinar_link}}\n"
        "Blijft u liever op de hoogte via onze nieuwsbrief? Abonneren kan hier: "
        "{{newsletter_link}}"
    ),
)
_WHY = LocalText(en="{channel}. What stood out: {act}.", nl="{channel}. Opvallend: {act}.")
_WHY_NURTURE = LocalText(
    en=(
        "Nothing in this lead's own behaviour explains an approach: invite them to a "
        "webinar or the newsletter rather than calling or writing personally."
    ),
    nl=(
        "Niets in het eigen klikgedrag van deze lead verklaart een benadering: nodig "
        "hem of haar uit voor een webinar of de nieuwsbrief in plaats van persoonlijk "
        "te bellen of te mailen."
    ),
)
_KB_SUFFIX = LocalText(en="the {name} knowledge base", nl="de {name}-kennisbank")
_KB_PLAIN = LocalText(en="the {name}", nl="de {name}")


@dataclass(frozen=True, slots=True)
class EmailDraft:
    subject: str
    body: str


@dataclass(frozen=True, slots=True)
class FollowUp:
    """How sales should follow a lead up; ``channel`` ``nurture``: do not approach."""

    language: str
    channel: str
    why: str
    phone_opener: str | None
    email: EmailDraft

    @property
    def explained(self) -> bool:
        """Whether the lead's own behaviour explains an approach (else: not announced)."""
        return self.channel != NURTURE

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "channel": self.channel,
            "why": self.why,
            "phone_opener": self.phone_opener,
            "email": {"subject": self.email.subject, "body": self.email.body},
        }


def knowledge_base(name: str, language: str) -> str:
    """'de ZBC-kennisbank' / 'the ZBC knowledge base'; a name that already says it stays."""
    lowered = name.lower()
    plain = lowered.endswith(("kennisbank", "knowledge base"))
    return (_KB_PLAIN if plain else _KB_SUFFIX)[language].format(name=name)


def strongest_signals(
    state: LeadScoreState, model: ScoringModel, at: float, language: str
) -> list[tuple[str, str]]:
    """(rule id, act as an opener says it) of the lead's strongest buying signals now.

    Strongest: most points after decay, the latest first among equals. A signal
    without an opener phrase (a state written before phrases existed) is left out.
    """
    half_lives = model.half_lives_seconds
    ranked: list[tuple[float, float, str, str]] = []
    for rule_id, tally in state.rules.items():
        if not tally.signal:
            continue
        points = tally.total.at(at, half_lives.get(tally.decay) if tally.decay else None)
        if points < _MIN_POINTS:
            continue
        phrase = opener_phrase(rule_id, tally, model, language)
        if phrase:
            ranked.append((points, tally.last_at, rule_id, phrase))
    ranked.sort(key=lambda item: (-item[0], -item[1], item[2]))
    return [(rule_id, phrase) for _, _, rule_id, phrase in ranked[:SIGNALS_NAMED]]


def follow_up(
    state: LeadScoreState,
    model: ScoringModel,
    at: float,
    language: str,
    channel: Channel,
    channel_reason: str,
    knowledge_base_name: str,
) -> FollowUp:
    """The advice for one lead, in ``language``.

    ``{seller}``, ``{seller_company}``, ``{solution_link}``, ``{webinar_link}`` and
    ``{newsletter_link}`` stay in the text as placeholders for the salesperson.
    """
    kb = knowledge_base(knowledge_base_name, language)
    profile = state.profile
    first_name = profile.get("first_name")
    greeting = (
        _GREETING[language].format(first_name=first_name)
        if first_name
        else _GREETING_ANONYMOUS[language]
    )
    sign_off = f"{_SIGN_OFF[language]}\n{{seller}}\n{{seller_company}}"
    signals = strongest_signals(state, model, at, language)
    if not signals:
        return FollowUp(
            language=language,
            channel=NURTURE,
            why=_WHY_NURTURE[language],
            phone_opener=None,
            email=EmailDraft(
                subject=_NURTURE_SUBJECT[language].format(name=knowledge_base_name),
                body=f"{greeting}\n\n{_NURTURE_BODY[language].format(kb=kb)}\n\n{sign_off}",
            ),
        )
    acts = _AND[language].join(phrase for _, phrase in signals)
    company = profile.get("company") or _YOUR_ORGANISATION[language]
    lines = [
        _STOOD_OUT[language].format(kb=kb, acts=acts),
        _ASSUMPTION[language].format(company=company),
        _SOLUTION[language].format(),
        _QUESTION[language].format(company=company),
    ]
    top_rule = signals[0][0]
    act = tally_text(top_rule, state.rules[top_rule], model, language)
    return FollowUp(
        language=language,
        channel=channel.value,
        why=_WHY[language].format(channel=_capital(channel_reason), act=act),
        phone_opener=_OPENER[language].format(kb=kb, acts=acts),
        email=EmailDraft(
            subject=_SUBJECT[language].format(name=knowledge_base_name),
            body=f"{greeting}\n\n" + "\n".join(lines) + f"\n\n{sign_off}",
        ),
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
