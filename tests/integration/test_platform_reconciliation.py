"""platform_reconciliation in-process against DynamoDB Local, with the port's in-memory platform: a
difference holds the account's payouts (the real hold store) and alerts once, a later agreement lifts the
hold; the latest result and the staleness of the data are kept for the account view; the daily run finds the
active accounts without a scan."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propdesk.data.accounts import AccountRepository
from propdesk.data.events import TradingEventRepository
from propdesk.data.payout_holds import PayoutHoldRepository
from propdesk.data.reconciliations import ReconciliationRepository
from propdesk.data.risk import RiskStateRepository
from propdesk.platforms.reconciliation import PlatformReconciliation
from propdesk.records import PlatformReference, RiskSnapshot

from fakes.market import Market
from functions.platform_reconciliation import handler as platform_reconciliation
from tests.doubles.platforms import InMemoryPlatform
from tests.doubles.ports import InMemoryEventPublisher, ManualClock
from tests.integration.dynamodb_local import TableNames
from tests.integration.factories import account, equity_event
from tests.integration.invoke import LambdaContextStub

pytestmark = pytest.mark.integration

CONTEXT = LambdaContextStub()
NOW = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.clock = ManualClock(NOW)
        self.market = Market(now=self.clock.now)
        self.platform = InMemoryPlatform(self.market, name="mt5")
        self.publisher = InMemoryEventPublisher()
        self.reconciliation = PlatformReconciliation(
            AccountRepository(), RiskStateRepository(), TradingEventRepository(),
            lambda name: self.platform if name == "mt5" else None,
            PayoutHoldRepository(), ReconciliationRepository(), self.publisher, self.clock,
        )  # fmt: skip

    def open(self, account_id: str, ours: str, positions: int = 0) -> str:
        booked = self.market.open_account("t@example.com", "USD", Decimal("100000"), "g", account_id)
        reference = PlatformReference("mt5", booked.account_id, booked.login)
        AccountRepository().open(replace(account(account_id), platform=reference))
        state = {
            "balance": ours,
            "equity": ours,
            "positions": [{"position_id": f"p{n}"} for n in range(positions)],
        }
        RiskStateRepository().save(RiskSnapshot(account_id, 0, state, {}, None, 0, None), NOW)
        return booked.account_id

    def run(self, event: dict[str, object]) -> dict[str, object]:
        return platform_reconciliation.process(event, CONTEXT, (self.reconciliation, AccountRepository()))


def test_a_difference_holds_payouts_until_a_later_reconciliation_agrees(
    tables: TableNames, unique_id: str
) -> None:
    world = World()
    platform_id = world.open(unique_id, ours="104000")

    differs = world.run({"account_id": unique_id})
    again = world.run({"account_id": unique_id})

    assert (differs["outcome"], differs["held"], again["held"]) == ("differs", True, True)
    [hold] = PayoutHoldRepository().holds_on(unique_id)
    assert (hold.source, hold.reference) == ("reconciliation", "platform-figures")
    assert len(world.publisher.of_type("firm.alert")) == 1

    world.market.balance_operation(platform_id, Decimal("4000"), "booked late")
    agrees = world.run({"account_id": unique_id})

    assert (agrees["outcome"], agrees["agrees"], agrees["held"]) == ("agrees", True, False)
    assert PayoutHoldRepository().holds_on(unique_id) == []


def test_stale_data_is_kept_since_the_first_check_that_found_it(tables: TableNames, unique_id: str) -> None:
    world = World()
    world.open(unique_id, ours="100000", positions=1)
    TradingEventRepository().record(
        equity_event(unique_id, "e-1", NOW - timedelta(hours=2), "100000"),
        received_at=NOW - timedelta(hours=2),
    )

    first = world.run({"account_id": unique_id})
    world.clock.advance(timedelta(hours=1))
    world.run({"account_id": unique_id})
    kept = ReconciliationRepository().latest(unique_id)

    assert first["stale"] is True
    assert kept is not None and kept.stale and kept.stale_since == NOW

    TradingEventRepository().record(
        equity_event(unique_id, "e-2", world.clock.now(), "100000"), received_at=world.clock.now()
    )
    world.run({"account_id": unique_id})
    fresh = ReconciliationRepository().latest(unique_id)
    assert fresh is not None and not fresh.stale and fresh.stale_since is None


def test_the_daily_run_reconciles_active_accounts(tables: TableNames, unique_id: str) -> None:
    world = World()
    world.open(f"{unique_id}-ok", ours="100000")
    world.open(f"{unique_id}-off", ours="90000")

    summary = world.run({"detail-type": "Scheduled Event", "source": "aws.events"})

    assert f"{unique_id}-off" in summary["differing"]  # type: ignore[operator]
    assert f"{unique_id}-ok" not in summary["differing"]  # type: ignore[operator]
