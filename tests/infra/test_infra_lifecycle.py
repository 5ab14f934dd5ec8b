"""The lifecycle bus in the packaged template: bus, archive, rules, API destination, DLQ."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.lifecycle_events import DetailType


def test_the_bus_is_named_for_trechter_and_archived_whole(packaged: dict[str, Any]):
    resources = packaged["Resources"]
    bus = resources["LifecycleEventBus"]
    assert bus["Type"] == "AWS::Events::EventBus"
    assert "trechter" in bus["Properties"]["Name"]["Fn::Sub"]
    archive = resources["LifecycleEventArchive"]["Properties"]
    assert archive["SourceArn"] == {"Fn::GetAtt": ["LifecycleEventBus", "Arn"]}
    assert archive["EventPattern"] == {"source": ["trechter"]}
    assert archive["RetentionDays"] == {"Ref": "LifecycleArchiveRetentionDays"}


def test_the_webhook_example_is_an_api_destination_with_retries_and_a_dead_letter_queue(
    packaged: dict[str, Any],
):
    resources = packaged["Resources"]
    for name in (
        "LifecycleWebhookConnection",
        "LifecycleWebhookDestination",
        "LifecycleWebhookRule",
        "LifecycleWebhookRole",
    ):
        assert resources[name]["Condition"] == "HasLifecycleWebhook", name
    rule = resources["LifecycleWebhookRule"]["Properties"]
    assert rule["EventBusName"] == {"Ref": "LifecycleEventBus"}
    assert rule["EventPattern"]["detail-type"] == [d.value for d in DetailType]
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["LifecycleWebhookDestination", "Arn"]}
    assert target["DeadLetterConfig"] == {
        "Arn": {"Fn::GetAtt": ["LifecycleDeadLetterQueue", "Arn"]}
    }
    assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] == 86400
    connection = resources["LifecycleWebhookConnection"]["Properties"]
    assert connection["AuthorizationType"] == "API_KEY"
    assert "resolve:secretsmanager" in str(connection["AuthParameters"])


def test_a_webhook_without_its_secret_is_refused_before_deployment(packaged: dict[str, Any]):
    rule = packaged["Rules"]["LifecycleWebhookNeedsItsSecret"]
    (assertion,) = rule["Assertions"]
    assert "LifecycleWebhookSecretName is empty" in assertion["AssertDescription"]


def test_the_leads_stream_reader_may_put_only_on_the_lifecycle_bus(packaged: dict[str, Any]):
    putters = {}
    for name, resource in packaged["Resources"].items():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            actions = (
                statement["Action"]
                if isinstance(statement["Action"], list)
                else [statement["Action"]]
            )
            if "events:PutEvents" in actions:
                putters[name] = statement["Resource"]
    assert putters == {"NotifyHotLeadsPolicy": {"Fn::GetAtt": ["LifecycleEventBus", "Arn"]}}


def test_every_function_knows_the_bus_and_the_payload_setting(packaged: dict[str, Any]):
    variables = packaged["Resources"]["NotifyHotLeads"]["Properties"]["Environment"]["Variables"]
    assert variables["EVENT_BUS_NAME"] == {"Ref": "LifecycleEventBus"}
    assert variables["LIFECYCLE_EVENT_PAYLOAD"] == {"Ref": "LifecycleEventPayload"}


def test_the_quiet_sweep_runs_hourly(packaged: dict[str, Any]):
    events = packaged["Resources"]["SweepQuietLeads"]["Properties"]["Events"]
    (schedule,) = events.values()
    assert schedule["Type"] == "Schedule"
    assert schedule["Properties"]["Schedule"] == "rate(1 hour)"
