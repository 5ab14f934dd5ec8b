"""The lead list narrowed by country, channel and company, across pages."""

from __future__ import annotations

from chalicelib.schemas import LeadListFilter
from tests.support import world


def _people(w, n: int) -> None:
    for i in range(n):
        country = "NL" if i % 3 else "BE"
        company = "Acme" if i % 2 else "Globex"
        person = {
            "email": f"p{i}@{company.lower()}-{i}.nl",
            "first_name": f"P{i}",
            "company": company,
            "country": country,
        }
        if i % 4 == 0:
            person["phone"] = "+31612345678"
        w.services.capture.submit_form("whitepaper", person, w.ctx())
    w.pump()


def test_a_filtered_list_reads_on_until_the_page_is_full_and_matches_every_field():
    # Given 30 leads in two countries at two companies
    w = world()
    _people(w, 30)
    where = LeadListFilter(country="be", company="glob")
    everyone = w.services.sales.list_leads("lead", None, 100, None).items
    expected = [s.lead_id for s in everyone if where.matches(s)]
    assert expected, "the fixture has Belgian Globex leads"
    # When the list is read 2 at a time with the filter
    seen, cursor = [], None
    for _ in range(30):
        page = w.services.sales.list_leads("lead", None, 2, cursor, where)
        assert len(page.items) <= 2
        seen += [s.lead_id for s in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    # Then exactly the matching leads come, each once, highest score first as unfiltered
    assert seen == expected
    assert all(s.country == "BE" and s.company == "Globex" for s in everyone if s.lead_id in seen)


def test_no_filter_is_the_plain_list():
    w = world()
    _people(w, 5)
    plain = w.services.sales.list_leads("lead", None, 10, None)
    assert w.services.sales.list_leads("lead", None, 10, None, LeadListFilter()) == plain


def test_a_channel_filter_keeps_only_that_advised_channel():
    w = world()
    _people(w, 12)
    email_only = w.services.sales.list_leads(
        "lead", None, 100, None, LeadListFilter(channel="email")
    )
    assert email_only.items
    assert {s.recommended_channel for s in email_only.items} == {"email"}
