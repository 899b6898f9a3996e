"""Step Functions task (`.waitForTaskToken`), input `{trader_id, account_id, task_token}`: opens the trader's
pending KYC case holding the token. The workflow then waits until `kyc_webhook` resumes it with the decision.
Invalid input raises: the state machine's `States.ALL` catch ends the run in its Fail state."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import KycRequestSettings
from propdesk.observability import logger, observe
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from propdesk.services.kyc import KycService


class KycRequestInput(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    trader_id: str = Field(min_length=1, max_length=128)
    account_id: str = Field(min_length=1, max_length=128)
    task_token: str = Field(min_length=1, max_length=2048)


@functools.cache
def production_dependencies() -> KycService:
    settings = KycRequestSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.kyc import KycRepository
    from propdesk.services.kyc import KycService

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    return KycService(KycRepository(), SystemClock())


def process(event: dict[str, Any], context: LambdaContext, service: KycService) -> dict[str, Any]:
    request = KycRequestInput.model_validate(event)
    case = service.request(request.trader_id, request.account_id, request.task_token)
    logger.info("KYC requested", extra={"trader_id": case.trader_id, "account_id": case.account_id})
    return {"status": "waiting", "trader_id": case.trader_id, "account_id": case.account_id}


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
