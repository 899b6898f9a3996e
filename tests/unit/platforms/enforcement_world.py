"""Enforcement at the platform wired in memory: an account opened on the in-memory platform double, the
command service over in-memory stores, and command builders in the shape risk_recalc publishes them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from propdesk.domain_events import (
    AccountDisableRequested,
    AccountEnableRequested,
    AccountPauseRequested,
    AccountResumeRequested,
    DomainEvent,
)
from propdesk.platforms.commands import CommandSettings, PlatformCommands
from propdesk.platforms.drift import DriftCheck
from propdesk.platforms.enforcement import PlatformAccessState, PlatformCommand, command_of
from propdesk.platforms.port import AccountRef, NewAccount, TradingAccess
from propdesk.platforms.references import reference_of
from propdesk.records import Account
from propdesk.resilience.circuit_breaker import CircuitBreaker

from fakes.market import Market
from tests.doubles.enforcement import (
    BreakerGuarded,
    InMemoryAccessStates,
    InMemoryAccountDirectory,
    InMemoryAuditTrail,
    InMemoryPlatformDirectory,
    InMemoryProgramDocuments,
)
from tests.doubles.platforms import InMemoryPlatform
from tests.doubles.ports import InMemoryEventPublisher, ManualClock
from tests.doubles.timing import FakeTime

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
PROGRAM = ("two-step-100k-phase-1", 1)
_ids = itertools.count(1)


class RecordingPlatform(InMemoryPlatform):
    """The in-memory double, remembering the access it was asked to set, in order; `slip` moves a symbol's
    price between reading the positions and closing them (what a fast market does to a liquidation)."""

    def __init__(self, market: Market) -> None:
        super().__init__(market)
        self.access_log: list[TradingAccess] = []
        self.slip: dict[str, Decimal] = {}

    def set_access(self, account: AccountRef, access: TradingAccess) -> None:
        super().set_access(account, access)
        self.access_log.append(access)

    def close_all_positions(self, account: AccountRef) -> list[Any]:
        for symbol, price in self.slip.items():
            self.market.set_price(symbol, price)
        return super().close_all_positions(account)


@dataclass
class World:
    clock: ManualClock = field(default_factory=lambda: ManualClock(T0))
    states: InMemoryAccessStates = field(default_factory=InMemoryAccessStates)
    accounts: InMemoryAccountDirectory = field(default_factory=InMemoryAccountDirectory)
    programs: InMemoryProgramDocuments = field(default_factory=InMemoryProgramDocuments)
    audit: InMemoryAuditTrail = field(default_factory=InMemoryAuditTrail)
    publisher: InMemoryEventPublisher = field(default_factory=InMemoryEventPublisher)
    time: FakeTime = field(default_factory=lambda: FakeTime(1000.0))
    breaker: CircuitBreaker | None = None

    def __post_init__(self) -> None:
        self.market = Market(now=self.clock.now)
        self.platform = RecordingPlatform(self.market)
        self.programs.documents[PROGRAM] = {"rules": []}
        self.service = self.build()
        self._delivered: set[str] = set()

    def build(self, settings: CommandSettings | None = None) -> PlatformCommands:
        platform: Any = self.platform
        if self.breaker is not None:
            platform = BreakerGuarded(self.platform, self.breaker)
        return PlatformCommands(
            self.states,
            self.accounts,
            self.programs,
            self.audit,
            InMemoryPlatformDirectory({"match-trader": platform}),
            self.publisher,
            self.clock,
            settings or CommandSettings(),
        )

    def drift_check(self) -> DriftCheck:
        directory = InMemoryPlatformDirectory({"match-trader": self.platform})
        return DriftCheck(self.states, self.accounts, directory, self.publisher, self.clock)

    def deliver_published_commands(self) -> list[str]:
        """Hand the commands published so far to the command service, as the queue would."""
        outcomes = []
        for event in list(self.publisher.published):
            if event.detail_type.startswith("platform.") and event.event_id not in self._delivered:
                self._delivered.add(event.event_id)
                outcomes.append(self.service.handle(command_of(event)).outcome)
        return outcomes

    def with_breaker(self, failures: int = 3, reset_seconds: float = 30.0) -> World:
        self.breaker = CircuitBreaker(
            "match-trader", self.time.monotonic, failure_threshold=failures, reset_timeout=reset_seconds
        )
        self.service = self.build()
        return self

    # ---- accounts ----
    def open_account(self, status: str = "active", placed: bool = True) -> Account:
        number = next(_ids)
        opened = self.platform.create_account(
            NewAccount(f"propdesk:order-{number}", f"t{number}@example.com", "T", "R", "USD",
                       Decimal(100000), "challenge-100k")
        )  # fmt: skip
        account = Account(
            account_id=f"acc-{number}",
            trader_id=f"trader-{number}",
            program_id=PROGRAM[0],
            program_version=PROGRAM[1],
            status="active",
            currency="USD",
            initial_balance=Decimal(100000),
            timezone="Europe/Prague",
            day_starts_at="00:00",
            opened_at=T0 - timedelta(days=1),
            platform=reference_of(opened) if placed else None,
        )
        return self.accounts.add(replace(account, status=status))  # type: ignore[arg-type]

    def set_status(self, account: Account, status: str) -> Account:
        return self.accounts.add(replace(account, status=status))  # type: ignore[arg-type]

    def access(self, account: Account) -> TradingAccess:
        assert account.platform is not None
        book = self.market.account(account.platform.platform_account_id)
        assert book is not None
        return TradingAccess(book.access)

    def open_position(self, account: Account, symbol: str = "EURUSD", lots: str = "1") -> None:
        assert account.platform is not None
        self.market.open_position(account.platform.platform_account_id, symbol, "buy", Decimal(lots))

    def positions(self, account: Account) -> int:
        assert account.platform is not None
        book = self.market.account(account.platform.platform_account_id)
        assert book is not None
        return len(book.positions)

    def state(self, account: Account) -> PlatformAccessState:
        state = self.states.get(account.account_id)
        assert state is not None
        return state

    def alerts(self) -> list[dict[str, Any]]:
        return [event.model_dump() for event in self.publisher.of_type("firm.alert")]


# ---- commands, as risk_recalc's EventBusAccountControl publishes them ----


def _command(event: DomainEvent) -> PlatformCommand:
    return command_of(event)


def disable(account: Account, at: datetime, rule: str = "daily_loss", cause: str = "") -> PlatformCommand:
    return _command(
        AccountDisableRequested(
            event_id=f"disable-{account.account_id}-{rule}-{cause or at.isoformat()}",
            occurred_at=at, account_id=account.account_id, trader_id=account.trader_id, reason=rule,
        )
    )  # fmt: skip


def enable(account: Account, at: datetime) -> PlatformCommand:
    return _command(
        AccountEnableRequested(
            event_id=f"enable-{account.account_id}-{at.isoformat()}", occurred_at=at,
            account_id=account.account_id, trader_id=account.trader_id, reason="breach overridden",
        )
    )  # fmt: skip


def pause(account: Account, at: datetime, until: datetime) -> PlatformCommand:
    return _command(
        AccountPauseRequested(
            event_id=f"pause-{account.account_id}-{until.isoformat()}", occurred_at=at,
            account_id=account.account_id, trader_id=account.trader_id, reason="daily_loss",
            paused_until=until,
        )
    )  # fmt: skip


def resume(account: Account, at: datetime, paused_until: datetime) -> PlatformCommand:
    return _command(
        AccountResumeRequested(
            event_id=f"resume-{account.account_id}-{paused_until.isoformat()}", occurred_at=at,
            account_id=account.account_id, trader_id=account.trader_id, paused_until=paused_until,
        )
    )  # fmt: skip
