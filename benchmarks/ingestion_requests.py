"""DynamoDB requests per trading event on the ingestion path and per poll (deterministic, counted, not timed).

Against AWS's DynamoDB Local (started here, as the integration tests start it), every request the data layer
sends is counted by operation (`risk_requests.RequestCounter`):

- a push: `EventIngestion.ingest` (what `platform_events` runs after verifying the signature) for pushes of
  1 and of 10 events of one account;
- a poll: `FeedRecovery.catch_up` (what `platform_polling` and the reconciliation's recovery run per account)
  over the port's in-memory platform: a poll that finds nothing new (an equity reading), and one that finds
  10 new deals; each stored once.

    .venv/bin/python benchmarks/ingestion_requests.py [--json]
"""

from __future__ import annotations

import json
import sys
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from propdesk.data.accounts import AccountRepository  # noqa: E402
from propdesk.data.binding import TableBinding, bind_tables  # noqa: E402
from propdesk.data.events import TradingEventRepository  # noqa: E402
from propdesk.data.feed_marks import FeedMarkRepository  # noqa: E402
from propdesk.platforms.feed import FeedRecovery  # noqa: E402
from propdesk.records import PlatformReference  # noqa: E402
from propdesk.services.backfill import Backfill  # noqa: E402
from propdesk.services.ingestion import EventIngestion  # noqa: E402

from benchmarks.risk_requests import RequestCounter  # noqa: E402
from fakes.market import Market  # noqa: E402
from tests.doubles.platforms import InMemoryPlatform  # noqa: E402
from tests.doubles.ports import ManualClock  # noqa: E402
from tests.integration.dynamodb_local import REGION, DynamoDBLocal  # noqa: E402
from tests.integration.factories import account  # noqa: E402

OPENED = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def equity(tag: str, number: int) -> dict[str, str]:
    time = (OPENED + timedelta(minutes=1 + number)).isoformat()
    return {"event_id": f"{tag}-{number}", "time": time, "type": "equity", "equity": "100000.00"}


def run() -> dict[str, dict[str, Any]]:
    counter = RequestCounter()
    server = DynamoDBLocal()
    server.start(timeout=120)
    try:
        tables = server.create_tables(f"bench-{uuid.uuid4().hex[:8]}")
        bind_tables(
            TableBinding(tables.main, tables.connections, REGION, server.endpoint_url, tables.realtime)
        )
        clock = ManualClock(OPENED + timedelta(hours=1))
        market = Market(now=clock.now)
        platform = InMemoryPlatform(market, name="mt5")
        accounts, events = AccountRepository(), TradingEventRepository()
        ingestion = EventIngestion(accounts, events)
        results: dict[str, dict[str, Any]] = {}

        def opened(account_id: str) -> str:
            booked = market.open_account("t@example.com", "USD", Decimal(100000), "g", account_id)
            reference = PlatformReference("mt5", booked.account_id, booked.login)
            accounts.open(replace(account(account_id), platform=reference, opened_at=OPENED))
            return booked.account_id

        for size in (1, 10):
            account_id = f"push-{size}"
            opened(account_id)
            with counter.counting() as counted:
                report = ingestion.ingest(
                    account_id, [equity(account_id, n) for n in range(size)], clock.now(), "mt5"
                )
            assert len(report.accepted) == size
            results[f"a push of {size}"] = {"events": size, "operations": dict(counted)}

        recovery = FeedRecovery(
            FeedMarkRepository(),
            Backfill(accounts, {"mt5": platform}.get, ingestion, clock),
            events,
            accounts,
            clock,
        )
        platform_id = opened("polled")
        recovery.catch_up("polled")
        clock.advance(timedelta(minutes=5))
        with counter.counting() as counted:
            quiet = recovery.catch_up("polled")
        results["a poll, nothing new"] = {"events": quiet.accepted, "operations": dict(counted)}
        for _ in range(5):
            position = market.open_position(platform_id, "EURUSD", "buy", Decimal(1))
            clock.advance(timedelta(seconds=30))
            market.close_position(platform_id, position.position_id, price=Decimal("1.1"))
            clock.advance(timedelta(seconds=30))
        with counter.counting() as counted:
            busy = recovery.catch_up("polled")
        assert busy.outcome == "backfilled"
        results["a poll, 10 new deals"] = {"events": busy.accepted, "operations": dict(counted)}
        return results
    finally:
        server.stop()


def main() -> int:
    import os

    for name, value in {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}.items():
        os.environ.setdefault(name, value)
    results = run()
    if "--json" in sys.argv:
        print(json.dumps(results, indent=2))
        return 0
    print(f"{'':28} {'events':>6} {'requests':>8} {'per event':>9}  by operation")
    for name, figures in results.items():
        total = sum(Counter(figures["operations"]).values())
        per_event = total / figures["events"] if figures["events"] else float("nan")
        operations = ", ".join(f"{op} {n}" for op, n in sorted(figures["operations"].items()))
        print(f"{name:28} {figures['events']:>6} {total:>8} {per_event:>9.2f}  {operations}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
