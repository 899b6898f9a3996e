"""The progression workflow: started by `account.passed`, it branches on its first task's outcome, may wait
for a staff review (task token), passes the funded stage through the KYC gate, opens the next account with
retries and backoff, then closes the old one and tells the trader; every task ends in the Fail state on an
error that outlives its retries."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infrastructure.conftest import Synthesized

pytestmark = pytest.mark.infra


def _machine_id(synthesized: Synthesized) -> str:
    [machine_id] = [
        key
        for key in synthesized.of_type("AWS::StepFunctions::StateMachine")
        if key.startswith("Progression")
    ]
    return machine_id


@pytest.fixture(scope="module")
def progression(synthesized: Synthesized) -> dict[str, Any]:
    machine = synthesized.resources[_machine_id(synthesized)]
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = "".join(part if isinstance(part, str) else _placeholder(part) for part in parts)
    definition: dict[str, Any] = json.loads(text)
    return definition


def _placeholder(intrinsic: dict[str, Any]) -> str:
    if "Fn::GetAtt" in intrinsic:
        return f"<{intrinsic['Fn::GetAtt'][0]}>"
    return f"<{intrinsic.get('Ref', 'intrinsic')}>"


def _task_function(state: dict[str, Any]) -> str:
    return str(state["Parameters"]["FunctionName"])


def test_the_run_starts_with_the_start_task_given_the_run_id(
    progression: dict[str, Any], synthesized: Synthesized
) -> None:
    start = progression["States"][progression["StartAt"]]

    assert progression["StartAt"] == "Start"
    assert _task_function(start) == f"<{synthesized.function_id('progression_start')}>"
    assert start["Parameters"]["Payload"] == {
        "account_id.$": "$.account_id",
        "trader_id.$": "$.trader_id",
        "passed_at.$": "$.passed_at",
        "execution.$": "$$.Execution.Id",
    }
    assert start["ResultPath"] == "$.start"


def test_only_a_proceeding_progression_goes_on_the_others_succeed_doing_nothing(
    progression: dict[str, Any],
) -> None:
    states = progression["States"]
    proceed = states[states["Start"]["Next"]]

    assert proceed["Type"] == "Choice"
    assert proceed["Choices"][0]["Variable"] == "$.start.outcome"
    assert proceed["Choices"][0]["StringEquals"] == "proceed"
    assert states[proceed["Default"]]["Type"] == "Succeed"


def test_a_review_waits_two_weeks_for_the_staff_decision_with_a_task_token(
    progression: dict[str, Any], synthesized: Synthesized
) -> None:
    states = progression["States"]
    needs_review = states["NeedsReview"]
    wait = states[needs_review["Choices"][0]["Next"]]

    assert needs_review["Choices"][0] == {
        "Variable": "$.start.review",
        "BooleanEquals": True,
        "Next": "AwaitReview",
    }
    assert wait["Resource"].endswith(":states:::lambda:invoke.waitForTaskToken")
    assert _task_function(wait) == f"<{synthesized.function_id('progression_review')}>"
    assert wait["Parameters"]["Payload"]["task_token.$"] == "$$.Task.Token"
    assert wait["TimeoutSeconds"] == 14 * 24 * 3600
    decided = states[wait["Next"]]
    assert decided["Choices"][0]["StringEquals"] == "approved"
    assert states[decided["Default"]]["Type"] == "Succeed"  # rejected: nothing opens


def test_the_funded_stage_passes_the_kyc_gate_before_the_account_opens(progression: dict[str, Any]) -> None:
    states = progression["States"]
    funded = states["Funded"]
    gate = states[funded["Choices"][0]["Next"]]
    approved = states[gate["Next"]]

    assert funded["Choices"][0]["Variable"] == "$.start.funded"
    assert gate["Resource"].endswith(":states:::states:startExecution.sync:2")
    assert gate["Parameters"]["Input"]["need"] == {"kind": "funded", "reference.$": "$.account_id"}
    assert gate["ResultPath"] == "$.kyc"
    assert approved["Choices"][0] == {
        "Variable": "$.kyc.outcome",
        "StringEquals": "approved",
        "Next": "OpenNextAccount",
    }
    assert states[approved["Default"]]["Type"] == "Succeed"  # declined or expired: nothing opens
    assert funded["Default"] == "OpenNextAccount"  # another phase needs no KYC


def test_opening_retries_with_backoff_then_finishes_and_every_task_fails_cleanly(
    progression: dict[str, Any], synthesized: Synthesized
) -> None:
    states = progression["States"]
    open_next, finish = states["OpenNextAccount"], states["Finish"]

    assert _task_function(open_next) == f"<{synthesized.function_id('progression_open')}>"
    assert open_next["Parameters"]["Payload"] == {
        "account_id.$": "$.account_id",
        "passed_at.$": "$.passed_at",
    }
    [retry] = [r for r in open_next["Retry"] if r["ErrorEquals"] == ["States.ALL"]]
    assert (retry["IntervalSeconds"], retry["MaxAttempts"], retry["BackoffRate"]) == (10, 8, 2)
    assert open_next["Next"] == "Finish"
    assert _task_function(finish) == f"<{synthesized.function_id('progression_finish')}>"
    assert states[finish["Next"]]["Type"] == "Succeed"
    for name in ("Start", "AwaitReview", "KycGate", "OpenNextAccount", "Finish"):
        [catch] = states[name]["Catch"]
        assert catch["ErrorEquals"] == ["States.ALL"]
        assert states[catch["Next"]]["Type"] == "Fail"


def test_account_passed_starts_the_workflow_with_the_account_trader_and_pass_time(
    synthesized: Synthesized,
) -> None:
    machine_id = _machine_id(synthesized)
    [rule] = [
        rule["Properties"]
        for rule in synthesized.of_type("AWS::Events::Rule").values()
        if rule["Properties"]["Targets"][0]["Arn"] == {"Ref": machine_id}
    ]

    assert rule["EventPattern"] == {"source": ["propdesk"], "detail-type": ["account.passed"]}
    target = rule["Targets"][0]
    assert target["InputTransformer"]["InputPathsMap"] == {
        "detail-account_id": "$.detail.account_id",
        "detail-trader_id": "$.detail.trader_id",
        "detail-occurred_at": "$.detail.occurred_at",
    }
    assert "DeadLetterConfig" in target and target["RetryPolicy"]["MaximumRetryAttempts"] == 8


def test_the_staff_route_may_resume_the_workflow_and_only_this_one(synthesized: Synthesized) -> None:
    machine_id = _machine_id(synthesized)
    resumes = [
        statement
        for statement in synthesized.function_statements("progression_api")
        if "states:SendTaskSuccess" in statement["Action"]
    ]

    assert [statement["Resource"] for statement in resumes] == [{"Ref": machine_id}]


def test_only_the_opening_step_reads_the_platform_credentials(synthesized: Synthesized) -> None:
    readers = {
        name
        for name in synthesized.functions()
        if name.startswith("progression_")
        and "secretsmanager:GetSecretValue" in synthesized.function_actions(name)
    }

    assert readers == {"progression_open"}
