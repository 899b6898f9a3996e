"""platform_reconciliation in-process against DynamoDB Local, with the port's in-memory platform: a
difference holds the account's payouts (the real hold store) and alerts once, a later agreement lifts the
hold; the latest result and the staleness of the data are kept for the account view; the daily run finds the
active accounts without a scan; our own bookings in flight (a scaling top-up, a payout's withdrawal, read from
the real scaling and payout stores) are accounted for, not held."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propdesk.data.accounts import AccountRepository
from propdesk.data.events import TradingEventRepository
from propdesk.data.payout_holds import PayoutHoldRepository
from propdesk.data.payouts import PayoutRepository
from propdesk.data.reconciliations import ReconciliationRepository
from propdesk.data.risk import RiskStateRepository
from propdesk.data.scaling import ScalingRepository
from propdesk.payouts.model import Payout, PayoutStatus, StatusChange
from propdesk.payouts.put_back import LateWithdrawals
from propdesk.payouts.scaling import AccountTerms
from propdesk.payouts.scaling_store import StoredDecision
from propdesk.platforms.in_flight import KnownBookings
from propdesk.platforms.reconciliation import PlatformReconciliation
from propdesk.records import AuditEntry, PlatformReference, RiskSnapshot

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
            in_flight=KnownBookings(PayoutRepository(), ScalingRepository(), self.clock),
            late=LateWithdrawals(PayoutRepository(), self.clock),
        )  # fmt: skip

    def open(self, account_id: str, ours: str, positions: int = 0, size: str = "100000") -> str:
        """The account sized `size` (in the table), our figures `ours` at the engine's size of 100,000."""
        booked = self.market.open_account("t@example.com", "USD", Decimal("100000"), "g", account_id)
        reference = PlatformReference("mt5", booked.account_id, booked.login)
        opened = replace(account(account_id), platform=reference, initial_balance=Decimal(size))
        AccountRepository().open(opened)
        state = {
            "balance": ours,
            "equity": ours,
            "initial": "100000",
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


def scaled_to(account_id: str, size: str) -> None:
    """The scaling plan's kept decision: the account grows to `size`."""
    terms = AccountTerms(Decimal(size), Decimal("100000"), Decimal(5), Decimal(10), Decimal(90))
    decision = StoredDecision(account_id, NOW.date(), True, terms, "every criterion was met", NOW)
    entry = AuditEntry(
        entry_id=f"decided-{account_id}", at=NOW, actor="system:scaling-plan", action="account.scaled",
        subject=f"ACCOUNT#{account_id}", reason="every criterion was met",
    )  # fmt: skip
    assert ScalingRepository().record(decision, entry)


def test_a_scaling_top_up_booked_before_the_engines_scale_is_accounted_for_not_held(
    tables: TableNames, unique_id: str
) -> None:
    world = World()
    platform_id = world.open(unique_id, ours="101000", size="110000")  # resized; the engine still at 100k
    scaled_to(unique_id, "110000")
    world.market.balance_operation(platform_id, Decimal("1000"), "trading")
    world.market.balance_operation(platform_id, Decimal("10000"), "scaling", f"{unique_id}:scaling")

    topped_up = world.run({"account_id": unique_id})

    assert (topped_up["outcome"], topped_up["held"]) == ("agrees", False)
    assert PayoutHoldRepository().holds_on(unique_id) == [] and world.publisher.published == []
    assert "scaling top-up" in world.reconciliation.reconcile(unique_id).detail  # said, for staff


def test_a_difference_beyond_the_booking_in_flight_is_still_held(tables: TableNames, unique_id: str) -> None:
    world = World()
    platform_id = world.open(unique_id, ours="100000", size="110000")
    scaled_to(unique_id, "110000")
    world.market.balance_operation(platform_id, Decimal("10250"), "the top-up and 250 nobody booked")

    assert world.run({"account_id": unique_id})["outcome"] == "differs"
    assert len(PayoutHoldRepository().holds_on(unique_id)) == 1


def test_a_growth_no_kept_decision_explains_is_held(tables: TableNames, unique_id: str) -> None:
    world = World()
    platform_id = world.open(unique_id, ours="100000", size="110000")  # resized without a decision
    world.market.balance_operation(platform_id, Decimal("10000"), "top-up")

    assert world.run({"account_id": unique_id})["outcome"] == "differs"


def stored_payout(account_id: str, status: PayoutStatus, *before: PayoutStatus) -> Payout:
    """A payout of 800 (a 640 share) whose withdrawal started, stored in `status` after `before`."""
    payout = Payout(
        payout_id=f"payout-{account_id}", account_id=account_id, trader_id="trader-1", status=status,
        currency="USD", amount=Decimal("800"), trader_share=Decimal("640"), firm_share=Decimal("160"),
        requested_at=NOW, withdrawal_started_at=NOW,
        timeline=tuple(StatusChange(step, NOW) for step in (*before, status) if step != "approved"),
    )  # fmt: skip
    PayoutRepository().create(payout)
    return payout


def test_a_payout_withdrawal_booked_before_the_engine_hears_of_it_is_accounted_for_not_held(
    tables: TableNames, unique_id: str
) -> None:
    world = World()
    platform_id = world.open(unique_id, ours="101000")
    world.market.balance_operation(platform_id, Decimal("1000"), "trading")
    payout = stored_payout(unique_id, "approved")
    world.market.balance_operation(platform_id, Decimal("-800"), "payout", f"{payout.payout_id}:withdrawal")

    withdrawn = world.run({"account_id": unique_id})

    assert (withdrawn["outcome"], withdrawn["held"]) == ("agrees", False)
    PayoutRepository().update(replace(payout, status="rejected", revision=1))  # ended: nothing in flight
    world.market.balance_operation(platform_id, Decimal("-200"), "unexplained")
    assert world.run({"account_id": unique_id})["outcome"] == "differs"


def test_a_withdrawal_the_platform_booked_after_its_payout_ended_is_put_back_not_held(
    tables: TableNames, unique_id: str
) -> None:
    world = World()
    platform_id = world.open(unique_id, ours="101000")
    world.market.balance_operation(platform_id, Decimal("1000"), "trading")
    payout = stored_payout(unique_id, "rejected")
    # the platform queued the request and books it after the payout ended and after every look-up
    world.market.balance_operation(platform_id, Decimal("-800"), "payout", f"{payout.payout_id}:withdrawal")

    found = world.run({"account_id": unique_id})
    again = world.run({"account_id": unique_id})

    assert (found["outcome"], found["held"], again["outcome"]) == ("agrees", False, "agrees")
    book = world.market.account(platform_id)
    assert book is not None and book.balance == Decimal("101000")  # back, once
    assert [a.severity for a in world.publisher.of_type("firm.alert")] == ["warning"]  # type: ignore[attr-defined]


def test_a_compensation_booked_before_the_engine_hears_of_it_is_accounted_for_for_an_hour(
    tables: TableNames, unique_id: str
) -> None:
    world = World()
    platform_id = world.open(unique_id, ours="100200")  # the engine has the withdrawal, not the deposit
    world.market.balance_operation(platform_id, Decimal("1000"), "trading")
    payout = stored_payout(unique_id, "failed", "withdrawn", "paying")
    world.market.balance_operation(platform_id, Decimal("-800"), "payout", f"{payout.payout_id}:withdrawal")
    world.market.balance_operation(platform_id, Decimal("800"), "back", f"{payout.payout_id}:compensation")

    in_flight = world.run({"account_id": unique_id})
    world.clock.advance(timedelta(hours=1, seconds=1))
    later = world.run({"account_id": unique_id})

    assert (in_flight["outcome"], in_flight["held"]) == ("agrees", False)
    assert "payout compensation not yet in the engine" in str(in_flight["detail"])
    assert (later["outcome"], later["held"]) == ("differs", True)  # the engine should have it by now
