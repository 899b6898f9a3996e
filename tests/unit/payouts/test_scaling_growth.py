"""A scaled account grows (issue 10): `account.scaled` moves the account's size (audited), tops its platform
balance up by the growth once (reference `<decision>:scaling`), and gives the engine one `scale` event; then
the engine's loss limits are on the new size. Retries, redeliveries and outages never book the growth
twice."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from propdesk.engine import Evaluator, Program, parse_event
from propdesk.payouts.scaling import AccountTerms
from propdesk.payouts.scaling_growth import GrowAccount, ScalingConflictError, ScalingGrowth
from propdesk.payouts.scaling_store import StoredDecision, scaling_id
from propdesk.platforms.port import AccountRef, NewAccount, PlatformUnavailableError
from propdesk.platforms.references import reference_of
from propdesk.records import Account, AuditEntry, StoredEvent

from tests.doubles.enforcement import InMemoryPlatformDirectory
from tests.doubles.payouts import InMemoryEventLog
from tests.doubles.platforms import InMemoryPlatform
from tests.doubles.ports import ManualClock

DECIDED = datetime(2026, 7, 3, 0, 5, tzinfo=UTC)
CYCLE = date(2026, 7, 1)
PROGRAM = Program.from_dict(
    {
        "initial_balance": "100000",
        "timezone": "UTC",
        "rules": [
            {"type": "daily_loss", "basis": "balance_at_reset", "amount": {"percent_of_initial": "5"}},
            {"type": "max_loss", "mode": "static", "amount": {"percent_of_initial": "10"}},
        ],
    }
)


@dataclass
class InMemoryAccountSizes:
    accounts: dict[str, Account] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)

    def get(self, account_id: str, consistent: bool = False) -> Account | None:
        return self.accounts.get(account_id)

    def resize(self, account_id: str, before: Decimal, after: Decimal, entry: AuditEntry) -> bool:
        account = self.accounts[account_id]
        if account.initial_balance != before:
            return False
        self.accounts[account_id] = replace(account, initial_balance=after)
        self.audit.append(entry)
        return True


@dataclass
class InMemoryDecisions:
    decisions: dict[tuple[str, date], StoredDecision] = field(default_factory=dict)

    def decision(self, account_id: str, cycle_ends_on: date) -> StoredDecision | None:
        return self.decisions.get((account_id, cycle_ends_on))

    def stamp_growth(self, account_id: str, cycle_ends_on: date, at: datetime) -> datetime:
        kept = self.decisions[(account_id, cycle_ends_on)]
        if kept.grown_at is None:
            self.decisions[(account_id, cycle_ends_on)] = kept = replace(kept, grown_at=at)
        assert kept.grown_at is not None
        return kept.grown_at


@dataclass
class KeyedEventLog(InMemoryEventLog):
    """The engine's log (keyed as the table keys it: by the event's time and id), which can be down."""

    down: bool = False  # the table unreachable: the function dies after the platform booked the top-up

    def record(self, event: StoredEvent, received_at: datetime) -> bool:
        if self.down:
            raise ConnectionError("the table is unreachable")
        return super().record(event, received_at)


@dataclass
class Desk:
    clock: ManualClock = field(default_factory=lambda: ManualClock(DECIDED + timedelta(seconds=2)))
    platform: InMemoryPlatform = field(default_factory=InMemoryPlatform)
    sizes: InMemoryAccountSizes = field(default_factory=InMemoryAccountSizes)
    decisions: InMemoryDecisions = field(default_factory=InMemoryDecisions)
    log: KeyedEventLog = field(default_factory=KeyedEventLog)

    def growth(self) -> ScalingGrowth:
        directory = InMemoryPlatformDirectory({"match-trader": self.platform})
        ids = iter(range(1000))
        return ScalingGrowth(
            self.sizes, self.decisions, directory, self.log, self.clock, lambda: f"entry-{next(ids)}"
        )

    def account(self, account_id: str = "acc-1", scaled_to: str = "125000.00") -> Account:
        opened = self.platform.create_account(
            NewAccount(
                f"ref-{account_id}", f"{account_id}@example.com", "Ada", "L", "USD", Decimal(100000), "g"
            )
        )
        account = Account(
            account_id, "trader-1", "funded-100k", 1, "active", "USD", Decimal(100000), "UTC", "00:00",
            datetime(2026, 3, 1, tzinfo=UTC), platform=reference_of(opened),
        )  # fmt: skip
        self.sizes.accounts[account_id] = account
        terms = AccountTerms(Decimal(scaled_to), Decimal(100000), Decimal(5), Decimal(10), Decimal(90))
        self.decisions.decisions[(account_id, CYCLE)] = StoredDecision(
            account_id, CYCLE, True, terms, "every criterion was met", DECIDED
        )
        return account

    def balance_on_platform(self, account: Account) -> Decimal:
        assert account.platform is not None
        ref = AccountRef("match-trader", account.platform.platform_account_id, account.platform.login)
        return self.platform.figures(ref).balance

    def top_ups(self, account: Account) -> list[Decimal]:
        assert account.platform is not None
        deals = self.platform.market.deals_between(
            account.platform.platform_account_id,
            datetime(2000, 1, 1, tzinfo=UTC),
            datetime(2100, 1, 1, tzinfo=UTC),
        )
        return [
            deal.profit for deal in deals if deal.kind == "balance" and deal.reference.endswith(":scaling")
        ]


def scaled(account_id: str = "acc-1", before: str = "100000.00", after: str = "125000.00") -> GrowAccount:
    return GrowAccount(account_id, CYCLE, Decimal(before), Decimal(after))


def test_the_account_grows_in_the_table_on_the_platform_and_in_the_engine() -> None:
    desk = Desk()
    account = desk.account()

    grown = desk.growth().grow(scaled())

    decision_id = scaling_id("acc-1", CYCLE)
    assert (grown.outcome, grown.growth, grown.resized, grown.engine_event_recorded) == (
        "grown", Decimal(25000), True, True,
    )  # fmt: skip
    assert desk.sizes.accounts["acc-1"].initial_balance == Decimal("125000.00")
    assert desk.balance_on_platform(account) == Decimal(125000)
    assert desk.platform.market.balance_deal(account.platform.platform_account_id, f"{decision_id}:scaling")  # type: ignore[union-attr]
    (event,) = desk.log.of_type("acc-1", "scale")
    assert event.payload == {
        "event_id": event.event_id, "time": desk.clock.now().isoformat(), "type": "scale",
        "initial": "125000.00", "scaling_id": decision_id,
    }  # fmt: skip
    (entry,) = desk.sizes.audit
    assert (entry.action, entry.actor, entry.subject) == (
        "account.resized",
        "system:scaling-plan",
        "ACCOUNT#acc-1",
    )
    assert entry.before == {"initial_balance": "100000.00"}
    assert entry.after is not None and entry.after["initial_balance"] == "125000.00"
    assert entry.after["platform_reference"] == f"{decision_id}:scaling"


def test_the_engine_replays_the_scale_onto_the_new_size() -> None:
    desk = Desk()
    desk.account()
    desk.growth().grow(scaled())
    (scale,) = desk.log.of_type("acc-1", "scale")
    history = [
        parse_event({"time": "2026-07-02T10:00:00+00:00", "type": "position_opened", "position_id": "p1",
                     "symbol": "EURUSD", "side": "buy", "volume": "1"}),
        parse_event({"time": "2026-07-02T11:00:00+00:00", "type": "position_closed", "position_id": "p1",
                     "profit": "12000"}),
        parse_event(scale.payload),
    ]  # fmt: skip
    evaluator = Evaluator(PROGRAM)
    state = evaluator.start(datetime(2026, 7, 2, 9, tzinfo=UTC))
    evaluator.apply_all(state, history)
    metrics = evaluator.metrics(state)
    assert (metrics.balance, metrics.profit, metrics.profit_since_last_withdrawal) == (
        Decimal(137000), Decimal(12000), Decimal(12000),
    )  # fmt: skip
    assert (metrics.max_loss_floor, metrics.daily_loss_floor) == (Decimal(112500), Decimal(130750))


def test_a_redelivery_books_nothing_twice() -> None:
    desk = Desk()
    account = desk.account()
    growth = desk.growth()
    growth.grow(scaled())
    desk.clock.advance(timedelta(minutes=5))

    again = growth.grow(scaled())

    assert (again.outcome, again.resized, again.engine_event_recorded) == ("grown", False, False)
    assert desk.top_ups(account) == [Decimal(25000)]
    assert len(desk.log.of_type("acc-1", "scale")) == 1 and len(desk.sizes.audit) == 1


def test_a_platform_outage_leaves_the_size_moved_and_the_retry_completes_it_once() -> None:
    desk = Desk()
    account = desk.account()
    desk.platform.down = True
    with pytest.raises(PlatformUnavailableError):
        desk.growth().grow(scaled())
    assert desk.sizes.accounts["acc-1"].initial_balance == Decimal(125000)  # payouts see the new size at once
    assert desk.log.of_type("acc-1", "scale") == []  # the engine waits for the platform's money

    desk.platform.down = False
    grown = desk.growth().grow(scaled())

    assert (grown.outcome, grown.resized, grown.engine_event_recorded) == ("grown", False, True)
    assert desk.top_ups(account) == [Decimal(25000)]


def test_a_decision_not_kept_or_kept_with_another_size_changes_nothing() -> None:
    desk = Desk()
    account = desk.account(scaled_to="125000.00")
    growth = desk.growth()
    assert growth.grow(scaled(after="130000.00")).outcome == "stale"
    assert (
        growth.grow(GrowAccount("acc-1", date(2026, 3, 1), Decimal(100000), Decimal(125000))).outcome
        == "stale"
    )
    assert growth.grow(scaled(account_id="nobody")).outcome == "unknown_account"
    assert desk.top_ups(account) == [] and desk.sizes.audit == [] and desk.log.events == {}


def test_an_account_sized_otherwise_or_on_no_platform_is_for_a_person() -> None:
    desk = Desk()
    desk.account()
    desk.sizes.accounts["acc-1"] = replace(desk.sizes.accounts["acc-1"], initial_balance=Decimal(110000))
    with pytest.raises(ScalingConflictError):
        desk.growth().grow(scaled())
    desk.sizes.accounts["acc-1"] = replace(
        desk.sizes.accounts["acc-1"], initial_balance=Decimal(100000), platform=None
    )
    with pytest.raises(ScalingConflictError):
        desk.growth().grow(scaled())
    assert desk.log.events == {} and desk.sizes.audit == []


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["deliver", "deliver", "platform_down", "platform_up", "lost_answer", "log_down", "log_up"]
        ),
        max_size=14,
    ),
)
def test_whatever_the_deliveries_and_outages_the_growth_is_booked_at_most_once(steps: list[str]) -> None:
    desk = Desk()
    account = desk.account()
    growth = desk.growth()
    for step in [*steps, "platform_up", "log_up", "deliver"]:  # the queue delivers until it is done
        if step in ("log_down", "log_up"):
            desk.log.down = step == "log_down"
        elif step == "platform_down":
            desk.platform.down = True
        elif step == "platform_up":
            desk.platform.down = False
        elif step == "lost_answer":
            desk.platform.ambiguous_next.append("adjust_balance")
        else:
            desk.clock.advance(timedelta(seconds=30))
            with contextlib.suppress(PlatformUnavailableError, ConnectionError):
                growth.grow(scaled())
    assert desk.top_ups(account) == [Decimal(25000)]
    assert desk.balance_on_platform(account) == Decimal(125000)
    assert len(desk.log.of_type("acc-1", "scale")) == 1
    assert desk.sizes.accounts["acc-1"].initial_balance == Decimal(125000) and len(desk.sizes.audit) == 1
