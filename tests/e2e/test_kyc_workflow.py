"""KYC end to end in the local cloud, with the provider faked (its API, hosted page and signed webhooks):

- the KYC gate run for a trader's funded stage (as the progression workflow runs it; nothing on the bus
  starts it); the trader finds the verification URL through `GET /v1/me/kyc`, the provider asks for a
  resubmission, a new attempt's URL appears, the approval concludes the case, the gate succeeds with
  `approved` and `kyc.approved` reaches the trader's notifications;
- another workflow (standing in for the progression or payout workflow) runs the gate to its end with
  `startExecution.sync:2`; the provider asks for a manual review, staff approve through the API (audited)
  and the parent workflow goes on with `approved`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from scripts.local_cloud.seed import ensure_user
from tests.e2e.harness import DeployedStack, bind_data_layer, eventually

# The first test also pays for the session's deployment; on a busy machine each function's first call takes
# tens of seconds (its code and the layer are unpacked), and this flow reaches a dozen functions.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

WAIT = 180  # seconds for an asynchronous hop through cold functions


@pytest.fixture(scope="module")
def staff(stack: DeployedStack) -> dict[str, str]:
    """The demo staff user (admin: may decide KYC cases)."""
    return {"Authorization": _id_token(stack, stack.demo["staff_email"])}


def _id_token(stack: DeployedStack, email: str) -> str:
    answer = stack.client("cognito-idp").initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=stack.outputs["UserPoolClientId"],
        AuthParameters={"USERNAME": email, "PASSWORD": stack.demo["password"]},
    )
    return str(answer["AuthenticationResult"]["IdToken"])


def new_trader(stack: DeployedStack) -> tuple[str, dict[str, str]]:
    """A trader of their own (a case per trader: runs never share one), signed in."""
    email = f"kyc-{uuid.uuid4().hex[:10]}@demo.propdesk.local"
    trader_id = ensure_user(stack.client("cognito-idp"), stack.outputs["UserPoolId"], email, "trader")
    return trader_id, {"Authorization": _id_token(stack, email)}


def my_kyc(stack: DeployedStack, trader: dict[str, str]) -> dict[str, Any]:
    answer = stack.http("GET", "/v1/me/kyc", headers=trader)
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.body
    return body


def my_kyc_once_answered(stack: DeployedStack, trader: dict[str, str]) -> dict[str, Any] | None:
    """`GET /v1/me/kyc`, or None when the answer took longer than the client waits (a cold start)."""
    try:
        return my_kyc(stack, trader)
    except (TimeoutError, urllib.error.URLError):
        return None


def open_page(url: str, outcome: str) -> None:
    """The trader on the provider's page, choosing how the verification ends."""
    with urllib.request.urlopen(f"{url}?outcome={outcome}", timeout=30) as page:  # noqa: S310 - local fake
        assert page.status == 200


def notifications(trader_id: str, detail_type: str) -> list[Any]:
    """The trader's notifications of a type, one per event id: events are published at least once (an act
    cut short is carried out again with the same ids) and the local bus stamps each publication's time, which
    the notification's key holds, so a republication shows as a second notification here."""
    from propdesk.data.notifications import NotificationRepository

    found = NotificationRepository().list_for_trader(trader_id).items
    return list({n.event_id: n for n in found if n.detail_type == detail_type}.values())


def executions_for(stack: DeployedStack, trader_id: str, status: str) -> list[dict[str, Any]]:
    """The KYC gate's runs for this trader that reached `status`, described."""
    stepfunctions = stack.client("stepfunctions")
    runs = stepfunctions.list_executions(stateMachineArn=stack.outputs["KycStateMachineArn"])["executions"]
    described = [stepfunctions.describe_execution(executionArn=run["executionArn"]) for run in runs]
    return [run for run in described if trader_id in run.get("input", "") and run["status"] == status]


def test_a_trader_resubmits_then_is_approved_and_kyc_approved_is_published(stack: DeployedStack) -> None:
    bind_data_layer(stack)
    trader_id, trader = new_trader(stack)
    account_id = f"e2e-kyc-{uuid.uuid4().hex[:8]}"
    stack.client("stepfunctions").start_execution(
        stateMachineArn=stack.outputs["KycStateMachineArn"],
        input=json.dumps({"trader_id": trader_id, "need": {"kind": "funded", "reference": account_id}}),
    )

    def attempt(number: int) -> dict[str, Any] | None:
        mine = my_kyc_once_answered(stack, trader)
        return mine if mine and mine["attempt"] == number and mine["verification_url"] else None

    first = eventually(lambda: attempt(1), timeout=WAIT)
    assert (first["status"], first["awaiting"], first["attempts_allowed"]) == ("awaiting_trader", "trader", 3)

    open_page(first["verification_url"], "resubmit")
    second = eventually(lambda: attempt(2), timeout=WAIT)
    assert second["verification_url"] != first["verification_url"]
    assert executions_for(stack, trader_id, "RUNNING")  # the same wait goes on

    open_page(second["verification_url"], "approve")
    approved = eventually(lambda: (m := my_kyc(stack, trader))["status"] == "approved" and m, timeout=WAIT)
    assert (approved["awaiting"], approved["verification_url"]) == (None, None)
    [announced] = eventually(lambda: notifications(trader_id, "kyc.approved"), timeout=WAIT)
    assert (announced.detail["account_id"], announced.detail["attempt"]) == (account_id, 2)
    [run] = eventually(lambda: executions_for(stack, trader_id, "SUCCEEDED"), timeout=WAIT)
    assert json.loads(run["output"])["outcome"] == "approved"
    requested = eventually(
        lambda: len(n := notifications(trader_id, "kyc.requested")) == 2 and n, timeout=WAIT
    )
    assert sorted(n.detail["resubmission"] for n in requested) == [False, True]


def test_a_workflow_waits_at_the_kyc_gate_while_staff_decide_a_review_through_the_api(
    stack: DeployedStack, staff: dict[str, str]
) -> None:
    from propdesk.data.kyc import DynamoKycCaseStore

    bind_data_layer(stack)
    stepfunctions = stack.client("stepfunctions")
    parent = stepfunctions.create_state_machine(
        name=f"propdesk-e2e-payout-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(payout_workflow(stack.outputs["KycStateMachineArn"])),
        roleArn="arn:aws:iam::000000000000:role/propdesk-e2e-payout",
    )["stateMachineArn"]
    trader_id, payout_id = str(uuid.uuid4()), f"po-{uuid.uuid4().hex[:8]}"
    run = stepfunctions.start_execution(
        stateMachineArn=parent, input=json.dumps({"trader_id": trader_id, "payout_id": payout_id})
    )["executionArn"]

    def link() -> str | None:
        stored = DynamoKycCaseStore().load(trader_id)
        return stored.case.current.url if stored else None

    open_page(eventually(link, timeout=WAIT), "review")
    eventually(lambda: trader_id in review_queue(stack, staff), timeout=WAIT)
    assert stepfunctions.describe_execution(executionArn=run)["status"] == "RUNNING"  # waits for staff

    decided = stack.http(
        "POST", f"/v1/staff/kyc/{trader_id}/decision",
        body={"decision": "approve", "reason": "documents checked by hand (e2e)"}, headers=staff,
    )  # fmt: skip

    assert decided.status == 200, decided.body
    assert (decided.body["status"], decided.body["decision_reason"]) == (
        "approved",
        "documents checked by hand (e2e)",
    )
    finished = eventually(
        lambda: (d := stepfunctions.describe_execution(executionArn=run))["status"] != "RUNNING" and d,
        timeout=WAIT,
    )
    assert finished["status"] == "SUCCEEDED", finished
    assert json.loads(finished["output"])["kyc"] == {"outcome": "approved"}
    audit = stack.http("GET", f"/v1/staff/audit?trader_id={trader_id}", headers=staff)
    assert [(e["action"], e["reason"]) for e in audit.body["entries"]] == [
        ("kyc.approve", "documents checked by hand (e2e)")
    ]
    assert trader_id not in review_queue(stack, staff)


def payout_workflow(kyc_gate_arn: str) -> dict[str, Any]:
    """A parent workflow calling the KYC gate as `infra.constructs.workflows.kyc_gate_task` does."""
    return {
        "StartAt": "KycGate",
        "States": {
            "KycGate": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {
                    "StateMachineArn": kyc_gate_arn,
                    "Input": {
                        "trader_id.$": "$.trader_id",
                        "need": {"kind": "payout", "reference.$": "$.payout_id"},
                    },
                },
                "ResultSelector": {"outcome.$": "$.Output.outcome"},
                "ResultPath": "$.kyc",
                "Next": "KycApproved",
            },
            "KycApproved": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.kyc.outcome", "StringEquals": "approved", "Next": "Pay"}],
                "Default": "NotPaid",
            },
            "Pay": {"Type": "Succeed"},
            "NotPaid": {"Type": "Fail", "Error": "KycNotApproved"},
        },
    }


def review_queue(stack: DeployedStack, staff: dict[str, str]) -> list[str]:
    """Every trader whose case waits for a staff decision (all pages)."""
    traders: list[str] = []
    cursor: str | None = None
    while True:
        query = "?limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = stack.http("GET", f"/v1/staff/kyc{query}", headers=staff)
        assert page.status == 200, page.body
        traders += [case["trader_id"] for case in page.body["cases"]]
        cursor = page.body["next_cursor"]
        if not cursor:
            return traders
