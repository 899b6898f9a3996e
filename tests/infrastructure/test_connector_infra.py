"""The connector service in the template: nothing unless the context names its image (the local cloud runs
it as processes); with an image, one Fargate service per streamed platform the firm connects (cTrader,
DXtrade, Match-Trader; never a polled one such as TradeLocker), in a nested stack of its own, ARM64, each
pushing to the events route with its own platform's signing secret, reading only its own platform's
credentials, and admitting no inbound traffic."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infrastructure.conftest import CONNECTOR_IMAGE as IMAGE
from tests.infrastructure.conftest import Synthesized, statement_actions

pytestmark = pytest.mark.infra

STREAMED = ("ctrader", "dxtrade", "match-trader")


def test_without_an_image_there_is_no_container_service(synthesized: Synthesized) -> None:
    assert synthesized.of_type("AWS::ECS::Service") == {}


def containers(synthesized: Synthesized) -> dict[str, tuple[str, dict[str, Any]]]:
    """Platform → (the task definition's logical id, its one container)."""
    found = {}
    for logical_id, task in synthesized.of_type("AWS::ECS::TaskDefinition").items():
        (container,) = task["Properties"]["ContainerDefinitions"]
        found[environment_of(container)["CONNECTOR_PLATFORM"]] = (logical_id, container)
    return found


def literal(value: Any) -> str:
    """A string the template builds with `Fn::Join`, each reference in it as `REF`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(literal(part) for part in parts)
    return "REF"


def environment_of(container: dict[str, Any]) -> dict[str, Any]:
    return {variable["Name"]: variable["Value"] for variable in container["Environment"]}


def task_role_statements(synthesized: Synthesized, task_id: str) -> list[dict[str, Any]]:
    role = synthesized.resources[task_id]["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]
    return synthesized.role_statements(role)


def secret_reads(statements: list[dict[str, Any]]) -> set[str]:
    """The logical ids of the secrets the statements let read."""
    read = set()
    for statement in statements:
        if "secretsmanager:GetSecretValue" in statement_actions(statement):
            resource = statement["Resource"]
            resources = resource if isinstance(resource, list) else [resource]
            read |= {json.dumps(resource) for resource in resources}
    return read


def test_with_an_image_each_streamed_platform_has_its_own_fargate_service(
    with_connector: Synthesized,
) -> None:
    assert with_connector.synth_error is None, with_connector.synth_error
    services = with_connector.of_type("AWS::ECS::Service")
    assert len(services) == len(STREAMED)  # TradeLocker is connected too, but polled: no task
    for service in services.values():
        assert service["Properties"]["LaunchType"] == "FARGATE"
        assert service["Properties"]["DesiredCount"] == 1
    found = containers(with_connector)
    assert sorted(found) == sorted(STREAMED)
    for platform, (task_id, container) in found.items():
        task = with_connector.resources[task_id]["Properties"]
        assert task["RuntimePlatform"]["CpuArchitecture"] == "ARM64"
        assert literal(container["Image"]).endswith(IMAGE.split(".amazonaws.com", 1)[1])
        environment = environment_of(container)
        assert "/v1/platform/events" in json.dumps(environment["EVENTS_URL"])
        assert list(json.loads(literal(environment["PLATFORM_CONNECTIONS"]))) == [platform]  # its own alone


def test_each_task_signs_with_its_own_platforms_signing_secret(with_connector: Synthesized) -> None:
    for platform, (_, container) in containers(with_connector).items():
        signing = json.dumps(environment_of(container)["SIGNING_SECRET_ARN"])
        own = "".join(part.capitalize() for part in platform.split("-")) + "SigningSecret"
        assert own in signing
        assert signing.count("SigningSecret") == 1


def test_each_task_reads_only_its_own_platforms_secrets(with_connector: Synthesized) -> None:
    secrets = with_connector.of_type("AWS::SecretsManager::Secret")
    signing = {key for key in secrets if "SigningSecret" in key}
    for platform, (task_id, _) in containers(with_connector).items():
        readable = secret_reads(task_role_statements(with_connector, task_id))
        readable_secrets = {key for key in secrets if any(key in resource for resource in readable)}
        name = "".join(part.capitalize() for part in platform.split("-"))
        assert readable_secrets & signing == {s for s in signing if f"{name}SigningSecret" in s}
        connection = readable_secrets - signing
        assert len(connection) == 1, (platform, connection)
        (credentials,) = connection
        if platform == "match-trader":
            assert "MatchTrader" in credentials  # the provider secret propdesk/{stage}/match-trader
        else:
            assert credentials.startswith(f"Platforms{name}Secret"), credentials


def test_each_task_reads_the_table_and_writes_only_the_circuit_breakers(with_connector: Synthesized) -> None:
    for task_id, _ in containers(with_connector).values():
        statements = task_role_statements(with_connector, task_id)
        writes = [
            statement
            for statement in statements
            if any(action.startswith("dynamodb:") and action.split(":")[1] in WRITES
                   for action in statement_actions(statement))
        ]  # fmt: skip
        assert [statement_actions(s) for s in writes] == [["dynamodb:UpdateItem"]]
        (write,) = writes
        assert write["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"] == ["SYSTEM"]
        actions = {action for statement in statements for action in statement_actions(statement)}
        assert {"dynamodb:Query", "dynamodb:GetItem"} <= actions
        assert not any(action.startswith(("events:", "lambda:", "sqs:")) for action in actions)


WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def test_the_tasks_admit_no_inbound_traffic_and_live_in_a_nested_stack(with_connector: Synthesized) -> None:
    groups = with_connector.of_type("AWS::EC2::SecurityGroup")
    assert len(groups) >= len(STREAMED)
    for group in groups.values():
        assert not group["Properties"].get("SecurityGroupIngress")
    parent = json.loads(with_connector.template_path.read_text())["Resources"]
    assert not any(resource["Type"].startswith("AWS::ECS::") for resource in parent.values())


def test_an_image_in_ecr_is_pulled_through_the_repository(with_connector: Synthesized) -> None:
    for task_id, _ in containers(with_connector).values():
        role = with_connector.resources[task_id]["Properties"]["ExecutionRoleArn"]["Fn::GetAtt"][0]
        actions = {a for s in with_connector.role_statements(role) for a in statement_actions(s)}
        assert {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:GetAuthorizationToken"} <= actions
