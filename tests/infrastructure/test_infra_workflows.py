"""The KYC workflow (the KYC gate): opens the case, waits with a task token for its conclusion for the firm's
window plus a margin, asks the case after a timeout, announces the conclusion and answers it as its output;
branches on outcomes (never on error names); reusable from another workflow with `kyc_gate_task`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template

from infra.constructs.kyc import KycSettings
from infra.constructs.workflows import kyc_gate_task
from tests.infrastructure.conftest import Synthesized

pytestmark = pytest.mark.infra

GATE_INPUT = {
    "trader_id.$": "$.trader_id",
    "need": {"kind.$": "$.need.kind", "reference.$": "$.need.reference"},
}
PROGRESS = {
    "outcome.$": "$.Payload.outcome",
    "status.$": "$.Payload.status",
    "attempt.$": "$.Payload.attempt",
}


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


def _choices(state: dict[str, Any]) -> list[tuple[Any, str]]:
    """(condition, next state) of a Choice, conditions reduced to what they compare."""
    found = []
    for choice in state["Choices"]:
        if "Or" in choice:
            found.append(({c["StringEquals"] for c in choice["Or"]}, choice["Next"]))
        else:
            found.append(((choice["Variable"], choice["StringEquals"]), choice["Next"]))
    return found


def test_the_gate_opens_the_case_then_waits_for_its_conclusion_with_a_task_token(
    kyc: dict[str, Any], synthesized: Synthesized
) -> None:
    states = kyc["States"]
    open_case, wait = states["OpenCase"], states["WaitForConclusion"]

    assert kyc["StartAt"] == "OpenCase"
    assert open_case["Resource"].endswith(":states:::lambda:invoke")
    assert open_case["Parameters"]["FunctionName"] == f"<{synthesized.function_id('kyc_request')}>"
    assert open_case["Parameters"]["Payload"] == {"step": "open", **GATE_INPUT}
    assert (open_case["ResultSelector"], open_case["ResultPath"]) == (PROGRESS, "$.case")
    assert wait["Resource"].endswith(":states:::lambda:invoke.waitForTaskToken")
    assert wait["Parameters"]["FunctionName"] == f"<{synthesized.function_id('kyc_request')}>"
    assert wait["Parameters"]["Payload"] == {"step": "wait", **GATE_INPUT, "task_token.$": "$$.Task.Token"}


def test_the_wait_lasts_the_firms_decision_window_plus_a_day(kyc: dict[str, Any]) -> None:
    assert kyc["States"]["WaitForConclusion"]["TimeoutSeconds"] == (14 + 1) * 24 * 3600


def test_each_outcome_of_opening_the_case_has_its_branch(kyc: dict[str, Any]) -> None:
    states = kyc["States"]
    opened = states[states["OpenCase"]["Next"]]

    assert opened["Type"] == "Choice"
    assert _choices(opened) == [
        ({"approved", "declined", "expired"}, "RecordConclusion"),
        (("$.case.outcome", "open"), "WaitForConclusion"),
        (("$.case.outcome", "provider_unavailable"), "WaitForProvider"),
    ]
    assert opened["Default"] == "KycFailed"
    assert (states["WaitForProvider"]["Seconds"], states["WaitForProvider"]["Next"]) == (300, "OpenCase")


def test_a_wait_that_times_out_asks_the_case_which_concludes_or_waits_again(
    kyc: dict[str, Any], synthesized: Synthesized
) -> None:
    states = kyc["States"]
    wait, check = states["WaitForConclusion"], states["CheckCase"]
    checked = states[check["Next"]]

    assert wait["Retry"][-1]["ErrorEquals"] == ["States.TaskFailed"]  # after the Lambda service errors
    assert wait["Catch"] == [
        {"ErrorEquals": ["States.ALL"], "ResultPath": "$.wait_error", "Next": "CheckCase"}
    ]
    assert check["Parameters"]["FunctionName"] == f"<{synthesized.function_id('kyc_decision')}>"
    assert check["Parameters"]["Payload"] == {"step": "check", "trader_id.$": "$.trader_id"}
    assert _choices(checked) == [
        ({"approved", "declined", "expired"}, "RecordConclusion"),
        (("$.wait_error.Error", "States.Timeout"), "OpenCase"),  # still open: the wait continues
    ]
    assert checked["Default"] == "KycFailed"


def test_the_conclusion_is_announced_then_answered_as_the_gates_output(
    kyc: dict[str, Any], synthesized: Synthesized
) -> None:
    states = kyc["States"]
    record = states[states["WaitForConclusion"]["Next"]]
    concluded = states[record["Next"]]
    answer = states["KycConcluded"]

    assert record["Parameters"]["FunctionName"] == f"<{synthesized.function_id('kyc_decision')}>"
    assert record["Parameters"]["Payload"] == {"step": "announce", "trader_id.$": "$.trader_id"}
    assert _choices(concluded) == [({"approved", "declined", "expired"}, "KycConcluded")]
    assert concluded["Default"] == "OpenCase"  # reopened by staff meanwhile: the gate waits on
    assert answer["Parameters"] == {
        "trader_id.$": "$.trader_id",
        "need.$": "$.need",
        "outcome.$": "$.case.outcome",
    }
    assert states[answer["Next"]]["Type"] == "Succeed"


def test_task_errors_are_tried_again_then_caught_only_as_states_all(kyc: dict[str, Any]) -> None:
    tasks = {name: state for name, state in kyc["States"].items() if state["Type"] == "Task"}

    assert set(tasks) == {"OpenCase", "WaitForConclusion", "CheckCase", "RecordConclusion"}
    for name, task in tasks.items():
        assert task["Retry"][-1] == {
            "ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 5, "MaxAttempts": 3, "BackoffRate": 2,
        }, name  # fmt: skip
        assert [catch["ErrorEquals"] for catch in task["Catch"]] == [["States.ALL"]], name
        if name != "WaitForConclusion":
            assert kyc["States"][task["Catch"][0]["Next"]]["Type"] == "Fail"


def test_nothing_on_the_bus_starts_the_gate_only_the_workflows_that_need_it(
    synthesized: Synthesized,
) -> None:
    (kyc_id,) = [
        logical
        for logical in synthesized.of_type("AWS::StepFunctions::StateMachine")
        if logical.startswith("WorkflowsKyc")
    ]
    targets = [
        json.dumps(target["Arn"])
        for rule in synthesized.of_type("AWS::Events::Rule").values()
        for target in rule["Properties"].get("Targets", [])
    ]

    assert targets and not [
        arn for arn in targets if kyc_id in arn
    ]  # the progression (funded stage) and payout workflows run it with .sync


def test_another_workflow_runs_the_gate_to_its_end_and_branches_on_its_outcome() -> None:
    stack = Stack(App(), "Parent")
    gate = sfn.StateMachine.from_state_machine_arn(
        stack, "Gate", "arn:aws:states:us-east-1:000000000000:stateMachine:propdesk-dev-kyc"
    )
    task = kyc_gate_task(stack, "KycGate", gate, "payout", "$.payout_id", trader_id_path="$.trader")
    sfn.StateMachine(stack, "Payout", definition_body=sfn.DefinitionBody.from_chainable(task))

    [machine] = Template.from_stack(stack).find_resources("AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    definition = json.loads("".join(part if isinstance(part, str) else _placeholder(part) for part in parts))
    state = definition["States"]["KycGate"]
    assert state["Resource"].endswith(":states:::states:startExecution.sync:2")
    assert state["Parameters"]["StateMachineArn"] == gate.state_machine_arn
    assert state["Parameters"]["Input"] == {
        "trader_id.$": "$.trader",
        "need": {"kind": "payout", "reference.$": "$.payout_id"},
        "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id",
    }
    assert (state["ResultSelector"], state["ResultPath"]) == ({"outcome.$": "$.Output.outcome"}, "$.kyc")


def test_the_firm_chooses_its_kyc_provider_and_terms_in_cdk_context() -> None:
    context = {"kyc_provider": "sumsub", "sumsub_api_base": "http://127.0.0.1:4580", "kyc_max_attempts": "5"}
    settings = KycSettings.from_context(App(context=context))

    assert (settings.provider, settings.api_base, settings.max_attempts) == (
        "sumsub",
        "http://127.0.0.1:4580",
        5,
    )
    assert settings.policy_environment() == {"KYC_MAX_ATTEMPTS": "5", "KYC_DECISION_WINDOW_DAYS": "14"}
    with pytest.raises(ValueError, match="kyc_provider"):
        KycSettings.from_context(App(context={"kyc_provider": "onfido"}))


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
