"""Reconciliation: the platform's own balance and equity against ours (the risk snapshot), at least daily and
before every payout.

Guarantees:
- `compare` is pure arithmetic: the balance differs when |ours - theirs| > `Tolerance.balance` (account
  currency); the equity when |ours - theirs| > `Tolerance.equity_percent` of the platform's |equity| (and
  never
  less than the balance tolerance): our equity is the last reading pushed, the platform's is live, so some
  drift while positions are open is expected. A different currency is always a difference.
- `PlatformReconciliation.reconcile(account_id)` reads both sides, and:
  differs -> places the account's reconciliation payout hold (`source="reconciliation"`, reference
  `HOLD_REFERENCE`) and, when the hold is new, publishes one `firm.alert`; agrees -> lifts that hold if there
  was one. So a hold stays exactly while the latest reconciliation disagrees.
  The platform down (`PlatformUnavailableError`) or refusing -> `unavailable`: holds are left as they are (an
  outage is not a difference) and the caller (the payout workflow) decides; the account's data is stale.
- Stale data: an account with open positions whose latest trading event is older than `stale_after`, or whose
  platform cannot be read, is marked stale (`FeedHealth`), and marked fresh again by a later reconciliation
  that finds it current. Breaches come only from trading events, so no breach is ever made from the figures
  read here; the engine's time-driven rules read the mark (docs/platforms.md, "Stale data").
- Recovery (with a `FeedRecovery`): an unreadable platform marks the account's feed stale; a readable one
  whose account is marked stale, or looks stale, has its gap backfilled first (`FeedRecovery.catch_up`).
  When that stored deals we lacked, our figures are behind until the risk service applies them: the outcome
  is `backfilled`, holds are left as they are and the figures are compared at the next check.
- Our own bookings in flight (with `InFlightBookings`, `propdesk.platforms.in_flight`): a scaling top-up or a
  payout withdrawal the platform books before the engine hears of it. When the figures differ, they are
  compared again with ours moved by each combination of those bookings; figures that match one exactly
  (within the tolerance) agree, the bookings named in the result's detail. Any other difference still holds.
- A payout's withdrawal the platform booked after the payout ended (with `LateBookings`,
  `propdesk.payouts.put_back.LateWithdrawals`): when the figures still differ, every payout of the account
  still in doubt is looked up again and a booking found is put back (once: the platform books a reference
  once); the platform is read again, staff are told (`firm.alert`, a warning, once per payout), and the
  figures compared again.
- Nothing here reads a clock or the environment: the clock and the stores are injected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import combinations
from typing import Literal, Protocol

from propdesk.domain_events import FirmAlert, stable_id
from propdesk.payouts.holds import PayoutHold, PayoutHolds
from propdesk.platforms.feed import FeedRecovery
from propdesk.platforms.in_flight import InFlightBooking, InFlightBookings
from propdesk.platforms.port import (
    AccountFigures,
    PlatformRejectedError,
    PlatformUnavailableError,
    TradingPlatform,
)
from propdesk.platforms.references import account_ref
from propdesk.ports import Clock, EventPublisher
from propdesk.records import Account, RiskSnapshot

HOLD_REFERENCE = "platform-figures"  # one reconciliation hold per account, placed and lifted by this check
Outcome = Literal["agrees", "differs", "unavailable", "not_checked", "backfilled"]
Figure = Literal["balance", "equity", "currency"]


@dataclass(frozen=True, slots=True)
class Tolerance:
    """How far the platform's figures may be from ours (a firm setting)."""

    balance: Decimal = Decimal("0.01")  # account currency
    equity_percent: Decimal = Decimal("0.5")  # of the platform's equity

    def equity_allowance(self, platform_equity: Decimal) -> Decimal:
        return max(self.balance, abs(platform_equity) * self.equity_percent / 100)


@dataclass(frozen=True, slots=True)
class OurFigures:
    """Our view of the account's money (from the risk snapshot)."""

    balance: Decimal
    equity: Decimal
    currency: str
    open_positions: int


@dataclass(frozen=True, slots=True)
class Difference:
    figure: Figure
    ours: str
    theirs: str
    allowed: str  # the tolerance that was exceeded ("" for a currency)

    def describe(self) -> str:
        beyond = f" (allowed {self.allowed})" if self.allowed else ""
        return f"{self.figure}: ours {self.ours}, platform {self.theirs}{beyond}"


@dataclass(frozen=True, slots=True)
class ReconciliationResult:
    account_id: str
    outcome: Outcome
    checked_at: datetime
    differences: tuple[Difference, ...] = ()
    ours: OurFigures | None = None
    theirs: AccountFigures | None = None
    held: bool = False  # the account's payouts are held by reconciliation after this check
    stale: bool = False  # the account's trading data is stale (see the module's docstring)
    detail: str = ""

    @property
    def agrees(self) -> bool:
        return self.outcome == "agrees"


def compare(ours: OurFigures, theirs: AccountFigures, tolerance: Tolerance) -> tuple[Difference, ...]:
    """Every figure that differs beyond the tolerance (empty: they agree)."""
    if ours.currency.strip().upper() != theirs.currency.strip().upper() and theirs.currency.strip():
        return (Difference("currency", ours.currency, theirs.currency, ""),)
    found: list[Difference] = []
    if abs(ours.balance - theirs.balance) > tolerance.balance:
        found.append(Difference("balance", str(ours.balance), str(theirs.balance), str(tolerance.balance)))
    allowed = tolerance.equity_allowance(theirs.equity)
    if abs(ours.equity - theirs.equity) > allowed:
        found.append(Difference("equity", str(ours.equity), str(theirs.equity), str(allowed)))
    return tuple(found)


def compare_in_flight(
    ours: OurFigures, theirs: AccountFigures, tolerance: Tolerance, in_flight: Sequence[InFlightBooking]
) -> tuple[tuple[Difference, ...], tuple[InFlightBooking, ...]]:
    """`compare`, then, when the figures differ, again with our balance and equity moved by each combination
    of the bookings in flight (fewest first): the differences of our own figures (empty: they agree) and the
    bookings that made them agree (empty: none was needed, or none helped)."""
    differences = compare(ours, theirs, tolerance)
    if not differences or differences[0].figure == "currency":
        return differences, ()
    for size in range(1, len(in_flight) + 1):
        for booked in combinations(in_flight, size):
            moved = sum((booking.amount for booking in booked), Decimal(0))
            expected = replace(ours, balance=ours.balance + moved, equity=ours.equity + moved)
            if not compare(expected, theirs, tolerance):
                return (), booked
    return differences, ()


def is_stale(
    open_positions: int, latest_event: datetime | None, now: datetime, stale_after: timedelta
) -> bool:
    """An account with open positions and no trading event for longer than `stale_after` (an account that is
    flat has nothing that needs updating)."""
    if open_positions <= 0:
        return False
    return latest_event is None or now - latest_event > stale_after


def our_figures(account: Account, snapshot: RiskSnapshot | None) -> OurFigures:
    """From the risk snapshot; an account without one (no event yet) still holds its initial balance."""
    if snapshot is None:
        balance = equity = account.initial_balance
        positions = 0
    else:
        balance = snapshot.balance
        equity = Decimal(str(snapshot.state.get("equity", balance)))
        positions = len(snapshot.open_positions)
    return OurFigures(balance, equity, account.currency, positions)


# ---- ports


class AccountReader(Protocol):
    def get(self, account_id: str, consistent: bool = False) -> Account | None: ...


class RiskSnapshots(Protocol):
    def get(self, account_id: str) -> RiskSnapshot | None: ...


class LatestEvents(Protocol):
    def latest_event_time(self, account_id: str) -> datetime | None:
        """The time of the account's latest stored trading event (None: none yet)."""
        ...


class FeedHealth(Protocol):
    """Where each account's reconciliation and data freshness are kept (the account view shows them)."""

    def record(self, result: ReconciliationResult) -> None: ...


class LateBookings(Protocol):
    def put_back(self, account: Account, platform: TradingPlatform) -> tuple[str, ...]:
        """The payouts whose withdrawal the platform booked after they ended, put back now."""
        ...


# The adapter for a platform by name (None: the firm has no connection to it).
PlatformDirectory = Callable[[str], TradingPlatform | None]


@dataclass(frozen=True, slots=True)
class ReconciliationSummary:
    checked: int = 0
    differing: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)


class PlatformReconciliation:
    def __init__(
        self,
        accounts: AccountReader,
        snapshots: RiskSnapshots,
        events: LatestEvents,
        platforms: PlatformDirectory,
        holds: PayoutHolds,
        health: FeedHealth,
        publisher: EventPublisher,
        clock: Clock,
        tolerance: Tolerance = Tolerance(),
        stale_after: timedelta = timedelta(minutes=15),
        recovery: FeedRecovery | None = None,
        in_flight: InFlightBookings | None = None,
        late: LateBookings | None = None,
    ) -> None:
        self._accounts = accounts
        self._snapshots = snapshots
        self._events = events
        self._platforms = platforms
        self._holds = holds
        self._health = health
        self._publisher = publisher
        self._clock = clock
        self._tolerance = tolerance
        self._stale_after = stale_after
        self._recovery = recovery
        self._in_flight = in_flight
        self._late = late

    def reconcile(self, account_id: str) -> ReconciliationResult:
        """The account's figures at its platform against ours; its payouts held or released (see above)."""
        now = self._clock.now()
        account = self._accounts.get(account_id, consistent=True)
        if account is None or account.platform is None:
            why = "no such account" if account is None else "the account has no platform reference"
            return ReconciliationResult(account_id, "not_checked", now, detail=why)
        snapshot = self._snapshots.get(account_id)
        ours = our_figures(account, snapshot)
        stale = is_stale(
            ours.open_positions, self._events.latest_event_time(account_id), now, self._stale_after
        )
        platform = self._platforms(account.platform.platform)
        if platform is None:
            detail = f"no connection to {account.platform.platform}"
            unread = ReconciliationResult(
                account_id, "unavailable", now, ours=ours, stale=stale, detail=detail
            )
            return self._finish(account, unread)
        try:
            theirs = platform.figures(account_ref(account.platform))
        except (PlatformUnavailableError, PlatformRejectedError) as error:
            if self._recovery is not None and isinstance(error, PlatformUnavailableError):
                self._recovery.mark_stale(account_id, account.platform.platform)
            detail = f"{account.platform.platform} could not be read: {type(error).__name__}"
            return self._finish(
                account,
                ReconciliationResult(account_id, "unavailable", now, ours=ours, stale=True, detail=detail),
            )
        if self._recovery is not None and (stale or self._recovery.is_marked(account_id)):
            caught_up = self._recovery.catch_up(account_id)
            if caught_up.outcome in ("still_stale", "backfilled", "rejected"):
                backfilled = caught_up.outcome == "backfilled"
                outcome: Outcome = "backfilled" if backfilled else "unavailable"
                detail = (
                    f"backfilled {caught_up.accepted} events since {caught_up.since}; compared next time"
                    if backfilled
                    else f"{account.platform.platform} could not be read for its history: {caught_up.detail}"
                )
                deferred = ReconciliationResult(
                    account_id, outcome, now, ours=ours, theirs=theirs, stale=not backfilled, detail=detail
                )
                return self._finish(account, deferred)
            stale = False  # nothing was missing: the feed is current
        differences, accounted = self._compared(account, snapshot, ours, theirs)
        put_back: tuple[str, ...] = ()
        if differences and self._late is not None:
            try:
                put_back = self._late.put_back(account, platform)
                if put_back:
                    theirs = platform.figures(account_ref(account.platform))
            except (PlatformUnavailableError, PlatformRejectedError):
                put_back = ()  # the difference stands: held, and looked up again at the next check
            if put_back:
                self._publisher.publish([self._late_alert(account, payout_id, now) for payout_id in put_back])
                differences, accounted = self._compared(account, snapshot, ours, theirs)
        outcome = "differs" if differences else "agrees"
        detail = "; ".join(difference.describe() for difference in differences)
        if accounted:
            detail = "in flight on the platform: " + "; ".join(b.describe() for b in accounted)
        if put_back:
            late = f"put back withdrawals booked after their payouts ended: {', '.join(put_back)}"
            detail = f"{late}; {detail}" if detail else late
        result = ReconciliationResult(
            account_id, outcome, now, differences, ours, theirs, stale=stale, detail=detail
        )
        return self._finish(account, result)

    def _compared(
        self, account: Account, snapshot: RiskSnapshot | None, ours: OurFigures, theirs: AccountFigures
    ) -> tuple[tuple[Difference, ...], tuple[InFlightBooking, ...]]:
        differences = compare(ours, theirs, self._tolerance)
        if not differences or self._in_flight is None:
            return differences, ()
        return compare_in_flight(ours, theirs, self._tolerance, self._in_flight.in_flight(account, snapshot))

    def reconcile_all(self, account_ids: Iterable[str]) -> ReconciliationSummary:
        summary = ReconciliationSummary()
        checked = 0
        for account_id in account_ids:
            result = self.reconcile(account_id)
            checked += 1
            if result.outcome == "differs":
                summary.differing.append(account_id)
            elif result.outcome == "unavailable":
                summary.unavailable.append(account_id)
            if result.stale:
                summary.stale.append(account_id)
        return ReconciliationSummary(checked, summary.differing, summary.unavailable, summary.stale)

    # ---- holds, alerts, marks

    def _finish(self, account: Account, result: ReconciliationResult) -> ReconciliationResult:
        held = self._settle_hold(account, result)
        final = ReconciliationResult(
            result.account_id, result.outcome, result.checked_at, result.differences, result.ours,
            result.theirs, held, result.stale, result.detail,
        )  # fmt: skip
        self._health.record(final)
        return final

    def _settle_hold(self, account: Account, result: ReconciliationResult) -> bool:
        if result.outcome == "agrees":
            self._holds.lift(account.account_id, "reconciliation", HOLD_REFERENCE)
            return False
        if result.outcome == "differs":
            placed = self._holds.place(
                PayoutHold(
                    account.account_id, "reconciliation", HOLD_REFERENCE, result.detail, result.checked_at
                )
            )
            if placed:
                self._publisher.publish([self._alert(account, result)])
            return True
        # unavailable: an outage is not a difference; whatever hold there is stays
        return any(
            hold.source == "reconciliation" and hold.reference == HOLD_REFERENCE
            for hold in self._holds.holds_on(account.account_id)
        )

    @staticmethod
    def _late_alert(account: Account, payout_id: str, at: datetime) -> FirmAlert:
        return FirmAlert(
            event_id=stable_id("payout-withdrawal-put-back-late", payout_id),
            occurred_at=at,
            severity="warning",
            subject=f"account {account.account_id}: payout {payout_id}'s withdrawal booked after it ended",
            message=(
                f"The platform booked the withdrawal of payout {payout_id} after the payout had ended and "
                "after every look-up; reconciliation found it and put the amount back on the account."
            ),
            trader_id=account.trader_id,
        )

    @staticmethod
    def _alert(account: Account, result: ReconciliationResult) -> FirmAlert:
        return FirmAlert(
            event_id=stable_id("platform-reconciliation", account.account_id, result.checked_at.isoformat()),
            occurred_at=result.checked_at,
            severity="critical",
            subject=f"account {account.account_id}: the platform's figures differ from ours; payouts held",
            message=result.detail,
            trader_id=account.trader_id,
        )
