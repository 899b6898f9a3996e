"""Step Functions tasks of the payout workflow's approval, two modes of one function:

- `{payout_id}` (a plain task): approve automatically under the firm's amount (`approved`), answer a decision
  finance made already (`approved` | `rejected`), or `wait`;
- `{payout_id, task_token}` (`.waitForTaskToken`): keep the token for finance's decision; `payouts_api`
  resumes the workflow with `{"decision": "approve" | "reject"}` when the payout is decided (two members
  above the second amount), and a decision made before the token was kept resumes it at once.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.observability import logger, observe
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from propdesk.payouts.workflow import PayoutWorkflow


class ApprovalInput(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    payout_id: str = Field(min_length=1, max_length=128)
    task_token: str | None = Field(default=None, min_length=1, max_length=2048)


@functools.cache
def production_dependencies() -> PayoutWorkflow:
    from propdesk.wiring.payouts import workflow_from_env

    return workflow_from_env(os.environ)


def process(event: dict[str, Any], context: LambdaContext, workflow: PayoutWorkflow) -> dict[str, str]:
    step = ApprovalInput.model_validate(event)
    if step.task_token is None:
        outcome = workflow.approve(step.payout_id)
    else:
        outcome = workflow.wait_for_approval(step.payout_id, step.task_token)
    logger.info("payout approval", extra=outcome.as_output())
    return outcome.as_output()


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    return process(event, context, production_dependencies())
