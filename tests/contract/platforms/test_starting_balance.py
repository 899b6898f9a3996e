"""The starting balance counts once, whether or not the platform records it as a deposit in its history.

Some platforms book the money an account is opened with as a balance deal (MT5 does); for Match-Trader,
TradeLocker and DXtrade their public documentation does not say (docs/platforms.md, "The starting balance").
Against every adapter and its fake, both ways (the fake's `Market.opening_deposits`): the account's history,
normalized and ingested as a push or a backfill would, leaves the account's balance at its initial balance
(never twice), and a trade after it is stored as before."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from propdesk.platforms.normalize import deals_to_events
from propdesk.platforms.port import NewAccount
from propdesk.records import Account, PlatformReference
from propdesk.services.ingestion import EventIngestion

from tests.contract.platforms.harness import PlatformHarness
from tests.doubles.risk_stores import InMemoryAccounts, InMemoryTradingEvents

INITIAL = Decimal("100000")
MINUTE = timedelta(minutes=1)


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded-as-a-deposit", "not-recorded"])
def test_the_starting_balance_counts_once_whether_or_not_the_history_records_it(
    harness: PlatformHarness, recorded: bool
) -> None:
    harness.market.opening_deposits = recorded
    opened_at = harness.wall.now()  # propdesk opens the account as the platform creates it
    ref = harness.platform.create_account(
        NewAccount(
            "propdesk:ord_1", "ada@example.com", "Ada", "Lovelace", harness.currency, INITIAL, harness.group
        )
    ).ref
    book = harness.book(ref)
    harness.wall.advance(MINUTE)
    position = harness.market.open_position(book.account_id, "EURUSD", "buy", Decimal(1), Decimal("1.10000"))
    harness.wall.advance(MINUTE)
    harness.market.close_position(book.account_id, position.position_id, Decimal("1.10100"))
    harness.wall.advance(MINUTE)

    deals = harness.platform.deals(ref, opened_at - MINUTE, harness.wall.now())
    in_history = any(d.kind == "balance" and d.profit == INITIAL for d in deals)
    assert in_history == (recorded and harness.name != "mt5")  # the bridge flags it, the adapter drops it
    accounts, events = InMemoryAccounts(), InMemoryTradingEvents()
    accounts.open(
        Account(
            account_id="acc-1", trader_id="t", program_id="p", program_version=1, status="active",
            currency=harness.currency, initial_balance=INITIAL, timezone="UTC", day_starts_at="00:00",
            opened_at=opened_at, platform=PlatformReference(ref.platform, ref.platform_account_id, ref.login),
        )
    )  # fmt: skip
    ingestion = EventIngestion(accounts, events)
    report = ingestion.ingest("acc-1", deals_to_events(ref.platform, deals), harness.wall.now(), ref.platform)

    stored = list(events.replay("acc-1"))
    assert [e.type for e in stored] == ["position_opened", "position_closed"]
    assert len(report.duplicates) == (1 if in_history else 0)  # acknowledged: the initial balance counts it
    balance = INITIAL + sum(Decimal(e.payload["profit"]) for e in stored if e.type == "position_closed")
    assert balance == harness.platform.figures(ref).balance
