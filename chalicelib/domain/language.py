"""Sales languages: which language a lead is handed over in, and dates said the local way.

Trechter writes every sentence for people in English and Dutch. The deployment
has one sales language (``SALES_LANGUAGE``); a single lead may get the other one
when the page it filled in a form on, or its country, makes that the obvious
choice (see ``lead_language``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["en", "nl"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DAY = 86_400.0

#: Countries a Dutch-speaking sales team addresses in Dutch: the Netherlands, Belgium
#: (Flanders is most of its business population) and Suriname.
DUTCH_COUNTRIES = frozenset({"NL", "BE", "SR"})

_MONTHS: dict[Language, tuple[str, ...]] = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
}


class LocalText(BaseModel):
    """One sentence in every sales language; both are required."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    en: str = Field(min_length=1)
    nl: str = Field(min_length=1)

    def __getitem__(self, language: str) -> str:
        return self.nl if language == "nl" else self.en


def local_text(value: Any, owner: str) -> Any:
    """Check before validation that ``value`` has every language; the error names ``owner``.

    Raises
    ------
    ValueError
        a plain string or a mapping without every language.
    """
    if isinstance(value, str):
        raise ValueError(f"{owner}: needs the sentence in every language, as {{en: ..., nl: ...}}")
    if isinstance(value, Mapping):
        missing = [language for language in LANGUAGES if not value.get(language)]
        if missing:
            raise ValueError(f"{owner}: missing the {', '.join(missing)} translation")
    return value


def short_date(epoch: float, language: str = "en") -> str:
    """A day as a salesperson says it: en '12 Nov', nl '12 nov' (UTC)."""
    return _day_label(int(epoch // DAY), "nl" if language == "nl" else "en")


@lru_cache(maxsize=2048)
def _day_label(day: int, language: Language) -> str:
    # A UTC day is exactly 86,400 epoch seconds, so the label depends on the day alone.
    moment = datetime.fromtimestamp(day * DAY, tz=UTC)
    return f"{moment.day} {_MONTHS[language][moment.month - 1]}"


def language_of(tag: str | None) -> Language | None:
    """A sales language from a language tag ('nl', 'nl-BE', 'en_GB'); None for others."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary in ("en", "nl") else None  # type: ignore[return-value]


def page_language(url: str | None) -> Language | None:
    """The language a page URL names in its first path segment (``/nl/...``, ``/en-gb/...``)."""
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    first = path.lstrip("/").split("/", 1)[0]
    return language_of(first) if 2 <= len(first) <= 5 else None


def lead_language(
    default: str, profile: Mapping[str, Any], page_lang: str | None = None
) -> Language:
    """The language to hand a lead over in.

    1. The page language, when the lead filled in a form on a page in a sales
       language (the form's ``lang`` field, else ``/nl/`` or ``/en/`` as the first
       segment of its ``page_url``): people answer in the language they read.
    2. Else, with the sales language ``nl``, a country outside NL, BE and SR gets
       English: a Dutch team writes to a German or a Dane in English. The country
       never makes a lead Dutch on its own: an English-speaking team is not assumed
       to speak Dutch, and Dutch and Flemish business people read English.
    3. Else the deployment's ``SALES_LANGUAGE``.
    """
    chosen = language_of(page_lang)
    if chosen is not None:
        return chosen
    if default != "nl":
        return "en"
    country = str(profile.get("country") or "").upper()
    if country and country not in DUTCH_COUNTRIES:
        return "en"
    return "nl"
