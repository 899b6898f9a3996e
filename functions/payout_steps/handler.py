"""Step Functions tasks of the payout workflow, one function for every step (the stack stays under
CloudFormation's 500 resources; each step is still one use case of `propdesk.payouts.workflow`). Input
`{"step", "payout_id", ...}`:

- `assess`, `kyc_check`, `screen`: the checks (every payout rule again; the KYC gate's conclusion on the
  payout; open payout holds) → `passed` | `refused` | `stopped`;
- `approve` → `approved` | `rejected` | `wait`; `wait_for_approval` + `task_token` (`.waitForTaskToken`):
  finance's decision through `payouts_api` resumes it;
- `withdraw` → `withdrawn` | `refused` | `failed`; `pay` + `task_token` (`.waitForTaskToken`): the rail's
  webhook resumes it with `{"outcome", "reason", "reference"}`;
- `settle` + `reference` → `paid`; `compensate` + `reason` → `compensated` | `failed` | `unsafe`.

Answers `{payout_id, outcome, status, reason}` for the state machine's Choice; a platform, rail or store that
cannot be reached raises, and the state machine retries.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.observability import logger, observe
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from propdesk.payouts.workflow import PayoutWorkflow, StepOutcome

Step = Literal[
    "assess", "kyc_check", "screen", "approve", "wait_for_approval", "withdraw", "pay", "settle", "compensate"
]


class StepInput(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    step: Step
    payout_id: str = Field(min_length=1, max_length=128)
    task_token: str | None = Field(default=None, min_length=1, max_length=2048)
    reference: str = Field(default="", max_length=256)
    reason: str = Field(default="", max_length=1000)


@functools.cache
def production_dependencies() -> PayoutWorkflow:
    from propdesk.wiring.payouts import workflow_from_env

    return workflow_from_env(os.environ)


def process(event: dict[str, Any], context: LambdaContext, workflow: PayoutWorkflow) -> dict[str, str]:
    step = StepInput.model_validate(event)
    outcome = run(workflow, step)
    logger.info("payout step", extra={"step": step.step, **outcome.as_output()})
    return outcome.as_output()


def run(workflow: PayoutWorkflow, step: StepInput) -> StepOutcome:
    payout_id = step.payout_id
    if step.step in ("wait_for_approval", "pay"):
        if step.task_token is None:
            raise ValueError(f"the {step.step} step needs the task token")
        if step.step == "pay":
            return workflow.pay(payout_id, step.task_token)
        return workflow.wait_for_approval(payout_id, step.task_token)
    if step.step == "settle":
        return workflow.settle(payout_id, step.reference)
    if step.step == "compensate":
        return workflow.compensate(payout_id, step.reason or "the payout workflow failed")
    plain = {
        "assess": workflow.assess,
        "kyc_check": workflow.kyc_gate,
        "screen": workflow.screen,
        "approve": workflow.approve,
        "withdraw": workflow.withdraw,
    }
    return plain[step.step](payout_id)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    return process(event, context, production_dependencies())
