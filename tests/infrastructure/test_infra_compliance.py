"""The synthesized template passes cfn-lint and cdk-nag's AWS Solutions checks (every acknowledgment carries
its reason in code), deploys into the local cloud (only resource types it provisions, no custom resources)
and publishes the outputs clients and tests read."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file  # type: ignore[import-untyped]
from propdesk.platforms.port import PLATFORMS

from tests.infrastructure.conftest import STACK_NAME, Synthesized

pytestmark = pytest.mark.infra

# What the local cloud (ministack) provisions among the types this stack uses; anything else fails its deploy.
LOCAL_CLOUD_TYPES = {
    "AWS::CloudFormation::Stack",  # the alarms' nested stack (ministack provisions nested stacks)
    "AWS::ApiGateway::Account",
    "AWS::ApiGateway::ApiKey",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGatewayV2::Authorizer",
    "AWS::ApiGateway::Deployment",
    "AWS::ApiGateway::GatewayResponse",
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Stage",
    "AWS::ApiGateway::UsagePlan",
    "AWS::ApiGateway::UsagePlanKey",
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Stage",
    "AWS::CDK::Metadata",
    "AWS::CloudWatch::Alarm",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolGroup",
    "AWS::DynamoDB::Table",
    "AWS::Events::EventBus",
    "AWS::Events::Rule",
    "AWS::IAM::Policy",
    "AWS::IAM::Role",
    "AWS::KMS::Alias",
    "AWS::KMS::Key",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Function",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::Permission",
    "AWS::Logs::LogGroup",
    "AWS::SES::EmailIdentity",
    "AWS::SNS::Subscription",
    "AWS::SNS::Topic",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::Scheduler::Schedule",
    "AWS::SecretsManager::Secret",
    "AWS::StepFunctions::StateMachine",
    "AWS::WAFv2::WebACL",
}

OUTPUTS = {
    "RestApiUrl",
    "ProgressionStateMachineArn",
    "RestApiId",
    "RestApiStage",
    "WebSocketApiId",
    "WebSocketStage",
    "WebSocketUrl",
    "UserPoolId",
    "UserPoolClientId",
    "UserPoolServerClientId",
    "TableName",
    "ConnectionsTableName",
    "RealtimeTableName",
    "AuditTableName",
    "AbuseStateTableName",
    "EventBusName",
    "KycStateMachineArn",
    "PlatformSigningSecretArns",
    "PayoutStateMachineArn",
    "VeriffSecretArn",
    "SumsubSecretArn",
}


def test_cfn_lint_finds_nothing(synthesized: Synthesized) -> None:
    matches = lint_file(synthesized.template_path, config=ManualArgs(regions=["us-east-1", "eu-central-1"]))

    assert [f"{m.rule.id} {m.message} ({m.path})" for m in matches] == []


def test_cdk_nag_reports_no_unacknowledged_error_or_warning(synthesized: Synthesized) -> None:
    violations = [
        f"{violation['ruleName']} [{violation['severity']}] at "
        + ", ".join(c["constructPath"] for c in violation["violatingConstructs"])
        for report in synthesized.validation_report["pluginReports"]
        for violation in report.get("violations", [])
    ]

    assert violations == []
    assert synthesized.synth_error is None


def test_every_acknowledgment_says_why(synthesized: Synthesized) -> None:
    acknowledgments = _acknowledgments(synthesized)

    assert acknowledgments, "cdk-nag acknowledgments are written to the cloud assembly's metadata"
    for rule, reason in acknowledgments:
        assert rule.startswith("AwsSolutions-")
        assert len(reason) >= 40 and "TODO" not in reason, (rule, reason)


def test_the_local_stack_uses_only_resource_types_the_local_cloud_provisions(
    synthesized_local: Synthesized,
) -> None:
    types = {resource["Type"] for resource in synthesized_local.resources.values()}

    assert types - LOCAL_CLOUD_TYPES == set()


def test_the_local_stack_differs_only_by_what_the_local_cloud_cannot_provision(
    synthesized: Synthesized, synthesized_local: Synthesized
) -> None:
    left_out = set(synthesized.resources) - set(synthesized_local.resources)

    assert {synthesized.resources[key]["Type"] for key in left_out} == {"AWS::WAFv2::WebACLAssociation"}
    assert set(synthesized_local.resources) <= set(synthesized.resources)


def test_the_stack_publishes_the_outputs_clients_read(synthesized: Synthesized) -> None:
    assert set(synthesized.outputs) == OUTPUTS
    rest_stage = synthesized.resources[synthesized.outputs["RestApiStage"]["Value"]["Ref"]]
    assert rest_stage["Properties"]["StageName"] == "dev"
    assert synthesized.outputs["WebSocketStage"]["Value"] == "dev"


def test_the_stack_is_named_after_its_stage(synthesized: Synthesized) -> None:
    assert synthesized.template_path.name == f"{STACK_NAME}.template.json"


def test_cognito_has_trader_and_staff_groups(synthesized: Synthesized) -> None:
    groups = {
        group["Properties"]["GroupName"]
        for group in synthesized.of_type("AWS::Cognito::UserPoolGroup").values()
    }

    assert groups == {"trader", "support", "risk", "finance", "admin"}


def test_provider_secrets_exist_as_generated_placeholders(synthesized: Synthesized) -> None:
    names = {
        secret["Properties"]["Name"]: secret["Properties"]
        for secret in synthesized.of_type("AWS::SecretsManager::Secret").values()
    }

    assert set(names) == {
        f"propdesk/dev/{provider}"
        for provider in ("stripe", "veriff", "sumsub", "match-trader", "coinbase-commerce", "bridge", "wise")
    } | {f"propdesk/dev/platform-signing/{platform}" for platform in PLATFORMS} | {
        "propdesk/dev/abuse-signal-key"  # the firm's key for identity-signal hashes (generated, never set)
    }
    for secret in names.values():
        assert "GenerateSecretString" in secret and "SecretString" not in secret


def _acknowledgments(synthesized: Synthesized) -> list[tuple[str, str]]:
    """(rule, reason) pairs that `Validations.acknowledge` recorded in the assembly's construct metadata."""
    metadata_file = synthesized.template_path.with_name(f"{STACK_NAME}.metadata.json")
    metadata: dict[str, list[dict[str, Any]]] = json.loads(metadata_file.read_text())
    return [
        (rule.removeprefix("Annotation::").removeprefix("AwsSolutions::"), reason)
        for entries in metadata.values()
        for entry in entries
        if entry["type"] == "aws:cdk:acknowledged-rules"
        for rule, reason in entry["data"].items()
    ]


def test_sign_in_names_are_case_insensitive(synthesized: Synthesized) -> None:
    [pool] = synthesized.of_type("AWS::Cognito::UserPool").values()

    assert pool["Properties"]["UsernameConfiguration"] == {"CaseSensitive": False}
