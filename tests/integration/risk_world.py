"""Shared set-up for the risk tests: a published program, an account, stored events, their stream records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from propdesk.catalogue import demo_programs
from propdesk.data import keys
from propdesk.data.accounts import AccountRepository
from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.deadlines import DeadlineRepository
from propdesk.data.events import TradingEventRepository
from propdesk.data.risk import BreachRepository, RiskStateRepository
from propdesk.data.risk_batch_reads import BatchReads
from propdesk.engine import EventError, Program, evaluate, parse_event
from propdesk.records import Account, StoredEvent
from propdesk.services.risk import RiskService, RiskStores

from functions.risk_recalc import handler as risk_recalc
from tests.doubles.ports import InMemoryAccountControl, InMemoryEventPublisher, ManualClock
from tests.integration.consistency import eventually
from tests.integration.dynamodb_local import DynamoDBLocal, TableNames, stream_records
from tests.integration.factories import account
from tests.integration.invoke import LambdaContextStub

CONTEXT: Any = LambdaContextStub()  # stands in for LambdaContext


def publish_program(program_id: str, rules: list[dict[str, Any]] | None = None) -> tuple[int, dict[str, Any]]:
    """Publish a demo program (with `rules` instead of its own, as a new version, when given)."""
    program = next(p for p in demo_programs() if p.summary.program_id == program_id)
    document = program.document if rules is None else {**program.document, "rules": rules}
    version = CatalogueRepository().publish(
        program.summary, document, datetime.fromisoformat("2026-01-01T00:00:00+00:00")
    )
    return version, document


@dataclass
class RiskWorld:
    """One account on a demo program, with fake side-effect ports and the real tables."""

    server: DynamoDBLocal
    tables: TableNames
    account: Account
    document: dict[str, Any]
    clock: ManualClock
    publisher: InMemoryEventPublisher = field(default_factory=InMemoryEventPublisher)
    control: InMemoryAccountControl = field(default_factory=InMemoryAccountControl)

    @classmethod
    def open(
        cls,
        server: DynamoDBLocal,
        tables: TableNames,
        account_id: str,
        program_id: str = "two-step-100k-phase-1",
        opened_at: str = "2026-03-02T08:00:00+00:00",
        rules: list[dict[str, Any]] | None = None,
    ) -> RiskWorld:
        version, document = publish_program(program_id, rules)
        opened = datetime.fromisoformat(opened_at)
        record = account(
            account_id,
            trader_id=f"trader-{account_id}",
            program_id=program_id,
            program_version=version,
            timezone=document["timezone"],
            day_starts_at=document["day_starts_at"],
            opened_at=opened,
        )
        accounts = AccountRepository()
        accounts.open(record)
        eventually(lambda: any(a.account_id == account_id for a in accounts.active_in_reset_group(
            record.timezone, record.day_starts_at)))  # fmt: skip
        return cls(server, tables, record, document, ManualClock(opened))

    def service(self, warning_share: str = "0.8") -> RiskService:
        stores = RiskStores(
            AccountRepository(),
            CatalogueRepository(),
            TradingEventRepository(),
            RiskStateRepository(),
            BreachRepository(),
            DeadlineRepository(),
        )
        return RiskService(
            stores, self.publisher, self.control, self.clock, warning_share=Decimal(warning_share)
        )

    def dependencies(self, warning_share: str = "0.8", preload: bool = True) -> risk_recalc.Dependencies:
        """As the function builds them: the batch's accounts and snapshots preloaded together (unless
        `preload` is False: each account read alone, as before the preload)."""
        reads = BatchReads()
        stores = RiskStores(
            reads.accounts,
            CatalogueRepository(),
            TradingEventRepository(),
            reads.risk,
            BreachRepository(),
            DeadlineRepository(),
        )
        service = RiskService(
            stores, self.publisher, self.control, self.clock, warning_share=Decimal(warning_share)
        )
        if not preload:
            return risk_recalc.Dependencies(
                service=service, read_image=TradingEventRepository.from_stream_image
            )
        return risk_recalc.Dependencies(
            service=service, read_image=TradingEventRepository.from_stream_image, preload=reads.preload
        )

    def store(self, *events: dict[str, str]) -> None:
        """Store events as ingestion does; one the engine refuses today (an amount beyond its bounds) is
        stored as it comes, as one stored before those bounds existed would be."""
        repository = TradingEventRepository()
        for raw in events:
            event_id, time, kind = _identity(raw)
            repository.record(
                StoredEvent(
                    account_id=self.account.account_id,
                    event_id=event_id,
                    time=time,
                    type=kind,
                    payload=dict(raw),
                    sk=keys.event_sk(time, event_id),
                ),
                received_at=self.clock.now(),
            )

    def stream(self) -> list[dict[str, Any]]:
        """This account's records on the real stream that the mapping's filter passes (new EVENT# items)."""
        pk = keys.account_pk(self.account.account_id)
        return [
            record
            for record in stream_records(
                self.server.streams_client(), self.server.stream_arn(self.tables.main)
            )
            if record["eventName"] == "INSERT"
            and record["dynamodb"]["Keys"]["pk"]["S"] == pk
            and record["dynamodb"]["Keys"]["sk"]["S"].startswith(keys.EVENT_PREFIX)
        ]

    def deliver(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return risk_recalc.process({"Records": records}, CONTEXT, self.dependencies())

    def evaluation(self) -> dict[str, Any]:
        snapshot = RiskStateRepository().get(self.account.account_id)
        assert snapshot is not None
        return snapshot.evaluation

    def in_order_verdict(self, until: datetime | None = None) -> dict[str, Any]:
        """What the engine says when the stored history is replayed in order in one go."""
        stored = TradingEventRepository().replay(self.account.account_id)
        events = [parse_event(event.payload) for event in stored]
        verdict = evaluate(
            Program.from_dict(self.document), events, until=until, start=self.account.opened_at
        )
        return verdict.to_dict()


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
