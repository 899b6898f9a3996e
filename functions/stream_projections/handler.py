"""DynamoDB stream of the main table, filtered to `RISK` and new `BREACH#` items: pushes each account's live
update to its WebSocket subscribers, keeps the leaderboards (balance changes, pushed on the leaderboard
channels) and the audit log of automated enforcement (breaches) up to date.

Partial batch responses, and the handler never raises (`propdesk.batches`). Records of other items are
skipped: the mapping's filter passes only these two kinds, but the local cloud ignores filters.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.batches import stream_batch
from propdesk.config import StreamProjectionsSettings
from propdesk.data import keys
from propdesk.observability import logger, metrics, observe

if TYPE_CHECKING:
    from propdesk.access import RememberedAccounts
    from propdesk.ports import Clock
    from propdesk.services.account_updates import AccountUpdates
    from propdesk.services.live_feed import LiveFeed, RememberedSubscribers
    from propdesk.services.projections import Projections


@dataclass(frozen=True)
class Dependencies:
    projections: Projections
    updates: AccountUpdates
    feed: LiveFeed
    clock: Clock
    # the accounts `projections` and `updates` read, forgotten before each record (one read per record)
    accounts: RememberedAccounts | None = None
    # the leaderboards' subscribers `feed` reads, forgotten before each batch (one read per board per batch)
    subscriptions: RememberedSubscribers | None = None


@functools.cache
def production_dependencies() -> Dependencies:
    settings = StreamProjectionsSettings.from_env(os.environ)
    from propdesk.access import RememberedAccounts
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.websocket import ApiGatewayPusher
    from propdesk.data.accounts import AccountRepository, TraderRepository
    from propdesk.data.audit import AuditLog
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.catalogue import CatalogueRepository
    from propdesk.data.connections import ConnectionRepository
    from propdesk.data.leaderboards import LeaderboardRepository
    from propdesk.data.realtime import FeedRepository, SubscriptionRepository
    from propdesk.http.views import metrics_json
    from propdesk.services.account_updates import AccountUpdates
    from propdesk.services.evaluators import Evaluators
    from propdesk.services.live_feed import LiveFeed, RememberedSubscribers
    from propdesk.services.projections import Projections

    bind_tables(
        TableBinding(
            settings.table_name,
            settings.connections_table_name,
            settings.aws_region,
            settings.aws_endpoint_url,
            realtime_table_name=settings.realtime_table_name,
            audit_table_name=settings.audit_table_name,
        )
    )
    repository = AccountRepository()
    accounts = RememberedAccounts(repository, repository)
    subscriptions = RememberedSubscribers(SubscriptionRepository())
    feed = LiveFeed(
        ConnectionRepository(),
        subscriptions,
        FeedRepository(),
        ApiGatewayPusher(settings.management_endpoint()),
    )
    return Dependencies(
        Projections(accounts, TraderRepository(), LeaderboardRepository(), AuditLog()),
        AccountUpdates(accounts, Evaluators(CatalogueRepository()), feed, metrics_json),
        feed,
        SystemClock(),
        accounts,
        subscriptions,
    )


def project(record: dict[str, Any], deps: Dependencies) -> None:
    # Reading stream images needs pynamodb and the engine: loaded with the first record, not at cold start.
    from propdesk.data import stream_images as images

    sk, name = images.sort_key(record), record.get("eventName")
    change = record.get("dynamodb") or {}
    if sk == keys.RISK_SK and name in ("INSERT", "MODIFY"):
        new, written_at = images.risk_snapshot(change["NewImage"])
        old = images.risk_snapshot(change["OldImage"])[0] if "OldImage" in change else None
        if old is not None and old.version == new.version:
            return  # the risk service's outbox bookkeeping (its effects done): the state did not change
        _push_account_update(deps, new, written_at, old)
        _update_leaderboards(deps, new, written_at, old)
    elif sk.startswith(keys.BREACH_PREFIX) and name == "INSERT":
        evidence, recorded_at = images.breach(change["NewImage"])
        deps.projections.on_breach_recorded(evidence, recorded_at)


def _push_account_update(deps: Dependencies, new: Any, written_at: Any, old: Any) -> None:
    fan_out = deps.updates.on_risk_change(new, written_at, old, deps.clock.now())
    if fan_out and fan_out.subscribers:
        metrics.add_metric(name="LiveUpdatesDelivered", unit="Count", value=fan_out.delivered)
    if fan_out and fan_out.gone:
        metrics.add_metric(name="WebSocketConnectionsGone", unit="Count", value=len(fan_out.gone))


def _update_leaderboards(deps: Dependencies, new: Any, written_at: Any, old: Any) -> None:
    from propdesk.http.catalogue_views import leaderboard_entry_update
    from propdesk.realtime.topics import leaderboard_topic
    from propdesk.realtime.updates import leaderboard_update
    from propdesk.services.projections import BalanceChange, balance_of

    previous = balance_of(old) if old else None
    funding = old.funding if old else None  # growth, withdrawals, deposits: not a trading gain
    change = BalanceChange(new.account_id, previous, balance_of(new), written_at, funding, new.funding)
    written = deps.projections.on_balance_change(change)
    if written:
        metrics.add_metric(name="LeaderboardUpdates", unit="Count", value=len(written))
    now = deps.clock.now()
    for period, standing in written:
        topic = leaderboard_topic(standing.program_id, period)
        message = leaderboard_update(topic, standing.period_key, leaderboard_entry_update(standing))
        deps.feed.publish(topic, message, now)


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    def handle(record: DynamoDBRecord) -> None:
        if deps.accounts is not None:
            deps.accounts.forget()
        project(record.raw_event, deps)

    if deps.subscriptions is not None:
        deps.subscriptions.forget()
    if deps.accounts is not None:
        _preload_accounts(event, deps.accounts)
    return stream_batch(event, context, handle)


def _preload_accounts(event: dict[str, Any], accounts: RememberedAccounts) -> None:
    """The accounts of the batch's RISK records, read together; when that fails, each record reads its own."""
    records = event.get("Records") or []
    account_ids = [account_id for record in records if (account_id := _risk_account(record))]
    try:
        accounts.preload(account_ids)
    except Exception as error:
        logger.warning("batch account preload failed: each record reads its own", extra={"error": str(error)})
        accounts.preload([])


def _risk_account(record: Any) -> str | None:
    """The account whose RISK snapshot the record carries, or None."""
    found = (record.get("dynamodb") or {}).get("Keys") or {} if isinstance(record, dict) else {}
    partition, sort_key = (found.get("pk") or {}).get("S"), (found.get("sk") or {}).get("S")
    if (
        sort_key != keys.RISK_SK
        or not isinstance(partition, str)
        or not partition.startswith(keys.ACCOUNT_PREFIX)
    ):
        return None
    return partition.removeprefix(keys.ACCOUNT_PREFIX)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
