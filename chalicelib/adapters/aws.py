"""boto3 clients, created lazily and cached per process.

Lazy so that importing a Lambda module costs nothing (cold start) and so that
moto's ``mock_aws`` catches the clients tests create. ``AWS_ENDPOINT_URL`` (read
by botocore itself) points them at the local emulator.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_ssm import SSMClient


@cache
def _config() -> Any:
    from botocore.config import Config

    return Config(
        retries={"max_attempts": 4, "mode": "standard"},
        connect_timeout=2,
        read_timeout=5,
        tcp_keepalive=True,
    )


@cache
def dynamodb_client(region: str) -> DynamoDBClient:
    import boto3

    return boto3.client("dynamodb", region_name=region, config=_config())


@cache
def sns_client(region: str) -> SNSClient:
    import boto3

    return boto3.client("sns", region_name=region, config=_config())


@cache
def events_client(region: str) -> EventBridgeClient:
    import boto3

    return boto3.client("events", region_name=region, config=_config())


@cache
def ssm_client(region: str) -> SSMClient:
    import boto3

    return boto3.client("ssm", region_name=region, config=_config())


def reset_clients() -> None:
    """Forget cached clients (tests start each moto context with fresh ones)."""
    dynamodb_client.cache_clear()
    sns_client.cache_clear()
    ssm_client.cache_clear()
    events_client.cache_clear()
