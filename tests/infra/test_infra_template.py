"""The packaged template (make package STAGE=prod) is deployable, secure and wired as designed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

FUNCTIONS = {
    "APIHandler": "ApiHandlerRole",
    "ScoreEvents": "ScoreEventsRole",
    "NotifyHotLeads": "NotifyHotLeadsRole",
    "CountHits": "CountHitsRole",
    "SweepQuietLeads": "SweepQuietLeadsRole",
}
STREAM_CONSUMERS = {
    "ScoreEvents": ("ScoreEventsDynamodbEventSource", "EventsTable", "ScoreEventsFailureQueue"),
    "NotifyHotLeads": (
        "NotifyHotLeadsDynamodbEventSource",
        "LeadsTable",
        "NotifyHotLeadsFailureQueue",
    ),
    "CountHits": ("CountHitsDynamodbEventSource", "LeadsTable", "CountHitsFailureQueue"),
}
#: Consumers that bisect a failing batch; the hit counter does not (it recognises a batch
#: delivered again by its records, and would not recognise halves of it).
BISECTED = {"ScoreEvents", "NotifyHotLeads"}
TABLES = ("LeadsTable", "EventsTable", "QuarantineTable", "IdempotencyTable")

# What each function may do: docs/DEPLOY.md documents exactly this.
EXPECTED_ACTIONS = {
    "ApiHandlerPolicy": {
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:Query",
        "dynamodb:BatchGetItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:ConditionCheckItem",
        "ssm:GetParameter",
        "ssm:GetParameters",
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    },
    "ScoreEventsPolicy": {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "dynamodb:BatchWriteItem",
        "dynamodb:ConditionCheckItem",
        "sqs:SendMessage",
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    },
    "NotifyHotLeadsPolicy": {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:Query",
        "sns:Publish",
        "events:PutEvents",
        "dynamodb:DeleteItem",
        "sqs:SendMessage",
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    },
    "CountHitsPolicy": {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "sqs:SendMessage",
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    },
    "LearnerPolicy": {
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    },
    "SweepQuietLeadsPolicy": {
        "dynamodb:Query",
        "dynamodb:UpdateItem",
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    },
}
#: Roles that are not a Chalice function's: EventBridge's, to call the optional lifecycle
#: webhook; the optional learner's (a container image) and its scheduler's.
SERVICE_ROLES = {"LifecycleWebhookRole", "LearnerRole", "LearnerScheduleRole"}
# The only actions AWS authorises on Resource "*" alone.
RESOURCE_STAR_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def _listify(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _policy_documents(template: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(resource, resource type, document) for every policy document in the template."""
    documents = []
    for name, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        for key in ("PolicyDocument", "KeyPolicy", "AssumeRolePolicyDocument"):
            if key in props:
                documents.append((name, resource["Type"], props[key]))
        for inline in props.get("Policies", []) or []:
            if isinstance(inline, dict) and "PolicyDocument" in inline:
                documents.append((name, resource["Type"], inline["PolicyDocument"]))
    return documents


def _run(command: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    # The module's autouse fixture (conftest.offline_aws) has put dummy credentials in place.
    return subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd)


# --- linters -------------------------------------------------------------------------------


def test_cfn_lint_reports_nothing_on_the_packaged_template(tools: Path, packaged_path: Path):
    # Given the packaged SAM template / When cfn-lint checks it
    result = _run([str(tools / "cfn-lint"), str(packaged_path)])
    # Then it reports no error, warning or informational finding
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_reports_nothing_on_the_sam_expansion(tools: Path, expanded_path: Path):
    # Given the template as CloudFormation expands it (event source mappings, API stage)
    # When cfn-lint checks it
    result = _run([str(tools / "cfn-lint"), str(expanded_path)])
    # Then it reports nothing either
    assert result.returncode == 0, result.stdout + result.stderr


def test_checkov_fails_no_check_and_every_skip_is_justified(tools: Path, packaged_path: Path):
    # Given the packaged template / When checkov scans it offline
    result = _run(
        [
            str(tools / "checkov"),
            "-f",
            str(packaged_path),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--output",
            "json",
        ],
        cwd=packaged_path.parent,
    )
    report = json.loads(result.stdout)
    failed = [
        f"{check['check_id']} {check['resource']}" for check in report["results"]["failed_checks"]
    ]
    # Then no check fails, the scan ran real checks, and each skip carries its reason inline
    assert failed == []
    assert report["summary"]["passed"] > 50
    assert report["summary"]["parsing_errors"] == 0
    for skipped in report["results"]["skipped_checks"]:
        assert len(skipped["check_result"].get("suppress_comment", "")) > 20, skipped["check_id"]


# --- stream consumers ------------------------------------------------------------------------


@pytest.mark.parametrize("function", sorted(STREAM_CONSUMERS))
def test_stream_consumer_reports_partial_failures_and_parks_what_it_gives_up(
    packaged: dict[str, Any], function: str
):
    # Given the function's stream event source in the packaged template
    event_name, table, queue = STREAM_CONSUMERS[function]
    event = packaged["Resources"][function]["Properties"]["Events"][event_name]
    props = event["Properties"]
    # Then it reads its table's stream from the same template, reports per-record failures,
    # bisects (where documented), retries a bounded number of times and records give-ups in
    # its queue
    assert event["Type"] == "DynamoDB"
    assert props["Stream"] == {"Fn::GetAtt": [table, "StreamArn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is (function in BISECTED)
    assert 0 <= props["MaximumRetryAttempts"] <= 10
    assert 60 <= props["MaximumRecordAgeInSeconds"] <= 86_400
    assert props["DestinationConfig"]["OnFailure"] == {
        "Type": "SQS",
        "Destination": {"Fn::GetAtt": [queue, "Arn"]},
    }


#: Each leads-stream reader's one filter: profile records, and of those (issue 12) for the
#: notifier not the scorer's writes that moved nothing it reads, for the hit counter only
#: the ones that carry the hits the scorer adds.
LEADS_STREAM_FILTERS = {
    "NotifyHotLeads": {"scored_only": {"BOOL": [{"exists": False}]}},
    "CountHits": {"hits": {"N": [{"exists": True}]}},
}


@pytest.mark.parametrize("function", sorted(LEADS_STREAM_FILTERS))
def test_leads_stream_readers_only_receive_the_profile_records_they_read(
    packaged: dict[str, Any], function: str
):
    # Given the reader's event source
    event_name = STREAM_CONSUMERS[function][0]
    props = packaged["Resources"][function]["Properties"]["Events"][event_name]["Properties"]
    # Then its one filter admits only records whose sort key is PROFILE, with its condition
    # on the new image
    (only,) = props["FilterCriteria"]["Filters"]
    pattern = json.loads(only["Pattern"])
    assert pattern["dynamodb"]["Keys"] == {"sk": {"S": ["PROFILE"]}}
    assert pattern["dynamodb"]["NewImage"] == LEADS_STREAM_FILTERS[function]
    assert set(pattern["dynamodb"]) == {"Keys", "NewImage"}


def test_expansion_creates_one_event_source_mapping_per_consumer_with_failure_handling(
    expanded: dict[str, Any],
):
    # Given what CloudFormation will create after the SAM transform
    mappings = {
        r["Properties"]["FunctionName"]["Ref"]: r["Properties"]
        for r in expanded["Resources"].values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
    }
    # Then each stream consumer has exactly one mapping, and the settings survived the transform
    assert sorted(mappings) == sorted(STREAM_CONSUMERS)
    for function, (_, table, queue) in STREAM_CONSUMERS.items():
        mapping = mappings[function]
        assert mapping["EventSourceArn"] == {"Fn::GetAtt": [table, "StreamArn"]}
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BisectBatchOnFunctionError"] is (function in BISECTED)
        assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {
            "Fn::GetAtt": [queue, "Arn"]
        }
    assert "FilterCriteria" in mappings["NotifyHotLeads"]
    assert "FilterCriteria" in mappings["CountHits"]
    assert "FilterCriteria" not in mappings["ScoreEvents"]


#: Keeping up at 10,000 page views a second (docs/PERFORMANCE.md, "Stream consumers").
CONSUMER_SIZING = {
    "ScoreEvents": {
        "BatchSize": 500,
        "MaximumBatchingWindowInSeconds": 1,
        "ParallelizationFactor": 10,
    },
    "NotifyHotLeads": {
        "BatchSize": 100,
        "MaximumBatchingWindowInSeconds": 1,
        "ParallelizationFactor": 2,
    },
    "CountHits": {
        "BatchSize": 1000,
        "MaximumBatchingWindowInSeconds": 300,
        "ParallelizationFactor": 1,
    },
}


def test_stream_consumers_are_sized_to_keep_up_as_app_py_says(expanded: dict[str, Any]):
    import app

    # Given the event source mappings after the SAM transform, and app.py's decorators
    mappings = {
        r["Properties"]["FunctionName"]["Ref"]: r["Properties"]
        for r in expanded["Resources"].values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
    }
    decorated = {
        source.name: source
        for source in app.app.event_sources
        if source.name in ("score_events", "notify_hot_leads", "count_hits")
    }
    # Then each has the documented batch size, window and parallelization factor, without a
    # tumbling window, and the batch size and window are the ones app.py gives Chalice
    for function, sizing in CONSUMER_SIZING.items():
        mapping = mappings[function]
        assert {name: mapping.get(name) for name in sizing} == sizing
        assert not mapping.get("TumblingWindowInSeconds")
    for name, function in (
        ("score_events", "ScoreEvents"),
        ("notify_hot_leads", "NotifyHotLeads"),
        ("count_hits", "CountHits"),
    ):
        assert decorated[name].batch_size == CONSUMER_SIZING[function]["BatchSize"]
        assert (
            decorated[name].maximum_batching_window_in_seconds
            == CONSUMER_SIZING[function]["MaximumBatchingWindowInSeconds"]
        )


def test_functions_get_the_memory_the_bench_prices(packaged: dict[str, Any]):
    from tests.bench.cost import FUNCTION_NAMES, function_memory
    from tests.infra.conftest import PACKAGED_STAGE

    # Given the memory make bench prices each function with (.chalice/config.json)
    memory = function_memory()[PACKAGED_STAGE]
    resources = {
        "ingest": "FrontDoor",
        "score_events": "ScoreEvents",
        "notify_hot_leads": "NotifyHotLeads",
        "count_hits": "CountHits",
    }
    assert set(resources) == set(FUNCTION_NAMES)
    # Then the packaged template deploys each function with exactly that memory: the front
    # door, waiting on DynamoDB most of its time, with half the scorer's
    for priced, resource in resources.items():
        assert packaged["Resources"][resource]["Properties"]["MemorySize"] == memory[priced]
    assert memory["ingest"] < memory["score_events"]


def test_the_learner_is_an_optional_weekly_container_that_never_promotes(
    packaged: dict[str, Any],
):
    resources = packaged["Resources"]
    # Given the learner's resources: created only with an image
    learner = {
        name
        for name, r in resources.items()
        if name.startswith("Learner") and r.get("Condition") == "HasLearner"
    }
    assert learner == {
        "LearnerRole",
        "LearnerPolicy",
        "LearnerLogGroup",
        "Learner",
        "LearnerScheduleRole",
        "LearnerWeekly",
        "LearnerErrorsAlarm",
    }
    props = resources["Learner"]["Properties"]
    # Then it is the image, under its own role, encrypted and traced, with the stage's tables
    assert props["PackageType"] == "Image"
    assert props["Code"] == {"ImageUri": {"Ref": "LearnerImageUri"}}
    assert props["Role"] == {"Fn::GetAtt": ["LearnerRole", "Arn"]}
    assert props["KmsKeyArn"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["Environment"]["Variables"]["LEADS_TABLE"] == {"Ref": "LeadsTable"}
    # and its weekly schedule only proposes: the input never asks it to promote
    target = resources["LearnerWeekly"]["Properties"]["Target"]
    assert target["Arn"] == {"Fn::GetAtt": ["Learner", "Arn"]}
    assert json.loads(target["Input"]) == {"promote": False}
    (invoke,) = resources["LearnerScheduleRole"]["Properties"]["Policies"]
    (statement,) = invoke["PolicyDocument"]["Statement"]
    assert (statement["Action"], statement["Resource"]) == (
        "lambda:InvokeFunction",
        {"Fn::GetAtt": ["Learner", "Arn"]},
    )


def test_failure_queues_keep_messages_14_days_encrypted(packaged: dict[str, Any]):
    for _, _, queue in STREAM_CONSUMERS.values():
        props = packaged["Resources"][queue]["Properties"]
        assert props["MessageRetentionPeriod"] == 14 * 24 * 3600
        assert props["KmsMasterKeyId"] == {"Ref": "DataKey"}


# --- functions -------------------------------------------------------------------------------


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_function_gets_its_configuration_from_the_template(packaged: dict[str, Any], function: str):
    # Given a function in the packaged template
    props = packaged["Resources"][function]["Properties"]
    variables = props["Environment"]["Variables"]
    # Then names and ARNs come from the template's own resources and parameters
    assert variables["LEADS_TABLE"] == {"Ref": "LeadsTable"}
    assert variables["EVENTS_TABLE"] == {"Ref": "EventsTable"}
    assert variables["QUARANTINE_TABLE"] == {"Ref": "QuarantineTable"}
    assert variables["IDEMPOTENCY_TABLE"] == {"Ref": "IdempotencyTable"}
    assert variables["HOT_LEADS_TOPIC_ARN"] == {"Ref": "HotLeadsTopic"}
    assert variables["LINK_SIGNING_SECRET_PARAM"] == {"Ref": "LinkSigningSecretParam"}
    assert variables["API_KEYS_PARAM"] == {"Ref": "ApiKeysParam"}
    assert variables["SEGMENT_WRITE_KEYS_PARAM"] == {"Ref": "SegmentWriteKeysParam"}
    assert variables["ALLOWED_ORIGINS"] == {"Ref": "AllowedOrigins"}
    assert variables["TRECHTER_STAGE"] == {"Ref": "Stage"}
    # and the stream ARNs Chalice reads at import time are the real ones, not placeholders
    assert variables["EVENTS_STREAM_ARN"] == {"Fn::GetAtt": ["EventsTable", "StreamArn"]}
    assert variables["LEADS_STREAM_ARN"] == {"Fn::GetAtt": ["LeadsTable", "StreamArn"]}
    # and it runs under its own role, traced, with its own encrypted log group
    assert props["Role"] == {"Fn::GetAtt": [FUNCTIONS[function], "Arn"]}
    assert props["Tracing"] == "Active"
    assert props["KmsKeyArn"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    log_group = props["LoggingConfig"]["LogGroup"]["Ref"]
    assert packaged["Resources"][log_group]["Properties"]["KmsKeyId"]


def test_no_role_chalice_generated_survives(packaged: dict[str, Any]):
    roles = {name for name, r in packaged["Resources"].items() if r["Type"] == "AWS::IAM::Role"}
    assert roles == set(FUNCTIONS.values()) | SERVICE_ROLES


# --- data ------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_table_is_on_demand_encrypted_recoverable_and_expiring(
    packaged: dict[str, Any], table: str
):
    props = packaged["Resources"][table]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": {"Ref": "DataKey"},
    }
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"]["Enabled"] is True
    assert props["DeletionProtectionEnabled"] == {"Fn::If": ["IsProd", True, False]}
    assert packaged["Resources"][table]["DeletionPolicy"] == "Retain"


def test_prod_package_defaults_to_prod(packaged: dict[str, Any]):
    parameters = packaged["Parameters"]
    assert parameters["Stage"]["Default"] == "prod"
    assert parameters["LinkSigningSecretParam"]["Default"] == "/trechter/prod/link-signing-secrets"
    assert parameters["ApiKeysParam"]["Default"] == "/trechter/prod/api-keys"
    assert packaged["Conditions"]["IsProd"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}


def test_topics_are_encrypted_with_the_customer_managed_key(packaged: dict[str, Any]):
    resources = packaged["Resources"]
    topics = [r for r in resources.values() if r["Type"] == "AWS::SNS::Topic"]
    assert len(topics) == 3  # hot leads, hot leads for chat, alarms
    for topic in topics:
        assert topic["Properties"]["KmsMasterKeyId"] == {"Ref": "DataKey"}
    assert resources["HotLeadsTopic"]["Properties"]["TopicName"] == {
        "Fn::Sub": "trechter-${Stage}-hot-leads"
    }
    assert resources["HotLeadsChatTopic"]["Properties"]["TopicName"] == {
        "Fn::Sub": "trechter-${Stage}-hot-leads-chat"
    }
    assert resources["DataKey"]["Properties"]["EnableKeyRotation"] is True


def test_key_policy_lets_the_functions_use_the_key(packaged: dict[str, Any]):
    statements = packaged["Resources"]["DataKey"]["Properties"]["KeyPolicy"]["Statement"]
    (for_functions,) = [s for s in statements if s["Sid"] == "TrechterFunctionsUseTheKey"]
    assert sorted(p["Fn::GetAtt"][0] for p in for_functions["Principal"]["AWS"]) == sorted(
        FUNCTIONS.values()
    )
    assert {"kms:Decrypt", "kms:GenerateDataKey"} <= set(for_functions["Action"])


# --- least privilege ---------------------------------------------------------------------------


def test_no_policy_allows_a_wildcard_action(packaged: dict[str, Any]):
    for name, _, document in _policy_documents(packaged):
        for statement in _listify(document["Statement"]):
            for action in _listify(statement.get("Action", [])):
                assert action != "*", name
                assert not action.endswith(":*"), (name, action)
            assert "NotAction" not in statement, name


def test_only_xray_is_granted_on_every_resource(packaged: dict[str, Any]):
    # Key policies name the key itself as "*"; topic policies here only deny.
    for name, kind, document in _policy_documents(packaged):
        if kind in ("AWS::KMS::Key", "AWS::SNS::TopicPolicy"):
            continue
        for statement in _listify(document["Statement"]):
            if statement["Effect"] == "Allow" and "*" in _listify(statement.get("Resource")):
                assert set(_listify(statement["Action"])) <= RESOURCE_STAR_ACTIONS, name


@pytest.mark.parametrize("policy", sorted(EXPECTED_ACTIONS))
def test_each_function_may_do_exactly_what_it_needs(packaged: dict[str, Any], policy: str):
    statements = packaged["Resources"][policy]["Properties"]["PolicyDocument"]["Statement"]
    granted = {action for s in statements for action in _listify(s["Action"])}
    assert granted == EXPECTED_ACTIONS[policy]


def test_only_the_notifier_may_publish_and_only_to_the_hot_leads_topics(packaged: dict[str, Any]):
    publishers: dict[str, list[Any]] = {}
    for name in EXPECTED_ACTIONS:
        for statement in packaged["Resources"][name]["Properties"]["PolicyDocument"]["Statement"]:
            if "sns:Publish" in _listify(statement["Action"]):
                publishers.setdefault(name, []).append(statement["Resource"])
    assert publishers == {
        "NotifyHotLeadsPolicy": [{"Ref": "HotLeadsTopic"}, {"Ref": "HotLeadsChatTopic"}]
    }


# --- API ---------------------------------------------------------------------------------------


def test_api_treats_every_media_type_as_binary(packaged: dict[str, Any], expanded: dict[str, Any]):
    body = packaged["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    assert "*/*" in body["x-amazon-apigateway-binary-media-types"]
    (rest_api,) = [
        r for r in expanded["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi"
    ]
    assert "*/*" in rest_api["Properties"]["Body"]["x-amazon-apigateway-binary-media-types"]


def test_api_stage_is_throttled_traced_and_access_logged(expanded: dict[str, Any]):
    (stage,) = [r for r in expanded["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage"]
    props = stage["Properties"]
    (settings,) = props["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == {"Ref": "ApiThrottlingRateLimit"}
    assert settings["ThrottlingBurstLimit"] == {"Ref": "ApiThrottlingBurstLimit"}
    assert props["TracingEnabled"] is True
    assert props["AccessLogSetting"]["DestinationArn"] == {
        "Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]
    }
    assert "$context.path" not in props["AccessLogSetting"]["Format"]


# --- alarms ------------------------------------------------------------------------------------


def test_alarms_cover_errors_lag_give_ups_and_5xx(packaged: dict[str, Any]):
    alarms = [
        r["Properties"]
        for r in packaged["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
    ]
    watched = {
        (a["MetricName"], json.dumps(a["Dimensions"][0]["Value"], sort_keys=True)) for a in alarms
    }
    for function in FUNCTIONS:
        assert ("Errors", json.dumps({"Ref": function})) in watched
    for function, (_, _, queue) in STREAM_CONSUMERS.items():
        assert ("IteratorAge", json.dumps({"Ref": function})) in watched
        assert (
            "ApproximateNumberOfMessagesVisible",
            json.dumps({"Fn::GetAtt": [queue, "QueueName"]}, sort_keys=True),
        ) in watched
    assert any(a["MetricName"] == "5XXError" for a in alarms)
    for alarm in alarms:
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_api_5xx_alarm_watches_the_api_by_its_name(packaged: dict[str, Any]):
    (alarm,) = [
        r["Properties"]
        for r in packaged["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Alarm" and r["Properties"]["MetricName"] == "5XXError"
    ]
    api = packaged["Resources"]["RestAPI"]["Properties"]
    dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    assert dimensions["ApiName"] == api["Name"]
    assert dimensions["Stage"] == api["StageName"]


def test_the_once_per_account_api_gateway_logging_stack_is_clean(tools: Path):
    # Given the small stack make deploy creates when the account lacks API Gateway's log role
    template = Path(__file__).resolve().parents[2] / "infra" / "apigateway-account.yaml"
    # When both linters check it / Then neither finds anything
    lint = _run([str(tools / "cfn-lint"), str(template)])
    assert lint.returncode == 0, lint.stdout + lint.stderr
    scan = _run(
        [
            str(tools / "checkov"),
            "-f",
            str(template),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--output",
            "json",
        ],
        cwd=template.parent,
    )
    report = json.loads(scan.stdout)
    assert report["summary"]["failed"] == 0
    assert report["summary"]["skipped"] == 0
