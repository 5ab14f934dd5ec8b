"""Campaign routes for marketing (a signed-in role or ``x-api-key``): a campaign's
aggregate counts and its kill switch for tracked links.

A campaign's counters are aggregate and consent-free: every open and click of
every recipient counts there, whether or not it may be attributed to the person.
Switching a campaign's tracked links off makes every link signed for it (bulk
and personal follow-ups alike) answer 404 with no redirect, for example when a
mail went out with a wrong or harmful link.
"""

from __future__ import annotations

import re
import time

from chalice.app import Blueprint
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.api.errors import parse_model
from chalicelib.api.http import json_body
from chalicelib.api.registry import operation
from chalicelib.domain.access import MARKETING
from chalicelib.domain.errors import FieldError, InvalidInput
from chalicelib.wiring import get_services

admin = Blueprint(__name__)

CAMPAIGN_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
#: Personal follow-up links of a campaign are signed as ``p:<campaign_id>``.
_PERSONAL_PREFIX = "p:"
_COUNTERS = ("opens", "clicks", "machine_opens", "machine_clicks")


class CampaignSettings(BaseModel):
    """What an operator may change about a campaign."""

    model_config = ConfigDict(extra="forbid")

    tracked_links_enabled: bool = Field(
        description="false: every tracked link of the campaign answers 404, no redirect."
    )


class CampaignView(BaseModel):
    """A campaign's aggregate counts (every recipient, with or without consent)."""

    model_config = ConfigDict(extra="forbid")

    campaign_id: str
    tracked_links_enabled: bool
    opens: int = Field(description="Open-pixel hits by people.")
    clicks: int = Field(description="Tracked-link clicks by people.")
    machine_opens: int = Field(description="Open-pixel hits by mail scanners and proxies.")
    machine_clicks: int = Field(description="Link hits by scanners and bots.")


def _campaign_id(value: str) -> str:
    if not re.fullmatch(CAMPAIGN_ID_PATTERN, value):
        raise InvalidInput([FieldError("campaign_id", "1 to 128 of A-Z, a-z, 0-9 and . _ : -")])
    return value


def _view(campaign_id: str) -> CampaignView:
    leads = get_services().leads
    bulk = leads.campaign(campaign_id)
    personal = leads.campaign(_PERSONAL_PREFIX + campaign_id)
    counts = {name: int(bulk.get(name, 0)) + int(personal.get(name, 0)) for name in _COUNTERS}
    return CampaignView(
        campaign_id=campaign_id,
        tracked_links_enabled=not bulk.get("disabled", False),
        **counts,
    )


@operation(
    admin,
    "/v1/campaigns/{campaign_id}",
    "GET",
    summary="A campaign's aggregate opens and clicks, and whether its links work",
    tag="campaigns",
    roles=MARKETING,
    responses={200: ("The campaign.", CampaignView)},
)
def get_campaign(campaign_id: str) -> dict[str, object]:
    return _view(_campaign_id(campaign_id)).model_dump()


@operation(
    admin,
    "/v1/campaigns/{campaign_id}",
    "POST",
    summary="Switch a campaign's tracked links off (404, no redirect) or on again",
    tag="campaigns",
    roles=MARKETING,
    request=CampaignSettings,
    responses={200: ("The campaign after the change.", CampaignView)},
)
def update_campaign(campaign_id: str) -> dict[str, object]:
    campaign_id = _campaign_id(campaign_id)
    change = parse_model(CampaignSettings, json_body(admin.current_request))
    leads = get_services().leads
    disabled = not change.tracked_links_enabled
    for signed_as in (campaign_id, _PERSONAL_PREFIX + campaign_id):
        leads.set_campaign_disabled(signed_as, disabled)
    leads.audit(
        "campaign_links_disabled" if disabled else "campaign_links_enabled",
        "-",
        {"campaign_id": campaign_id},
        time.time(),
    )
    return _view(campaign_id).model_dump()
