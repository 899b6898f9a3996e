"""The starting balance counts once: a platform's record of the money an account was opened with (a deposit
of exactly the initial balance, no payout, before the opening or within an hour after) is acknowledged and
not stored; any other deposit is stored as before, and any other event older than the account is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from propdesk.errors import InvalidInputError
from propdesk.records import Account, PlatformReference
from propdesk.services.ingestion import OPENING_WINDOW, EventIngestion

from tests.doubles.risk_stores import InMemoryAccounts, InMemoryTradingEvents

OPENED = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
RECEIVED = OPENED + timedelta(days=1)


def world() -> tuple[EventIngestion, InMemoryTradingEvents]:
    accounts, events = InMemoryAccounts(), InMemoryTradingEvents()
    accounts.open(
        Account(
            account_id="acc-1", trader_id="t", program_id="p", program_version=1, status="active",
            currency="USD", initial_balance=Decimal("100000"), timezone="UTC", day_starts_at="00:00",
            opened_at=OPENED, platform=PlatformReference("dxtrade", "default:acc-1", "acc-1"),
        )
    )  # fmt: skip
    return EventIngestion(accounts, events), events


def deposit(amount: str, at: datetime, **extra: Any) -> dict[str, Any]:
    return {"event_id": f"dx:{amount}:{int(at.timestamp())}", "time": at.isoformat(), "type": "deposit",
            "amount": amount, **extra}  # fmt: skip


def stored(events: InMemoryTradingEvents) -> list[str]:
    return [event.event_id for event in events.replay("acc-1")]


@pytest.mark.parametrize("at", [OPENED - timedelta(minutes=5), OPENED, OPENED + OPENING_WINDOW])
def test_the_platforms_record_of_the_starting_balance_is_acknowledged_and_not_stored(at: datetime) -> None:
    ingestion, events = world()
    report = ingestion.ingest("acc-1", [deposit("100000.00", at)], RECEIVED, "dxtrade")
    assert (report.accepted, len(report.duplicates)) == ([], 1)
    assert stored(events) == []


@pytest.mark.parametrize(
    "event",
    [
        deposit("100000.00", OPENED + OPENING_WINDOW + timedelta(seconds=1)),  # too late to be the opening
        deposit("5000.00", OPENED + timedelta(minutes=1)),  # another amount
        deposit("100000.00", OPENED + timedelta(minutes=1), payout_id="po_1"),  # a failed payout put back
    ],
)
def test_any_other_deposit_is_stored(event: dict[str, Any]) -> None:
    ingestion, events = world()
    assert ingestion.ingest("acc-1", [event], RECEIVED, "dxtrade").accepted == [event["event_id"]]
    assert stored(events) == [event["event_id"]]


def test_any_other_deposit_older_than_the_account_is_refused() -> None:
    ingestion, events = world()
    with pytest.raises(InvalidInputError) as refused:
        ingestion.ingest("acc-1", [deposit("5000.00", OPENED - timedelta(minutes=5))], RECEIVED, "dxtrade")
    assert refused.value.field == "events[0].time"
    assert stored(events) == []
