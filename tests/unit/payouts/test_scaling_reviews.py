"""The scaling plan on a schedule: each run decides every account's last ended cycle once (stored with its
audit entry), grows an account that met every criterion (FTMO: 400k → 500k, limits 25k/50k, a 90% split),
tells the trader (`account.scaled`), and the account's payouts use the new split at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from propdesk.access import Identity
from propdesk.domain_events import AccountScaled
from propdesk.payouts import PayoutPolicy, SplitTier
from propdesk.payouts.consistency import ClosedTrade
from propdesk.payouts.model import Payout, StatusChange
from propdesk.payouts.policy import PayoutPolicyError
from propdesk.payouts.requests import PayoutService
from propdesk.payouts.scaling_reviews import ScalingReviews, last_cycle, plan_for
from propdesk.payouts.scaling_store import StoredDecision
from propdesk.records import Account, AuditEntry, RiskSnapshot

from tests.doubles.payouts import InMemoryAccounts, InMemoryPayoutFacts, InMemoryPayoutStore
from tests.doubles.ports import InMemoryEventPublisher, ManualClock

OPENED = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
SIZE = Decimal(400000)
PROGRAM = {
    "kind": "funded",
    "rules": [
        {"type": "daily_loss", "amount": {"percent_of_initial": "5"}},
        {"type": "max_loss", "amount": {"percent_of_initial": "10"}},
    ],
    "payouts": {"profit_split_percent": "80", "scaling": {"cycle_months": 4}},
}


@dataclass
class InMemoryScaling:
    decisions: dict[tuple[str, date], StoredDecision] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)

    def latest(self, account_id: str) -> StoredDecision | None:
        mine = [d for (a, _), d in self.decisions.items() if a == account_id]
        return max(mine, key=lambda d: d.cycle_ends_on, default=None)

    def record(self, decision: StoredDecision, entry: AuditEntry) -> bool:
        key = (decision.account_id, decision.cycle_ends_on)
        if key in self.decisions:
            return False
        self.decisions[key] = decision
        self.audit.append(entry)
        return True


@dataclass
class Desk:
    clock: ManualClock = field(default_factory=lambda: ManualClock(datetime(2026, 5, 11, 2, 0, tzinfo=UTC)))
    facts: InMemoryPayoutFacts = field(default_factory=InMemoryPayoutFacts)
    payouts: InMemoryPayoutStore = field(default_factory=InMemoryPayoutStore)
    scaling: InMemoryScaling = field(default_factory=InMemoryScaling)
    publisher: InMemoryEventPublisher = field(default_factory=InMemoryEventPublisher)
    account: Account = field(
        default_factory=lambda: Account(
            "acc-1", "trader-1", "funded-400k", 1, "active", "USD", SIZE, "UTC", "00:00", OPENED
        )
    )

    def __post_init__(self) -> None:
        self.facts.documents[("funded-400k", 1)] = PROGRAM

    def active_accounts(self) -> list[Account]:
        return [self.account]

    def reviews(self) -> ScalingReviews:
        return ScalingReviews(
            self, self.facts, self.payouts, self.scaling, self.publisher, self.clock, lambda: "audit-1"
        )

    def a_good_cycle(self, profit: str = "45000", rewards: int = 2, balance: str = "410000") -> None:
        self.facts.closes["acc-1"] = [ClosedTrade(OPENED + timedelta(days=30), Decimal(profit))]
        for n in range(rewards):
            paid_at = OPENED + timedelta(days=40 + 20 * n)
            self.payouts.payouts[f"pay-{n}"] = Payout(
                f"pay-{n}", "acc-1", "trader-1", "paid", "USD", Decimal(1000), Decimal(800), Decimal(200),
                paid_at - timedelta(days=1), timeline=(StatusChange("paid", paid_at),),
            )  # fmt: skip
        self.facts.snapshots["acc-1"] = RiskSnapshot(
            "acc-1", 1, {"balance": balance}, {}, None, 0, self.clock.now()
        )


def test_cycles_run_from_the_day_the_account_opened_and_only_ended_ones_are_reviewed() -> None:
    opened = date(2026, 1, 31)

    assert last_cycle(opened, 4, date(2026, 5, 30)) is None
    assert last_cycle(opened, 4, date(2026, 5, 31)) == (date(2026, 1, 31), date(2026, 5, 30))
    # Jan 31 + 8 months is Sep 30 (the month's last day): the second cycle ends the day before.
    assert last_cycle(opened, 4, date(2026, 12, 1)) == (date(2026, 5, 31), date(2026, 9, 29))


def test_ftmo_grows_a_400k_account_that_met_every_criterion_to_500k_with_a_90_percent_split() -> None:
    desk = Desk()
    desk.a_good_cycle()

    run = desk.reviews().run()

    assert (run.reviewed, run.scaled) == (1, 1)
    stored = desk.scaling.latest("acc-1")
    assert stored is not None and stored.scaled and stored.cycle_ends_on == date(2026, 5, 9)
    after = stored.after
    assert (after.balance, after.daily_loss, after.max_loss, after.split_percent) == (
        Decimal("500000.00"), Decimal("25000.00"), Decimal("50000.00"), Decimal(90),
    )  # fmt: skip
    (entry,) = desk.scaling.audit
    assert entry.action == "account.scaled" and entry.actor == "system:scaling-plan"
    assert entry.before["balance"] == "400000.00" and entry.after["balance"] == "500000.00"
    (event,) = desk.publisher.of_type("account.scaled")
    assert isinstance(event, AccountScaled) and event.trader_id == "trader-1"
    assert event.next_review_on == date(2026, 9, 9)


def test_a_cycle_is_decided_once_however_often_the_schedule_runs() -> None:
    desk = Desk()
    desk.a_good_cycle()
    desk.reviews().run()

    again = desk.reviews().run()
    desk.clock.advance(timedelta(days=30))
    later = desk.reviews().run()

    assert (again.reviewed, later.reviewed) == (0, 0)
    assert len(desk.scaling.audit) == 1 and len(desk.publisher.of_type("account.scaled")) == 1


def test_an_unmet_criterion_keeps_the_account_as_it_is_audited_and_untold() -> None:
    desk = Desk()
    desk.a_good_cycle(rewards=1)

    run = desk.reviews().run()

    stored = desk.scaling.latest("acc-1")
    assert (run.reviewed, run.scaled) == (1, 0) and stored is not None and not stored.scaled
    assert stored.after.balance == SIZE and "1 reward(s) paid" in stored.explanation
    assert desk.scaling.audit[0].action == "account.scaling_reviewed"
    assert desk.publisher.of_type("account.scaled") == []


def test_the_next_cycle_is_judged_on_the_grown_account() -> None:
    desk = Desk()
    desk.a_good_cycle()
    desk.reviews().run()
    desk.clock.advance(timedelta(days=123))  # the second cycle ended (2026-09-09)
    desk.a_good_cycle(profit="49000")  # 9.8% of the new 500k: not enough

    desk.reviews().run()

    stored = desk.scaling.latest("acc-1")
    assert stored is not None and stored.cycle_ends_on == date(2026, 9, 9) and not stored.scaled
    assert stored.after.balance == Decimal("500000.00") and "of 500000.00" in stored.explanation


def test_accounts_without_a_plan_or_before_their_first_cycle_ends_are_skipped() -> None:
    desk = Desk()
    desk.facts.documents[("funded-400k", 1)] = {"kind": "funded"}
    assert desk.reviews().run().skipped == 1

    early = Desk(clock=ManualClock(OPENED + timedelta(days=100)))
    assert early.reviews().run().skipped == 1


def test_a_scaled_accounts_payouts_use_the_plans_split() -> None:
    desk = Desk()
    desk.a_good_cycle()
    desk.reviews().run()
    firm = PayoutPolicy((SplitTier(Decimal(80)),), Decimal(0), 0, 0, require_kyc=False)
    accounts = InMemoryAccounts()
    accounts.accounts["acc-1"] = desk.account
    desk.payouts.payouts.clear()
    desk.facts.snapshots["acc-1"] = RiskSnapshot("acc-1", 1, {"balance": "410000"}, {}, None, 0, OPENED)
    service = PayoutService(
        accounts, desk.payouts, desk.facts, desk.publisher, firm, lambda: "x", scaling=desk.scaling
    )

    quote = service.preview("acc-1", Identity("trader-1", frozenset({"trader"})), desk.clock.now(), None)

    assert quote.assessment.quote.trader_share == Decimal("9000.00")  # 90% of the 10,000 profit


def test_a_plan_that_cannot_be_read_is_refused_by_name() -> None:
    assert plan_for({"payouts": {"scaling": {"growth_percent": "25", "cycle_months": 3}}}) is not None
    for wrong in ({"cycle_months": "4"}, {"growth_of": "double"}, {"growth_percent": "lots"}, "yes"):
        with pytest.raises(PayoutPolicyError):
            plan_for({"payouts": {"scaling": wrong}})
