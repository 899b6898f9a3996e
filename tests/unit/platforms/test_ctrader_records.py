"""cTrader's JSON frames and records, read without a network: money in 10^moneyDigits, volumes in cents of
units, a position's close summed over its closing deals, why it closed, balance operations signed, and which
errors are worth retrying."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from propdesk.adapters.platforms import ctrader_records as records
from propdesk.adapters.platforms import ctrader_wire as wire
from propdesk.adapters.platforms.ctrader_session import (
    OpenApiRejectedError,
    OpenApiUnavailableError,
    error_of,
)
from propdesk.platforms.symbols import UnknownInstrumentError, default_mapping

T0 = 1_796_000_000_000  # Unix milliseconds


def instruments() -> records.Instruments:
    return records.Instruments(
        default_mapping("ctrader"),
        [
            records.SymbolInfo(1, "EURUSD"),
            records.SymbolInfo(10, "US30.cash"),
            records.SymbolInfo(77, "COPPER", lot_size=2_500_000),
            records.SymbolInfo(78, "WHEAT"),
        ],
    )


def closing_deal(deal_id: int, at: int, gross: int, closed: int, **detail: int) -> dict[str, object]:
    return {
        "dealId": deal_id,
        "positionId": 55,
        "symbolId": 1,
        "volume": closed,
        "filledVolume": closed,
        "executionTimestamp": at,
        "executionPrice": 1.1025,
        "tradeSide": wire.SELL,  # closing a buy
        "dealStatus": wire.DEAL_FILLED,
        "closePositionDetail": {"grossProfit": gross, "closedVolume": closed, "moneyDigits": 2, **detail},
    }


# ---- frames ----


def test_a_frame_survives_the_wire_and_anything_else_is_refused() -> None:
    frame = wire.Frame(wire.TRADER_REQ, {"ctidTraderAccountId": 7}, "pd-1")
    assert wire.decode(wire.encode(frame)) == frame
    assert wire.decode('{"payloadType": 51}') == wire.Frame(wire.HEARTBEAT_EVENT)
    for raw in (
        "not json",
        "[]",
        '{"payload": {}}',
        '{"payloadType": "2121"}',
        '{"payloadType": 1, "payload": 3}',
    ):
        with pytest.raises(wire.MalformedFrameError):
            wire.decode(raw)


def test_enumerations_are_read_as_numbers_or_names() -> None:
    assert wire.enum(2) == wire.enum("2") == wire.enum("SELL") == wire.SELL
    assert wire.enum(None, wire.POSITION_OPEN) == wire.POSITION_OPEN


def test_money_is_scaled_by_its_digits_and_prices_keep_their_decimal_form() -> None:
    assert wire.money(10053099944, 8) == Decimal("100.53099944")
    assert wire.money(-12345, None) == Decimal("-123.45")
    assert wire.price(1.1) == Decimal("1.1") and wire.optional_price(0) is None
    assert wire.instant(T0) == datetime.fromtimestamp(T0 / 1000, UTC)


# ---- volumes and names ----


def test_volumes_in_cents_become_lots_by_the_firms_contract_sizes_or_the_brokers_lot_size() -> None:
    book = instruments()
    assert (book.canonical(1), book.lots(1, 15_000_000)) == ("EURUSD", Decimal("1.5"))
    assert (book.canonical(10), book.lots(10, 250)) == ("US30", Decimal("2.5"))
    assert (book.canonical(77), book.lots(77, 1_000_000)) == ("COPPER", Decimal("0.4"))
    assert book.needs_lot_size(78) and not book.needs_lot_size(1)
    with pytest.raises(UnknownInstrumentError):
        book.lots(78, 100)


# ---- deals ----


def test_a_positions_close_sums_every_closing_deal_net_of_swap_commission_and_conversion_fee() -> None:
    partial = closing_deal(901, T0, gross=10_000, closed=10_000_000, commission=-300)
    final = closing_deal(902, T0 + 60_000, gross=30_000, closed=10_000_000, swap=-120, pnlConversionFee=25)
    close = records.position_close([final, partial], instruments())
    assert close.deal_id == "902" and close.kind == "close" and close.position_id == "55"
    assert close.profit == Decimal("100.00") - Decimal("3.00") + Decimal("300.00") - Decimal(
        "1.20"
    ) - Decimal("0.25")
    assert (close.volume, close.side, close.symbol) == (Decimal(2), "buy", "EURUSD")
    assert close.time == wire.instant(T0 + 60_000) and close.reason is None


def test_rejected_deals_close_nothing() -> None:
    rejected = {**closing_deal(903, T0, gross=500, closed=10_000_000), "dealStatus": 4}
    assert not records.is_fill(rejected)
    with pytest.raises(ValueError, match="at least one closing deal"):
        records.position_close([rejected], instruments())


@pytest.mark.parametrize(
    ("order", "price", "reason"),
    [
        ({"orderType": 1, "isStopOut": True}, 1.1, "stop_out"),
        ({"orderType": 4}, 1.0950, "stop_loss"),
        ({"orderType": 4}, 1.1200, "take_profit"),
        ({"orderType": 1}, 1.1000, "manual"),
        (None, 1.1000, None),
    ],
)
def test_why_a_position_closed_is_read_from_the_closing_order(
    order: dict[str, object] | None, price: float, reason: str | None
) -> None:
    deal = {**closing_deal(904, T0, gross=0, closed=10_000_000), "executionPrice": price}
    position = {"stopLoss": 1.0950, "takeProfit": 1.1200, "tradeData": {"tradeSide": wire.BUY}}
    assert records.close_reason(deal, order, position) == reason


@pytest.mark.parametrize(("operation_type", "sign"), [(0, 1), (1, -1), (35, -1), (9, 1)])
def test_balance_operations_are_signed_by_their_type(operation_type: int, sign: int) -> None:
    deal = records.balance_deal(
        {
            "operationType": operation_type,
            "balanceHistoryId": 6001,
            "delta": 150_000,
            "changeBalanceTimestamp": T0,
        }
    )
    assert (deal.kind, deal.deal_id, deal.profit) == ("balance", "balance:6001", sign * Decimal("1500.00"))


@pytest.mark.parametrize(
    ("note", "ours"),
    [
        ("payout po_1 [propdesk:payout:po_1:withdrawal]", "payout:po_1:withdrawal"),
        ("broker bonus", ""),
        (None, ""),
    ],
)
def test_a_balance_operation_is_ours_by_the_tag_in_its_external_note(note: str | None, ours: str) -> None:
    operation = {"operationType": 1, "balanceHistoryId": 6002, "delta": 150_000, "changeBalanceTimestamp": T0}
    deal = records.balance_deal({**operation, "externalNote": note} if note is not None else operation)
    assert deal.our_reference == ours


def test_an_opening_deal_carries_the_positions_protection() -> None:
    deal = {
        "dealId": 900,
        "positionId": 55,
        "symbolId": 10,
        "filledVolume": 100,
        "executionTimestamp": T0,
        "executionPrice": 38000.5,
        "tradeSide": wire.SELL,
    }
    opened = records.opening_deal(deal, instruments(), {"stopLoss": 38100.0, "takeProfit": 0})
    assert (opened.symbol, opened.side, opened.volume, opened.price) == (
        "US30",
        "sell",
        Decimal(1),
        Decimal("38000.5"),
    )
    assert (opened.stop_loss, opened.take_profit) == (Decimal("38100.0"), None)


# ---- errors ----


def test_error_responses_are_retryable_only_when_waiting_can_help() -> None:
    def error(code: str, **extra: object) -> Exception:
        return error_of(wire.Frame(wire.OA_ERROR_RES, {"errorCode": code, **extra}))

    limited = error("BLOCKED_PAYLOAD_TYPE", retryAfter=7)
    assert isinstance(limited, OpenApiUnavailableError) and limited.retry_after == 7
    for code in ("OA_AUTH_TOKEN_EXPIRED", "ACCOUNT_NOT_AUTHORIZED", "SERVER_IS_UNDER_MAINTENANCE"):
        assert isinstance(error(code), OpenApiUnavailableError)
    for code in ("TRADING_NOT_ALLOWED", "POSITION_NOT_FOUND", "CH_CLIENT_AUTH_FAILURE"):
        refused = error(code)
        assert isinstance(refused, OpenApiRejectedError) and refused.code == code
