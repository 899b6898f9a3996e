"""The payout workflow's state machine: started by `payout.requested`, the checks in order, approval automatic
or waiting for finance with a task token, the withdrawal before the payment, the payment waiting for the
rail's webhook, compensation after a failed payment, and only the functions that resume it may."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infrastructure.conftest import Synthesized, statement_actions

pytestmark = pytest.mark.infra


@pytest.fixture(scope="module")
def payouts(synthesized: Synthesized) -> dict[str, Any]:
    machines = [
        machine
        for logical, machine in synthesized.of_type("AWS::StepFunctions::StateMachine").items()
        if logical.startswith("PayoutWorkflowPayout")
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


def _function_of(state: dict[str, Any]) -> str:
    return str(state.get("Parameters", {}).get("FunctionName") or state.get("Resource"))


def test_the_checks_run_in_order_before_approval_and_a_refusal_ends_unpaid(
    payouts: dict[str, Any], synthesized: Synthesized
) -> None:
    states = payouts["States"]
    order = []
    state_id = payouts["StartAt"]
    for _ in range(3):
        order.append(state_id)
        if state_id == "KycGate":  # the KYC workflow runs to its end, then its conclusion is checked
            state_id = states[state_id]["Next"]
            order.append(state_id)
        choice = states[states[state_id]["Next"]]
        assert choice["Choices"][0]["StringEquals"] == "passed"
        assert states[choice["Default"]]["Type"] == "Succeed"
        state_id = choice["Choices"][0]["Next"]

    assert order == ["Assess", "KycGate", "KycCheck", "Screen"] and state_id == "Approve"
    gate = states["KycGate"]
    assert gate["Resource"].endswith(":states:::states:startExecution.sync:2")
    assert gate["Parameters"]["Input"]["need"] == {"kind": "payout", "reference.$": "$.payout_id"}
    checks = [name for name in order if name != "KycGate"]
    for name, step in zip(checks, ("assess", "kyc_check", "screen"), strict=True):
        assert f"<{synthesized.function_id('payout_steps')}>" in _function_of(states[name])
        assert states[name]["Parameters"]["step"] == step
        assert ["States.ALL"] in [retry["ErrorEquals"] for retry in states[name]["Retry"]]


def test_approval_is_automatic_or_waits_for_finance_with_a_task_token(payouts: dict[str, Any]) -> None:
    states = payouts["States"]
    approved = states["Approved?"]["Choices"]
    wait = states["WaitForFinance"]

    assert {c["StringEquals"]: c["Next"] for c in approved} == {
        "approved": "Withdraw",
        "wait": "WaitForFinance",
    }
    assert wait["Resource"].endswith(":states:::lambda:invoke.waitForTaskToken")
    assert wait["Parameters"]["Payload"] == {
        "step": "wait_for_approval", "payout_id.$": "$.payout_id", "task_token.$": "$$.Task.Token",
    }  # fmt: skip
    assert wait["TimeoutSeconds"] == 14 * 24 * 3600
    # a function that failed before storing the token is invoked again, not taken for finance's silence
    assert wait["Retry"][-1]["ErrorEquals"] == ["States.TaskFailed"]  # after the Lambda service errors
    assert states[wait["Catch"][0]["Next"]]["Next"] == "Compensate"  # the 14 days ran out: not paid
    finance = states[wait["Next"]]["Choices"][0]
    assert (finance["Variable"], finance["StringEquals"], finance["Next"]) == (
        "$.decision.decision", "approve", "Withdraw",
    )  # fmt: skip


def test_the_withdrawal_comes_before_the_payment_which_waits_for_the_rails_webhook(
    payouts: dict[str, Any],
) -> None:
    states = payouts["States"]
    withdrawn = states[states["Withdraw"]["Next"]]["Choices"][0]
    pay = states["Pay"]
    paid = states[pay["Next"]]

    assert (withdrawn["StringEquals"], withdrawn["Next"]) == ("withdrawn", "Pay")
    assert states["Withdraw"]["Catch"][0]["Next"] == "NeedsAttention"  # never compensated blindly
    assert pay["Resource"].endswith(":states:::lambda:invoke.waitForTaskToken")
    assert pay["TimeoutSeconds"] == 5 * 24 * 3600
    assert paid["Choices"][0]["StringEquals"] == "paid" and paid["Choices"][0]["Next"] == "Settle"
    assert paid["Default"] == "Compensate"
    assert states[pay["Catch"][0]["Next"]]["Next"] == "Compensate"
    assert states[states["Settle"]["Next"]]["Type"] == "Succeed"


def test_a_compensation_that_is_not_safe_fails_the_run_for_a_person(payouts: dict[str, Any]) -> None:
    states = payouts["States"]
    compensated = states[states["Compensate"]["Next"]]

    assert states["Compensate"]["Parameters"]["reason.$"] == "$.payment.reason"
    assert compensated["Choices"][0]["StringEquals"] == "unsafe"
    assert states[compensated["Choices"][0]["Next"]]["Type"] == "Fail"


def test_a_payout_request_on_the_bus_starts_the_workflow_with_its_id(synthesized: Synthesized) -> None:
    rules = [
        rule["Properties"]
        for rule in synthesized.of_type("AWS::Events::Rule").values()
        if rule["Properties"].get("EventPattern", {}).get("detail-type") == ["payout.requested"]
    ]

    assert len(rules) == 1
    target = rules[0]["Targets"][0]
    assert "PayoutWorkflowPayoutStateMachine" in json.dumps(target["Arn"])
    assert target["InputTransformer"]["InputPathsMap"] == {
        "detail-payout_id": "$.detail.payout_id", "detail-trader_id": "$.detail.trader_id",
    }  # fmt: skip
    assert "<detail-payout_id>" in target["InputTransformer"]["InputTemplate"]
    assert target["DeadLetterConfig"]["Arn"]


@pytest.mark.parametrize(
    "function",
    ["payouts_api", "payout_steps", "payout_webhooks"],
)
def test_only_the_functions_that_resume_the_workflow_may_send_task_results(
    synthesized: Synthesized, function: str
) -> None:
    actions = synthesized.function_actions(function)

    assert {"states:SendTaskSuccess", "states:SendTaskFailure"} <= actions
    assert "states:StartExecution" not in actions


def test_the_rail_webhooks_are_open_routes_verified_by_signature(synthesized: Synthesized) -> None:
    for function in ("payout_webhooks",):
        function_id = synthesized.function_id(function)
        methods = [
            properties
            for properties in (
                resource["Properties"] for resource in synthesized.of_type("AWS::ApiGateway::Method").values()
            )
            if function_id in str(properties.get("Integration", {}).get("Uri", ""))
        ]
        assert [(m["HttpMethod"], m["AuthorizationType"]) for m in methods] == [("POST", "NONE")] * 2
        secrets = [
            s for s in synthesized.function_statements(function)
            if "secretsmanager:GetSecretValue" in statement_actions(s)
        ]  # fmt: skip
        assert secrets
