"""Reconciliation of the platform's balance and equity with ours: the arithmetic, and the payout hold that
stays exactly while the latest check disagrees (through the port's in-memory double)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from propdesk.platforms.feed import FeedRecovery
from propdesk.platforms.in_flight import InFlightBooking
from propdesk.platforms.port import AccountFigures, PlatformUnavailableError
from propdesk.platforms.reconciliation import (
    HOLD_REFERENCE,
    OurFigures,
    PlatformReconciliation,
    ReconciliationResult,
    Tolerance,
    compare,
    compare_in_flight,
    is_stale,
)
from propdesk.records import Account, PlatformReference, RiskSnapshot
from propdesk.services.backfill import BackfillReport

from fakes.market import Market
from tests.doubles.payouts import InMemoryAccounts, InMemoryPayoutHolds
from tests.doubles.platforms import InMemoryPlatform, InMemoryStaleMarks
from tests.doubles.ports import InMemoryEventPublisher, ManualClock

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
D = Decimal


def figures(balance: str, equity: str, currency: str = "USD") -> AccountFigures:
    return AccountFigures(D(balance), D(equity), currency, NOW)


def ours(balance: str, equity: str, currency: str = "USD", positions: int = 0) -> OurFigures:
    return OurFigures(D(balance), D(equity), currency, positions)


# ---- the arithmetic


def test_figures_within_a_cent_and_half_a_percent_agree() -> None:
    assert compare(ours("100000.00", "100400"), figures("100000.01", "100000"), Tolerance()) == ()


def test_a_balance_more_than_a_cent_away_differs() -> None:
    [difference] = compare(ours("100000.00", "100000"), figures("100000.02", "100000"), Tolerance())
    assert (difference.figure, difference.ours, difference.theirs, difference.allowed) == (
        "balance", "100000.00", "100000.02", "0.01"
    )  # fmt: skip


def test_an_equity_beyond_the_percent_of_the_platforms_equity_differs() -> None:
    # 0.5 % of 100000 is 500: 500 apart agrees, 500.01 apart differs
    assert compare(ours("100000", "100500"), figures("100000", "100000"), Tolerance()) == ()
    [difference] = compare(ours("100000", "100500.01"), figures("100000", "100000"), Tolerance())
    assert (difference.figure, D(difference.allowed)) == ("equity", 500)


def test_the_equity_allowance_is_never_below_the_balance_tolerance() -> None:
    assert Tolerance().equity_allowance(D(0)) == D("0.01")


def test_another_currency_is_a_difference_whatever_the_amounts() -> None:
    [difference] = compare(ours("100", "100", "USD"), figures("100", "100", "EUR"), Tolerance())
    assert difference.figure == "currency"


@pytest.mark.parametrize(
    ("positions", "latest", "stale"),
    [
        (0, None, False),  # flat: nothing needs updating
        (1, None, True),
        (1, NOW - timedelta(minutes=15), False),
        (1, NOW - timedelta(minutes=15, seconds=1), True),
    ],
)
def test_data_is_stale_only_with_open_positions_and_no_event_within_the_threshold(
    positions: int, latest: datetime | None, stale: bool
) -> None:
    assert is_stale(positions, latest, NOW, timedelta(minutes=15)) is stale


# ---- the use case


@dataclass
class Snapshots:
    kept: dict[str, RiskSnapshot] = field(default_factory=dict)

    def get(self, account_id: str) -> RiskSnapshot | None:
        return self.kept.get(account_id)


@dataclass
class LatestEvents:
    times: dict[str, datetime] = field(default_factory=dict)

    def latest_event_time(self, account_id: str) -> datetime | None:
        return self.times.get(account_id)


@dataclass
class Health:
    recorded: list[ReconciliationResult] = field(default_factory=list)

    def record(self, result: ReconciliationResult) -> None:
        self.recorded.append(result)


class World:
    def __init__(self) -> None:
        self.clock = ManualClock(NOW)
        self.market = Market(now=self.clock.now)
        self.platform = InMemoryPlatform(self.market, name="mt5")
        self.accounts = InMemoryAccounts()
        self.snapshots = Snapshots()
        self.events = LatestEvents()
        self.holds = InMemoryPayoutHolds()
        self.health = Health()
        self.publisher = InMemoryEventPublisher()
        self.reconciliation = PlatformReconciliation(
            self.accounts, self.snapshots, self.events,
            lambda name: self.platform if name == "mt5" else None,
            self.holds, self.health, self.publisher, self.clock,
        )  # fmt: skip

    def account(self, account_id: str = "acc-1", balance: str = "100000") -> str:
        booked = self.market.open_account("t@example.com", "USD", D(balance), "g", account_id)
        self.accounts.accounts[account_id] = Account(
            account_id=account_id, trader_id="trader-1", program_id="p", program_version=1, status="active",
            currency="USD", initial_balance=D("100000"), timezone="UTC", day_starts_at="00:00",
            opened_at=NOW - timedelta(days=3),
            platform=PlatformReference("mt5", booked.account_id, booked.login, "g", "MT5-Demo"),
        )  # fmt: skip
        return booked.account_id

    def ours(
        self, account_id: str, balance: str, equity: str, positions: list[dict[str, Any]] | None = None
    ) -> None:
        state = {"balance": balance, "equity": equity, "positions": positions or []}
        self.snapshots.kept[account_id] = RiskSnapshot(account_id, 1, state, {}, None, 0, None)

    def held(self, account_id: str = "acc-1") -> bool:
        return any(h.reference == HOLD_REFERENCE for h in self.holds.holds_on(account_id))


def test_matching_figures_agree_and_hold_nothing() -> None:
    world = World()
    world.account()
    world.ours("acc-1", "100000", "100000")

    result = world.reconciliation.reconcile("acc-1")

    assert result.agrees and not result.held
    assert not world.held() and world.publisher.of_type("firm.alert") == []
    assert world.health.recorded == [result]


def test_a_difference_holds_payouts_and_alerts_once_then_a_later_agreement_lifts_the_hold() -> None:
    world = World()
    platform_id = world.account()
    world.ours("acc-1", "112000", "112000")  # we believe in 12000 of profit the platform never booked

    first = world.reconciliation.reconcile("acc-1")
    again = world.reconciliation.reconcile("acc-1")

    assert (first.outcome, first.held, again.held) == ("differs", True, True)
    assert [d.figure for d in first.differences] == ["balance", "equity"]
    [hold] = world.holds.holds_on("acc-1")
    assert (hold.source, hold.reference) == ("reconciliation", HOLD_REFERENCE)
    [alert] = world.publisher.of_type("firm.alert")  # once, not on every check
    assert "acc-1" in alert.subject  # type: ignore[attr-defined]

    world.market.balance_operation(platform_id, D("12000"), "the missing profit, booked")
    world.clock.advance(timedelta(hours=1))
    later = world.reconciliation.reconcile("acc-1")

    assert later.agrees and not later.held
    assert world.holds.holds_on("acc-1") == []


def test_a_platform_that_is_down_changes_no_hold_and_marks_the_data_stale() -> None:
    world = World()
    world.account()
    world.ours("acc-1", "90000", "90000")
    world.reconciliation.reconcile("acc-1")  # differs: held
    world.platform.down = True

    result = world.reconciliation.reconcile("acc-1")

    assert (result.outcome, result.held, result.stale) == ("unavailable", True, True)
    assert world.held()


def test_an_outage_never_holds_an_account_that_agreed() -> None:
    world = World()
    world.account()
    world.ours("acc-1", "100000", "100000")
    world.platform.down = True

    result = world.reconciliation.reconcile("acc-1")

    assert (result.outcome, result.held) == ("unavailable", False)
    assert world.holds.holds_on("acc-1") == []


def test_open_positions_without_a_recent_event_are_stale_even_when_figures_agree() -> None:
    world = World()
    world.account()
    world.ours("acc-1", "100000", "100000", positions=[{"position_id": "p1"}])
    world.events.times["acc-1"] = NOW - timedelta(hours=1)

    result = world.reconciliation.reconcile("acc-1")

    assert result.agrees and result.stale


def test_an_account_without_a_platform_or_unknown_is_not_checked() -> None:
    world = World()
    assert world.reconciliation.reconcile("nobody").outcome == "not_checked"


def test_the_daily_run_reports_each_kind_of_account() -> None:
    world = World()
    world.account("ok")
    world.ours("ok", "100000", "100000")
    world.account("off")
    world.ours("off", "100000", "95000")

    summary = world.reconciliation.reconcile_all(["ok", "off"])

    assert (summary.checked, summary.differing, summary.unavailable) == (2, ["off"], [])


# ---- recovery of a stale feed


@dataclass
class Gaps:
    """A `GapFiller` that stores `deals` deals (and a reading) per backfill, or fails while `down`."""

    deals: int = 0
    down: bool = False
    calls: list[tuple[str, datetime]] = field(default_factory=list)

    def backfill(self, account_id: str, since: datetime) -> BackfillReport:
        if self.down:
            raise PlatformUnavailableError("still down")
        self.calls.append((account_id, since))
        return BackfillReport(account_id, since, NOW, self.deals + 1, 0, self.deals)


def recovering(world: World, gaps: Gaps) -> InMemoryStaleMarks:
    marks = InMemoryStaleMarks()
    recovery = FeedRecovery(marks, gaps, world.events, world.accounts, world.clock)
    world.reconciliation = PlatformReconciliation(
        world.accounts, world.snapshots, world.events,
        lambda name: world.platform if name == "mt5" else None,
        world.holds, world.health, world.publisher, world.clock, recovery=recovery,
    )  # fmt: skip
    return marks


def test_a_platform_that_cannot_be_read_marks_the_account_s_feed_stale() -> None:
    world = World()
    marks = recovering(world, Gaps())
    world.account()
    world.ours("acc-1", "100000", "100000")
    world.events.times["acc-1"] = NOW - timedelta(minutes=40)
    world.platform.down = True

    result = world.reconciliation.reconcile("acc-1")

    assert (result.outcome, result.stale) == ("unavailable", True)
    assert marks.stale_since("acc-1") == NOW - timedelta(minutes=40)


def test_when_the_platform_is_back_the_gap_is_backfilled_and_compared_at_the_next_check() -> None:
    world = World()
    gaps = Gaps(deals=3)
    marks = recovering(world, gaps)
    world.account()
    world.ours("acc-1", "90000", "90000")
    world.reconciliation.reconcile("acc-1")  # differs: held
    marks.mark_stale("acc-1", "mt5", NOW - timedelta(hours=2))

    result = world.reconciliation.reconcile("acc-1")

    assert gaps.calls == [("acc-1", NOW - timedelta(hours=2))]
    assert (result.outcome, result.stale, result.held) == ("backfilled", False, True)  # the hold waits
    assert marks.stale_since("acc-1") is None
    assert len(world.publisher.of_type("firm.alert")) == 1  # no alert from figures that are behind


def test_a_stale_mark_with_nothing_missing_is_cleared_and_the_figures_compared() -> None:
    world = World()
    marks = recovering(world, Gaps(deals=0))
    world.account()
    world.ours("acc-1", "100000", "100000")
    marks.mark_stale("acc-1", "mt5", NOW - timedelta(hours=2))

    result = world.reconciliation.reconcile("acc-1")

    assert result.agrees and not result.stale and marks.stale_since("acc-1") is None


TOP_UP = InFlightBooking("d-1:scaling", D("10000"), "scaling top-up not yet in the engine")
WITHDRAWAL = InFlightBooking("p-1:withdrawal", D("-800"), "payout withdrawal not yet in the engine")


@pytest.mark.parametrize(
    ("platform_balance", "accounted"),
    [
        ("101000", ()),  # nothing booked yet
        ("111000", (TOP_UP,)),  # the top-up booked, the engine's scale not applied
        ("100200", (WITHDRAWAL,)),  # the withdrawal booked, the engine not told
        ("110200", (TOP_UP, WITHDRAWAL)),  # both
    ],
)
def test_bookings_in_flight_make_the_platforms_figures_agree_only_by_their_exact_amounts(
    platform_balance: str, accounted: tuple[InFlightBooking, ...]
) -> None:
    theirs = figures(platform_balance, platform_balance)

    differences, used = compare_in_flight(ours("101000", "101000"), theirs, Tolerance(), (TOP_UP, WITHDRAWAL))

    assert (differences, used) == ((), accounted)


def test_a_difference_no_booking_in_flight_explains_still_differs() -> None:
    theirs = figures("111250", "111250")  # the top-up and 250 more

    differences, used = compare_in_flight(ours("101000", "101000"), theirs, Tolerance(), (TOP_UP, WITHDRAWAL))

    assert [d.figure for d in differences] == ["balance", "equity"] and used == ()
    assert differences[0].theirs == "111250" and differences[0].ours == "101000"  # our own figures, as read


# ---- a withdrawal the platform booked after its payout ended


@dataclass
class LateBookingsPutBack:
    """`LateBookings` that books `amount` back on the platform for each payout in `late` (once)."""

    world: World
    late: dict[str, Decimal] = field(default_factory=dict)
    down: bool = False

    def put_back(self, account: Account, platform: Any) -> tuple[str, ...]:
        if self.down:
            raise PlatformUnavailableError("down while putting back")
        assert account.platform is not None
        put_back = tuple(self.late)
        for payout_id, amount in self.late.items():
            self.world.market.balance_operation(
                account.platform.platform_account_id, amount, "put back", f"{payout_id}:compensation"
            )
        self.late = {}
        return put_back


def with_late_bookings(world: World, late: LateBookingsPutBack) -> None:
    world.reconciliation = PlatformReconciliation(
        world.accounts, world.snapshots, world.events,
        lambda name: world.platform if name == "mt5" else None,
        world.holds, world.health, world.publisher, world.clock, late=late,
    )  # fmt: skip


def test_a_withdrawal_booked_after_its_payout_ended_is_put_back_and_staff_are_told_once() -> None:
    world = World()
    platform_id = world.account()
    world.ours("acc-1", "101000", "101000")
    world.market.balance_operation(platform_id, D("1000"), "trading")
    world.market.balance_operation(platform_id, D("-800"), "payout", "p-1:withdrawal")  # after it ended
    late = LateBookingsPutBack(world, {"p-1": D("800")})
    with_late_bookings(world, late)

    result = world.reconciliation.reconcile("acc-1")
    again = world.reconciliation.reconcile("acc-1")

    assert (result.outcome, result.held, again.outcome) == ("agrees", False, "agrees")
    assert result.detail == "put back withdrawals booked after their payouts ended: p-1"
    assert result.theirs is not None and result.theirs.balance == D("101000")  # read again
    [alert] = world.publisher.of_type("firm.alert")
    assert alert.severity == "warning" and "p-1" in alert.subject  # type: ignore[attr-defined]
    assert world.holds.holds_on("acc-1") == []


def test_a_difference_left_after_putting_back_is_still_held() -> None:
    world = World()
    platform_id = world.account()
    world.ours("acc-1", "101250", "101250")
    world.market.balance_operation(platform_id, D("1000"), "trading")
    world.market.balance_operation(platform_id, D("-800"), "payout", "p-1:withdrawal")
    with_late_bookings(world, LateBookingsPutBack(world, {"p-1": D("800")}))

    result = world.reconciliation.reconcile("acc-1")

    assert (result.outcome, result.held) == ("differs", True)
    assert result.detail.startswith("put back withdrawals booked after their payouts ended: p-1; balance:")
    assert sorted(a.severity for a in world.publisher.of_type("firm.alert")) == ["critical", "warning"]  # type: ignore[attr-defined]


def test_a_platform_down_while_putting_back_leaves_the_difference_held() -> None:
    world = World()
    platform_id = world.account()
    world.ours("acc-1", "101000", "101000")
    world.market.balance_operation(platform_id, D("200"), "trading")
    with_late_bookings(world, LateBookingsPutBack(world, {"p-1": D("800")}, down=True))

    result = world.reconciliation.reconcile("acc-1")

    assert (result.outcome, result.held) == ("differs", True)
