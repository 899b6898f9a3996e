"""Small builders of records for integration tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from propdesk.records import Account, AccountStatus, StoredEvent

OPENED_AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def account(
    account_id: str,
    trader_id: str = "trader-1",
    status: AccountStatus = "active",
    program_id: str = "ftmo-2step-100k-phase1",
    program_version: int = 1,
    timezone: str = "Europe/Prague",
    day_starts_at: str = "00:00",
    opened_at: datetime = OPENED_AT,
) -> Account:
    return Account(
        account_id=account_id,
        trader_id=trader_id,
        program_id=program_id,
        program_version=program_version,
        status=status,
        currency="USD",
        initial_balance=Decimal("100000"),
        timezone=timezone,
        day_starts_at=day_starts_at,
        opened_at=opened_at,
    )


def equity_event(account_id: str, event_id: str, time: datetime, equity: str) -> StoredEvent:
    payload: dict[str, Any] = {
        "time": time.isoformat(),
        "type": "equity",
        "equity": equity,
        "event_id": event_id,
    }
    return StoredEvent(
        account_id=account_id, event_id=event_id, time=time, type="equity", payload=payload, sk=""
    )
