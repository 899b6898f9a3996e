"""The connector service in the template: nothing unless the context names its image (the local cloud runs
it as a process); with an image and a cTrader connection, one Fargate task in a nested stack of its own,
ARM64, pushing to the events route with cTrader's signing secret, and no inbound rule."""

from __future__ import annotations

import json

import pytest

from tests.infrastructure.conftest import CONNECTOR_IMAGE as IMAGE
from tests.infrastructure.conftest import Synthesized

pytestmark = pytest.mark.infra


def test_without_an_image_there_is_no_container_service(synthesized: Synthesized) -> None:
    assert synthesized.of_type("AWS::ECS::Service") == {}


def test_with_an_image_one_fargate_task_holds_the_ctrader_connection(with_connector: Synthesized) -> None:
    assert with_connector.synth_error is None, with_connector.synth_error
    (service,) = with_connector.of_type("AWS::ECS::Service").values()
    assert service["Properties"]["LaunchType"] == "FARGATE"
    assert service["Properties"]["DesiredCount"] == 1
    (task,) = with_connector.of_type("AWS::ECS::TaskDefinition").values()
    assert task["Properties"]["RuntimePlatform"]["CpuArchitecture"] == "ARM64"
    (container,) = task["Properties"]["ContainerDefinitions"]
    assert container["Image"] == IMAGE
    environment = {variable["Name"]: variable["Value"] for variable in container["Environment"]}
    assert environment["CONNECTOR_PLATFORM"] == "ctrader"
    assert "/v1/platform/events" in json.dumps(environment["EVENTS_URL"])
    assert "SigningSecret" in json.dumps(environment["SIGNING_SECRET_ARN"])
    for group in with_connector.of_type("AWS::EC2::SecurityGroup").values():
        assert not group["Properties"].get("SecurityGroupIngress")
    parent = json.loads(with_connector.template_path.read_text())["Resources"]
    assert not any(resource["Type"] == "AWS::ECS::Service" for resource in parent.values())
