"""A payout desk in memory for the workflow's tests: the payout service and workflow over in-memory stores, an
in-memory platform (the market's book is the account's real money), an in-memory rail whose signed webhooks
reach the workflow, and `Execution`, a driver that walks the steps as the state machine does (Choice on
each outcome, task tokens for the two waits, retries for "try again" errors)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from propdesk.access import Identity
from propdesk.payouts import PayoutPolicy, SplitTier
from propdesk.payouts.approval import ApprovalPolicy
from propdesk.payouts.put_back import StartedWithdrawals
from propdesk.payouts.requests import PayoutService, RequestPayout
from propdesk.payouts.workflow import PayoutWorkflow, StepOutcome
from propdesk.platforms.port import AccountRef, PlatformUnavailableError
from propdesk.rails.destinations import PayoutDestination, iban_account, stablecoin_wallet
from propdesk.rails.port import RailUnavailableError
from propdesk.records import Account, RiskSnapshot

from fakes.market import Market
from tests.doubles.payouts import (
    InMemoryAccounts,
    InMemoryDestinations,
    InMemoryEventLog,
    InMemoryPayoutFacts,
    InMemoryPayoutHolds,
    InMemoryPayoutStore,
    InMemoryPlatformRefs,
)
from tests.doubles.platforms import InMemoryPlatform
from tests.doubles.ports import InMemoryEventPublisher, InMemoryWorkflowCallback, ManualClock
from tests.doubles.rails import InMemoryRail

FUNDED_AT = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
NOW = FUNDED_AT + timedelta(days=30)
INITIAL = Decimal(100000)
FIRM = PayoutPolicy(
    split=(SplitTier(Decimal(80)),), minimum_amount=Decimal(100), first_payout_after_days=14,
    days_between_payouts=0,
)  # fmt: skip
TRADER = Identity("trader-1", frozenset({"trader"}))
FINANCE = Identity("finance-1", frozenset({"finance"}))
FINANCE_2 = Identity("finance-2", frozenset({"finance"}))
WALLET = stablecoin_wallet("USDC", "ethereum", "0x52908400098527886E0F7030069857D2E4169EE7")
IBAN = iban_account("Jane Trader", "DE89370400440532013000", "EUR")


@dataclass
class PayoutDesk:
    account_id: str = "acc-1"  # another for tests whose stores are shared (DynamoDB Local)
    clock: ManualClock = field(default_factory=lambda: ManualClock(NOW))
    accounts: InMemoryAccounts = field(default_factory=InMemoryAccounts)
    payouts: InMemoryPayoutStore = field(default_factory=InMemoryPayoutStore)
    facts: InMemoryPayoutFacts = field(default_factory=InMemoryPayoutFacts)
    holds: InMemoryPayoutHolds = field(default_factory=InMemoryPayoutHolds)
    publisher: InMemoryEventPublisher = field(default_factory=InMemoryEventPublisher)
    callback: InMemoryWorkflowCallback = field(default_factory=InMemoryWorkflowCallback)
    refs: InMemoryPlatformRefs = field(default_factory=InMemoryPlatformRefs)
    engine_log: InMemoryEventLog = field(default_factory=InMemoryEventLog)
    destinations: InMemoryDestinations = field(default_factory=InMemoryDestinations)
    market: Market = field(default_factory=Market)
    approval: ApprovalPolicy = field(default_factory=lambda: ApprovalPolicy(Decimal(1000), Decimal(10000)))
    ids: int = 0
    engine_applied: set[tuple[str, str]] = field(default_factory=set)  # the log's keys the engine applied
    webhook_answers: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.market.now = self.clock.now  # the platform books at the desk's time
        self.platform = InMemoryPlatform(self.market)
        self.rail = InMemoryRail(lambda: self.clock.now().timestamp(), self._post_webhook)
        self.rail.outbox.url = "memory://webhook"
        book = self.market.open_account("jane@example.com", "USD", INITIAL)
        self.refs.refs[self.account_id] = AccountRef(
            "match-trader", book.account_id, book.login, "funded-100k"
        )
        self.platform_account = book.account_id
        account = Account(
            self.account_id, TRADER.subject, "funded-100k", 1, "active", "USD", INITIAL, "UTC", "00:00",
            FUNDED_AT,
        )  # fmt: skip
        self.accounts.accounts[self.account_id] = account
        self.facts.documents[("funded-100k", 1)] = {"kind": "funded"}
        self.facts.kyc[TRADER.subject] = "approved"
        self.engine_balance = INITIAL
        self.engine_withdrawn = Decimal(0)
        self.evaluation: dict[str, Any] = {}  # the engine's verdict (breaches...), kept across trades
        self._snapshot()
        self.destinations.put(PayoutDestination("dst-1", TRADER.subject, WALLET, NOW, verified_at=NOW))

    # ---- composition
    def service(self) -> PayoutService:
        return PayoutService(
            self.accounts, self.payouts, self.facts, self.publisher, FIRM, self._new_id, self.approval,
            self.callback,
        )  # fmt: skip

    def workflow(self) -> PayoutWorkflow:
        return PayoutWorkflow(
            self.service(), self.payouts, self.facts, self.holds, self.platform, self.refs, self.engine_log,
            self.destinations, {"stablecoin_wallet": self.rail, "iban": self.rail}, self.publisher,
            self.callback, self.clock, self._new_id,
        )  # fmt: skip

    def started_withdrawals(self) -> StartedWithdrawals:
        return StartedWithdrawals(self.platform, self.refs, self.clock)

    # ---- the world moving
    def trade(self, profit: Decimal) -> None:
        """A closed trade: the platform's balance and (once the engine catches up) the risk state move."""
        self.market.balance_operation(self.platform_account, profit, "trade")
        self.engine_balance += profit
        self._snapshot()

    def engine_catches_up(self) -> None:
        """The risk pipeline applies the withdrawal and deposit events recorded since it last ran (each item
        of the log: an event stored twice under two times is applied twice, as the real engine would)."""
        for key, event in self.engine_log.events.items():
            if key in self.engine_applied:
                continue
            self.engine_applied.add(key)
            amount = Decimal(event.payload["amount"])
            sign = -1 if event.type == "withdrawal" else 1
            self.engine_balance += sign * amount
            self.engine_withdrawn -= sign * amount
        self._snapshot()

    def request(self, amount: Decimal | None = None) -> str:
        command = RequestPayout(self.account_id, TRADER, self.clock.now(), amount)
        return self.service().request(command, admit=lambda: None).payout.payout_id

    def deliver_webhooks(self) -> None:
        self.rail.outbox.flush()

    @property
    def platform_balance(self) -> Decimal:
        book = self.market.account(self.platform_account)
        assert book is not None
        return book.balance

    def _snapshot(self) -> None:
        state = {"balance": str(self.engine_balance), "withdrawn": str(self.engine_withdrawn)}
        self.facts.snapshots[self.account_id] = RiskSnapshot(
            self.account_id, 1, state, self.evaluation, None, 0, self.clock.now()
        )

    def _post_webhook(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        update = self.rail.verify_webhook(body, headers)
        if update is not None:
            self.webhook_answers.append(self.workflow().confirm(update))
        return 200

    def _new_id(self) -> str:
        self.ids += 1
        return f"{self.ids:024d}{'0' * 8}"


@dataclass
class Execution:
    """One run of the state machine for a payout, stepped by the test: `run()` goes as far as it can and
    stops at a wait whose token is not resumed yet (or at the end, `ended` names the final state)."""

    desk: PayoutDesk
    payout_id: str
    state: str = "Assess"
    ended: str | None = None
    token: str | None = None
    tokens: int = 0
    last: dict[str, Any] = field(default_factory=dict)

    def run(self) -> str:
        flow = self.desk.workflow()
        while self.ended is None:
            if self.state in ("WaitForApproval", "WaitForPayment"):
                resumed = self._resumed()
                if resumed is None:
                    return self.state
                self._after_wait(resumed)
                continue
            self._step(flow)
        return self.ended

    def _step(self, flow: PayoutWorkflow) -> None:
        pid = self.payout_id
        if self.state in ("Assess", "KycGate", "Screen"):
            step = {"Assess": flow.assess, "KycGate": flow.kyc_gate, "Screen": flow.screen}[self.state]
            outcome = step(pid)
            following = {"Assess": "KycGate", "KycGate": "Screen", "Screen": "Approve"}[self.state]
            self._go(outcome, {"passed": following})
        elif self.state == "Approve":
            outcome = flow.approve(pid)
            if outcome.outcome == "wait":
                self.token = self._new_token()
                flow.wait_for_approval(pid, self.token)
                self.state = "WaitForApproval"
            else:
                self._go(outcome, {"approved": "Withdraw"})
        elif self.state == "Withdraw":
            self._go(_retrying(lambda: flow.withdraw(pid)), {"withdrawn": "Pay"})
        elif self.state == "Pay":
            self.token = self._new_token()
            token = self.token
            _retrying(lambda: flow.pay(pid, token))
            self.state = "WaitForPayment"
        elif self.state == "Settle":
            self._go(flow.settle(pid, self.last.get("reference", "")), {})
        elif self.state == "Compensate":
            self._go(_retrying(lambda: flow.compensate(pid, self.last.get("reason", ""))), {})

    def _after_wait(self, resumed: dict[str, Any]) -> None:
        self.last = resumed
        if self.state == "WaitForApproval":
            self.state = "Withdraw" if resumed["decision"] == "approve" else ""
            self.ended = None if self.state else "Rejected"
        else:
            self.state = "Settle" if resumed["outcome"] == "paid" else "Compensate"

    def _go(self, outcome: StepOutcome, following: dict[str, str]) -> None:
        if outcome.outcome in following:
            self.state = following[outcome.outcome]
        else:
            self.ended = outcome.outcome

    def _resumed(self) -> dict[str, Any] | None:
        return next((output for token, output in self.desk.callback.succeeded if token == self.token), None)

    def _new_token(self) -> str:
        self.tokens += 1
        token = f"{self.payout_id}-token-{self.tokens}"
        self.desk.callback.valid_tokens.add(token)
        return token


def _retrying(step: Any, attempts: int = 6) -> StepOutcome:
    """The state machine's Retry on a task error: a platform or rail that is down is tried again."""
    for attempt in range(attempts):
        try:
            result: StepOutcome = step()
            return result
        except (PlatformUnavailableError, RailUnavailableError):
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")
