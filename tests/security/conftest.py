"""Fixtures for the privacy and security tests.

- ``security_stack``: `make run`'s local stack, started for these tests alone, so the
  fuzzer's and the bursts' traffic spends neither the shared stack's rate limits nor
  fills its lead lists. The per-network limit is raised for the fuzzer (all its
  requests come from 127.0.0.1); the per-form limit keeps its default.
- ``in_process``: the Chalice app in-process on DynamoDB under moto, with settings of
  the test's choosing (API keys, limits, secrets).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import LocalStackHandle, running_local_stack
from tests.support import BROWSER_UA

SECURITY_API_KEY = "security-suite-key-5f0c"
IN_PROCESS_API_KEY = "in-process-key-91ad"
ORIGIN = "https://kb.example.nl"


@pytest.fixture(scope="session")
def security_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackHandle]:
    """A local stack of the security tests' own, started as `make run` starts it."""
    with running_local_stack(
        tmp_path_factory.mktemp("security-stack"),
        SECURITY_API_KEY,
        {"RATE_LIMIT_PER_IP_PER_MINUTE": "1000000"},
    ) as handle:
        yield handle


class InProcessApp:
    """The Chalice app through ``chalice.test.Client``; stream batches delivered by hand."""

    def __init__(self, module: Any, client: Any, dynamodb: Any, names: dict[str, str]) -> None:
        self.module = module
        self.client = client
        self.dynamodb = dynamodb
        self.names = names
        self._delivered: set[tuple[str, str]] = set()

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        content_type: str = "application/json",
        **headers: str,
    ) -> Any:
        data = json.dumps(body) if isinstance(body, dict | list) else body
        all_headers = {"user-agent": BROWSER_UA, **headers}
        if data is not None:
            all_headers.setdefault("content-type", content_type)
        call = getattr(self.client.http, method.lower())
        if data is None:
            return call(path, headers=all_headers)
        return call(path, headers=all_headers, body=data)

    def sales(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        return self.request(method, path, body, **{"x-api-key": IN_PROCESS_API_KEY, **headers})

    def scan(self, table: str) -> list[dict[str, Any]]:
        from chalicelib.adapters.attributes import from_item

        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"TableName": self.names[table]}
        while True:
            answer = self.dynamodb.scan(**kwargs)
            items += [from_item(i) for i in answer["Items"]]
            if "LastEvaluatedKey" not in answer:
                return items
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def score_new_events(self) -> None:
        """Give events written since the last call to the real score_events handler."""
        from infra.local_stack import FakeLambdaContext
        from tests.support import stream_record

        fresh = [i for i in self.scan("events") if (i["pk"], i["sk"]) not in self._delivered]
        fresh.sort(key=lambda i: i["received_at"])
        self._delivered.update((i["pk"], i["sk"]) for i in fresh)
        if fresh:
            self.module.score_events(
                {"Records": [stream_record(i) for i in fresh]}, FakeLambdaContext("score_events")
            )


@contextlib.contextmanager
def in_process(**settings: str) -> Iterator[InProcessApp]:
    """The app on fresh moto tables; ``settings`` are environment variables (API_KEYS=...)."""
    from moto import mock_aws

    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "TRECHTER_STAGE": "sectest",
        "API_KEYS": IN_PROCESS_API_KEY,
        "LINK_SIGNING_SECRETS": "in-process-signing-secret-0001",
        "ALLOWED_ORIGINS": ORIGIN,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        **settings,
    }
    saved = {k: os.environ.get(k) for k in [*env, "AWS_ENDPOINT_URL", "LEADS_TABLE"]}
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(env)
    try:
        with mock_aws():
            import boto3
            from chalice.test import Client

            from chalicelib.adapters.aws import reset_clients
            from chalicelib.services.container import get_services
            from chalicelib.settings import get_settings
            from infra.definitions import dynamodb_tables, table_names

            reset_clients()
            get_settings.cache_clear()
            get_services.cache_clear()
            dynamodb = boto3.client("dynamodb", region_name="eu-west-1")
            for kwargs in dynamodb_tables("sectest"):
                dynamodb.create_table(**kwargs)
            names = table_names("sectest")
            os.environ.update(
                {
                    "LEADS_TABLE": names["leads"],
                    "EVENTS_TABLE": names["events"],
                    "QUARANTINE_TABLE": names["quarantine"],
                    "IDEMPOTENCY_TABLE": names["idempotency"],
                    "HOT_LEADS_TOPIC_ARN": "",
                }
            )
            import app as app_module

            try:
                with Client(app_module.app) as client:
                    yield InProcessApp(app_module, client, dynamodb, names)
            finally:
                reset_clients()
                get_settings.cache_clear()
                get_services.cache_clear()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def app_in_process() -> Iterator[InProcessApp]:
    with in_process() as app:
        yield app


@contextlib.contextmanager
def captured_logs() -> Iterator[io.StringIO]:
    """Everything Trechter's loggers write, as written (Powertools JSON), plus root records.

    The Powertools handler's stream is swapped for a buffer; a plain handler on the
    root logger catches what other libraries log, with the level Lambda uses.
    """
    from chalicelib.observability import SERVICE, protect

    buffer = io.StringIO()
    service_logger = logging.getLogger(SERVICE)
    swapped = []
    for handler in service_logger.handlers:
        if isinstance(handler, logging.StreamHandler):
            swapped.append((handler, handler.setStream(buffer)))
    root_handler = logging.StreamHandler(buffer)
    root_handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    protect(root_handler)  # as the Lambda runtime's root handler is at import
    logging.getLogger().addHandler(root_handler)
    try:
        yield buffer
    finally:
        logging.getLogger().removeHandler(root_handler)
        for handler, stream in swapped:
            handler.setStream(stream)


@contextlib.contextmanager
def client_address(address: str) -> Iterator[None]:
    """Requests through ``chalice.test.Client`` come from this address (API Gateway's sourceIp)."""
    from chalice.local import LambdaEventConverter

    previous = LambdaEventConverter.LOCAL_SOURCE_IP
    LambdaEventConverter.LOCAL_SOURCE_IP = address
    try:
        yield
    finally:
        LambdaEventConverter.LOCAL_SOURCE_IP = previous
