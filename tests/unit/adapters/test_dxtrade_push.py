"""DXtrade's push messages read into the port's records: position snapshots in canonical symbols and
lots, equity readings, deposits and withdrawals, realized P&L per position; pings answered; the unknown
tolerated."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from propdesk.adapters.platforms.dxtrade_push import PushMessageError, parse_push, ping
from propdesk.platforms.normalize import deals_to_events, equity_event
from propdesk.platforms.port import AccountRef

from events import load_event

ACCOUNT = "default:PD1A2B3C4D5E6F7A"


def test_a_portfolio_is_a_snapshot_of_open_positions_in_canonical_symbols_and_lots() -> None:
    update = parse_push(json.dumps(load_event("dxtrade/push_account_portfolios")))
    assert update.type == "AccountPortfolios" and update.in_reply_to == "portfolios-1"
    assert update.received_at == datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    euro, gold = update.positions[ACCOUNT]
    assert (euro.position_id, euro.symbol, euro.side, euro.volume) == (
        "1001234",
        "EURUSD",
        "buy",
        Decimal("1.5"),
    )
    assert (euro.stop_loss, euro.take_profit) == (Decimal("1.095"), Decimal("1.1102"))
    assert euro.opened_at == datetime(2026, 12, 7, 10, 15, 2, 125000, tzinfo=UTC)
    assert (gold.symbol, gold.side, gold.volume) == ("XAUUSD", "sell", Decimal("0.2"))  # 20 oz, a short


def test_metrics_are_equity_readings_in_the_accounts_currency() -> None:
    update = parse_push(load_event("dxtrade/push_account_metrics"), currencies={ACCOUNT: "USD"})
    figures = update.figures[ACCOUNT]
    assert (figures.equity, figures.balance, figures.currency) == (
        Decimal("99875.25"),
        Decimal("100250.5"),
        "USD",
    )
    event = equity_event("dxtrade", AccountRef("dxtrade", ACCOUNT, "PD1A2B3C4D5E6F7A"), figures)
    assert event["equity"] == "99875.25"


def test_cash_transfers_are_balance_deals_and_realized_profit_per_position() -> None:
    update = parse_push(json.dumps(load_event("dxtrade/push_cash_transfers")).encode())
    assert update.realized[ACCOUNT] == {"1001234": Decimal("405.0")}
    withdrawal, goodwill = update.balance_deals[ACCOUNT]
    assert (withdrawal.deal_id, withdrawal.profit) == ("propdesk-payout-po-1", Decimal(-1500))
    assert (withdrawal.our_reference, goodwill.our_reference) == ("payout:po_1", "")
    # our payout's withdrawal is an engine event already (the payout workflow recorded it): only the
    # broker's own deposit becomes one
    (event,) = deals_to_events("dxtrade", update.balance_deals[ACCOUNT])
    assert (event["type"], event["amount"], event["event_id"]) == ("deposit", "250", "dxtrade:88140")


def test_a_ping_request_is_answered_with_a_ping() -> None:
    update = parse_push('{"type": "PingRequest", "session": "s1", "timestamp": 1796637600000}')
    assert update.ping_requested
    assert json.loads(ping("s1", "r-9", 1)) == {
        "type": "Ping",
        "session": "s1",
        "inReplyTo": "r-9",
        "timestamp": 1,
    }


def test_a_reject_names_its_reason_and_an_unknown_type_is_tolerated() -> None:
    assert parse_push({"type": "Reject", "body": {"description": "bad account"}}).rejected == "bad account"
    assert parse_push({"type": "InstrumentUpdate", "payload": {"x": 1}}).other


@pytest.mark.parametrize("message", ["", "not json", "[]", '{"type": ""}', b"\xff\xfe", '{"payload": {}}'])
def test_what_is_not_a_push_envelope_is_refused(message: str | bytes) -> None:
    with pytest.raises(PushMessageError):
        parse_push(message)


def test_a_known_type_with_a_broken_body_is_refused_not_half_read() -> None:
    with pytest.raises(PushMessageError, match="AccountPortfolios"):
        parse_push(
            {"type": "AccountPortfolios", "payload": {"portfolios": [{"positions": [{"side": "BUY"}]}]}}
        )
