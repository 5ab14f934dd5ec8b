"""infra/package.py refuses a merge that did not take, and tidies one that did."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from infra.definitions import load_template
from infra.package import PackagingError, finish_template


def _function(handler: str, events: dict[str, Any] | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {
        "Handler": handler,
        "Role": {"Fn::GetAtt": ["DefaultRole", "Arn"]},
        "Environment": {
            "Variables": {"EVENTS_STREAM_ARN": "arn:aws:dynamodb:x:1:table/t/stream/0"}
        },
    }
    if events:
        props["Events"] = events
    return {"Type": "AWS::Serverless::Function", "Properties": props}


def _chalice_output_merged_with_infra() -> dict[str, Any]:
    """What `chalice package --merge-template infra/template.yaml` gives, in miniature."""
    infra = load_template()
    chalice: dict[str, Any] = {
        "Resources": {
            "APIHandler": _function("app.app"),
            "ScoreEvents": _function(
                "app.score_events",
                {"ScoreEventsDynamodbEventSource": {"Type": "DynamoDB", "Properties": {}}},
            ),
            "NotifyHotLeads": _function(
                "app.notify_hot_leads",
                {"NotifyHotLeadsDynamodbEventSource": {"Type": "DynamoDB", "Properties": {}}},
            ),
            "CountHits": _function(
                "app.count_hits",
                {"CountHitsDynamodbEventSource": {"Type": "DynamoDB", "Properties": {}}},
            ),
            "SweepQuietLeads": _function("app.sweep_quiet_leads"),
            "FrontDoor": _function("app.front_door"),
            "RestAPI": {"Type": "AWS::Serverless::Api", "Properties": {}},
            "DefaultRole": {"Type": "AWS::IAM::Role", "Properties": {"Policies": []}},
        }
    }

    def merge(file: Any, generated: Any) -> Any:  # Chalice's TemplateDeepMerger
        if isinstance(file, dict) and isinstance(generated, dict):
            merged = dict(generated)
            for key, value in file.items():
                merged[key] = merge(value, generated.get(key))
            return merged
        return file

    merged: dict[str, Any] = merge(copy.deepcopy(infra), chalice)
    return merged


def test_finishing_drops_chalices_role_and_defaults_to_the_stage():
    # Given a merged template
    template = _chalice_output_merged_with_infra()
    # When it is finished for prod
    finished = finish_template(template, load_template(), "prod")
    # Then Chalice's shared role is gone and the parameters default to the stage
    assert "DefaultRole" not in finished["Resources"]
    assert finished["Parameters"]["Stage"]["Default"] == "prod"
    assert finished["Parameters"]["ApiKeysParam"]["Default"] == "/trechter/prod/api-keys"


def test_a_renamed_function_is_reported_not_packaged():
    # Given app.py renamed notify_hot_leads, so Chalice generated no NotifyHotLeads
    template = _chalice_output_merged_with_infra()
    template["Resources"]["NotifyHotLeads"].pop("Type")
    # When it is finished / Then packaging stops and names the resource
    with pytest.raises(PackagingError, match="NotifyHotLeads"):
        finish_template(template, load_template(), "dev")


def test_a_placeholder_stream_arn_is_refused():
    # Given a function whose stream ARN variable the merge did not replace
    template = _chalice_output_merged_with_infra()
    variables = template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    variables["EXTRA_STREAM_ARN"] = "arn:aws:dynamodb:eu-west-1:0:table/t/stream/1970"
    # When it is finished / Then packaging stops
    with pytest.raises(PackagingError, match="placeholder"):
        finish_template(template, load_template(), "dev")


def test_a_stream_not_from_the_template_is_refused():
    template = _chalice_output_merged_with_infra()
    events = template["Resources"]["ScoreEvents"]["Properties"]["Events"]
    events["ScoreEventsDynamodbEventSource"]["Properties"]["Stream"] = "arn:aws:dynamodb:x"
    with pytest.raises(PackagingError, match="EventsTable"):
        finish_template(template, load_template(), "dev")


def test_a_rule_on_an_unknown_lifecycle_event_fails_the_package_naming_it():
    # Given a rule example on Trechter's events with a misspelt detail-type
    template = _chalice_output_merged_with_infra()
    infra = load_template()
    infra["Resources"]["CrmRule"] = {
        "Type": "AWS::Events::Rule",
        "Properties": {
            "EventBusName": {"Ref": "LifecycleEventBus"},
            "EventPattern": {"source": ["trechter"], "detail-type": ["Lead Creatd"]},
        },
    }
    # When it is packaged, then the packaging stops and says which rule and which name
    with pytest.raises(PackagingError, match=r"rule CrmRule .*Lead Creatd.*Lead Created"):
        finish_template(template, infra, "prod")


def test_rules_on_other_sources_are_left_alone():
    template = _chalice_output_merged_with_infra()
    infra = load_template()
    infra["Resources"]["OtherRule"] = {
        "Type": "AWS::Events::Rule",
        "Properties": {"EventPattern": {"source": ["aws.s3"], "detail-type": ["Object Created"]}},
    }
    assert "OtherRule" in finish_template(template, infra, "prod")["Resources"]


def test_the_rule_examples_in_the_integrations_guide_name_only_events_trechter_sends():
    import re

    import yaml

    from infra.definitions import PROJECT_ROOT, _CloudFormationLoader
    from infra.package import check_lifecycle_rules

    guide = (PROJECT_ROOT / "docs" / "INTEGRATIONS.md").read_text(encoding="utf-8")
    resources: dict[str, Any] = {}
    for block in re.findall(r"```yaml\n(.*?)```", guide, flags=re.S):
        resources.update(yaml.load(block, Loader=_CloudFormationLoader))  # noqa: S506
    rules = [name for name, body in resources.items() if body["Type"] == "AWS::Events::Rule"]
    assert len(rules) >= 3
    check_lifecycle_rules(resources)
