"""SQS queue fed by an EventBridge rule on the propdesk bus (`account.*`, `kyc.*`, `purchase.*`): each
message's body is the EventBridge event. Partial batch responses (`propdesk.batches`): an unreadable message
is reported in `batchItemFailures` (SQS redrives it to the DLQ after its receive limit) while the others are
delivered."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.batches import queue_batch
from propdesk.config import NotificationsSettings
from propdesk.domain_events import Envelope
from propdesk.observability import metrics, observe

if TYPE_CHECKING:
    from propdesk.services.notifications import NotificationService


@functools.cache
def production_dependencies() -> NotificationService:
    settings = NotificationsSettings.from_env(os.environ)
    from propdesk.adapters.websocket import ApiGatewayPusher
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.connections import ConnectionRepository
    from propdesk.data.notifications import NotificationRepository
    from propdesk.services.notifications import NotificationService

    bind_tables(
        TableBinding(
            settings.table_name,
            settings.connections_table_name,
            settings.aws_region,
            settings.aws_endpoint_url,
        )
    )
    pusher = ApiGatewayPusher(settings.management_endpoint())
    return NotificationService(NotificationRepository(), ConnectionRepository(), pusher)


def process(event: dict[str, Any], context: LambdaContext, service: NotificationService) -> dict[str, Any]:
    def deliver(record: SQSRecord) -> None:
        envelope = Envelope.model_validate_json(record.body)
        delivery = service.deliver(envelope)
        if delivery.stored:
            metrics.add_metric(name="NotificationsStored", unit="Count", value=1)
        if delivery.gone:
            metrics.add_metric(name="WebSocketConnectionsGone", unit="Count", value=delivery.gone)

    return queue_batch(event, context, deliver)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
