"""The OpenAPI 3 document, generated from the registered operations and pydantic models."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.api.registry import OPERATIONS, Operation
from chalicelib.schemas import ErrorBody

_ERRORS = {
    400: "The body cannot be read (not JSON, wrong shape).",
    404: "Not found.",
    413: "The body is over 64 KiB.",
    415: "The Content-Type is not accepted.",
    422: "Invalid input; `errors` names each field.",
    429: "Too many requests; see Retry-After.",
}


def _models() -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = [ErrorBody]
    for op in OPERATIONS:
        if op.request is not None:
            found.append(op.request)
        for _, model in op.responses.values():
            if isinstance(model, type) and issubclass(model, BaseModel):
                found.append(model)
    return list(dict.fromkeys(found))


def _operation(op: Operation, refs: dict[type[BaseModel], str]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": [],
        "responses": {},
    }
    for name in _path_params(op.path):
        doc["parameters"].append(
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "string", "maxLength": 4096},
            }
        )
    for param in op.query:
        doc["parameters"].append(
            {
                "name": param.name,
                "in": "query",
                "required": param.required,
                "description": param.description,
                "schema": param.schema,
            }
        )
    for param in op.headers:
        doc["parameters"].append(
            {
                "name": param.name,
                "in": "header",
                "required": param.required,
                "description": param.description,
                "schema": param.schema,
            }
        )
    if op.request is not None:
        schema = {"$ref": refs[op.request]}
        doc["requestBody"] = {
            "required": True,
            "content": {media: {"schema": schema} for media in op.request_media},
        }
    for status, (description, model) in sorted(op.responses.items()):
        response: dict[str, Any] = {"description": description}
        if isinstance(model, type):
            response["content"] = {"application/json": {"schema": {"$ref": refs[model]}}}
        elif model == "gif":
            response["content"] = {"image/gif": {"schema": {"type": "string", "format": "binary"}}}
        doc["responses"][str(status)] = response
    error_ref = {"application/json": {"schema": {"$ref": refs[ErrorBody]}}}
    codes = set(_ERRORS) if op.request is not None else {404, 422, 429}
    if op.authenticated:
        # Either credential: the API key (machine clients) or a user pool token (people).
        doc["security"] = [{"ApiKey": []}, {"CognitoUser": []}]
        doc["x-roles"] = [role.value for role in op.roles]
        doc["responses"]["401"] = {
            "description": "Missing or wrong x-api-key or bearer token.",
            "content": error_ref,
        }
        doc["responses"]["403"] = {
            "description": f"Signed in without a role allowed here ({', '.join(op.roles)}).",
            "content": error_ref,
        }
    for status in sorted(codes):
        doc["responses"].setdefault(
            str(status), {"description": _ERRORS[status], "content": error_ref}
        )
    return doc


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


@cache
def openapi_document() -> dict[str, Any]:
    """The whole HTTP API as OpenAPI 3.1, built once per process."""
    models = _models()
    _, schemas = models_json_schema(
        [(m, "validation") for m in models], ref_template="#/components/schemas/{model}"
    )
    refs = {m: f"#/components/schemas/{m.__name__}" for m in models}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Trechter",
            "version": "1",
            "description": (
                "Lead capture, tracking and explainable scoring for B2B marketing and sales."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {
                "ApiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"},
                "CognitoUser": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": (
                        "An ID or access token of the Cognito user pool; its cognito:groups "
                        "(sales, marketing, admin) are the roles. x-roles on an operation "
                        "lists the roles it allows."
                    ),
                },
            },
        },
    }
