"""The data layer against DynamoDB Local: conditions, optimistic locking, idempotency, GSIs, pagination."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propdesk.data import keys
from propdesk.data.accounts import AccountRepository
from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.connections import ConnectionRepository
from propdesk.data.events import TradingEventRepository
from propdesk.data.platform_refs import PlatformRefReader
from propdesk.data.risk import BreachRepository, RiskStateRepository
from propdesk.data.watermark import ResetWatermarkRepository
from propdesk.errors import InvalidCursorError, VersionConflictError
from propdesk.platforms.port import AccountRef
from propdesk.records import (
    BreachEvidence,
    Connection,
    PlatformReference,
    ProgramSummary,
    RiskSnapshot,
)

from tests.integration.consistency import eventually
from tests.integration.dynamodb_local import TableNames
from tests.integration.factories import account, equity_event

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def snapshot(account_id: str, version: int, applied: int) -> RiskSnapshot:
    return RiskSnapshot(
        account_id=account_id,
        version=version,
        state={"balance": "100000"},
        evaluation={"status": "active"},
        last_event_sk=None,
        applied_events=applied,
        evaluated_until=None,
    )


def test_a_duplicate_trading_event_is_dropped_without_a_second_item(
    tables: TableNames, unique_id: str
) -> None:
    events = TradingEventRepository()
    event = equity_event(unique_id, "e1", NOW, "99500.00")

    assert events.record(event, received_at=NOW) is True
    assert events.record(event, received_at=NOW + timedelta(seconds=5)) is False

    stored = list(events.replay(unique_id))
    assert [(e.event_id, e.payload["equity"]) for e in stored] == [("e1", "99500.00")]


def test_events_replay_in_time_order_and_resume_after_a_watermark(tables: TableNames, unique_id: str) -> None:
    events = TradingEventRepository()
    for minute, event_id in [(3, "c"), (1, "a"), (2, "b")]:
        events.record(equity_event(unique_id, event_id, NOW + timedelta(minutes=minute), "100000"), NOW)

    everything = list(events.replay(unique_id))
    assert [e.event_id for e in everything] == ["a", "b", "c"]
    assert [e.event_id for e in events.replay(unique_id, after_sk=everything[0].sk)] == ["b", "c"]
    assert events.count_until(unique_id, everything[1].sk) == 2


def test_risk_state_writes_are_conditional_on_the_version_read(tables: TableNames, unique_id: str) -> None:
    risk = RiskStateRepository()
    assert risk.save(snapshot(unique_id, version=0, applied=1), NOW) == 1
    assert risk.save(snapshot(unique_id, version=1, applied=2), NOW) == 2

    with pytest.raises(VersionConflictError):
        risk.save(snapshot(unique_id, version=1, applied=99), NOW)
    with pytest.raises(VersionConflictError):
        risk.save(snapshot(unique_id, version=0, applied=99), NOW)
    stored = risk.get(unique_id)
    assert stored is not None and (stored.version, stored.applied_events) == (2, 2)


def test_two_concurrent_writers_lose_no_update(tables: TableNames, unique_id: str) -> None:
    """Each writer adds 25 increments with read-modify-write and retries on conflict: all 50 survive."""
    risk = RiskStateRepository()
    risk.save(snapshot(unique_id, version=0, applied=0), NOW)
    conflicts: list[int] = []

    def writer() -> None:
        for _ in range(25):
            while True:
                current = risk.get(unique_id)
                assert current is not None
                try:
                    risk.save(snapshot(unique_id, current.version, current.applied_events + 1), NOW)
                    break
                except VersionConflictError:
                    conflicts.append(1)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    final = risk.get(unique_id)
    assert final is not None
    assert final.applied_events == 50
    assert final.version == 51


def test_breach_evidence_is_written_once(tables: TableNames, unique_id: str) -> None:
    breaches = BreachRepository()
    evidence = BreachEvidence(
        account_id=unique_id,
        rule="daily_loss",
        time=NOW,
        effect="fail",
        limit=Decimal("95000.00"),
        value=Decimal("94999.99"),
        explanation="Equity fell below the daily floor.",
        event_id="e1",
        event_type="equity",
        figures={"base": "100000.00", "amount": "5000.00"},
        program_id="ftmo-2step-100k-phase1",
        program_version=1,
    )
    assert breaches.record(evidence, NOW) is True
    assert breaches.record(evidence, NOW + timedelta(minutes=1)) is False
    page = breaches.list_for_account(unique_id)
    assert page.items == [evidence]


def test_a_traders_accounts_come_from_gsi1_page_by_page(tables: TableNames, unique_id: str) -> None:
    accounts = AccountRepository()
    trader = f"trader-{unique_id}"
    ids = [f"{unique_id}-{n}" for n in range(5)]
    for account_id in ids:
        assert accounts.open(account(account_id, trader_id=trader)) is True
    assert accounts.open(account(ids[0], trader_id=trader)) is False
    eventually(lambda: len(accounts.list_for_trader(trader, limit=10).items) == len(ids))

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = accounts.list_for_trader(trader, limit=2, cursor=cursor)
        seen += [a.account_id for a in page.items]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == ids
    assert pages >= 3


def test_an_account_keeps_its_platform_reference(tables: TableNames, unique_id: str) -> None:
    accounts = AccountRepository()
    placed = PlatformReference("match-trader", "prop-42", "700042", "challenge-100k", "MatchTrader-Demo")
    assert accounts.open(replace(account(unique_id), platform=placed))
    assert accounts.open(account(f"{unique_id}-bare"))

    stored = accounts.get(unique_id, consistent=True)
    bare = accounts.get(f"{unique_id}-bare", consistent=True)

    assert stored is not None and stored.platform == placed
    assert bare is not None and bare.platform is None


def test_a_funded_account_without_an_order_is_found_on_its_platform_by_its_own_reference(
    tables: TableNames, unique_id: str
) -> None:
    """The progression workflow opens funded accounts without an order: their stored reference is where
    the payout workflow withdraws."""
    accounts = AccountRepository()
    placed = PlatformReference("match-trader", "prop-7", "700007", "funded-100k", "MatchTrader-Demo")
    elsewhere = PlatformReference("ctrader", "ct-7", "900007", "funded-100k", "cTrader-Demo")
    assert accounts.open(replace(account(unique_id), platform=placed))
    assert accounts.open(replace(account(f"{unique_id}-ct"), platform=elsewhere))
    assert accounts.open(account(f"{unique_id}-bare"))
    reader = PlatformRefReader("match-trader")

    assert reader.platform_ref(unique_id) == AccountRef("match-trader", "prop-7", "700007", "funded-100k")
    assert reader.platform_ref(f"{unique_id}-ct") is None  # not on the platform this reader serves
    assert reader.platform_ref(f"{unique_id}-bare") is None  # no reference and no order
    assert reader.platform_ref(f"{unique_id}-missing") is None


def test_a_cursor_from_another_trader_is_refused(tables: TableNames, unique_id: str) -> None:
    accounts = AccountRepository()
    for n in range(2):
        accounts.open(account(f"{unique_id}-{n}", trader_id=f"a-{unique_id}"))
    eventually(lambda: len(accounts.list_for_trader(f"a-{unique_id}", limit=2).items) == 2)
    cursor = accounts.list_for_trader(f"a-{unique_id}", limit=1).next_cursor
    assert cursor is not None
    with pytest.raises(InvalidCursorError):
        accounts.list_for_trader(f"b-{unique_id}", limit=1, cursor=cursor)
    with pytest.raises(InvalidCursorError):
        accounts.list_for_trader(f"a-{unique_id}", limit=1, cursor="not-a-cursor")


def test_only_active_accounts_sit_in_their_reset_group(fresh_tables: TableNames) -> None:
    accounts = AccountRepository()
    accounts.open(account("ny-1", timezone="America/New_York", day_starts_at="17:00"))
    accounts.open(account("ny-2", timezone="America/New_York", day_starts_at="17:00"))
    accounts.open(account("prague-1"))

    assert accounts.change_status("ny-2", "failed", "daily_loss", NOW) is True
    assert accounts.change_status("ny-2", "passed", "target", NOW) is False

    def in_group() -> list[str]:
        return [a.account_id for a in accounts.active_in_reset_group("America/New_York", "17:00")]

    assert eventually(lambda: in_group() == ["ny-1"])
    assert sorted(accounts.reset_groups()) == [("America/New_York", "17:00"), ("Europe/Prague", "00:00")]
    failed = accounts.get("ny-2")
    assert failed is not None and (failed.status, failed.status_reason) == ("failed", "daily_loss")


def test_publishing_a_program_numbers_versions_and_keeps_old_ones(fresh_tables: TableNames) -> None:
    catalogue = CatalogueRepository()
    summary = ProgramSummary(
        program_id="p1",
        name="Phase 1",
        current_version=0,
        currency="USD",
        initial_balance=Decimal("100000"),
        prices={"USD": Decimal("540.00"), "EUR": Decimal("499.00")},
        kind="challenge",
    )
    assert catalogue.publish(summary, {"name": "Phase 1", "rules": []}, NOW) == 1
    assert catalogue.publish(summary, {"name": "Phase 1", "rules": []}, NOW) == 1
    assert catalogue.publish(summary, {"name": "Phase 1", "rules": [{"type": "x"}]}, NOW) == 2

    entry = catalogue.get_program("p1")
    assert entry is not None and entry.current_version == 2 and entry.prices["EUR"] == Decimal("499.00")
    first = catalogue.get_version("p1", 1)
    assert first is not None and first.document == {"name": "Phase 1", "rules": []}
    assert [p.program_id for p in catalogue.list_programs().items] == ["p1"]


def test_connections_are_found_by_trader_and_collect_subscriptions(
    tables: TableNames, unique_id: str
) -> None:
    connections = ConnectionRepository()
    connection = Connection(
        connection_id=f"c-{unique_id}",
        trader_id=f"t-{unique_id}",
        connected_at=NOW,
        expires_at=NOW + timedelta(hours=2),
    )
    connections.put(connection)
    eventually(lambda: connections.for_trader(f"t-{unique_id}"))
    assert connections.subscribe(connection.connection_id, frozenset({"account:a1"})) is True
    assert connections.subscribe("gone", frozenset({"account:a1"})) is False

    def topics() -> list[frozenset[str]]:
        return [c.subscriptions for c in connections.for_trader(f"t-{unique_id}")]

    assert eventually(lambda: topics() == [frozenset({"account:a1"})])
    connections.delete(connection.connection_id)
    assert connections.get(connection.connection_id) is None


def test_the_reset_watermark_moves_only_from_the_version_read(fresh_tables: TableNames) -> None:
    watermarks = ResetWatermarkRepository()
    assert watermarks.get() is None
    watermarks.advance(NOW, expected_version=0)
    current = watermarks.get()
    assert current is not None and current.checked_until == NOW
    watermarks.advance(NOW + timedelta(minutes=1), expected_version=current.version)
    with pytest.raises(VersionConflictError):
        watermarks.advance(NOW + timedelta(minutes=2), expected_version=current.version)


def test_event_keys_sort_by_time_whatever_the_offset() -> None:
    prague = datetime.fromisoformat("2026-03-02T01:00:00+01:00")
    utc_later = datetime.fromisoformat("2026-03-02T00:30:00+00:00")
    assert keys.event_sk(prague, "x") < keys.event_sk(utc_later, "y")
