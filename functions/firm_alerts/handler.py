"""SQS queue fed by the EventBridge rule `firm.alert | abuse.flag_raised` (DLQ after 5 receives, alarmed):
each message is one EventBridge event, kept once per event id for staff (`GET /v1/staff/alerts`). Ops
receive the same firm alerts by e-mail through the alarm topic (another target of the bus). Partial batch
responses: a message that could not be stored is reported in `batchItemFailures` and comes back; the others
are deleted."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.batches import queue_batch
from propdesk.config import FirmAlertsSettings
from propdesk.domain_events import Envelope
from propdesk.observability import logger, metrics, observe

if TYPE_CHECKING:
    from propdesk.services.firm_alerts import FirmAlerts


@dataclass(frozen=True)
class Dependencies:
    alerts: FirmAlerts


@functools.cache
def production_dependencies() -> Dependencies:
    settings = FirmAlertsSettings.from_env(os.environ)
    from propdesk.data.alerts import AlertRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.services.firm_alerts import FirmAlerts

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    return Dependencies(FirmAlerts(AlertRepository()))


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    def keep(record: SQSRecord) -> None:
        envelope = Envelope.model_validate_json(record.body)
        stored = deps.alerts.receive(envelope.detail, envelope.detail_type)
        logger.info(
            "firm alert kept" if stored else "firm alert already kept",
            extra={"event_id": envelope.detail.get("event_id"), "severity": envelope.detail.get("severity")},
        )
        if stored:
            metrics.add_metric(name="FirmAlertsKept", unit="Count", value=1)

    return queue_batch(event, context, keep)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
