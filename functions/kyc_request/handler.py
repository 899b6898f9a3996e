"""Step Functions tasks of the KYC workflow (the KYC gate), input `{step, trader_id, need: {kind,
reference}}`:

- `open` (a plain task): open the trader's case or join it (`kind` `funded` with the account, or `payout`
  with the payout), expiring it first if the firm's window is over, and create the provider session it waits
  for (announcing `kyc.requested` with the link). Answers `{trader_id, outcome, status, attempt}`, `outcome`
  being `open`, `approved`, `declined`, `expired` or `provider_unavailable` (the workflow waits and tries
  again): outcomes for a Choice, never errors.
- `wait` (`.waitForTaskToken`, with `task_token`): park the token until the case concludes; a concluded case
  answers it at once. The webhook, a staff decision or the expiry check resumes it with `{trader_id,
  outcome}`.

Invalid input or an unexpected failure raises: the state machine's `States.ALL` catch ends the run in its
Fail state (alarmed)."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import KycRequestSettings
from propdesk.observability import logger, observe
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from propdesk.kyc.verification import KycVerification


class NeedInput(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    kind: Literal["funded", "payout"]
    reference: str = Field(min_length=1, max_length=128)


class KycRequestInput(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    step: Literal["open", "wait"]
    trader_id: str = Field(min_length=1, max_length=128)
    need: NeedInput
    task_token: str | None = Field(default=None, min_length=1, max_length=2048)


@functools.cache
def production_dependencies() -> KycVerification:
    settings = KycRequestSettings.from_env(os.environ)
    from propdesk.wiring import kyc

    return kyc.verification(settings, kyc.provider(settings))


def process(event: dict[str, Any], context: LambdaContext, kyc: KycVerification) -> dict[str, Any]:
    request = KycRequestInput.model_validate(event)
    need = request.need
    if request.step == "open":
        progress = kyc.request(request.trader_id, need.kind, need.reference)
    else:
        if request.task_token is None:
            raise ValueError("the wait step needs the workflow's task_token")
        progress = kyc.wait(request.trader_id, need.kind, need.reference, request.task_token)
    extra = {"step": request.step, "trader_id": request.trader_id, "need": need.kind}
    logger.info("KYC gate step", extra={**extra, "outcome": progress.outcome})
    return {
        "trader_id": progress.trader_id,
        "outcome": progress.outcome,
        "status": progress.status,
        "attempt": progress.attempt,
    }


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
