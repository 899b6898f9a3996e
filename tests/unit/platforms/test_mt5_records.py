"""What an MT5 bridge sends, read without a network: a close only once the position is flat, with the
position's net result and side; the initial deposit and MT5's other non-trade actions left out; reasons;
symbols mapped and volumes in lots."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from propdesk.adapters.platforms import mt5_records as records
from propdesk.adapters.platforms.mt5_bridge import canonical_query, canonical_request
from propdesk.platforms.port import PlatformRejectedError
from propdesk.platforms.symbols import default_mapping

SYMBOLS = default_mapping("mt5")


def deal(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ticket": 123456,
        "login": 700123,
        "time": "2026-12-07T10:00:00.123Z",
        "action": "buy",
        "entry": "in",
        "symbol": "EURUSD.r",
        "volume": "1.50",
        "price": "1.08512",
        "profit": "0.00",
        "commission": "-3.50",
        "swap": "0.00",
        "fee": "0.00",
        "position_id": 98765,
        "reason": "client",
        "sl": "1.07000",
        "tp": None,
    }
    return {**base, **fields}


def test_an_opening_deal_is_an_open_in_canonical_symbols_and_lots() -> None:
    opened = records.deal(deal(), SYMBOLS)
    assert opened is not None
    assert (opened.kind, opened.deal_id, opened.position_id) == ("open", "123456", "98765")
    assert (opened.symbol, opened.side, opened.volume, opened.price) == (
        "EURUSD",
        "buy",
        Decimal("1.50"),
        Decimal("1.08512"),
    )
    assert (opened.stop_loss, opened.take_profit) == (Decimal("1.07000"), None)
    assert opened.time == datetime(2026, 12, 7, 10, 0, 0, 123000, tzinfo=UTC)


def test_a_partial_close_is_nothing_the_final_close_carries_the_whole_position() -> None:
    partial = deal(
        action="sell", entry="out", volume="0.50", profit="40.00", position={"side": "buy", "closed": False}
    )
    assert records.deal(partial, SYMBOLS) is None
    final = deal(
        ticket=123460,
        action="sell",
        entry="out",
        volume="1.00",
        profit="90.00",
        reason="tp",
        position={"side": "buy", "volume": "1.50", "closed": True, "net_profit": "123.00"},
    )
    closed = records.deal(final, SYMBOLS)
    assert closed is not None
    assert (closed.kind, closed.deal_id, closed.side, closed.volume) == (
        "close",
        "123460",
        "buy",
        Decimal("1.50"),
    )
    assert (closed.profit, closed.reason) == (Decimal("123.00"), "take_profit")


def test_a_close_without_the_positions_figures_falls_back_to_its_own() -> None:
    final = deal(
        action="buy",
        entry="out_by",
        volume="2",
        profit="-50.00",
        swap="-1.25",
        reason="so",
        position={"closed": True},
    )
    closed = records.deal(final, SYMBOLS)
    assert closed is not None
    assert (closed.side, closed.volume, closed.profit, closed.reason) == (
        "sell",
        Decimal(2),
        Decimal("-54.75"),
        "stop_out",
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"action": "balance", "profit": "-1500.00"}, Decimal("-1500.00")),
        ({"action": "balance", "profit": "100000.00", "initial_deposit": True}, None),
        ({"action": "credit", "profit": "500.00"}, None),
        ({"action": "buy", "entry": "inout"}, None),
    ],
)
def test_balance_deals_count_other_non_trade_actions_do_not(
    fields: dict[str, Any], expected: Decimal | None
) -> None:
    read = records.deal(deal(**fields), SYMBOLS)
    assert (read.profit if read is not None else None) == expected
    assert read is None or read.kind == "balance"


def test_a_balance_deal_booked_through_the_bridge_is_ours_by_its_reference() -> None:
    ours = records.deal(
        deal(action="balance", profit="-1500.00", reference="payout:po_1:withdrawal"), SYMBOLS
    )
    brokers = records.deal(deal(action="balance", profit="200.00", reference=""), SYMBOLS)
    assert ours is not None and ours.our_reference == "payout:po_1:withdrawal"
    assert brokers is not None and brokers.our_reference == ""


@pytest.mark.parametrize("reason", ["client", "expert", "dealer", "mobile", ""])
def test_any_close_not_by_protection_or_stop_out_is_manual(reason: str) -> None:
    closed = records.deal(
        deal(action="sell", entry="out", reason=reason, position={"side": "buy", "closed": True}), SYMBOLS
    )
    assert closed is not None and closed.reason == "manual"


def test_a_deal_without_a_usable_time_is_refused() -> None:
    with pytest.raises(PlatformRejectedError):
        records.deal(deal(time=None), SYMBOLS)


def test_requests_are_signed_over_a_canonical_form_independent_of_parameter_order() -> None:
    query = canonical_query({"to": "2026-12-07T10:00:00.000Z", "from": "2026-12-06T10:00:00.000Z"})
    assert query == "from=2026-12-06T10%3A00%3A00.000Z&to=2026-12-07T10%3A00%3A00.000Z"
    assert canonical_query({"reference": "propdesk:ord 1/ä"}) == "reference=propdesk%3Aord%201%2F%C3%A4"
    assert canonical_request("get", "/v1/accounts", "", b"") == b"GET\n/v1/accounts\n\n"
