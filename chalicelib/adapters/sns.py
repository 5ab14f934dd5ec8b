"""The hot-lead topic on SNS."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient


class SnsPublisher:
    """Publishes JSON messages with typed message attributes (for filter policies)."""

    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def publish(
        self, message: Mapping[str, Any], attributes: Mapping[str, str | float], subject: str
    ) -> str:
        message_attributes: dict[str, Any] = {}
        for name, value in attributes.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                message_attributes[name] = {"DataType": "Number", "StringValue": str(value)}
            elif value not in (None, ""):
                message_attributes[name] = {"DataType": "String", "StringValue": str(value)}
        answer = self._client.publish(
            TopicArn=self._topic_arn,
            Message=json.dumps(message, ensure_ascii=False, separators=(",", ":")),
            Subject=_sns_subject(subject),
            MessageAttributes=message_attributes,
        )
        return answer["MessageId"]


def _sns_subject(text: str) -> str:
    """SNS subjects must be printable ASCII, one line, under 100 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^\x20-\x7e]", " ", ascii_text).strip()[:99] or "Trechter notification"
