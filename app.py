"""Trechter's Chalice app: the HTTP API, the two stream handlers and the quiet sweep.

Routes live in ``chalicelib/api``; rules live in ``chalicelib/domain`` and the
services. This file only wires them together.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from chalice.app import (
    Chalice,
    CloudWatchEvent,
    ConvertToMiddleware,
    DynamoDBEvent,
    Rate,
    Request,
    Response,
)

from chalicelib.api import streams
from chalicelib.api.access import guard
from chalicelib.api.adaptive import adaptive
from chalicelib.api.admin import admin
from chalicelib.api.console import console
from chalicelib.api.errors import error_response
from chalicelib.api.http import NO_STORE, cors_headers
from chalicelib.api.public import public
from chalicelib.api.registry import find_operation
from chalicelib.api.sales import sales
from chalicelib.api.segment import segment
from chalicelib.domain.errors import TrechterError
from chalicelib.observability import logger
from chalicelib.redaction import personal_values_scope
from chalicelib.wiring import get_services

#: Resource paths whose answer is an image whatever the client's Accept header says.
PIXEL_PATHS = frozenset({"/v1/t/p.gif", "/v1/t/o/{token}"})
#: Set at deploy time from the tables (infra/); a placeholder keeps `chalice package` working.
_NO_STREAM = "arn:aws:dynamodb:eu-west-1:000000000000:table/unset/stream/1970-01-01T00:00:00.000"


class TrechterApp(Chalice):
    """Chalice, but e-mail clients' pixel requests always get their GIF.

    Chalice answers 400 to a binary response unless the request's Accept header
    names a binary type; mail clients send ``*/*``, ``image/*`` or nothing. For
    the pixel routes we accept any Accept header (API Gateway is configured with
    binary media type ``*/*`` to match, see infra/).
    """

    _per_thread = threading.local()

    # Chalice keeps the current request on the app object; the local server is
    # threaded, so each thread gets its own (one request per container in Lambda).
    @property
    def current_request(self) -> Request | None:
        return getattr(self._per_thread, "request", None)

    @current_request.setter
    def current_request(self, value: Request | None) -> None:
        self._per_thread.request = value

    @property
    def lambda_context(self) -> Any:
        return getattr(self._per_thread, "context", None)

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._per_thread.context = value

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        context_path = (event.get("requestContext") or {}).get("resourcePath")
        if context_path in PIXEL_PATHS:
            headers = {
                k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "accept"
            }
            headers["accept"] = "image/gif"
            event = {**event, "headers": headers}
        return super().__call__(event, context)


app = TrechterApp(app_name="trechter")
app.register_blueprint(public)
app.register_blueprint(sales)
app.register_blueprint(admin)
app.register_blueprint(console)
app.register_blueprint(adaptive)
app.register_blueprint(segment)
# Every log line carries the API Gateway request id as its correlation id.
app.register_middleware(
    ConvertToMiddleware(
        logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
    )
)


@app.middleware("http")
def http_boundary(request: Request, get_response: Any) -> Response:
    """Access (the roles each route declares), CORS and domain errors to HTTP, in one place."""
    with personal_values_scope():  # what this request submits stays out of the logs
        return _answer(request, get_response)


def _answer(request: Request, get_response: Any) -> Response:
    services = get_services()
    path = (request.context or {}).get("resourcePath", "")
    cors = cors_headers(request.headers.get("origin"), services.settings.allowed_origins)
    if request.method == "OPTIONS":
        return Response(body="", status_code=204 if cors else 403, headers={**cors})
    try:
        caller = guard(request, find_operation(path, request.method), services)
        response: Response = get_response(request)
    except TrechterError as error:
        return error_response(error, cors)
    response.headers.update(cors)
    if caller is not None:  # lead data: never kept by a browser or a proxy
        response.headers.update(NO_STORE)
    return response


@app.lambda_function(name="front_door")
def front_door(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The public tracking routes behind a Lambda function URL (chalicelib/api/front_door.py)."""
    from chalicelib.api.front_door import resolve
    from chalicelib.settings import get_settings

    return resolve(app, event, context, get_settings().front_door_secret)


# Stream consumers sized for 10,000 page views a second (docs/PERFORMANCE.md, "Stream
# consumers"): batch size and window here, the same in infra/template.yaml, which also sets
# ParallelizationFactor (10 for the scorer, 2 for the notifier; Chalice has no parameter).
@app.on_dynamodb_record(
    stream_arn=os.environ.get("EVENTS_STREAM_ARN", _NO_STREAM),
    batch_size=500,
    starting_position="TRIM_HORIZON",
    maximum_batching_window_in_seconds=1,
)
def score_events(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.score_batch(event.to_dict(), event.context)


@app.on_dynamodb_record(
    stream_arn=os.environ.get("LEADS_STREAM_ARN", _NO_STREAM),
    batch_size=100,
    starting_position="TRIM_HORIZON",
    maximum_batching_window_in_seconds=1,
)
def notify_hot_leads(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.notify_batch(event.to_dict(), event.context)


# The funnel's hits: the leads stream's second reader adds up what the lead writes carry,
# in batches of up to five minutes (a quiet site's page views share one counter write;
# docs/PERFORMANCE.md "Funnel hits"). The template filters it to lead items with hits.
@app.on_dynamodb_record(
    stream_arn=os.environ.get("LEADS_STREAM_ARN", _NO_STREAM),
    batch_size=1000,
    starting_position="TRIM_HORIZON",
    maximum_batching_window_in_seconds=300,
)
def count_hits(event: DynamoDBEvent) -> dict[str, Any]:
    return streams.count_hits_batch(event.to_dict(), event.context)


@app.schedule(Rate(1, unit=Rate.HOURS), name="sweep_quiet_leads")
def sweep_quiet_leads(event: CloudWatchEvent) -> dict[str, Any]:
    return streams.sweep_quiet(event.context)
