"""A deployed stack connected to a fake Match-Trader: the fake runs in the test's process, and the stack's
own Match-Trader secret is pointed at it (as ops would set the real one), so the deployed functions act on
the fake. Accounts are opened on the fake through the real adapter, then stored with their platform
reference, as provisioning does. Used by the enforcement end-to-end test and
`benchmarks/enforcement_bench.py`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from fakes.match_trader import FakeMatchTrader
from scripts.local_cloud.cloud import STAGE
from tests.e2e.harness import DeployedStack, bind_data_layer

SYSTEM_UUID = "system-e2e"
PROGRAM_ID = "two-step-100k-phase-1"


@contextmanager
def connected_match_trader(stack: DeployedStack) -> Iterator[FakeMatchTrader]:
    """A fake Match-Trader the stack's functions reach, for the block's duration.

    A stack deployed with the providers' fakes (the e2e session's, as `make dev` runs them) has its
    Match-Trader connection pointed at their fake through CDK context (`match_trader_base_url`, which
    overrides the base URL in the secret): that fake is the one its functions reach, so it is the one used
    here. A stack deployed without them (the benchmark's) reads the base URL from its secret: a fake of our
    own is started and the secret pointed at it."""
    providers = stack.providers
    if providers is not None and providers.started:
        yield providers.match_trader
        return
    fake = FakeMatchTrader()
    fake.start()
    secret = {"base_url": fake.url, "api_token": fake.token, "system_uuid": SYSTEM_UUID}
    stack.client("secretsmanager").put_secret_value(
        SecretId=f"propdesk/{STAGE}/match-trader", SecretString=json.dumps(secret)
    )
    try:
        yield fake
    finally:
        fake.stop()


def open_placed_account(
    stack: DeployedStack, fake: FakeMatchTrader, account_id: str, opened_at: datetime
) -> Any:
    """Open the account on the fake platform and store it with its platform reference (as provisioning
    does); returns the stored `Account`."""
    from propdesk.catalogue import demo_programs
    from propdesk.config import PlatformConnection
    from propdesk.data.accounts import AccountRepository
    from propdesk.platforms.port import NewAccount
    from propdesk.platforms.references import reference_of
    from propdesk.records import Account
    from propdesk.resilience.breaker_state import InMemoryBreakerStore
    from propdesk.wiring.platforms import PlatformRegistry

    from tests.doubles.ports import StaticSecrets

    secret = json.dumps({"base_url": fake.url, "api_token": fake.token, "system_uuid": SYSTEM_UUID})
    connection = PlatformConnection(secret_arn="e2e", server="MatchTrader-Demo", requests_per_minute=500)
    registry = PlatformRegistry(
        {"match-trader": connection}, StaticSecrets({"e2e": secret}), InMemoryBreakerStore()
    )
    opened = registry.platform("match-trader").create_account(
        NewAccount(f"propdesk:{account_id}", f"{account_id}@example.com", "Demo", "Trader", "USD",
                   Decimal(100000), "challenge-100k")
    )  # fmt: skip
    bind_data_layer(stack)
    program = next(p for p in demo_programs() if p.summary.program_id == PROGRAM_ID)
    account = Account(
        account_id=account_id,
        trader_id=stack.demo["trader_id"],
        program_id=PROGRAM_ID,
        program_version=1,
        status="active",
        currency=program.summary.currency,
        initial_balance=program.summary.initial_balance,
        timezone=str(program.document["timezone"]),
        day_starts_at=str(program.document["day_starts_at"]),
        opened_at=opened_at,
    )
    account = replace(account, platform=reference_of(opened))
    assert AccountRepository().open(account), f"account {account_id} exists already"
    return account


def breaching_events(opened_at: datetime, equity: str = "94900.00") -> list[dict[str, Any]]:
    """One equity reading below the demo program's daily floor (95,000): a `fail` breach."""
    return [
        {"event_id": "drop", "time": (opened_at + timedelta(minutes=1)).isoformat(), "type": "equity",
         "equity": equity},
    ]  # fmt: skip


def post_events(stack: DeployedStack, account_id: str, events: list[dict[str, Any]]) -> None:
    answer = stack.push_events(account_id, events)  # signed as the account's platform (match-trader)
    assert answer.status == 202, answer.body
