"""SQS queue fed by the EventBridge rule `account.scaled` (DLQ after 5 receives, alarmed). Each message is one
EventBridge event: the scaling plan's decision grows the account (`propdesk.payouts.scaling_growth`): its
size, audited; its balance on its trading platform, topped up by the growth once (reference
`<decision>:scaling`); the engine's `scale` event, once.

Partial batch responses: a message whose growth could not be done (the platform down or refusing, a conflict a
person must see) is reported in `batchItemFailures` and delivered again after the queue's visibility timeout;
what was done before is not done again. After 5 receives it lands in the dead-letter queue.
"""

from __future__ import annotations

import functools
import os
import uuid
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.batches import queue_batch
from propdesk.config import ScalingGrowthSettings
from propdesk.domain_events import AccountScaled, Envelope, parse
from propdesk.observability import logger, metrics, observe

if TYPE_CHECKING:
    from propdesk.payouts.scaling_growth import ScalingGrowth


@functools.cache
def production_dependencies() -> ScalingGrowth:
    settings = ScalingGrowthSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.events import TradingEventRepository
    from propdesk.data.scaling import AccountSizeRepository, ScalingRepository
    from propdesk.payouts.scaling_growth import ScalingGrowth
    from propdesk.wiring.platforms import production_registry

    bind_tables(
        TableBinding(
            settings.table_name,
            None,
            settings.aws_region,
            settings.aws_endpoint_url,
            audit_table_name=settings.audit_table_name,
        )
    )
    return ScalingGrowth(
        AccountSizeRepository(),
        ScalingRepository(),
        production_registry(settings.platform_connections),
        TradingEventRepository(),
        SystemClock(),
        lambda: uuid.uuid4().hex,
    )


def handle(record: SQSRecord, growth: ScalingGrowth) -> str:
    from propdesk.payouts.scaling_growth import GrowAccount

    envelope = Envelope.model_validate_json(record.body)
    if envelope.detail_type != AccountScaled.detail_type:
        return f"ignored {envelope.detail_type}"
    scaled = parse(envelope.detail_type, envelope.detail)
    if not isinstance(scaled, AccountScaled):
        return f"ignored {envelope.detail_type}"
    command = GrowAccount(
        scaled.account_id, scaled.cycle_ends_on, scaled.balance_before, scaled.balance_after
    )
    try:
        grown = growth.grow(command)
    except Exception as error:
        logger.warning(
            "account not grown: delivered again later",
            extra={
                "account_id": command.account_id,
                "cycle_ends_on": command.cycle_ends_on.isoformat(),
                "error": f"{type(error).__name__}: {str(error)[:300]}",
            },
        )
        raise
    logger.info(
        "scaled account grown",
        extra={
            "account_id": grown.account_id,
            "scaling_id": grown.scaling_id,
            "outcome": grown.outcome,
            "growth": str(grown.growth),
            "resized": grown.resized,
            "engine_event_recorded": grown.engine_event_recorded,
        },
    )
    metrics.add_metric(name=f"ScalingGrowth_{grown.outcome}", unit="Count", value=1)
    return grown.outcome


def process(event: dict[str, Any], context: LambdaContext, growth: ScalingGrowth) -> dict[str, Any]:
    def handle_one(record: SQSRecord) -> None:
        handle(record, growth)

    return queue_batch(event, context, handle_one, failures_metric="ScalingGrowthRetries")


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
