"""Step Functions tasks of the KYC workflow (the KYC gate). Input `{step, trader_id}`:

- `check` (after the wait for a conclusion timed out or failed): expire the case if the firm's window is over
  (announcing `kyc.expired` and resuming every waiting workflow). Answers `{trader_id, outcome, status,
  attempt}` with `outcome` `open` (the gate asks again and waits on) or the conclusion.
- `announce` (once resumed): the case's conclusion, its `kyc.approved` / `kyc.declined` / `kyc.expired` event
  surely out (published here if the act that concluded the case could not). Same answer.

Outcomes are for the workflow's Choice states, never errors; a missing case or an unexpected failure raises
(the state machine's `States.ALL` catch ends the run in its Fail state)."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import KycDecisionSettings
from propdesk.observability import logger, observe
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from propdesk.kyc.verification import KycVerification


class KycDecisionInput(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    step: Literal["check", "announce"]
    trader_id: str = Field(min_length=1, max_length=128)


@functools.cache
def production_dependencies() -> KycVerification:
    settings = KycDecisionSettings.from_env(os.environ)
    from propdesk.wiring import kyc

    return kyc.verification(settings)


def process(event: dict[str, Any], context: LambdaContext, kyc: KycVerification) -> dict[str, Any]:
    request = KycDecisionInput.model_validate(event)
    progress = kyc.check(request.trader_id) if request.step == "check" else kyc.announce(request.trader_id)
    extra = {"step": request.step, "trader_id": request.trader_id, "outcome": progress.outcome}
    logger.info("KYC gate step", extra=extra)
    return {
        "trader_id": progress.trader_id,
        "outcome": progress.outcome,
        "status": progress.status,
        "attempt": progress.attempt,
    }


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
