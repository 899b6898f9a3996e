"""`python -m connector`: run the connector service for one platform until interrupted (SIGINT/SIGTERM).

Configuration (environment; the ECS task definition sets it in the cloud, `make dev`-style local runs set it
by hand against the fakes):
- `CONNECTOR_PLATFORM`: `ctrader` (the Open API socket), `dxtrade` (the push WebSocket) or `match-trader`
  (the trading-event stream); the push channel's URL is the platform secret's `push_url` (DXtrade) or
  `stream_url` (Match-Trader), or the connection's option of that name;
- `PLATFORM_CONNECTIONS`, `TABLE_NAME`, `AWS_REGION` (and `AWS_ENDPOINT_URL` locally): as the functions'
  (`propdesk.config.PlatformConnectionsSettings`), the platform's adapter from the registry;
- `EVENTS_URL`: the events route's full URL; `SIGNING_SECRET_ARN`: the platform's signing secret
  (`propdesk/{stage}/platform-signing/{platform}`), re-read every five minutes (rotation);
- `CONNECTOR_ACCOUNTS` (optional, JSON list of `{"account_id", "platform_account_id", "login"}`): the
  accounts to watch; without it, the platform's active accounts are read from the table (no Scan) at start
  and again every `CONNECTOR_REFRESH_SECONDS` (default 60): accounts opened or closed meanwhile are
  subscribed or let go on the live connection (`connector/watchlist.py`).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, cast

from propdesk.platforms.port import AccountRef, PlatformName, TradingPlatform

from connector.service import Booked, Connector, EventsEndpoint
from connector.watchlist import REFRESH_SECONDS, Watchlist

if TYPE_CHECKING:
    from propdesk.config import PlatformConnection
    from propdesk.ports import Clock


STREAMED = ("ctrader", "dxtrade", "match-trader")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.platforms.credentials import CachedSecret
    from propdesk.adapters.secrets import SecretsManagerSource
    from propdesk.config import PlatformConnectionsSettings
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.wiring.platforms import production_registry

    chosen = os.environ.get("CONNECTOR_PLATFORM", "ctrader")
    if chosen not in STREAMED:
        raise SystemExit(f"no stream is wired for {chosen!r} (one of {', '.join(STREAMED)})")
    platform_name = cast("PlatformName", chosen)
    settings = PlatformConnectionsSettings.from_env(os.environ)
    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    registry = production_registry(settings.platform_connections)
    platform = registry.platform(platform_name)
    clock = SystemClock()
    secret = CachedSecret(SecretsManagerSource(), os.environ["SIGNING_SECRET_ARN"], ttl=300)
    fixed = os.environ.get("CONNECTOR_ACCOUNTS")
    watchlist = Watchlist(
        lambda: _watched(platform_name, fixed),
        interval=float(os.environ.get("CONNECTOR_REFRESH_SECONDS") or REFRESH_SECONDS),
    )
    connection = settings.platform_connections[platform_name]
    stream = _stream(platform_name, platform, connection, clock)

    def source(since: datetime | None, stop: threading.Event) -> Iterator[Booked]:
        return stream(watchlist.accounts, since, stop)

    endpoint = EventsEndpoint(
        os.environ["EVENTS_URL"], platform_name, lambda: secret.field("signing_secret"), time.time, time.sleep
    )
    connector = Connector(platform_name, source, watchlist.ids, endpoint, clock, time.sleep)
    stop = threading.Event()

    def stopping(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, stopping)
    signal.signal(signal.SIGTERM, stopping)
    log = logging.getLogger("propdesk.connector")
    log.info("watching %d %s accounts", len(watchlist.accounts()), platform_name)
    report = connector.run(stop)
    log.info("stopped", extra={"pushed": report.pushed})


Stream = Callable[[Callable[[], list[AccountRef]], datetime | None, threading.Event], Iterator[Booked]]


def _stream(
    name: PlatformName, platform: TradingPlatform, connection: PlatformConnection, clock: Clock
) -> Stream:
    """The platform's deals as its push channel announces them."""
    from propdesk.adapters.platforms.credentials import CachedSecret
    from propdesk.adapters.secrets import SecretsManagerSource

    if name == "ctrader":
        from propdesk.adapters.platforms.ctrader import CTraderPlatform
        from propdesk.adapters.platforms.ctrader_stream import CTraderStream

        assert isinstance(platform, CTraderPlatform)
        return CTraderStream(platform, clock).deals
    from connector.streams import DXtradePush, MatchTraderStream, NotifiedStream

    secret = CachedSecret(SecretsManagerSource(), connection.secret_arn, ttl=300)
    protocol: DXtradePush | MatchTraderStream
    if name == "dxtrade":
        from propdesk.adapters.platforms.dxtrade import DXtradePlatform

        assert isinstance(platform, DXtradePlatform)
        session = platform.session
        protocol = DXtradePush(
            connection.options.get("push_url") or secret.field("push_url"),
            lambda: session.headers()["Authorization"].removeprefix("DXAPI "),
            session.invalidate,
        )
    else:
        protocol = MatchTraderStream(
            connection.options.get("stream_url") or secret.field("stream_url"),
            lambda: secret.field("api_token"),
            lambda: secret.field("system_uuid"),
        )
    return NotifiedStream(platform, protocol, clock, time.sleep).deals


def _watched(platform: PlatformName, fixed: str | None) -> dict[str, AccountRef]:
    """propdesk account id -> its platform reference: from `CONNECTOR_ACCOUNTS` (JSON list of
    `{"account_id", "platform_account_id", "login"}`) or the table's active accounts on the platform (read at
    start and again by the watchlist every minute)."""
    if fixed:
        return {
            str(row["account_id"]): AccountRef(platform, str(row["platform_account_id"]), str(row["login"]))
            for row in json.loads(fixed)
        }
    from propdesk.data.accounts import AccountRepository
    from propdesk.platforms.references import account_ref

    repository, found = AccountRepository(), {}
    for timezone, day_starts_at in repository.reset_groups():
        for account in repository.active_in_reset_group(timezone, day_starts_at):
            if account.platform is not None and account.platform.platform == platform:
                found[account.account_id] = account_ref(account.platform)
    return found


if __name__ == "__main__":
    main()
