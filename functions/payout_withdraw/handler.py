"""Step Functions task of the payout workflow, input `{payout_id}`: the withdrawal: the amount leaves the
account on the trading platform and in the engine.

Answers `{payout_id, outcome, status, reason}` for the state machine's Choice
(`propdesk.payouts.workflow`); a platform or store that cannot be reached raises, and the state machine
retries."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.observability import logger, observe
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from propdesk.payouts.workflow import PayoutWorkflow


class StepInput(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    payout_id: str = Field(min_length=1, max_length=128)


@functools.cache
def production_dependencies() -> PayoutWorkflow:
    from propdesk.wiring.payouts import workflow_from_env

    return workflow_from_env(os.environ)


def process(event: dict[str, Any], context: LambdaContext, workflow: PayoutWorkflow) -> dict[str, str]:
    step = StepInput.model_validate(event)
    outcome = workflow.withdraw(step.payout_id)
    logger.info("payout withdraw", extra=outcome.as_output())
    return outcome.as_output()


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    return process(event, context, production_dependencies())
