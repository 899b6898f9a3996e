"""A platform's deals and readings become the engine's trading events, once each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from propdesk.engine import parse_event
from propdesk.platforms.normalize import (
    UnusableDealError,
    deal_events,
    deals_to_events,
    equity_event,
    opened_from_position,
    opening_deal_id,
)
from propdesk.platforms.port import AccountFigures, AccountRef, Deal, OpenPosition

GMT_PLUS_2 = timezone(timedelta(hours=2))
AT = datetime(2026, 12, 7, 12, 30, tzinfo=GMT_PLUS_2)
OPEN = Deal(
    "d1", "open", AT, "p1", "EURUSD", "buy", Decimal("1.50"), Decimal("1.10010"), stop_loss=Decimal("1.09")
)
CLOSE = Deal(
    "d2",
    "close",
    AT + timedelta(minutes=3),
    "p1",
    "EURUSD",
    "buy",
    Decimal("1.50"),
    Decimal("1.10110"),
    profit=Decimal("150.00"),
    reason="take_profit",
)
ACCOUNT = AccountRef("dxtrade", "acc-1", "1001", "challenge")


def test_an_opening_deal_is_a_position_opened_event_in_utc_with_its_price() -> None:
    (event,) = deal_events("dxtrade", OPEN)
    assert event == {
        "time": "2026-12-07T10:30:00+00:00",
        "type": "position_opened",
        "position_id": "p1",
        "symbol": "EURUSD",
        "side": "buy",
        "volume": "1.50",
        "price": "1.10010",
        "open_price": "1.10010",
        "stop_loss": "1.09",
        "event_id": "dxtrade:d1",
    }
    parsed = parse_event(event)
    assert parsed.time == datetime(2026, 12, 7, 10, 30, tzinfo=UTC)


def test_a_closing_deal_is_a_position_closed_event_with_its_reason_and_close_price() -> None:
    (event,) = deal_events("dxtrade", CLOSE)
    assert event["type"] == "position_closed"
    assert (event["profit"], event["reason"], event["close_price"]) == ("150.00", "take_profit", "1.10110")
    assert event["event_id"] == "dxtrade:d2"
    assert parse_event(event).type == "position_closed"


def test_balance_operations_are_withdrawals_and_deposits_with_positive_amounts() -> None:
    out = Deal("b1", "balance", AT, profit=Decimal("-1200.50"), reason="payout po_1")
    back = Deal("b2", "balance", AT, profit=Decimal("1200.50"))
    assert deal_events("match-trader", out) == [
        {
            "time": "2026-12-07T10:30:00+00:00",
            "type": "withdrawal",
            "amount": "1200.50",
            "event_id": "match-trader:b1",
            "comment": "payout po_1",
        }
    ]
    assert deal_events("match-trader", back)[0]["type"] == "deposit"
    assert deal_events("match-trader", Deal("b3", "balance", AT)) == []


def test_a_balance_operation_we_booked_ourselves_is_no_event_a_brokers_is() -> None:
    """A payout's withdrawal or a scaling top-up is recorded by the workflow that booked it: its copy in the
    platform's history must not count the money a second time."""
    ours = Deal("b5", "balance", AT, profit=Decimal("-1500"), our_reference="payout:po_1:withdrawal")
    top_up = Deal("b6", "balance", AT, profit=Decimal("50000"), our_reference="dec_1:scaling")
    brokers = Deal("b7", "balance", AT, profit=Decimal("-1500"), reason="manual correction")
    assert deal_events("mt5", ours) == [] and deal_events("mt5", top_up) == []
    assert [e["event_id"] for e in deals_to_events("mt5", [ours, top_up, brokers])] == ["mt5:b7"]


def test_the_same_deal_delivered_twice_is_the_same_event() -> None:
    assert deals_to_events("mt5", [OPEN, CLOSE]) == deals_to_events("mt5", [CLOSE, OPEN])
    assert [e["event_id"] for e in deals_to_events("mt5", [CLOSE, OPEN])] == ["mt5:d1", "mt5:d2"]


def test_a_position_seen_in_a_snapshot_opens_under_the_same_id_as_its_opening_deal() -> None:
    position = OpenPosition(
        "p9",
        "XAUUSD",
        "sell",
        Decimal("0.1"),
        Decimal("2000.5"),
        AT,
        Decimal("-3.20"),
        take_profit=Decimal(1990),
    )
    (event,) = deal_events("tradelocker", opened_from_position(position))
    assert event["event_id"] == f"tradelocker:{opening_deal_id('p9')}"
    assert (event["side"], event["take_profit"], event["open_price"]) == ("sell", "1990", "2000.5")


def test_an_equity_reading_names_the_account_and_instant() -> None:
    figures = AccountFigures(Decimal("100000.00"), Decimal("99750.25"), "USD", AT)
    event = equity_event("dxtrade", ACCOUNT, figures)
    assert event["event_id"] == "dxtrade:equity:acc-1:2026-12-07T10:30:00Z"  # ingestion's id alphabet
    assert (event["equity"], event["balance"]) == ("99750.25", "100000.00")
    assert parse_event(event).type == "equity"


def test_amounts_are_written_without_exponents() -> None:
    deal = Deal("b4", "balance", AT, profit=Decimal("1E+3"))
    assert deal_events("mt5", deal)[0]["amount"] == "1000"


def test_a_deal_without_a_time_zone_is_refused() -> None:
    naive = Deal("d7", "close", datetime(2026, 12, 7, 10, 0), "p1", profit=Decimal(1))  # noqa: DTZ001
    with pytest.raises(UnusableDealError, match="d7"):
        deal_events("mt5", naive)


def test_an_open_without_a_side_or_volume_is_refused() -> None:
    with pytest.raises(UnusableDealError, match="side"):
        deal_events("mt5", Deal("d8", "open", AT, "p1", "EURUSD", None, Decimal(1)))
    with pytest.raises(UnusableDealError, match="volume"):
        deal_events("mt5", Deal("d9", "open", AT, "p1", "EURUSD", "buy", Decimal(0)))
