"""Step Functions task, input `{trader_id, decision}` with decision `approved` | `declined` | `resubmission`
(the Choice state before it only lets these through): records the decision on the trader's KYC case and
publishes `kyc.approved` / `kyc.declined` / `kyc.resubmission_requested`."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any, Literal

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import KycDecisionSettings
from propdesk.observability import observe
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from propdesk.services.kyc import KycService


class KycDecisionInput(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    trader_id: str = Field(min_length=1, max_length=128)
    decision: Literal["approved", "declined", "resubmission"]


@functools.cache
def production_dependencies() -> KycService:
    settings = KycDecisionSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.kyc import KycRepository
    from propdesk.services.kyc import KycService

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    return KycService(KycRepository(), SystemClock(), publisher=EventBridgePublisher(settings.event_bus_name))


def process(event: dict[str, Any], context: LambdaContext, service: KycService) -> dict[str, Any]:
    request = KycDecisionInput.model_validate(event)
    announcement = service.record_decision(request.trader_id, request.decision)
    return {
        "trader_id": request.trader_id,
        "decision": request.decision,
        "recorded": True,
        "event": announcement.detail_type,
    }


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
