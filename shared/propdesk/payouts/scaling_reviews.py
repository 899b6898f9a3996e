"""The scaling plan run on a schedule: every run (daily) looks at each active account whose program has a
scaling plan, finds the last review cycle that ended (cycles run from the day the account opened, every
`cycle_months`), and decides it once (`propdesk.payouts.scaling.review`): the decision is stored with its
audit entry in one write (a second run, or a retry, finds it and does nothing), and a scaled account is
announced (`account.scaled`: the trader is told by e-mail). The account's payouts use the split the latest
decision left (`propdesk.payouts.scaling_store.split_upgrade`, read by the payout service).

A program's plan is its `payouts.scaling` object, every key optional over FTMO's plan:

    "scaling": {"cycle_months": 4, "min_net_profit_percent": "10", "min_rewards_paid": 2,
                "growth_percent": "25", "growth_of": "current", "max_balance": "2000000",
                "split_percent": "90"}

The cycle's figures: the net profit is the closed P&L of the positions closed during the cycle (withdrawn
profit included); the rewards are the payouts paid during it; the balance at the review is the engine's closed
balance when the review runs (the day after the cycle ends, or later if runs were missed: a missed cycle is
reviewed late, never skipped, and only the last cycle that ended is reviewed).

What scaling changes is decided and kept here (the account's size, its loss limits as amounts, the split);
the split applies to payouts at once. `account.scaled` then grows the account itself: its size, the platform's
balance and the engine's `scale` event (`propdesk.payouts.scaling_growth`, `functions/scaling_growth`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol

from propdesk.domain_events import AccountScaled
from propdesk.payouts.policy import PayoutPolicyError
from propdesk.payouts.scaling import (
    AccountTerms,
    ScalingCycle,
    ScalingDecision,
    ScalingPlan,
    add_months,
    review,
)
from propdesk.payouts.scaling_store import ScalingStore, StoredDecision, scaling_id
from propdesk.records import Account, AuditEntry

if TYPE_CHECKING:
    from propdesk.payouts.store import PayoutFacts, PayoutStore
    from propdesk.ports import Clock, EventPublisher

ACTOR = "system:scaling-plan"
_DECIMALS = ("min_net_profit_percent", "growth_percent", "max_balance", "split_percent")
_WHOLE = ("cycle_months", "min_rewards_paid")


class ActiveAccounts(Protocol):
    def active_accounts(self) -> Iterable[Account]: ...


def plan_for(document: Mapping[str, Any]) -> ScalingPlan | None:
    """The program's scaling plan (None: it has none); `PayoutPolicyError` for one that cannot be read."""
    section = (document.get("payouts") or {}).get("scaling")
    if section is None:
        return None
    if not isinstance(section, Mapping):
        raise PayoutPolicyError("payouts.scaling must be an object")
    values: dict[str, Any] = {}
    for name in _DECIMALS:
        if name in section:
            try:
                values[name] = Decimal(str(section[name]))
            except InvalidOperation:
                raise PayoutPolicyError(f"payouts.scaling.{name} must be a decimal string") from None
    for name in _WHOLE:
        if name in section:
            raw = section[name]
            if isinstance(raw, bool) or not isinstance(raw, int):
                raise PayoutPolicyError(f"payouts.scaling.{name} must be a whole number")
            values[name] = raw
    if "growth_of" in section:
        if section["growth_of"] not in ("current", "original"):
            raise PayoutPolicyError("payouts.scaling.growth_of is current or original")
        values["growth_of"] = section["growth_of"]
    if "require_positive_balance" in section:
        values["require_positive_balance"] = bool(section["require_positive_balance"])
    return ScalingPlan(**values)


def last_cycle(opened_on: date, cycle_months: int, today: date) -> tuple[date, date] | None:
    """The last whole cycle that ended before `today` (first and last day), None before the first ends."""
    cycles = 0
    while add_months(opened_on, (cycles + 1) * cycle_months) <= today:
        cycles += 1
    if cycles == 0:
        return None
    starts = add_months(opened_on, (cycles - 1) * cycle_months)
    return starts, add_months(opened_on, cycles * cycle_months) - timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ReviewRun:
    reviewed: int  # cycles decided by this run
    scaled: int
    skipped: int  # accounts without a plan, before their first cycle ends, or decided already


class ScalingReviews:
    def __init__(
        self,
        accounts: ActiveAccounts,
        facts: PayoutFacts,
        payouts: PayoutStore,
        store: ScalingStore,
        publisher: EventPublisher,
        clock: Clock,
        new_id: Callable[[], str],
    ) -> None:
        self._accounts = accounts
        self._facts = facts
        self._payouts = payouts
        self._store = store
        self._publisher = publisher
        self._clock = clock
        self._new_id = new_id

    def run(self) -> ReviewRun:
        """Review every active account whose last cycle is not decided yet."""
        reviewed = scaled = skipped = 0
        for account in self._accounts.active_accounts():
            decision = self.review_account(account)
            if decision is None:
                skipped += 1
                continue
            reviewed += 1
            scaled += decision.scaled
        return ReviewRun(reviewed, scaled, skipped)

    def review_account(self, account: Account) -> ScalingDecision | None:
        """Decide the account's last cycle, once; None when there is nothing to decide."""
        document = self._facts.program_document(account.program_id, account.program_version) or {}
        plan = plan_for(document)
        now = self._clock.now()
        cycle_days = last_cycle(account.opened_at.date(), plan.cycle_months, now.date()) if plan else None
        if plan is None or cycle_days is None:
            return None
        latest = self._store.latest(account.account_id)
        if latest is not None and latest.cycle_ends_on >= cycle_days[1]:
            return None
        terms = latest.after if latest is not None else initial_terms(account, document)
        decision = review(plan, terms, self._figures(account, *cycle_days))
        stored = StoredDecision(
            account.account_id, cycle_days[1], decision.scaled, decision.after, decision.explanation, now
        )
        if not self._store.record(stored, self._audit_entry(account, decision, now)):
            return None  # another run decided it meanwhile
        if decision.scaled:
            self._publisher.publish([scaled_event(account, decision, now)])
        return decision

    def _figures(self, account: Account, starts_on: date, ends_on: date) -> ScalingCycle:
        start = datetime.combine(starts_on, time(0), UTC)
        end = datetime.combine(ends_on + timedelta(days=1), time(0), UTC)
        profit = sum(
            (t.profit for t in self._facts.closed_trades(account.account_id, start) if t.closed_at < end),
            Decimal(0),
        )
        rewards = sum(
            1
            for payout in self._payouts.all_for_account(account.account_id)
            if payout.status == "paid" and start <= payout.status_at < end
        )
        snapshot = self._facts.risk_snapshot(account.account_id)
        state: dict[str, Any] = snapshot.state if snapshot else {}
        balance = Decimal(str(state.get("balance", account.initial_balance)))
        return ScalingCycle(starts_on, ends_on, profit, rewards, balance)

    def _audit_entry(self, account: Account, decision: ScalingDecision, at: datetime) -> AuditEntry:
        before, after = decision.before, decision.after
        return AuditEntry(
            entry_id=self._new_id(),
            at=at,
            actor=ACTOR,
            actor_roles=(),
            action="account.scaled" if decision.scaled else "account.scaling_reviewed",
            subject=f"ACCOUNT#{account.account_id}",
            reason=decision.explanation,
            before=_terms(before),
            after={**_terms(after), "cycle_ends_on": decision.cycle.ends_on.isoformat()},
        )


def initial_terms(account: Account, document: Mapping[str, Any]) -> AccountTerms:
    """The account's terms before any scaling: its size, the program's loss percents and flat split."""
    percents = {"daily_loss": Decimal(0), "max_loss": Decimal(0)}
    for rule in document.get("rules") or ():
        amount = rule.get("amount") or {} if isinstance(rule, Mapping) else {}
        if isinstance(rule, Mapping) and rule.get("type") in percents and "percent_of_initial" in amount:
            percents[str(rule["type"])] = Decimal(str(amount["percent_of_initial"]))
    split = (document.get("payouts") or {}).get("profit_split_percent")
    return AccountTerms(
        balance=account.initial_balance,
        original_balance=account.initial_balance,
        daily_loss_percent=percents["daily_loss"],
        max_loss_percent=percents["max_loss"],
        split_percent=Decimal(str(split)) if split is not None else Decimal(0),
    )


def scaled_event(account: Account, decision: ScalingDecision, at: datetime) -> AccountScaled:
    after = decision.after
    return AccountScaled(
        event_id=scaling_id(account.account_id, decision.cycle.ends_on),
        occurred_at=at,
        account_id=account.account_id,
        trader_id=account.trader_id,
        balance_before=decision.before.balance,
        balance_after=after.balance,
        daily_loss=after.daily_loss,
        max_loss=after.max_loss,
        split_percent=after.split_percent,
        cycle_ends_on=decision.cycle.ends_on,
        next_review_on=decision.next_review_on,
        explanation=decision.explanation,
    )


def _terms(terms: AccountTerms) -> dict[str, str]:
    return {
        "balance": f"{terms.balance:.2f}",
        "daily_loss": f"{terms.daily_loss:.2f}",
        "max_loss": f"{terms.max_loss:.2f}",
        "split_percent": str(terms.split_percent),
    }
