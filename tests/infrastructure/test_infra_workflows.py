"""The KYC workflow: started by a passed evaluation, waits for the provider's decision with a task token,
branches on the decision, and fails cleanly on any error."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infrastructure.conftest import Synthesized

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def kyc(synthesized: Synthesized) -> dict[str, Any]:
    machines = [
        machine
        for logical, machine in synthesized.of_type("AWS::StepFunctions::StateMachine").items()
        if logical.startswith("WorkflowsKyc")
    ]
    assert len(machines) == 1
    parts = machines[0]["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = "".join(part if isinstance(part, str) else _placeholder(part) for part in parts)
    definition: dict[str, Any] = json.loads(text)
    return definition


def _placeholder(intrinsic: dict[str, Any]) -> str:
    if "Fn::GetAtt" in intrinsic:
        return f"<{intrinsic['Fn::GetAtt'][0]}>"
    return f"<{intrinsic.get('Ref', 'intrinsic')}>"


def test_request_verification_waits_a_week_for_the_callback_with_a_task_token(
    kyc: dict[str, Any], synthesized: Synthesized
) -> None:
    request = kyc["States"][kyc["StartAt"]]

    assert kyc["StartAt"] == "RequestVerification"
    assert request["Resource"].endswith(":states:::lambda:invoke.waitForTaskToken")
    assert request["Parameters"]["FunctionName"] == f"<{synthesized.function_id('kyc_request')}>"
    assert request["Parameters"]["Payload"] == {
        "trader_id.$": "$.trader_id",
        "account_id.$": "$.account_id",
        "task_token.$": "$$.Task.Token",
    }
    assert request["TimeoutSeconds"] == 7 * 24 * 3600


def test_the_decision_is_branched_on_and_recorded(kyc: dict[str, Any], synthesized: Synthesized) -> None:
    states = kyc["States"]
    read = states[states["RequestVerification"]["Next"]]
    choice = states[read["Next"]]
    record = states[choice["Choices"][0]["Next"]]

    assert read["Parameters"]["decision.$"] == "$.verification.decision"
    assert choice["Type"] == "Choice"
    assert {c["StringEquals"] for c in choice["Choices"][0]["Or"]} == {"approved", "declined", "resubmission"}
    assert {c["Variable"] for c in choice["Choices"][0]["Or"]} == {"$.decision"}
    assert states[choice["Default"]]["Type"] == "Fail"
    assert record["Parameters"]["FunctionName"] == f"<{synthesized.function_id('kyc_decision')}>"
    assert record["Parameters"]["Payload"] == {"trader_id.$": "$.trader_id", "decision.$": "$.decision"}
    assert states[record["Next"]]["Type"] == "Succeed"


def test_task_errors_are_caught_only_as_states_all_into_a_fail_state(kyc: dict[str, Any]) -> None:
    tasks = {name: state for name, state in kyc["States"].items() if state["Type"] == "Task"}

    assert set(tasks) == {"RequestVerification", "RecordDecision"}
    for task in tasks.values():
        assert [catch["ErrorEquals"] for catch in task["Catch"]] == [["States.ALL"]]
        assert kyc["States"][task["Catch"][0]["Next"]]["Type"] == "Fail"


def test_a_passed_evaluation_starts_the_workflow_with_the_trader_and_account(
    synthesized: Synthesized,
) -> None:
    machine_id = next(iter(synthesized.of_type("AWS::StepFunctions::StateMachine")))
    rules = [
        rule["Properties"]
        for rule in synthesized.of_type("AWS::Events::Rule").values()
        if rule["Properties"]["Targets"][0]["Arn"] == {"Ref": machine_id}
    ]

    assert len(rules) == 1
    assert rules[0]["EventPattern"] == {"source": ["propdesk"], "detail-type": ["account.passed"]}
    transformer = rules[0]["Targets"][0]["InputTransformer"]
    assert transformer["InputPathsMap"] == {
        "detail-trader_id": "$.detail.trader_id",
        "detail-account_id": "$.detail.account_id",
    }
    assert transformer["InputTemplate"] == '{"trader_id":<detail-trader_id>,"account_id":<detail-account_id>}'


def test_workflow_is_standard_traced_and_logged_without_payloads(synthesized: Synthesized) -> None:
    synthesized.template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "StateMachineType": "STANDARD",
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": {
                "Level": "ALL",
                "IncludeExecutionData": False,
                "Destinations": [
                    {
                        "CloudWatchLogsLogGroup": {
                            "LogGroupArn": {"Fn::GetAtt": [_log_group_id(synthesized), "Arn"]}
                        }
                    }
                ],
            },
        },
    )


def _log_group_id(synthesized: Synthesized) -> str:
    return next(
        key
        for key, group in synthesized.of_type("AWS::Logs::LogGroup").items()
        if group["Properties"]["LogGroupName"] == "/propdesk/dev/states/kyc"
    )
