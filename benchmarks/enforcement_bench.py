"""Enforcement latency in the local cloud: the real stack deployed into ministack with a fake Match-Trader the
stack's own secret points at; N accounts (default 20), each with an open position, get a breaching equity
reading through the platform API: first paced (one every 3 s: the latency of one enforcement), then N more
in a burst (5 at a time: how the pipeline and the platform's request budget cope).

Measured in one run, side by side, per account (server clocks of the same machine):
- event → stored breach: the POST to the breach evidence's `recorded_at` (platform_events, the stream,
  risk_recalc);
- event → platform confirmed: the POST to the platform command's `confirmed_at` (then the bus, the commands
  queue, platform_commands: read-only, close the position, disable);
- their p50 and p99, and the confirmation's as a ratio to the breach's (what acting on the platform adds);
- the platform requests each enforcement took and the platform's 429s (Match-Trader: 500 a minute per token);
- correctness: accounts disabled on the platform, positions left open, commands that needed a retry.
One account is breached first to warm the functions; its figures are printed apart (cold starts).

    .venv/bin/python benchmarks/enforcement_bench.py [--accounts 20] [--interval 3] [--concurrency 5]
        [--reuse-dev]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from benchmarks.local_stack import UNTHROTTLED, throwaway_stack  # noqa: E402
from fakes.match_trader import FakeMatchTrader  # noqa: E402
from scripts.local_cloud.cloud import LOCAL  # noqa: E402
from scripts.local_cloud.endpoints import LocalEndpoints  # noqa: E402
from scripts.local_cloud.seed import seed_demo_firm  # noqa: E402
from tests.e2e.harness import DeployedStack, bind_data_layer  # noqa: E402
from tests.e2e.platform_cloud import (  # noqa: E402
    breaching_events,
    connected_match_trader,
    open_placed_account,
    post_events,
)

POST_ATTEMPTS = 3  # a busy gateway may time out (a client's retry); the event's time is the first attempt's


@contextmanager
def deployed(reuse_dev: bool) -> Iterator[DeployedStack]:
    if reuse_dev:
        local = json.loads((LOCAL / "dev.json").read_text())
        endpoints = LocalEndpoints.from_outputs(local["endpoint"], local["outputs"])
        yield DeployedStack(endpoints=endpoints, demo=seed_demo_firm(endpoints))
        return
    with throwaway_stack(UNTHROTTLED) as stack:
        yield stack


def open_accounts(stack: DeployedStack, fake: FakeMatchTrader, count: int) -> list[Any]:
    opened_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    accounts = []
    for _ in range(count):
        account = open_placed_account(stack, fake, f"bench-{uuid.uuid4().hex[:10]}", opened_at)
        fake.market.open_position(account.platform.login, "EURUSD", "buy", Decimal(1))
        accounts.append(account)
    return accounts


def breach(stack: DeployedStack, accounts: list[Any], concurrency: int, interval: float) -> dict[str, float]:
    """Post every account's breaching event (`concurrency` at a time, or one every `interval` seconds);
    the wall-clock instant just before each account's first POST."""
    asked: dict[str, float] = {}

    def post(account: Any) -> None:
        asked[account.account_id] = time.time()
        for attempt in range(1, POST_ATTEMPTS + 1):
            try:  # a repeat is harmless: the platform's event id dedupes it
                post_events(stack, account.account_id, breaching_events(account.opened_at))
                return
            except (TimeoutError, AssertionError):
                if attempt == POST_ATTEMPTS:
                    raise

    if interval > 0:
        for account in accounts:
            started = time.monotonic()
            post(account)
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
        return asked
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(post, accounts))
    return asked


def settle(accounts: list[Any], timeout: float) -> dict[str, tuple[float | None, float | None]]:
    """Each account's breach `recorded_at` and platform `confirmed_at` (epoch seconds), waiting for both."""
    from propdesk.data import keys
    from propdesk.data.models import BreachItem
    from propdesk.data.platform_access import PlatformAccessRepository

    states = PlatformAccessRepository()
    found: dict[str, tuple[float | None, float | None]] = {a.account_id: (None, None) for a in accounts}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for account_id, (recorded, confirmed) in found.items():
            if recorded is None:
                breaches = BreachItem.sk.startswith(keys.BREACH_PREFIX)
                items = BreachItem.query(keys.account_pk(account_id), breaches)
                recorded = next((item.recorded_at.timestamp() for item in items), None)
            if confirmed is None:
                state = states.get(account_id)
                confirmed = state.confirmed_at.timestamp() if state and state.confirmed_at else None
            found[account_id] = (recorded, confirmed)
        if all(r is not None and c is not None for r, c in found.values()):
            break
        time.sleep(0.5)
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Phase:
    name: str
    description: str
    concurrency: int = 1
    interval: float = 0.0


def run(stack: DeployedStack, accounts_wanted: int, arguments: argparse.Namespace) -> int:
    bind_data_layer(stack)
    phases = (
        Phase("paced", f"one every {arguments.interval:.0f} s", interval=arguments.interval),
        Phase("burst", f"{arguments.concurrency} at a time", concurrency=arguments.concurrency),
    )
    failed = 0
    with connected_match_trader(stack) as fake:
        [warm] = open_accounts(stack, fake, 1)
        warm_asked = breach(stack, [warm], 1, 0.0)
        warm_recorded, warm_confirmed = settle([warm], arguments.timeout)[warm.account_id]
        if warm_recorded is not None and warm_confirmed is not None:
            asked = warm_asked[warm.account_id]
            print(f"enforcement.warmup.event_to_breach: {(warm_recorded - asked) * 1000:.0f} ms")
            print(f"enforcement.warmup.event_to_platform_confirmed: {(warm_confirmed - asked) * 1000:.0f} ms")
        for phase in phases:
            failed |= measure(stack, fake, phase, accounts_wanted, arguments.timeout)
    return failed


def measure(stack: DeployedStack, fake: FakeMatchTrader, phase: Phase, count: int, timeout: float) -> int:
    accounts = open_accounts(stack, fake, count)
    requests_before, limited_before = len(fake.requests), fake.rate_limited
    asked_at = breach(stack, accounts, phase.concurrency, phase.interval)
    settled = settle(accounts, timeout)

    to_breach = [r - asked_at[a] for a, (r, _) in settled.items() if r is not None]
    to_confirmed = [c - asked_at[a] for a, (_, c) in settled.items() if c is not None]
    breach_to_confirmed = [c - r for r, c in settled.values() if r is not None and c is not None]
    disabled = sum(1 for a in accounts if fake.access.get(a.platform.login) == "TRADING_DISABLED")
    books = [fake.market.account(a.platform.login) for a in accounts]
    left_open = sum(len(book.positions) for book in books if book is not None)

    prefix = f"enforcement.{phase.name}"
    print(f"{prefix}.accounts: {len(accounts)} (breaching events posted {phase.description})")
    for name, values in (
        ("event_to_breach", to_breach),
        ("event_to_platform_confirmed", to_confirmed),
        ("breach_to_platform_confirmed", breach_to_confirmed),
    ):
        if values:
            print(f"{prefix}.{name}.p50: {statistics.median(values) * 1000:.0f} ms")
            print(f"{prefix}.{name}.p99: {percentile(values, 0.99) * 1000:.0f} ms")
    if to_breach and to_confirmed:
        p50 = statistics.median(to_confirmed) / statistics.median(to_breach)
        p99 = percentile(to_confirmed, 0.99) / percentile(to_breach, 0.99)
        print(f"{prefix}.platform_confirmed_vs_breach.p50: {p50:.2f} x")
        print(f"{prefix}.platform_confirmed_vs_breach.p99: {p99:.2f} x")
    print(f"{prefix}.platform_requests_per_account: {(len(fake.requests) - requests_before) / count:.1f}")
    print(f"{prefix}.platform_429s: {fake.rate_limited - limited_before}")
    print(f"{prefix}.disabled_on_platform: {disabled} of {len(accounts)}")
    print(f"{prefix}.positions_left_open: {left_open}")
    print(f"{prefix}.commands_retried: {count_retried(accounts)}")
    missing = len(accounts) - len(to_confirmed)
    print(f"{prefix}.not_confirmed_within_{timeout:.0f}s: {missing}")
    return 0 if missing == 0 and disabled == len(accounts) and left_open == 0 else 1


def count_retried(accounts: list[Any]) -> int:
    """Commands that took more than one attempt (from their audit entries)."""
    from propdesk.data.audit import AuditLog

    audit, retried = AuditLog(), 0
    for account in accounts:
        for entry in audit.for_subject(f"ACCOUNT#{account.account_id}").items:
            if entry.action.startswith("platform.") and int((entry.after or {}).get("attempts", 1)) > 1:
                retried += 1
    return retried


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=5, help="the burst's posts at a time")
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between the paced posts")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for every account")
    parser.add_argument("--reuse-dev", action="store_true", help="the local system `make dev` runs")
    arguments = parser.parse_args()
    with deployed(arguments.reuse_dev) as stack:
        code = run(stack, arguments.accounts, arguments)
    sys.exit(code)


if __name__ == "__main__":
    main()
