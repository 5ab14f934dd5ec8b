"""The hot-lead topics on SNS: one for machines and e-mail, one for chat (AWS Chatbot)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalicelib.observability import logger

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

#: Subscriber protocols that receive the JSON message itself.
JSON_PROTOCOLS = ("default", "sqs", "lambda", "http", "https")


def _compact(value: Mapping[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def message_structure(message: Mapping[str, Any], email_text: str = "") -> str:
    """The ``Message`` of a ``MessageStructure="json"`` publish: JSON for machines, text
    for e-mail (``email`` and ``email-json`` keep the JSON when no text is given)."""
    body = _compact(message)
    per_protocol = dict.fromkeys(JSON_PROTOCOLS, body)
    per_protocol["email"] = email_text or body
    per_protocol["email-json"] = body
    return json.dumps(per_protocol, ensure_ascii=False)


class SnsPublisher:
    """Publishes per-protocol messages with typed message attributes (for filter policies)."""

    def __init__(self, client: SNSClient, topic_arn: str, chat_topic_arn: str = "") -> None:
        self._client = client
        self._topic_arn = topic_arn
        self._chat_topic_arn = chat_topic_arn

    def publish(
        self,
        message: Mapping[str, Any],
        attributes: Mapping[str, str | float],
        subject: str,
        email_text: str = "",
        chat: Mapping[str, Any] | None = None,
    ) -> str:
        message_attributes: dict[str, Any] = {}
        for name, value in attributes.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                message_attributes[name] = {"DataType": "Number", "StringValue": str(value)}
            elif value not in (None, ""):
                message_attributes[name] = {"DataType": "String", "StringValue": str(value)}
        answer = self._client.publish(
            TopicArn=self._topic_arn,
            Message=message_structure(message, email_text),
            MessageStructure="json",
            Subject=_sns_subject(subject),
            MessageAttributes=message_attributes,
        )
        if chat is not None and self._chat_topic_arn:
            # Chat is a copy for people: the announcement is the first publish, and a
            # failed copy must not make the stream retry (and announce twice).
            try:
                self._client.publish(
                    TopicArn=self._chat_topic_arn,
                    Message=_compact(chat),
                    MessageAttributes=message_attributes,
                )
            except Exception:
                logger.exception("the chat copy of a hot lead was not published")
        return answer["MessageId"]


def _sns_subject(text: str) -> str:
    """SNS subjects must be printable ASCII, one line, under 100 characters."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^\x20-\x7e]", " ", ascii_text).strip()[:99] or "Trechter notification"
