"""Step Functions task of the payout workflow, input `{payout_id, reference}`: the rail confirmed the payment;
the payout becomes `paid` with its statement and `payout.paid` tells the trader (gross profit, shares, fees,
fee refund, what was paid, where)."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.observability import logger, observe
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from propdesk.payouts.workflow import PayoutWorkflow


class SettleInput(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    payout_id: str = Field(min_length=1, max_length=128)
    reference: str = Field(default="", max_length=256)


@functools.cache
def production_dependencies() -> PayoutWorkflow:
    from propdesk.wiring.payouts import workflow_from_env

    return workflow_from_env(os.environ)


def process(event: dict[str, Any], context: LambdaContext, workflow: PayoutWorkflow) -> dict[str, str]:
    step = SettleInput.model_validate(event)
    outcome = workflow.settle(step.payout_id, step.reference)
    logger.info("payout settled", extra=outcome.as_output())
    return outcome.as_output()


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    return process(event, context, production_dependencies())
