"""DynamoDB stream of the audit table, filtered to MODIFY and REMOVE records: an audit entry was changed or
removed, which nothing in propdesk does (entries are only ever appended, and the table's policy denies every
update and delete). Each such record is counted (`AuditEntriesModified`, alarmed at the first one) and logged
by its keys and event name only, never its contents.

A new entry (INSERT) never reaches this function (the mapping's filter), and neither does a put that finds
nothing to overwrite; a put that overwrites an entry is a MODIFY and does. The handler never raises.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.batches import stream_batch
from propdesk.config import AuditWatchSettings
from propdesk.observability import logger, metrics, observe

MODIFIED_METRIC = "AuditEntriesModified"


@dataclass(frozen=True, slots=True)
class AuditChange:
    """An audit entry changed (`MODIFY`) or removed (`REMOVE`), by its keys."""

    event_name: str
    pk: str
    sk: str
    by: str  # who, when the stream says (`userIdentity`: a service such as TTL), else ""


@dataclass(frozen=True)
class Dependencies:
    alert: Callable[[AuditChange], None]


@functools.cache
def production_dependencies() -> Dependencies:
    AuditWatchSettings.from_env(os.environ)  # a misconfigured deployment fails at entry, as every function
    return Dependencies(alert_operators)


def alert_operators(change: AuditChange) -> None:
    """Count the change for the alarm and log it by its keys."""
    metrics.add_metric(name=MODIFIED_METRIC, unit="Count", value=1)
    logger.error(
        "an audit entry was changed or removed",
        extra={"event_name": change.event_name, "pk": change.pk, "sk": change.sk, "by": change.by},
    )


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    def check(record: DynamoDBRecord) -> None:
        name = str(record.raw_event.get("eventName") or "")
        if name not in {"MODIFY", "REMOVE"}:
            return
        keys = (record.raw_event.get("dynamodb") or {}).get("Keys") or {}
        identity = record.raw_event.get("userIdentity") or {}
        deps.alert(
            AuditChange(
                event_name=name,
                pk=str((keys.get("pk") or {}).get("S", "")),
                sk=str((keys.get("sk") or {}).get("S", "")),
                by=str(identity.get("principalId") or ""),
            )
        )

    return stream_batch(event, context, check)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
