"""Authenticated routes of adaptive scoring: CRM outcomes, model versions, what-if."""

from __future__ import annotations

from chalice.app import Blueprint, Request, Response

from chalicelib.api.access import caller
from chalicelib.api.errors import parse_model
from chalicelib.api.http import json_body, media_type, query_params, raw_body
from chalicelib.api.registry import Param, operation
from chalicelib.domain.access import MARKETING
from chalicelib.domain.clock import iso
from chalicelib.domain.errors import MalformedBody, UnsupportedMediaType
from chalicelib.schemas import (
    ModelDetail,
    ModelList,
    ModelUpload,
    ModelVersionOut,
    OutcomesRequest,
    OutcomesResult,
    PromoteRequest,
    WhatIfRequest,
    WhatIfResult,
)
from chalicelib.wiring import get_services

adaptive = Blueprint(__name__)

#: 1,000 CRM rows do not fit the default 64 KiB.
MAX_OUTCOMES_BYTES = 512 * 1024
MAX_MODEL_BODY_BYTES = 256 * 1024
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")


@operation(
    adaptive,
    "/v1/outcomes",
    "POST",
    summary="Closed deals from the CRM (won or lost), up to 1,000 rows",
    tag="scoring",
    roles=MARKETING,
    request=OutcomesRequest,
    responses={200: ("Rows applied, and each rejected row with its reason.", OutcomesResult)},
)
def import_outcomes() -> dict[str, object]:
    request = adaptive.current_request
    body = parse_model(OutcomesRequest, json_body(request, limit=MAX_OUTCOMES_BYTES))
    return get_services().outcomes.import_outcomes(body).model_dump()


def _version_out(stored: object) -> ModelVersionOut:
    from chalicelib.adapters.ports import StoredModel

    assert isinstance(stored, StoredModel)
    return ModelVersionOut(
        version=stored.version,
        promoted_at=iso(stored.promoted_at) if stored.promoted_at is not None else None,
        promoted_by=stored.promoted_by,
        source=stored.source,
    )


@operation(
    adaptive,
    "/v1/scoring/models",
    "GET",
    summary="Scoring model versions and which one is active",
    tag="scoring",
    roles=MARKETING,
    responses={200: ("The versions.", ModelList)},
)
def list_models() -> dict[str, object]:
    active, versions = get_services().models.versions()
    return ModelList(active=active, items=[_version_out(v) for v in versions]).model_dump()


def _detail(version: str) -> ModelDetail:
    services = get_services()
    stored, model = services.models.get(version)
    return ModelDetail(
        version=stored.version,
        active=services.models.active_version() == stored.version,
        source=stored.source,
        created_at=iso(stored.created_at),
        created_by=stored.created_by,
        promoted_at=iso(stored.promoted_at) if stored.promoted_at is not None else None,
        promoted_by=stored.promoted_by,
        model=model.model_dump(mode="json", by_alias=True),
    )


@operation(
    adaptive,
    "/v1/scoring/models/{version}",
    "GET",
    summary="One scoring model version",
    tag="scoring",
    roles=MARKETING,
    responses={200: ("The model.", ModelDetail)},
)
def get_model(version: str) -> dict[str, object]:
    return _detail(version).model_dump()


@operation(
    adaptive,
    "/v1/scoring/models",
    "POST",
    summary="Upload a scoring model version (YAML or JSON); validated, stored, not active",
    tag="scoring",
    roles=MARKETING,
    request=ModelUpload,
    request_media=("application/json", "application/yaml"),
    responses={
        201: ("The stored version.", ModelDetail),
        409: ("This version exists with other content.", None),
    },
    query=(Param("by", "Who uploads (shown in the version list)."),),
)
def upload_model() -> Response:
    from chalicelib.services.models import model_text_of

    request = adaptive.current_request
    kind = media_type(request)
    if kind == "application/json":
        text = model_text_of(json_body(request, limit=MAX_MODEL_BODY_BYTES))
    elif kind in YAML_TYPES:
        try:
            text = raw_body(request, MAX_MODEL_BODY_BYTES).decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedBody("body: the model must be UTF-8 text") from None
    else:
        raise UnsupportedMediaType(
            f"Content-Type: '{kind or 'none'}' is not accepted here; "
            "send application/json or application/yaml"
        )
    by = _who(request, query_params(request).get("by"))
    stored = get_services().models.upload(text, source="upload", by=by)
    return Response(body=_detail(stored.version).model_dump(), status_code=201)


@operation(
    adaptive,
    "/v1/scoring/models/{version}/promote",
    "POST",
    summary="Make a version the active model (new events use it within 60 s; roll back alike)",
    tag="scoring",
    roles=MARKETING,
    request=PromoteRequest,
    responses={200: ("The promoted version.", ModelDetail)},
)
def promote_model(version: str) -> dict[str, object]:
    request = adaptive.current_request
    data = request.raw_body or b""
    body = parse_model(PromoteRequest, json_body(request)) if data.strip() else PromoteRequest()
    get_services().models.promote(version, by=_who(request, body.by))
    return _detail(version).model_dump()


@operation(
    adaptive,
    "/v1/scoring/what-if",
    "POST",
    summary="What a model would change in a period, replayed in memory (writes nothing)",
    tag="scoring",
    roles=MARKETING,
    request=WhatIfRequest,
    responses={200: ("One chunk; send next_cursor back until done.", WhatIfResult)},
)
def what_if() -> dict[str, object]:
    request = adaptive.current_request
    body = parse_model(WhatIfRequest, json_body(request, limit=MAX_MODEL_BODY_BYTES))
    return get_services().what_if.run(body).model_dump()


def _who(request: Request, given: str | None) -> str:
    """Who changes the model: a signed-in person is themselves; a machine says who, or "api"."""
    principal = caller(request)
    if not principal.machine:
        return (principal.email or principal.subject)[:200]
    return (given or "api")[:200]
