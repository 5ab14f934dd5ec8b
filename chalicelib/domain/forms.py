"""Forms are data: which fields a form needs, what it means, where it sends the person."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.language import LocalText


class FormKind(StrEnum):
    WHITEPAPER_DOWNLOAD = "whitepaper_download"
    NEWSLETTER_SUBSCRIBE = "newsletter_subscribe"
    DEMO_REQUEST = "demo_request"
    CONTACT_REQUEST = "contact_request"
    WEBINAR_REGISTRATION = "webinar_registration"
    OTHER = "other"


class FormDefinition(BaseModel):
    """One form landing pages may post to.

    ``redirect_url`` may be absolute, or a path that is resolved against the
    submitting page's origin when that origin is an allowed landing-page origin.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    form_id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    kind: FormKind
    #: What the form gives the person, as shown to people (``{en, nl}`` in a scoring model).
    title: LocalText | str
    required_fields: tuple[str, ...] = ("email",)
    redirect_url: str = "/thank-you/"
    asset: str | None = None
    consent_text_version: str | None = None

    def title_in(self, language: str) -> str:
        """The title in ``language`` (a plain-string title is the same in every language)."""
        return self.title if isinstance(self.title, str) else self.title[language]
