"""infra/definitions.py gives the local stack exactly what infra/template.yaml deploys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import definitions
from infra.definitions import load_template, resolved_properties

STAGE = "prod"  # the stage tests/infra/conftest.py packages


def _key_schema(schema: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(key["AttributeName"], key["KeyType"]) for key in schema]


def _indexes(indexes: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {
        index["IndexName"]: (
            _key_schema(index["KeySchema"]),
            index["Projection"]["ProjectionType"],
        )
        for index in indexes
    }


def test_names_follow_the_stage():
    assert definitions.table_names("dev") == {
        "leads": "trechter-dev-leads",
        "events": "trechter-dev-events",
        "quarantine": "trechter-dev-quarantine",
        "idempotency": "trechter-dev-idempotency",
    }
    assert definitions.topic_names("local") == {
        "hot_leads": "trechter-local-hot-leads",
        "alarms": "trechter-local-alarms",
    }
    assert definitions.queue_names("dev") == {
        "score_events_failures": "trechter-dev-score-events-failures",
        "notify_hot_leads_failures": "trechter-dev-notify-hot-leads-failures",
        "count_hits_failures": "trechter-dev-count-hits-failures",
        "sales_inbox": "trechter-dev-sales-inbox",
    }


def test_exactly_one_topic_name_ends_in_hot_leads():
    names = definitions.topic_names("dev").values()
    assert [name for name in names if name.endswith("hot-leads")] == ["trechter-dev-hot-leads"]


def test_ttl_attributes_follow_architecture():
    assert definitions.ttl_attributes("dev") == {
        "trechter-dev-leads": "expires_at",
        "trechter-dev-events": "expires_at",
        "trechter-dev-quarantine": "expires_at",
        "trechter-dev-idempotency": "expiration",
    }


def test_leads_table_has_its_three_indexes_and_a_stream():
    (leads,) = [t for t in definitions.dynamodb_tables("dev") if t["TableName"].endswith("-leads")]
    assert _indexes(leads["GlobalSecondaryIndexes"]) == {
        "by_stage": ([("stage_pk", "HASH"), ("stage_sk", "RANGE")], "INCLUDE"),
        "by_score": ([("list_pk", "HASH"), ("stage_sk", "RANGE")], "INCLUDE"),
        "by_last_engaged": ([("quiet_pk", "HASH"), ("lead_id", "RANGE")], "KEYS_ONLY"),
    }
    assert leads["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }


def test_idempotency_table_uses_powertools_schema():
    (table,) = [t for t in definitions.dynamodb_tables("dev") if "idempotency" in t["TableName"]]
    assert _key_schema(table["KeySchema"]) == [("id", "HASH")]
    assert "StreamSpecification" not in table


def test_tables_created_from_definitions_under_moto_match_the_template():
    # Given the template's own view of each table
    template = load_template()
    expected = {
        resolved_properties(template, logical, STAGE)["TableName"]: resolved_properties(
            template, logical, STAGE
        )
        for logical in definitions.TABLES.values()
    }
    with mock_aws():
        client = boto3.client("dynamodb", region_name="eu-west-1")
        # When the local stack creates the tables the way definitions says
        for kwargs in definitions.dynamodb_tables(STAGE):
            client.create_table(**kwargs)
        for table, attribute in definitions.ttl_attributes(STAGE).items():
            client.update_time_to_live(
                TableName=table,
                TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute},
            )
        # Then what exists matches the template: keys, indexes, streams, TTL
        assert sorted(client.list_tables()["TableNames"]) == sorted(expected)
        for name, props in expected.items():
            table = client.describe_table(TableName=name)["Table"]
            assert _key_schema(table["KeySchema"]) == _key_schema(props["KeySchema"])
            assert sorted(map(tuple, (d.values() for d in table["AttributeDefinitions"]))) == (
                sorted(map(tuple, (d.values() for d in props["AttributeDefinitions"])))
            )
            assert _indexes(table.get("GlobalSecondaryIndexes", [])) == _indexes(
                props.get("GlobalSecondaryIndexes", [])
            )
            stream = table.get("StreamSpecification", {})
            if "StreamSpecification" in props:
                assert stream["StreamViewType"] == props["StreamSpecification"]["StreamViewType"]
                assert table["LatestStreamArn"]
            else:
                assert not stream.get("StreamEnabled")
            ttl = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
            assert ttl["TimeToLiveStatus"] == "ENABLED"
            assert ttl["AttributeName"] == props["TimeToLiveSpecification"]["AttributeName"]


def test_topics_and_queues_from_definitions_create_under_moto():
    with mock_aws():
        sns = boto3.client("sns", region_name="eu-west-1")
        sqs = boto3.client("sqs", region_name="eu-west-1")
        for name in definitions.topic_names("dev").values():
            sns.create_topic(Name=name)
        for name in definitions.queue_names("dev").values():
            sqs.create_queue(QueueName=name)
        arns = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
        assert sum(arn.endswith("hot-leads") for arn in arns) == 1
        assert len(sqs.list_queues()["QueueUrls"]) == 4  # three failure queues, the inbox


def test_definitions_agree_with_the_packaged_template(packaged: dict[str, Any]):
    # Given the deployable template make package produced for the stage
    for key, logical in definitions.TABLES.items():
        deployed = resolved_properties(packaged, logical, STAGE)
        (local,) = [
            t
            for t in definitions.dynamodb_tables(STAGE)
            if t["TableName"] == definitions.table_names(STAGE)[key]
        ]
        # Then the local tables are the deployed ones
        assert deployed["TableName"] == local["TableName"]
        assert deployed["KeySchema"] == local["KeySchema"]
        assert deployed["AttributeDefinitions"] == local["AttributeDefinitions"]
        assert deployed.get("GlobalSecondaryIndexes") == local.get("GlobalSecondaryIndexes")
        assert ("StreamSpecification" in deployed) == ("StreamSpecification" in local)
        ttl = definitions.ttl_attributes(STAGE)[local["TableName"]]
        assert deployed["TimeToLiveSpecification"]["AttributeName"] == ttl
    for key, logical in definitions.TOPICS.items():
        deployed_name = resolved_properties(packaged, logical, STAGE)["TopicName"]
        assert deployed_name == definitions.topic_names(STAGE)[key]
    for key, logical in definitions.QUEUES.items():
        deployed_name = resolved_properties(packaged, logical, STAGE)["QueueName"]
        assert deployed_name == definitions.queue_names(STAGE)[key]


def test_loader_reads_cloudformation_short_tags(tmp_path: Path):
    # Given a template written with short tags, nested
    source = tmp_path / "t.yaml"
    source.write_text(
        "Parameters:\n"
        "  Stage: {Type: String, Default: dev}\n"
        "Conditions:\n"
        "  IsProd: !Equals [!Ref Stage, prod]\n"
        "Resources:\n"
        "  Thing:\n"
        "    Type: AWS::SNS::Topic\n"
        "    Properties:\n"
        "      TopicName: !Sub 'x-${Stage}-${AWS::Region}'\n"
        "      Joined: !Join ['-', [a, !Ref Stage]]\n"
        "      Picked: !If [IsProd, big, small]\n"
        "      Arn: !GetAtt Other.Arn\n"
        "      Listed: !Sub ['${A}-${Stage}', {A: !Ref Stage}]\n",
        encoding="utf-8",
    )
    template = load_template(source)
    # When its properties are resolved for a stage
    props = resolved_properties(template, "Thing", "prod")
    # Then what can be known is known, and attributes are left for CloudFormation
    assert template["Resources"]["Thing"]["Properties"]["Arn"] == {"Fn::GetAtt": ["Other", "Arn"]}
    assert props == {
        "TopicName": "x-prod-eu-west-1",
        "Joined": "a-prod",
        "Picked": "big",
        "Arn": {"Fn::GetAtt": ["Other", "Arn"]},
        "Listed": "prod-prod",
    }


def test_a_name_only_cloudformation_knows_is_refused(tmp_path: Path, monkeypatch):
    source = tmp_path / "t.yaml"
    source.write_text(
        "Resources:\n  LeadsTable:\n    Type: AWS::DynamoDB::Table\n"
        "    Properties: {TableName: !GetAtt Other.Name}\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(definitions, "INFRA_TEMPLATE", source)
    with pytest.raises(definitions.UnresolvableError):
        definitions._name("dev", "LeadsTable", "TableName")


def test_the_lead_list_indexes_project_what_the_list_shows():
    from chalicelib.adapters.items import LIST_ATTRIBUTES
    from infra.definitions import dynamodb_tables

    leads = next(t for t in dynamodb_tables("dev") if t["TableName"].endswith("-leads"))
    lists = [
        i for i in leads["GlobalSecondaryIndexes"] if i["IndexName"] in ("by_stage", "by_score")
    ]
    assert len(lists) == 2
    for index in lists:
        assert index["Projection"]["ProjectionType"] == "INCLUDE"
        assert tuple(index["Projection"]["NonKeyAttributes"]) == LIST_ATTRIBUTES
