"""The Chalice app in-process (chalice.test.Client) on DynamoDB and SNS under moto."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local_stack import FakeLambdaContext
from tests.support import BROWSER_UA, stream_record

API_KEY = "integration-key"
WRITE_KEY = "integration-write-key"
ORIGIN = "https://kb.example.nl"


class AppHarness:
    def __init__(self, app_module: Any, client: Any, dynamodb: Any, names: dict[str, str]) -> None:
        self.module = app_module
        self.client = client
        self.dynamodb = dynamodb
        self.names = names
        self._seen: set[tuple[str, str]] = set()
        self._lead_images: dict[tuple[str, str], dict[str, Any]] = {}

    def get(self, path: str, **headers: str) -> Any:
        return self.client.http.get(path, headers={"user-agent": BROWSER_UA, **headers})

    def post(
        self, path: str, body: Any, content_type: str = "application/json", **headers: str
    ) -> Any:
        data = json.dumps(body) if isinstance(body, dict | list) else body
        all_headers = {"user-agent": BROWSER_UA, "content-type": content_type, **headers}
        return self.client.http.post(path, body=data, headers=all_headers)

    def sales(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"x-api-key": API_KEY, "content-type": "application/json"}
        call = getattr(self.client.http, method.lower())
        if body is None:
            return call(path, headers=headers)
        return call(path, headers=headers, body=json.dumps(body))

    def _scan(self, table: str) -> list[dict[str, Any]]:
        from chalicelib.adapters.attributes import from_item

        items, kwargs = [], {"TableName": table}
        while True:
            answer = self.dynamodb.scan(**kwargs)
            items += [from_item(i) for i in answer["Items"]]
            if "LastEvaluatedKey" not in answer:
                return items
            kwargs["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def pump(self, rounds: int = 5) -> list[dict[str, Any]]:
        """Deliver new items as Lambda stream batches to the real handlers; their answers."""
        answers = []
        for _ in range(rounds):
            events = [
                i for i in self._scan(self.names["events"]) if (i["pk"], i["sk"]) not in self._seen
            ]
            events.sort(key=lambda i: i["received_at"])
            for item in events:
                self._seen.add((item["pk"], item["sk"]))
            if events:
                answers.append(
                    self.module.score_events(
                        {"Records": [stream_record(i) for i in events]},
                        FakeLambdaContext("score_events"),
                    )
                )
            records = []
            for item in self._scan(self.names["leads"]):
                key = (item["pk"], item["sk"])
                if (
                    item["sk"] != "PROFILE"
                    or not item.get("lead_id")
                    or self._lead_images.get(key) == item
                ):
                    continue
                old = self._lead_images.get(key)
                self._lead_images[key] = item
                records.append(
                    stream_record(item, old, "MODIFY" if old else "INSERT", at=time.time())
                )
            if records:
                # The leads stream's two readers: the notifier, and the funnel's hit counter.
                answers.append(
                    self.module.notify_hot_leads(
                        {"Records": records}, FakeLambdaContext("notify_hot_leads")
                    )
                )
                answers.append(
                    self.module.count_hits({"Records": records}, FakeLambdaContext("count_hits"))
                )
            if not events and not records:
                break
        return answers


@pytest.fixture
def harness() -> Iterator[AppHarness]:
    from moto import mock_aws

    env = {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "TRECHTER_STAGE": "test",
        "API_KEYS": f"{API_KEY},second-key",
        "LINK_SIGNING_SECRETS": "integration-signing-secret-123",
        "ALLOWED_ORIGINS": ORIGIN,
        "SEGMENT_WRITE_KEYS": f"other-source-key,{WRITE_KEY}",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
    saved = {k: os.environ.get(k) for k in [*env, "AWS_ENDPOINT_URL"]}
    os.environ.pop("AWS_ENDPOINT_URL", None)
    os.environ.update(env)
    with mock_aws():
        import boto3
        from chalice.test import Client

        from chalicelib.adapters.aws import reset_clients
        from chalicelib.services.container import get_services
        from chalicelib.settings import get_settings
        from infra.definitions import dynamodb_tables, table_names, topic_names

        reset_clients()
        get_settings.cache_clear()
        get_services.cache_clear()
        dynamodb = boto3.client("dynamodb", region_name="eu-west-1")
        for kwargs in dynamodb_tables("test"):
            dynamodb.create_table(**kwargs)
        names = table_names("test")
        sns = boto3.client("sns", region_name="eu-west-1")
        topic = sns.create_topic(Name=topic_names("test")["hot_leads"])["TopicArn"]
        sqs = boto3.client("sqs", region_name="eu-west-1")
        queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        os.environ.update(
            {
                "LEADS_TABLE": names["leads"],
                "EVENTS_TABLE": names["events"],
                "QUARANTINE_TABLE": names["quarantine"],
                "IDEMPOTENCY_TABLE": names["idempotency"],
                "HOT_LEADS_TOPIC_ARN": topic,
            }
        )
        import app as app_module

        with Client(app_module.app) as client:
            harness = AppHarness(app_module, client, dynamodb, names)
            harness.sqs = sqs  # type: ignore[attr-defined]
            harness.inbox = queue  # type: ignore[attr-defined]
            yield harness
        reset_clients()
        get_settings.cache_clear()
        get_services.cache_clear()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


PASSWORD = "Local-dev-password-1"


@pytest.fixture
def signed_in(harness: AppHarness) -> dict[str, str]:
    """A user pool with the three groups, one user per role; their ID tokens."""
    import boto3
    from moto.cognitoidp.responses import load_resource

    from chalicelib.adapters.cognito import CognitoTokens, pool_issuer
    from chalicelib.services.container import get_services

    idp = boto3.client("cognito-idp", region_name="eu-west-1")
    pool = idp.create_user_pool(PoolName="console", UsernameAttributes=["email"])["UserPool"]["Id"]
    client = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="console", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    tokens = {}
    for role in ("sales", "marketing", "admin"):
        idp.create_group(UserPoolId=pool, GroupName=role)
        email = f"{role}@trechter.local"
        idp.admin_create_user(UserPoolId=pool, Username=email, TemporaryPassword=PASSWORD)
        idp.admin_set_user_password(
            UserPoolId=pool, Username=email, Password=PASSWORD, Permanent=True
        )
        idp.admin_add_user_to_group(UserPoolId=pool, Username=email, GroupName=role)
        answer = idp.initiate_auth(
            ClientId=client,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
        )
        tokens[role] = answer["AuthenticationResult"]["IdToken"]
        tokens[f"{role}-access"] = answer["AuthenticationResult"]["AccessToken"]
    public_keys = load_resource("cognitoidp/resources/jwks-public.json")
    get_services().users = CognitoTokens(
        pool_issuer("eu-west-1", pool), (client,), "emulated", lambda url: public_keys
    )
    return tokens
