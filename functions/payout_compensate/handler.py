"""Step Functions task of the payout workflow, input `{payout_id, reason}`: a failure after the withdrawal
(the payment failed, no verified destination, a step that kept failing) puts the amount back on the account
(a deposit on the platform and in the engine, once) and marks the payout failed. A payment the rail may still
make is never compensated: `unsafe`, and the state machine fails for a person to look."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.observability import logger, observe
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from propdesk.payouts.workflow import PayoutWorkflow


class CompensateInput(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    payout_id: str = Field(min_length=1, max_length=128)
    reason: str = Field(default="the payout workflow failed", max_length=1000)


@functools.cache
def production_dependencies() -> PayoutWorkflow:
    from propdesk.wiring.payouts import workflow_from_env

    return workflow_from_env(os.environ)


def process(event: dict[str, Any], context: LambdaContext, workflow: PayoutWorkflow) -> dict[str, str]:
    step = CompensateInput.model_validate(event)
    outcome = workflow.compensate(step.payout_id, step.reason or "the payout workflow failed")
    logger.info("payout compensation", extra=outcome.as_output())
    return outcome.as_output()


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    return process(event, context, production_dependencies())
