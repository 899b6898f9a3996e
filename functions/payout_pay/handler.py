"""Step Functions task (`.waitForTaskToken`) of the payout workflow, input `{payout_id, task_token}`: asks
the rail of the trader's verified destination to pay the trader's share (once per payout id) and keeps the
token; the rail's signed webhook (`payout_webhook_bridge`, `payout_webhook_wise`) resumes the workflow with
`{"outcome": "paid" | "failed", "reason", "reference"}`. A rail that cannot be reached raises (the state
machine retries, and the retry finds the payment made the first time)."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.observability import logger, observe
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from propdesk.payouts.workflow import PayoutWorkflow


class PayInput(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    payout_id: str = Field(min_length=1, max_length=128)
    task_token: str = Field(min_length=1, max_length=2048)


@functools.cache
def production_dependencies() -> PayoutWorkflow:
    from propdesk.wiring.payouts import workflow_from_env

    return workflow_from_env(os.environ)


def process(event: dict[str, Any], context: LambdaContext, workflow: PayoutWorkflow) -> dict[str, str]:
    step = PayInput.model_validate(event)
    outcome = workflow.pay(step.payout_id, step.task_token)
    logger.info("payout payment", extra=outcome.as_output())
    return outcome.as_output()


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    return process(event, context, production_dependencies())
