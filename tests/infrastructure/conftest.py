"""Synthesizes the real app once per test session (about 6 s): the template, cdk-nag's validation report and
the lookups the infrastructure tests share."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# This machine's node 20 is past jsii's support window: a banner on every synth, not a failure.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from aws_cdk import App
from aws_cdk.assertions import Template

from infra.config import PROJECT_ROOT
from infra.stack import build_app

STACK_NAME = "Propdesk-dev"


@dataclass(frozen=True)
class Synthesized:
    template: Template
    resources: dict[str, dict[str, Any]]
    outputs: dict[str, Any]
    template_path: Path
    validation_report: dict[str, Any]
    synth_error: str | None
    context: dict[str, Any]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {key: value for key, value in self.resources.items() if value["Type"] == resource_type}

    def functions(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """Function name (its folder under functions/) → (logical id, properties)."""
        found = {}
        for logical_id, resource in self.of_type("AWS::Lambda::Function").items():
            properties = resource["Properties"]
            name = properties["Handler"].removeprefix("functions.").removesuffix(".handler.handler")
            found[name] = (logical_id, properties)
        return found

    def function_id(self, name: str) -> str:
        return self.functions()[name][0]

    def role_statements(self, role_logical_id: str) -> list[dict[str, Any]]:
        statements: list[dict[str, Any]] = []
        for resource in self.of_type("AWS::IAM::Policy").values():
            if {"Ref": role_logical_id} in resource["Properties"]["Roles"]:
                statements.extend(resource["Properties"]["PolicyDocument"]["Statement"])
        return statements

    def function_statements(self, name: str) -> list[dict[str, Any]]:
        role = self.functions()[name][1]["Role"]["Fn::GetAtt"][0]
        return self.role_statements(role)

    def function_actions(self, name: str) -> set[str]:
        return {
            action for statement in self.function_statements(name) for action in statement_actions(statement)
        }

    def dead_letter_queue_ids(self) -> set[str]:
        """Every queue something sends its failures to: redrive targets, DLQs and on-failure destinations."""
        found: set[str] = set()

        def collect(node: Any, inside_failure_slot: bool) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    slot = inside_failure_slot or key in {
                        "DeadLetterConfig",
                        "OnFailure",
                        "deadLetterTargetArn",
                    }
                    if key == "Fn::GetAtt" and inside_failure_slot and value[1] == "Arn":
                        found.add(value[0])
                    collect(value, slot)
            elif isinstance(node, list):
                for item in node:
                    collect(item, inside_failure_slot)

        collect(self.resources, inside_failure_slot=False)
        return {queue for queue in found if self.resources[queue]["Type"] == "AWS::SQS::Queue"}


def flattened(template: dict[str, Any], assembly: Path) -> dict[str, Any]:
    """The stack's template with its nested stacks' resources in it, their parameters replaced by what the
    parent passes and the parent's reads of their outputs by the outputs' values, so that tests see one
    stack as the flattened template would be (the nested stack resource itself stays, and tests that look
    for it still find it)."""
    resources = dict(template["Resources"])
    assets = json.loads((assembly / f"{STACK_NAME}.assets.json").read_text())["files"]
    nested_templates = {
        asset_hash: assembly / asset["source"]["path"]
        for asset_hash, asset in assets.items()
        if asset["source"]["path"].endswith(".nested.template.json")
    }
    outputs: dict[tuple[str, str], Any] = {}
    for nested_id, nested in template["Resources"].items():
        if nested["Type"] != "AWS::CloudFormation::Stack":
            continue
        url = json.dumps(nested["Properties"]["TemplateURL"])
        (path,) = [path for asset_hash, path in nested_templates.items() if asset_hash in url]
        child = json.loads(path.read_text())
        passed = nested["Properties"].get("Parameters", {})
        for logical_id, resource in child["Resources"].items():
            assert logical_id not in resources, f"{logical_id} is in the stack and in a nested stack"
            resources[logical_id] = _substituted(resource, passed)
        for name, output in child.get("Outputs", {}).items():
            outputs[(nested_id, f"Outputs.{name}")] = _substituted(output["Value"], passed)
    return {**template, "Resources": _outputs_read(resources, outputs)}


def _outputs_read(node: Any, outputs: dict[tuple[str, str], Any]) -> Any:
    if isinstance(node, dict):
        if set(node) == {"Fn::GetAtt"} and tuple(node["Fn::GetAtt"]) in outputs:
            return outputs[tuple(node["Fn::GetAtt"])]
        return {key: _outputs_read(value, outputs) for key, value in node.items()}
    if isinstance(node, list):
        return [_outputs_read(item, outputs) for item in node]
    return node


def _substituted(node: Any, parameters: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if set(node) == {"Ref"} and node["Ref"] in parameters:
            return parameters[node["Ref"]]
        return {key: _substituted(value, parameters) for key, value in node.items()}
    if isinstance(node, list):
        return [_substituted(item, parameters) for item in node]
    return node


def statement_actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def project_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    return context


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    yield synthesize(tmp_path_factory.mktemp("synth"))


# The providers' fakes as `make dev` points the stack at them (each synth costs seconds: one serves both).
LOCAL_PROVIDER_URLS = {
    "stripe_api_base": "http://127.0.0.1:12111",
    "coinbase_api_base": "http://127.0.0.1:12112",
    "match_trader_base_url": "http://127.0.0.1:12113",
}


@pytest.fixture(scope="session")
def synthesized_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    """The stack as `make dev` deploys it into the local cloud (`-c local=true`, the providers' base URLs
    pointing at local fakes: `LOCAL_PROVIDER_URLS`), with a card-country rule set (`FRAUD_COUNTRIES`)."""
    yield synthesize(
        tmp_path_factory.mktemp("synth-local"),
        local="true",
        fraud_countries=FRAUD_COUNTRIES,
        **LOCAL_PROVIDER_URLS,
    )


FRAUD_COUNTRIES = "KP=block,NG=flag"


CONNECTOR_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/propdesk-connector:1"


@pytest.fixture(scope="session")
def with_connector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    """The stack connected to cTrader, DXtrade and TradeLocker too, with the connector's image named."""
    connections = json.dumps(
        {
            "ctrader": {"server": "Firm-cTrader"},
            "dxtrade": {"server": "Firm-DX"},
            "tradelocker": {"server": "Firm-TL"},
        }
    )
    yield synthesize(
        tmp_path_factory.mktemp("synth-connector"),
        connector_image=CONNECTOR_IMAGE,
        platform_connections=connections,
    )


def synthesize(work: Path, **extra_context: str) -> Synthesized:
    """Synthesize the app (stage dev, the project's cdk.json context plus `extra_context`) under `work`."""
    layer = work / "layer"
    (layer / "python").mkdir(parents=True)  # the stack needs a layer folder; its content is make layer's job
    context = {
        **project_context(),
        "stage": "dev",
        "layer_dir": str(layer),
        "asset_dir": str(work / "assets"),
        **extra_context,
    }
    app = App(context=context, outdir=str(work / "cdk.out"))
    build_app(app)
    synth_error = None
    try:
        app.synth()
    except RuntimeError as error:  # cdk-nag findings fail synthesis; the template is written regardless
        synth_error = str(error)
    template_path = work / "cdk.out" / f"{STACK_NAME}.template.json"
    raw = flattened(json.loads(template_path.read_text()), work / "cdk.out")
    report_path = work / "cdk.out" / "validation-report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {"pluginReports": []}
    return Synthesized(
        template=Template.from_json(raw),
        resources=raw["Resources"],
        outputs=raw.get("Outputs", {}),
        template_path=template_path,
        validation_report=report,
        synth_error=synth_error,
        context=context,
    )
