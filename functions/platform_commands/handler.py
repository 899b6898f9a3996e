"""SQS queue fed by the EventBridge rule `platform.disable_requested | platform.enable_requested |
platform.pause_requested | platform.resume_requested` (DLQ after 5 receives, alarmed). Each message is one
EventBridge event: act on the account's trading platform through the port (propdesk.platforms.commands):
a `disable` (a `fail` breach) closes the open positions where the program says so and disables trading, a
`pause` makes the account read-only until its boundary, `resume` and `enable` let it trade again. In the
order asked, once per command id, audited.

Partial batch responses: a message whose command is still pending (platform down or refusing, its circuit
open, the account busy with another command) is reported in `batchItemFailures` and delivered again after a
backoff that doubles with each receive (`BACKOFF_SECONDS` up to `MAX_BACKOFF_SECONDS`) instead of the queue's
visibility timeout; after 5 receives it lands in the dead-letter queue. The adapter retries transient
errors inside one attempt (jittered, within the platform's shared circuit breaker).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.batches import queue_batch
from propdesk.config import PlatformCommandsSettings
from propdesk.domain_events import Envelope, parse
from propdesk.observability import logger, metrics, observe
from propdesk.platforms.enforcement import COMMAND_DETAIL_TYPES, command_of

if TYPE_CHECKING:
    from propdesk.platforms.commands import PlatformCommands

BACKOFF_SECONDS = 10
MAX_BACKOFF_SECONDS = 300

MessageDelay = Callable[[str, int], None]  # (receipt handle, seconds until the next delivery)


@dataclass(frozen=True)
class Dependencies:
    commands: PlatformCommands
    delay: MessageDelay | None = None


@functools.cache
def production_dependencies() -> Dependencies:
    settings = PlatformCommandsSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.audit import AuditLog
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.catalogue import CatalogueRepository
    from propdesk.data.platform_access import PlatformAccessRepository
    from propdesk.platforms.commands import CommandSettings, PlatformCommands
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
    commands = PlatformCommands(
        PlatformAccessRepository(),
        AccountRepository(),
        CatalogueRepository(),
        AuditLog(),
        production_registry(settings.platform_connections),
        EventBridgePublisher(settings.event_bus_name),
        SystemClock(),
        CommandSettings(
            lease=timedelta(seconds=settings.account_lease_seconds),
            alert_after_attempts=settings.alert_after_attempts,
        ),
    )
    delay = None
    if settings.commands_queue_url:
        from propdesk.adapters.sqs import SqsMessageDelay

        delay = SqsMessageDelay(settings.commands_queue_url)
    return Dependencies(commands, delay)


def backoff(receive_count: int) -> int:
    """Seconds until a failed message's next delivery: 10, 20, 40, ... up to 300."""
    return int(min(MAX_BACKOFF_SECONDS, BACKOFF_SECONDS * 2 ** max(0, receive_count - 1)))


def handle(record: SQSRecord, deps: Dependencies) -> str:
    envelope = Envelope.model_validate_json(record.body)
    if envelope.detail_type not in COMMAND_DETAIL_TYPES:
        return f"ignored {envelope.detail_type}"
    command = command_of(parse(envelope.detail_type, envelope.detail))
    try:
        result = deps.commands.handle(command)
    except Exception as error:
        logger.warning(
            "platform command not done: delivered again later",
            extra={
                "command": command.kind,
                "command_id": command.command_id,
                "account_id": command.account_id,
                "error": f"{type(error).__name__}: {str(error)[:300]}",
            },
        )
        raise
    logger.info(
        "platform command handled",
        extra={
            "command": command.kind,
            "command_id": command.command_id,
            "account_id": command.account_id,
            "outcome": result.outcome,
        },
    )
    metrics.add_metric(name=f"PlatformCommands_{result.outcome}", unit="Count", value=1)
    return result.outcome


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    def handle_one(record: SQSRecord) -> None:
        handle(record, deps)

    response = queue_batch(event, context, handle_one, failures_metric="PlatformCommandRetries")
    failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
    if failed:
        records = event.get("Records") or []
        _delay_retries([r for r in records if r.get("messageId") in failed], deps.delay)
    return response


def _delay_retries(records: list[dict[str, Any]], delay: MessageDelay | None) -> None:
    if delay is None:
        return
    for raw in records:
        receives = int((raw.get("attributes") or {}).get("ApproximateReceiveCount") or 1)
        try:
            delay(str(raw["receiptHandle"]), backoff(receives))
        except Exception:  # the queue's own visibility timeout applies instead
            logger.warning("could not delay a failed message", extra={"message_id": raw.get("messageId")})


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
