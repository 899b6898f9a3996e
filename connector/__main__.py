"""`python -m connector`: run the connector service for one platform until interrupted (SIGINT/SIGTERM).

Configuration (environment; the ECS task definition sets it in the cloud, `make dev`-style local runs set it
by hand against the fakes):
- `CONNECTOR_PLATFORM`: `ctrader` (the Open API socket; DXtrade's push socket is not wired yet);
- `PLATFORM_CONNECTIONS`, `TABLE_NAME`, `AWS_REGION` (and `AWS_ENDPOINT_URL` locally): as the functions'
  (`propdesk.config.PlatformConnectionsSettings`), the platform's adapter from the registry;
- `EVENTS_URL`: the events route's full URL; `SIGNING_SECRET_ARN`: the platform's signing secret
  (`propdesk/{stage}/platform-signing/{platform}`), re-read every five minutes (rotation);
- `CONNECTOR_ACCOUNTS` (optional, JSON list of `{"account_id", "platform_account_id", "login"}`): the
  accounts to watch; without it, the active accounts on cTrader are read from the table (no Scan).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING

from propdesk.platforms.port import AccountRef

from connector.service import Booked, Connector, EventsEndpoint

if TYPE_CHECKING:
    from propdesk.config import PlatformConnectionsSettings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.platforms.credentials import CachedSecret
    from propdesk.adapters.platforms.ctrader import CTraderPlatform
    from propdesk.adapters.platforms.ctrader_stream import CTraderStream
    from propdesk.adapters.secrets import SecretsManagerSource
    from propdesk.config import PlatformConnectionsSettings
    from propdesk.wiring.platforms import production_registry

    platform_name = os.environ.get("CONNECTOR_PLATFORM", "ctrader")
    if platform_name != "ctrader":
        raise SystemExit(f"no stream is wired for {platform_name!r} yet (ctrader only)")
    settings = PlatformConnectionsSettings.from_env(os.environ)
    platform = production_registry(settings.platform_connections).platform("ctrader")
    assert isinstance(platform, CTraderPlatform)
    clock = SystemClock()
    secret = CachedSecret(SecretsManagerSource(), os.environ["SIGNING_SECRET_ARN"], ttl=300)
    watched = _watched(settings, os.environ.get("CONNECTOR_ACCOUNTS"))
    refs = list(watched.values())
    by_platform_id = {ref.platform_account_id: account_id for account_id, ref in watched.items()}

    def source(since: datetime | None, stop: threading.Event) -> Iterator[Booked]:
        return CTraderStream(platform, clock).deals(refs, since, stop)

    endpoint = EventsEndpoint(
        os.environ["EVENTS_URL"], "ctrader", lambda: secret.field("signing_secret"), time.time, time.sleep
    )
    connector = Connector("ctrader", source, lambda: by_platform_id, endpoint, clock, time.sleep)
    stop = threading.Event()

    def stopping(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, stopping)
    signal.signal(signal.SIGTERM, stopping)
    report = connector.run(stop)
    logging.getLogger("propdesk.connector").info("stopped", extra={"pushed": report.pushed})


def _watched(settings: PlatformConnectionsSettings, fixed: str | None) -> dict[str, AccountRef]:
    """propdesk account id -> its cTrader reference: from `CONNECTOR_ACCOUNTS` (JSON list of
    `{"account_id", "platform_account_id", "login"}`) or the table's active accounts on cTrader. The set is
    read at start: a newly opened account is watched from the next start (the task restarts daily)."""
    if fixed:
        return {
            str(row["account_id"]): AccountRef("ctrader", str(row["platform_account_id"]), str(row["login"]))
            for row in json.loads(fixed)
        }
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.platforms.references import account_ref

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    repository, found = AccountRepository(), {}
    for timezone, day_starts_at in repository.reset_groups():
        for account in repository.active_in_reset_group(timezone, day_starts_at):
            if account.platform is not None and account.platform.platform == "ctrader":
                found[account.account_id] = account_ref(account.platform)
    return found


if __name__ == "__main__":
    main()
