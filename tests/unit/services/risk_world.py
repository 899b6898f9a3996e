"""The risk path wired in memory: one account on a demo program, the risk service over in-memory stores, and
fake side-effect ports that keep what they were asked to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from propdesk.catalogue import demo_programs
from propdesk.engine import EventError, Program, evaluate, parse_event
from propdesk.records import Account, RiskSnapshot, StoredEvent
from propdesk.services.risk import RecalcReport, RiskService, RiskStores

from tests.doubles.ports import InMemoryAccountControl, InMemoryEventPublisher, ManualClock
from tests.doubles.risk_stores import (
    InMemoryAccounts,
    InMemoryBreaches,
    InMemoryDeadlines,
    InMemoryProgramVersions,
    InMemoryRiskStates,
    InMemoryTradingEvents,
)

OPENED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # Monday 09:00 in Prague
PUBLISHED = datetime(2026, 1, 1, tzinfo=UTC)


def equity(event_id: str, time: str, value: str) -> dict[str, str]:
    return {"event_id": event_id, "time": time, "type": "equity", "equity": value}


def opened(event_id: str, time: str, position: str, symbol: str = "EURUSD") -> dict[str, str]:
    return {"event_id": event_id, "time": time, "type": "position_opened", "position_id": position,
            "symbol": symbol, "side": "buy", "volume": "1.0"}  # fmt: skip


def closed(event_id: str, time: str, position: str, profit: str) -> dict[str, str]:
    return {"event_id": event_id, "time": time, "type": "position_closed", "position_id": position,
            "profit": profit}  # fmt: skip


def demo_document(program_id: str, rules: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    document = next(p.document for p in demo_programs() if p.summary.program_id == program_id)
    return document if rules is None else {**document, "rules": rules}


@dataclass
class RiskWorld:
    program_id: str = "two-step-100k-phase-1"
    opened_at: datetime = OPENED
    rules: list[dict[str, Any]] | None = None
    account_id: str = "acc-1"
    warning_share: str = "0.8"
    accounts: InMemoryAccounts = field(default_factory=InMemoryAccounts)
    catalogue: InMemoryProgramVersions = field(default_factory=InMemoryProgramVersions)
    events: InMemoryTradingEvents = field(default_factory=InMemoryTradingEvents)
    risk: InMemoryRiskStates = field(default_factory=InMemoryRiskStates)
    breaches: InMemoryBreaches = field(default_factory=InMemoryBreaches)
    deadlines: InMemoryDeadlines = field(default_factory=InMemoryDeadlines)
    publisher: InMemoryEventPublisher = field(default_factory=InMemoryEventPublisher)
    control: InMemoryAccountControl = field(default_factory=InMemoryAccountControl)

    def __post_init__(self) -> None:
        self.document = demo_document(self.program_id, self.rules)
        version = self.catalogue.publish(self.document, PUBLISHED)
        self.clock = ManualClock(self.opened_at)
        self.account = Account(
            account_id=self.account_id,
            trader_id=f"trader-{self.account_id}",
            program_id=self.program_id,
            program_version=version,
            status="active",
            currency=self.document["currency"],
            initial_balance=Decimal(self.document["initial_balance"]),
            timezone=self.document["timezone"],
            day_starts_at=self.document["day_starts_at"],
            opened_at=self.opened_at,
        )
        self.accounts.open(self.account)
        self.service = self.new_service()

    def new_service(self) -> RiskService:
        """Another execution environment on the same stores (its own evaluator cache)."""
        stores = RiskStores(
            self.accounts, self.catalogue, self.events, self.risk, self.breaches, self.deadlines
        )
        return RiskService(
            stores, self.publisher, self.control, self.clock, warning_share=Decimal(self.warning_share)
        )

    # ---- trading

    def store(self, *raw_events: dict[str, str]) -> list[StoredEvent]:
        """Store events as ingestion does; the stream records (triggers) of the new ones, in storing order.

        An event the engine refuses today (e.g. an amount beyond its bounds) is stored as it comes, as one
        stored before those bounds existed would be."""
        before = len(self.events.inserted)
        for raw in raw_events:
            event_id, time, kind = _identity(raw)
            self.events.record(
                StoredEvent(self.account_id, event_id, time, kind, dict(raw), ""),
                received_at=self.clock.now(),
            )
        return self.events.inserted[before:]

    def deliver(self, *triggers: StoredEvent) -> list[RecalcReport]:
        return [self.service.on_event_recorded(trigger) for trigger in triggers]

    def trade(self, *raw_events: dict[str, str]) -> list[RecalcReport]:
        """Each event in turn: store it, deliver its stream record."""
        return [report for raw in raw_events for report in self.deliver(*self.store(raw))]

    # ---- looking

    @property
    def snapshot(self) -> RiskSnapshot:
        stored = self.risk.get(self.account_id)
        assert stored is not None
        return stored

    @property
    def evaluation(self) -> dict[str, Any]:
        return self.snapshot.evaluation

    @property
    def stored_account(self) -> Account:
        stored = self.accounts.get(self.account_id)
        assert stored is not None
        return stored

    def published(self, detail_type: str) -> list[Any]:
        return self.publisher.of_type(detail_type)

    def in_order_verdict(self, until: datetime | None = None) -> dict[str, Any]:
        """What the engine says when the stored history is replayed in order in one go."""
        events = [parse_event(event.payload) for event in self.events.replay(self.account_id)]
        program = Program.from_dict(self.document)
        return evaluate(program, events, until=until, start=self.opened_at).to_dict()


def core(evaluation: dict[str, Any]) -> dict[str, Any]:
    """The part of a stored evaluation that the engine's own verdict has."""
    return {name: evaluation[name] for name in ("status", "breaches", "metrics")}


def _identity(raw: dict[str, str]) -> tuple[str, datetime, str]:
    try:
        parsed = parse_event(raw)
    except EventError:
        return raw["event_id"], datetime.fromisoformat(raw["time"]), raw["type"]
    assert parsed.event_id
    return parsed.event_id, parsed.time, parsed.type
