"""Form submissions: every field validated and normalised, every problem named."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.forms import FormDefinition, FormKind
from chalicelib.domain.submissions import parse_submission

WHITEPAPER = FormDefinition(form_id="whitepaper", kind=FormKind.WHITEPAPER_DOWNLOAD, title="W")
DEMO = FormDefinition(
    form_id="demo",
    kind=FormKind.DEMO_REQUEST,
    title="Demo",
    required_fields=("email", "first_name", "last_name", "company"),
)


def fields_of(error: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return {problem.field for problem in error.value.errors}


def test_email_domain_is_lower_cased_and_local_part_kept():
    submission = parse_submission({"email": "  Jan.Jansen@ACME.NL "}, WHITEPAPER)
    assert submission.email == "Jan.Jansen@acme.nl"


def test_invalid_email_is_named():
    with pytest.raises(InvalidInput) as error:
        parse_submission({"email": "jan@"}, WHITEPAPER)
    assert fields_of(error) == {"email"}


def test_every_bad_field_is_named_at_once():
    with pytest.raises(InvalidInput) as error:
        parse_submission(
            {
                "email": "x",
                "country": "Netherlands",
                "company_size": "lots",
                "consent_marketing": "maybe",
            },
            WHITEPAPER,
        )
    assert fields_of(error) == {"email", "country", "company_size", "consent_marketing"}


def test_missing_required_fields_of_the_form_are_named():
    with pytest.raises(InvalidInput) as error:
        parse_submission({"email": "jan@acme.nl", "first_name": " "}, DEMO)
    assert fields_of(error) == {"first_name", "last_name", "company"}


def test_phone_is_normalised_to_e164_with_the_country_as_region():
    submission = parse_submission(
        {"email": "a@acme.nl", "phone": "06 12345678", "country": "nl"}, WHITEPAPER
    )
    assert submission.country == "NL"
    assert submission.profile()["phone"] == "+31612345678"


def test_phone_that_does_not_parse_is_kept_as_given():
    submission = parse_submission({"email": "a@acme.nl", "phone": "12345"}, WHITEPAPER)
    assert submission.profile()["phone"] == "12345"


@pytest.mark.parametrize(
    ("given", "employees"), [("400", 400), ("201-500", 350), ("1000+", 1000), (75, 75)]
)
def test_company_size_accepts_numbers_and_ranges(given, employees):
    assert (
        parse_submission({"email": "a@acme.nl", "company_size": given}, WHITEPAPER).company_size
        == employees
    )


@pytest.mark.parametrize(
    ("given", "consent"), [("on", True), ("true", True), ("1", True), ("", False), (None, False)]
)
def test_consent_checkbox_values(given, consent):
    assert (
        parse_submission(
            {"email": "a@acme.nl", "consent_marketing": given}, WHITEPAPER
        ).consent_marketing
        is consent
    )


def test_overlong_field_is_refused_with_its_name():
    with pytest.raises(InvalidInput) as error:
        parse_submission({"email": "a@acme.nl", "first_name": "x" * 101}, WHITEPAPER)
    assert fields_of(error) == {"first_name"}


def test_unknown_fields_are_ignored_not_stored():
    submission = parse_submission(
        {"email": "a@acme.nl", "submit": "Send", "gclid": "x"}, WHITEPAPER
    )
    assert "submit" not in submission.profile()


def test_rendered_at_in_milliseconds_becomes_seconds():
    assert (
        parse_submission(
            {"email": "a@acme.nl", "rendered_at": "1795000000000"}, WHITEPAPER
        ).rendered_at
        == 1_795_000_000.0
    )
