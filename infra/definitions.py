"""What the local stack needs to know about the AWS resources, read from infra/template.yaml.

The CloudFormation template is the one source of truth: the local stack creates its
tables, topics and queues from these functions, so local and deployed resources cannot
drift apart. Every function takes the stage (``dev``, ``prod``, ``local``...) and returns
names with the stage substituted.

    >>> from infra import definitions
    >>> for kwargs in definitions.dynamodb_tables("dev"):
    ...     dynamodb.create_table(**kwargs)
    >>> for table, attribute in definitions.ttl_attributes("dev").items():
    ...     dynamodb.update_time_to_live(TableName=table, TimeToLiveSpecification={
    ...         "Enabled": True, "AttributeName": attribute})
    >>> definitions.topic_names("dev")["hot_leads"]
    'trechter-dev-hot-leads'
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INFRA_TEMPLATE = PROJECT_ROOT / "infra" / "template.yaml"

# Local only: the queue the local stack subscribes to the hot-leads topic to stand in for
# sales (CONTRACT section 2). In AWS, sales subscribes its own endpoints (docs/DEPLOY.md).
SALES_INBOX_QUEUE = "trechter-{stage}-sales-inbox"

# The keys each resource is known by in this module's answers.
TABLES = {
    "leads": "LeadsTable",
    "events": "EventsTable",
    "quarantine": "QuarantineTable",
    "idempotency": "IdempotencyTable",
}
TOPICS = {"hot_leads": "HotLeadsTopic", "alarms": "AlarmTopic"}
#: The chat copy of the hot leads (AWS Chatbot's format); its name ends in ``-chat``.
CHAT_TOPIC = "HotLeadsChatTopic"
# Local only: the queue the local stack's rule delivers every lifecycle event to (printed).
LIFECYCLE_INBOX_QUEUE = "trechter-{stage}-lifecycle-inbox"
QUEUES = {
    "score_events_failures": "ScoreEventsFailureQueue",
    "notify_hot_leads_failures": "NotifyHotLeadsFailureQueue",
    "count_hits_failures": "CountHitsFailureQueue",
}

# Pseudo parameters, resolved to what the local emulator uses.
_PSEUDO_PARAMETERS = {
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "123456789012",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "trechter",
    "AWS::NoValue": None,
}


class UnresolvableError(ValueError):
    """A template value depends on something only CloudFormation knows (an attribute)."""


class _CloudFormationLoader(yaml.SafeLoader):
    """A SafeLoader that reads CloudFormation's short tags into their long form."""


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = tag_suffix if tag_suffix in ("Ref", "Condition") else f"Fn::{tag_suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag_suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _construct_tag)


@lru_cache(maxsize=4)
def _load(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        document = yaml.load(handle, Loader=_CloudFormationLoader)  # noqa: S506 - a SafeLoader
    if not isinstance(document, dict) or "Resources" not in document:
        raise ValueError(f"{path} is not a CloudFormation template")
    return document


def load_template(path: Path = INFRA_TEMPLATE) -> dict[str, Any]:
    """The template as plain data, short tags in long form (``!Ref X`` -> ``{"Ref": "X"}``)."""
    return copy.deepcopy(_load(path))


class _Resolver:
    """Evaluates the intrinsic functions that can be known before deployment."""

    def __init__(self, template: dict[str, Any], parameters: dict[str, Any]) -> None:
        self._template = template
        self._values: dict[str, Any] = dict(_PSEUDO_PARAMETERS)
        for name, spec in template.get("Parameters", {}).items():
            if "Default" in spec:
                self._values[name] = spec["Default"]
        self._values.update(parameters)
        self._conditions: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            self._conditions[name] = bool(self.resolve(self._template["Conditions"][name]))
        return self._conditions[name]

    def _sub(self, text: str, variables: dict[str, Any]) -> str:
        out, rest = [], text
        while "${" in rest:
            before, _, after = rest.partition("${")
            name, _, rest = after.partition("}")
            out.append(before)
            if name.startswith("!"):  # ${!Literal} stays literal
                out.append("${" + name[1:] + "}")
            elif name in variables:
                out.append(str(variables[name]))
            elif name in self._values:
                out.append(str(self._values[name]))
            else:
                raise UnresolvableError(f"${{{name}}}")
        out.append(rest)
        return "".join(out)

    def resolve(self, node: Any) -> Any:
        """``node`` with every intrinsic evaluated; raises UnresolvableError when one can't be."""
        if isinstance(node, list):
            return [self.resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, value),) = node.items()
            if key == "Ref":
                if value not in self._values:
                    raise UnresolvableError(f"Ref {value}")
                return self._values[value]
            if key == "Fn::Sub":
                if isinstance(value, list):
                    text, variables = value[0], self.resolve(value[1])
                else:
                    text, variables = value, {}
                return self._sub(text, variables)
            if key == "Fn::If":
                name, when_true, when_false = value
                return self.resolve(when_true if self.condition(name) else when_false)
            if key == "Fn::Equals":
                left, right = self.resolve(value)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self.resolve(value[0])
            if key == "Fn::And":
                return all(self.resolve(item) for item in value)
            if key == "Fn::Or":
                return any(self.resolve(item) for item in value)
            if key == "Condition":
                return self.condition(value)
            if key == "Fn::Join":
                separator, items = value
                return str(separator).join(str(item) for item in self.resolve(items))
            if key == "Fn::Select":
                index, items = self.resolve(value)
                return items[int(index)]
            if key.startswith("Fn::"):
                raise UnresolvableError(key)
        return {key: self.resolve(value) for key, value in node.items()}

    def resolve_tolerantly(self, node: Any) -> Any:
        """Like :meth:`resolve`, but leaves what only CloudFormation knows as it is."""
        try:
            return self.resolve(node)
        except UnresolvableError:
            if isinstance(node, list):
                return [self.resolve_tolerantly(item) for item in node]
            if isinstance(node, dict):
                return {key: self.resolve_tolerantly(value) for key, value in node.items()}
            return node


def resolved_properties(template: dict[str, Any], logical_id: str, stage: str) -> dict[str, Any]:
    """A resource's properties with the stage and parameter defaults substituted.

    What only CloudFormation knows (``Fn::GetAtt``, references to other resources) is left
    in place. Works on infra/template.yaml and on the packaged template alike.
    """
    resolver = _Resolver(template, {"Stage": stage})
    properties = template["Resources"][logical_id]["Properties"]
    resolved: dict[str, Any] = resolver.resolve_tolerantly(properties)
    return resolved


def _properties(stage: str, logical_id: str) -> dict[str, Any]:
    return resolved_properties(_load(INFRA_TEMPLATE), logical_id, stage)


def _name(stage: str, logical_id: str, key: str) -> str:
    value = _properties(stage, logical_id)[key]
    if not isinstance(value, str):
        raise UnresolvableError(f"{logical_id}.{key} is not known before deployment: {value}")
    return value


def table_names(stage: str) -> dict[str, str]:
    """``{"leads": "trechter-<stage>-leads", "events": ..., "quarantine": ..., ...}``."""
    return {key: _name(stage, logical, "TableName") for key, logical in TABLES.items()}


def dynamodb_tables(stage: str) -> list[dict[str, Any]]:
    """boto3 ``create_table`` keyword arguments for every table, in template order.

    TableName, KeySchema, AttributeDefinitions, BillingMode, StreamSpecification (tables
    with a stream only) and GlobalSecondaryIndexes (tables with indexes only). TTL is set
    after creation: see :func:`ttl_attributes`.
    """
    tables = []
    for logical in TABLES.values():
        props = _properties(stage, logical)
        kwargs: dict[str, Any] = {
            "TableName": props["TableName"],
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
            "BillingMode": props["BillingMode"],
        }
        if "StreamSpecification" in props:
            kwargs["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": props["StreamSpecification"]["StreamViewType"],
            }
        if props.get("GlobalSecondaryIndexes"):
            kwargs["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        tables.append(kwargs)
    return tables


def ttl_attributes(stage: str) -> dict[str, str]:
    """``{table_name: ttl_attribute}`` for every table with TTL enabled."""
    result = {}
    for logical in TABLES.values():
        props = _properties(stage, logical)
        ttl = props.get("TimeToLiveSpecification", {})
        if ttl.get("Enabled"):
            result[props["TableName"]] = ttl["AttributeName"]
    return result


def topic_names(stage: str) -> dict[str, str]:
    """``{"hot_leads": "trechter-<stage>-hot-leads", "alarms": "trechter-<stage>-alarms"}``."""
    return {key: _name(stage, logical, "TopicName") for key, logical in TOPICS.items()}


def chat_topic_name(stage: str) -> str:
    """``trechter-<stage>-hot-leads-chat``: Slack and Teams, through AWS Chatbot."""
    return _name(stage, CHAT_TOPIC, "TopicName")


def queue_names(stage: str) -> dict[str, str]:
    """The stream consumers' failure queues, and the local-only ``sales_inbox`` queue."""
    names = {key: _name(stage, logical, "QueueName") for key, logical in QUEUES.items()}
    names["sales_inbox"] = SALES_INBOX_QUEUE.format(stage=stage)
    return names


def event_bus(stage: str) -> dict[str, Any]:
    """The lifecycle bus: ``{"name", "archive", "archive_pattern", "retention_days"}``."""
    archive = _properties(stage, "LifecycleEventArchive")
    return {
        "name": _name(stage, "LifecycleEventBus", "Name"),
        "archive": archive["ArchiveName"],
        "archive_pattern": archive["EventPattern"],
        "retention_days": int(archive["RetentionDays"]),
        "inbox_queue": LIFECYCLE_INBOX_QUEUE.format(stage=stage),
    }
