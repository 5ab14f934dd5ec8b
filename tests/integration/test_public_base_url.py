"""PUBLIC_BASE_URL (a custom domain) is used for every URL Trechter generates."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

KB = "https://kb.example.nl"


@pytest.fixture
def custom_domain(harness, monkeypatch):
    from chalicelib.services.container import get_services
    from chalicelib.settings import get_settings

    monkeypatch.setenv("PUBLIC_BASE_URL", "https://t.example.nl/")
    get_settings.cache_clear()
    get_services.cache_clear()
    yield harness
    get_settings.cache_clear()
    get_services.cache_clear()


def _links(harness):
    created = harness.sales(
        "POST",
        "/v1/tracking-links",
        {
            "email": "jan@acme.nl",
            "campaign_id": "nov",
            "message_id": "m-1",
            "links": [f"{KB}/pricing"],
        },
    )
    assert created.status_code == 201
    return json.loads(created.body)


def test_tracked_links_and_open_pixels_use_the_public_base_url_when_it_is_set(custom_domain):
    links = _links(custom_domain)
    generated = [links["open_pixel_url"], *links["links"].values()]
    for url in generated:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("https", "t.example.nl")
        assert parts.path.startswith(("/v1/t/o/", "/v1/t/c/"))
    # The generated paths are the API's own: the click still redirects.
    click = custom_domain.get(urlsplit(links["links"][f"{KB}/pricing"]).path)
    assert click.status_code == 302
    assert click.headers["Location"] == f"{KB}/pricing"


def test_without_a_public_base_url_links_use_the_host_the_caller_reached(harness):
    links = _links(harness)
    assert urlsplit(links["open_pixel_url"]).netloc != "t.example.nl"
    assert urlsplit(links["open_pixel_url"]).path.startswith("/v1/t/o/")
