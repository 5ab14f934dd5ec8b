"""A form submission as landing pages send it, validated and normalised.

Every problem is reported per field, so a page can show it next to the input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from chalicelib.domain.errors import FieldError, InvalidInput
from chalicelib.domain.forms import FormDefinition

# ISO 3166-1 alpha-2, officially assigned codes.
ISO_COUNTRIES = frozenset(
    [
        "AD",
        "AE",
        "AF",
        "AG",
        "AI",
        "AL",
        "AM",
        "AO",
        "AQ",
        "AR",
        "AS",
        "AT",
        "AU",
        "AW",
        "AX",
        "AZ",
        "BA",
        "BB",
        "BD",
        "BE",
        "BF",
        "BG",
        "BH",
        "BI",
        "BJ",
        "BL",
        "BM",
        "BN",
        "BO",
        "BQ",
        "BR",
        "BS",
        "BT",
        "BV",
        "BW",
        "BY",
        "BZ",
        "CA",
        "CC",
        "CD",
        "CF",
        "CG",
        "CH",
        "CI",
        "CK",
        "CL",
        "CM",
        "CN",
        "CO",
        "CR",
        "CU",
        "CV",
        "CW",
        "CX",
        "CY",
        "CZ",
        "DE",
        "DJ",
        "DK",
        "DM",
        "DO",
        "DZ",
        "EC",
        "EE",
        "EG",
        "EH",
        "ER",
        "ES",
        "ET",
        "FI",
        "FJ",
        "FK",
        "FM",
        "FO",
        "FR",
        "GA",
        "GB",
        "GD",
        "GE",
        "GF",
        "GG",
        "GH",
        "GI",
        "GL",
        "GM",
        "GN",
        "GP",
        "GQ",
        "GR",
        "GS",
        "GT",
        "GU",
        "GW",
        "GY",
        "HK",
        "HM",
        "HN",
        "HR",
        "HT",
        "HU",
        "ID",
        "IE",
        "IL",
        "IM",
        "IN",
        "IO",
        "IQ",
        "IR",
        "IS",
        "IT",
        "JE",
        "JM",
        "JO",
        "JP",
        "KE",
        "KG",
        "KH",
        "KI",
        "KM",
        "KN",
        "KP",
        "KR",
        "KW",
        "KY",
        "KZ",
        "LA",
        "LB",
        "LC",
        "LI",
        "LK",
        "LR",
        "LS",
        "LT",
        "LU",
        "LV",
        "LY",
        "MA",
        "MC",
        "MD",
        "ME",
        "MF",
        "MG",
        "MH",
        "MK",
        "ML",
        "MM",
        "MN",
        "MO",
        "MP",
        "MQ",
        "MR",
        "MS",
        "MT",
        "MU",
        "MV",
        "MW",
        "MX",
        "MY",
        "MZ",
        "NA",
        "NC",
        "NE",
        "NF",
        "NG",
        "NI",
        "NL",
        "NO",
        "NP",
        "NR",
        "NU",
        "NZ",
        "OM",
        "PA",
        "PE",
        "PF",
        "PG",
        "PH",
        "PK",
        "PL",
        "PM",
        "PN",
        "PR",
        "PS",
        "PT",
        "PW",
        "PY",
        "QA",
        "RE",
        "RO",
        "RS",
        "RU",
        "RW",
        "SA",
        "SB",
        "SC",
        "SD",
        "SE",
        "SG",
        "SH",
        "SI",
        "SJ",
        "SK",
        "SL",
        "SM",
        "SN",
        "SO",
        "SR",
        "SS",
        "ST",
        "SV",
        "SX",
        "SY",
        "SZ",
        "TC",
        "TD",
        "TF",
        "TG",
        "TH",
        "TJ",
        "TK",
        "TL",
        "TM",
        "TN",
        "TO",
        "TR",
        "TT",
        "TV",
        "TW",
        "TZ",
        "UA",
        "UG",
        "UM",
        "US",
        "UY",
        "UZ",
        "VA",
        "VC",
        "VE",
        "VG",
        "VI",
        "VN",
        "VU",
        "WF",
        "WS",
        "YE",
        "YT",
        "ZA",
        "ZM",
        "ZW",
    ]
)

_TRUE = frozenset({"true", "on", "1", "yes"})
_FALSE = frozenset({"false", "off", "0", "no", ""})
_ANON_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,3}")
_SIZE_RANGE = re.compile(r"^\s*(\d{1,7})\s*(?:-|\u2013|to)\s*(\d{1,7})\s*$")
_SIZE_PLUS = re.compile(r"^\s*(\d{1,7})\s*\+\s*$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: Any) -> Any:
    if isinstance(value, str):
        value = _CONTROL.sub("", value).strip()
        return value or None
    return value


class FormSubmission(BaseModel):
    """The fields of the contract's form endpoint, normalised."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    email: str = Field(max_length=254)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    company: str | None = Field(default=None, max_length=200)
    job_title: str | None = Field(default=None, max_length=150)
    phone: str | None = Field(default=None, max_length=40)
    country: str | None = Field(default=None, max_length=2)
    company_size: int | None = Field(default=None, ge=1, le=10_000_000)
    industry: str | None = Field(default=None, max_length=100)
    consent_marketing: bool = False
    anonymous_id: str | None = Field(default=None, max_length=64)
    page_url: str | None = Field(default=None, max_length=2048)
    referrer: str | None = Field(default=None, max_length=2048)
    utm_source: str | None = Field(default=None, max_length=200)
    utm_medium: str | None = Field(default=None, max_length=200)
    utm_campaign: str | None = Field(default=None, max_length=200)
    utm_term: str | None = Field(default=None, max_length=200)
    utm_content: str | None = Field(default=None, max_length=200)
    message: str | None = Field(default=None, max_length=5000)
    #: The page's language (``<html lang>``), which may set the lead's sales language.
    lang: str | None = Field(default=None, max_length=35)
    website: str | None = Field(default=None, max_length=2048)
    rendered_at: float | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return _text(value)

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        from email_validator import EmailNotValidError, validate_email

        try:
            result = validate_email(value, check_deliverability=False)
        except EmailNotValidError as error:
            raise ValueError(f"not a valid e-mail address ({error})") from None
        local, _, domain = result.normalized.rpartition("@")
        return f"{local}@{domain.lower()}"

    @field_validator("country", mode="before")
    @classmethod
    def _iso_country(cls, value: Any) -> Any:
        if value is None:
            return None
        code = str(value).strip().upper()
        if code not in ISO_COUNTRIES:
            raise ValueError("must be an ISO 3166-1 alpha-2 country code such as NL or BE")
        return code

    @field_validator("company_size", mode="before")
    @classmethod
    def _employees(cls, value: Any) -> Any:
        if value is None or isinstance(value, int):
            return value
        text = str(value).replace(".", "").replace(",", "")
        if match := _SIZE_RANGE.match(text):
            low, high = int(match.group(1)), int(match.group(2))
            return (low + high) // 2
        if match := _SIZE_PLUS.match(text):
            return int(match.group(1))
        if text.strip().isdigit():
            return int(text)
        raise ValueError("must be a number of employees, such as 400 or 201-500")

    @field_validator("consent_marketing", mode="before")
    @classmethod
    def _checkbox(cls, value: Any) -> Any:
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError("must be true, on or 1 (or false, off, 0)")

    @field_validator("anonymous_id")
    @classmethod
    def _anonymous_id(cls, value: str | None) -> str | None:
        if value is not None and not _ANON_ID.match(value):
            raise ValueError("must be 8 to 64 letters, digits or . _ : -")
        return value

    @field_validator("lang", mode="before")
    @classmethod
    def _language_tag(cls, value: Any) -> Any:
        # A page's language is a hint, never a reason to refuse a lead: junk is dropped.
        if value is None or not _LANGUAGE_TAG.fullmatch(str(value).strip()):
            return None
        return str(value).strip()

    @field_validator("page_url", "referrer")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("rendered_at", mode="before")
    @classmethod
    def _rendered_at(cls, value: Any) -> Any:
        """Epoch milliseconds (what the tracker writes), epoch seconds, or ISO 8601."""
        if value is None:
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            try:
                parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
            except ValueError:
                raise ValueError("must be epoch milliseconds or an ISO 8601 time") from None
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()
        return number / 1000.0 if number > 1e11 else number

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"[0-9+()./ \-]{5,40}", value):
            raise ValueError("must be a phone number (digits, spaces, + ( ) - . /)")
        return value

    def normalised_phone(self) -> str | None:
        """The phone in E.164 where it parses (country, else NL, as the default region)."""
        if not self.phone:
            return None
        import phonenumbers

        try:
            number = phonenumbers.parse(self.phone, self.country or "NL")
        except phonenumbers.NumberParseException:
            return self.phone
        if not phonenumbers.is_valid_number(number):
            return self.phone
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def profile(self) -> dict[str, Any]:
        """The profile fields this submission carries (empty ones left out)."""
        fields = {
            "email": self.email,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "company": self.company,
            "job_title": self.job_title,
            "phone": self.normalised_phone(),
            "country": self.country,
            "company_size": self.company_size,
            "industry": self.industry,
        }
        return {name: value for name, value in fields.items() if value not in (None, "")}

    def utm(self) -> dict[str, str]:
        names = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
        return {name: value for name in names if (value := getattr(self, name))}


def _field_name(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def errors_from_validation(error: ValidationError, prefix: str = "") -> list[FieldError]:
    """Turn pydantic's errors into field errors with readable messages."""
    problems = []
    for item in error.errors(include_url=False):
        name = _field_name(tuple(item["loc"]))
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required"
        problems.append(FieldError(field=f"{prefix}{name}", message=message))
    return problems


def parse_submission(raw: Mapping[str, Any], form: FormDefinition) -> FormSubmission:
    """Validate a raw submission against the contract and the form's required fields.

    Raises
    ------
    InvalidInput
        naming every bad or missing field at once.
    """
    problems: list[FieldError] = []
    submission: FormSubmission | None = None
    try:
        submission = FormSubmission.model_validate(dict(raw))
    except ValidationError as error:
        problems.extend(errors_from_validation(error))
    named = {p.field for p in problems}
    for required in form.required_fields:
        if required in named:
            continue
        value = _text(raw.get(required))
        if value is None or value == "":
            problems.append(FieldError(field=required, message="is required"))
    if problems or submission is None:
        raise InvalidInput(problems)
    return submission
