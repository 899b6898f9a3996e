"""EventBridge schedule (daily): the scaling plan's reviews (`propdesk.payouts.scaling_reviews`). Every active
account whose program has a scaling plan and whose last cycle is not decided yet is decided now: stored with
its audit entry once, and `account.scaled` published when it grew. The schedule's content is not used."""

from __future__ import annotations

import functools
import os
import uuid
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import ScalingSettings
from propdesk.observability import logger, metrics, observe

if TYPE_CHECKING:
    from propdesk.payouts.scaling_reviews import ScalingReviews


@functools.cache
def production_dependencies() -> ScalingReviews:
    settings = ScalingSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.payout_facts import PayoutFactsReader
    from propdesk.data.payouts import PayoutRepository
    from propdesk.data.scaling import ActiveAccountsReader, ScalingRepository
    from propdesk.payouts.scaling_reviews import ScalingReviews

    bind_tables(
        TableBinding(
            settings.table_name,
            None,
            settings.aws_region,
            settings.aws_endpoint_url,
            audit_table_name=settings.audit_table_name,
        )
    )
    return ScalingReviews(
        ActiveAccountsReader(),
        PayoutFactsReader(),
        PayoutRepository(),
        ScalingRepository(),
        EventBridgePublisher(settings.event_bus_name),
        SystemClock(),
        lambda: uuid.uuid4().hex,
    )


def process(event: dict[str, Any], context: LambdaContext, reviews: ScalingReviews) -> dict[str, Any]:
    run = reviews.run()
    metrics.add_metric(name="ScalingReviews", unit="Count", value=run.reviewed)
    metrics.add_metric(name="AccountsScaled", unit="Count", value=run.scaled)
    summary = {"reviewed": run.reviewed, "scaled": run.scaled, "skipped": run.skipped}
    logger.info("scaling reviews", extra=summary)
    return summary


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
