"""The trading-platform port's contract, written once and run against every adapter talking to its local fake
(and the in-memory double): what provisioning, the risk pipeline and payouts may rely on, whatever platform
an account lives on."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from decimal import Decimal

import pytest
from propdesk.abuse.orders import parse_order
from propdesk.engine import parse_event
from propdesk.platforms.normalize import deals_to_events, order_event
from propdesk.platforms.port import (
    AccessReader,
    AccountRef,
    NewAccount,
    OpenedAccount,
    PendingOrderReader,
    PlatformRejectedError,
    PlatformUnavailableError,
    TradingAccess,
)

from tests.contract.platforms.harness import CONTRACT_RESILIENCE, PlatformHarness

MINUTE = timedelta(minutes=1)


def new_account(
    harness: PlatformHarness, reference: str = "propdesk:ord_1", email: str = "ada@example.com"
) -> NewAccount:
    return NewAccount(
        reference=reference,
        email=email,
        first_name="Ada",
        last_name="Lovelace",
        currency=harness.currency,
        initial_balance=Decimal("100000"),
        group=harness.group,
    )


def opened(harness: PlatformHarness, reference: str = "propdesk:ord_1") -> OpenedAccount:
    return harness.platform.create_account(new_account(harness, reference))


# ---- opening an account ----


def test_an_opened_account_is_funded_and_found_by_its_reference(harness: PlatformHarness) -> None:
    platform = harness.platform
    assert platform.find_account("propdesk:ord_1", "ada@example.com") is None
    created = opened(harness)
    assert created.ref.platform == platform.name
    assert created.ref.login and created.ref.platform_account_id
    assert created.server == platform.server
    found = platform.find_account("propdesk:ord_1", "ada@example.com")
    assert found is not None and found.ref == created.ref
    assert found.password is None  # a password is shown once, when created
    assert platform.figures(created.ref).balance == Decimal("100000")


def test_another_reference_finds_nothing_and_opens_a_second_account(harness: PlatformHarness) -> None:
    first = opened(harness, "propdesk:ord_1")
    assert harness.platform.find_account("propdesk:ord_2", "ada@example.com") is None
    second = opened(harness, "propdesk:ord_2")
    assert second.ref.login != first.ref.login
    assert harness.platform.find_account("propdesk:ord_1", "ada@example.com") == OpenedAccount(
        first.ref, first.server
    )


@pytest.mark.parametrize("outcome", [503, "timeout", "drop"])
def test_a_create_whose_answer_was_lost_is_found_by_reference_never_made_twice(
    harness: PlatformHarness, outcome: int | str
) -> None:
    harness.fail_after_next_create(outcome)
    try:
        created: OpenedAccount | None = opened(harness)
    except PlatformUnavailableError:
        created = None  # allowed: the caller's retry finds it (below)
    found = harness.platform.find_account("propdesk:ord_1", "ada@example.com")
    assert found is not None
    assert created is None or created.ref == found.ref
    assert len(harness.market.by_reference("propdesk:ord_1")) == 1


# ---- access ----


@pytest.mark.parametrize("access", list(TradingAccess))
def test_access_is_set_and_setting_it_again_changes_nothing(
    harness: PlatformHarness, access: TradingAccess
) -> None:
    account = opened(harness).ref
    harness.platform.set_access(account, access)
    assert harness.access(account) is access
    harness.platform.set_access(account, access)
    assert harness.access(account) is access


def test_access_moves_between_every_level(harness: PlatformHarness) -> None:
    account = opened(harness).ref
    for access in (
        TradingAccess.READ_ONLY,
        TradingAccess.ENABLED,
        TradingAccess.DISABLED,
        TradingAccess.ENABLED,
    ):
        harness.platform.set_access(account, access)
        assert harness.access(account) is access


def test_the_platform_reports_the_access_it_holds(harness: PlatformHarness) -> None:
    platform = harness.platform
    assert isinstance(platform, AccessReader)
    account = opened(harness).ref
    assert platform.access(account) is TradingAccess.ENABLED  # a new account trades
    for access in (TradingAccess.DISABLED, TradingAccess.READ_ONLY, TradingAccess.ENABLED):
        platform.set_access(account, access)
        assert platform.access(account) is access is harness.access(account)


# ---- positions, figures, liquidation ----


def test_positions_are_read_in_canonical_symbols_and_lots(harness: PlatformHarness) -> None:
    account = opened(harness).ref
    book = harness.book(account)
    harness.market.open_position(book.account_id, "EURUSD", "buy", Decimal("1.5"), Decimal("1.10000"))
    harness.market.open_position(book.account_id, "XAUUSD", "sell", Decimal("0.2"), Decimal("2000.00"))
    harness.market.set_price("EURUSD", Decimal("1.10100"))
    positions = {p.symbol: p for p in harness.platform.positions(account)}
    assert set(positions) == {"EURUSD", "XAUUSD"}
    euro, gold = positions["EURUSD"], positions["XAUUSD"]
    assert (euro.side, euro.volume, euro.open_price) == ("buy", Decimal("1.5"), Decimal("1.10000"))
    assert (gold.side, gold.volume, gold.open_price) == ("sell", Decimal("0.2"), Decimal("2000.00"))
    assert euro.floating_profit == Decimal("150.00")
    assert euro.opened_at.utcoffset() == timedelta(0)


def test_equity_is_the_balance_plus_the_floating_profit(harness: PlatformHarness) -> None:
    account = opened(harness).ref
    book = harness.book(account)
    harness.market.open_position(book.account_id, "EURUSD", "buy", Decimal(1), Decimal("1.10000"))
    harness.market.set_price("EURUSD", Decimal("1.09500"))
    figures = harness.platform.figures(account)
    assert figures.balance == Decimal("100000")
    assert figures.equity == Decimal("99500.00")
    assert figures.currency == harness.currency
    assert figures.as_of.utcoffset() == timedelta(0)


def test_closing_all_positions_returns_the_closing_deals_and_leaves_the_account_flat(
    harness: PlatformHarness,
) -> None:
    account = opened(harness).ref
    book = harness.book(account)
    first = harness.market.open_position(book.account_id, "EURUSD", "buy", Decimal(1), Decimal("1.10000"))
    second = harness.market.open_position(
        book.account_id, "XAUUSD", "sell", Decimal("0.5"), Decimal("2000.00")
    )
    harness.market.set_price("EURUSD", Decimal("1.10200"))
    harness.market.set_price("XAUUSD", Decimal("2010.00"))
    closes = harness.platform.close_all_positions(account)
    assert {(d.kind, d.position_id) for d in closes} == {
        ("close", first.position_id),
        ("close", second.position_id),
    }
    assert sum((d.profit for d in closes), Decimal(0)) == Decimal("200.00") + Decimal("-500.00")
    assert harness.platform.positions(account) == []
    assert harness.platform.figures(account).balance == Decimal("99700.00")
    assert harness.platform.close_all_positions(account) == []


# ---- history ----


def test_deals_in_a_window_are_those_booked_in_it_oldest_first(harness: PlatformHarness) -> None:
    account = opened(harness).ref
    book = harness.book(account)
    start = harness.wall.now()
    position = harness.market.open_position(book.account_id, "EURUSD", "sell", Decimal(2), Decimal("1.10000"))
    harness.wall.advance(5 * MINUTE)
    harness.market.close_position(
        book.account_id, position.position_id, Decimal("1.09900"), reason="take_profit"
    )
    harness.wall.advance(5 * MINUTE)
    deals = harness.platform.deals(account, start, start + 6 * MINUTE)
    assert [d.kind for d in deals] == ["open", "close"]
    opening, closing = deals
    assert opening.position_id == closing.position_id == position.position_id
    assert (opening.symbol, opening.side, opening.volume, opening.price) == (
        "EURUSD",
        "sell",
        Decimal(2),
        Decimal("1.10000"),
    )
    assert closing.profit == Decimal("200.00") and closing.price == Decimal("1.09900")
    assert closing.time - opening.time == 5 * MINUTE
    assert [d.kind for d in harness.platform.deals(account, start + MINUTE, start + 6 * MINUTE)] == ["close"]
    assert harness.platform.deals(account, start - 60 * MINUTE, start) == []


def test_deals_become_engine_events_stored_once_however_often_delivered(harness: PlatformHarness) -> None:
    account = opened(harness).ref
    book = harness.book(account)
    start = harness.wall.now()
    position = harness.market.open_position(book.account_id, "EURUSD", "buy", Decimal(1), Decimal("1.10000"))
    harness.wall.advance(MINUTE)
    harness.market.close_position(book.account_id, position.position_id, Decimal("1.09000"))
    harness.wall.advance(MINUTE)
    window = (start, start + 2 * MINUTE)
    events = deals_to_events(harness.platform.name, harness.platform.deals(account, *window))
    again = deals_to_events(harness.platform.name, harness.platform.deals(account, *window))
    assert [e["event_id"] for e in events] == [e["event_id"] for e in again]
    assert all(e["event_id"].startswith(f"{harness.platform.name}:") for e in events)
    opened_event, closed_event = (parse_event(e) for e in events)
    assert opened_event.type == "position_opened" and closed_event.type == "position_closed"
    assert events[0]["symbol"] == "EURUSD" and Decimal(events[0]["open_price"]) == Decimal("1.1")
    assert Decimal(events[1]["profit"]) == Decimal(-1000) and Decimal(events[1]["close_price"]) == Decimal(
        "1.09"
    )


# ---- pending orders (abuse detection: news straddles) ----


def test_working_orders_are_read_with_the_platforms_ids_and_become_order_placed_events_once(
    harness: PlatformHarness,
) -> None:
    if not isinstance(harness.platform, PendingOrderReader):
        pytest.skip(f"{harness.name} has no pending-order read")
    account = opened(harness).ref
    book = harness.book(account)
    assert harness.platform.pending_orders(account) == []
    buy = harness.market.place_order(
        book.account_id, "XAUUSD", "buy", Decimal("0.5"), "stop", Decimal("2010.5")
    )
    harness.wall.advance(MINUTE)
    sell = harness.market.place_order(
        book.account_id, "XAUUSD", "sell", Decimal("0.5"), "stop", Decimal("1990")
    )
    harness.wall.advance(MINUTE)
    harness.market.place_order(book.account_id, "EURUSD", "buy", Decimal(1), "limit", Decimal("1.09500"))
    harness.market.open_position(  # its stop loss is a protection order, not a pending entry
        book.account_id, "EURUSD", "buy", Decimal(1), Decimal("1.10000"), stop_loss=Decimal("1.09000")
    )

    orders = harness.platform.pending_orders(account)

    assert [(o.symbol, o.side, o.volume, o.order_type) for o in orders] == [
        ("XAUUSD", "buy", Decimal("0.5"), "stop"),
        ("XAUUSD", "sell", Decimal("0.5"), "stop"),
        ("EURUSD", "buy", Decimal(1), "limit"),
    ]
    assert [o.order_id for o in orders[:2]] == [buy.order_id, sell.order_id]
    assert orders[0].price == Decimal("2010.5") and orders[2].price == Decimal("1.09500")
    assert orders[1].placed_at - orders[0].placed_at == MINUTE
    assert orders[0].placed_at.utcoffset() == timedelta(0)
    events = [order_event(harness.platform.name, order) for order in orders]
    again = [order_event(harness.platform.name, order) for order in harness.platform.pending_orders(account)]
    assert events == again, "the same order read twice is the same event"
    assert parse_order(events[0]).order_id == buy.order_id
    harness.market.cancel_order(book.account_id, buy.order_id)
    assert [o.order_id for o in harness.platform.pending_orders(account)][:1] == [sell.order_id]


# ---- balance operations ----


def test_a_balance_operation_is_booked_once_per_reference(harness: PlatformHarness) -> None:
    account = opened(harness).ref
    first = harness.platform.adjust_balance(account, Decimal("-1500.00"), "payout:po_1", "payout po_1")
    again = harness.platform.adjust_balance(account, Decimal("-1500.00"), "payout:po_1", "payout po_1")
    assert first == again
    assert harness.platform.figures(account).balance == Decimal("98500.00")
    back = harness.platform.adjust_balance(
        account, Decimal("1500.00"), "payout:po_1:undo", "payout po_1 undone"
    )
    assert back != first
    assert harness.platform.figures(account).balance == Decimal("100000.00")


def test_our_balance_operations_read_back_as_ours_and_become_no_engine_event(
    harness: PlatformHarness,
) -> None:
    """A payout's withdrawal and its compensating deposit are recorded as engine events by the workflow that
    books them: the platform's copy, read back, must not count the money a second time."""
    account = opened(harness).ref
    start = harness.wall.now()
    harness.platform.adjust_balance(account, Decimal("-250.00"), "payout:po_2:withdrawal", "payout po_2")
    harness.wall.advance(MINUTE)
    harness.platform.adjust_balance(account, Decimal("250.00"), "payout:po_2:undo", "undo")
    balance = [d for d in harness.platform.deals(account, start, start + 2 * MINUTE) if d.kind == "balance"]
    assert [(d.profit, d.our_reference) for d in balance] == [
        (Decimal("-250.00"), "payout:po_2:withdrawal"),
        (Decimal("250.00"), "payout:po_2:undo"),
    ]
    assert deals_to_events(harness.platform.name, balance) == []


def test_a_brokers_own_balance_operations_become_deposits_and_withdrawals(harness: PlatformHarness) -> None:
    account = opened(harness).ref
    book = harness.book(account)
    start = harness.wall.now()
    harness.platform.adjust_balance(account, Decimal("-100.00"), "payout:po_4:withdrawal", "payout po_4")
    harness.wall.advance(MINUTE)
    harness.market.balance_operation(book.account_id, Decimal("500.00"), "broker bonus")
    harness.wall.advance(MINUTE)
    harness.market.balance_operation(book.account_id, Decimal("-50.00"), "broker correction")
    events = deals_to_events(
        harness.platform.name,
        [d for d in harness.platform.deals(account, start, start + 3 * MINUTE) if d.kind == "balance"],
    )
    assert [(e["type"], Decimal(e["amount"])) for e in events] == [
        ("deposit", Decimal(500)),
        ("withdrawal", Decimal(50)),
    ]
    assert all(e["event_id"].startswith(f"{harness.platform.name}:") for e in events)


@pytest.mark.parametrize("outcome", [503, "timeout"])
def test_a_balance_operation_whose_answer_was_lost_is_not_booked_twice(
    harness: PlatformHarness, outcome: int | str
) -> None:
    account = opened(harness).ref
    harness.fail_after_next_balance_operation(outcome)
    with contextlib.suppress(PlatformUnavailableError):  # allowed: the caller's retry finds it
        harness.platform.adjust_balance(account, Decimal("-100.00"), "payout:po_3", "payout po_3")
    harness.platform.adjust_balance(account, Decimal("-100.00"), "payout:po_3", "payout po_3")
    assert harness.platform.figures(account).balance == Decimal("99900.00")


# ---- failures ----


def test_a_refusal_is_rejected_at_once_and_an_outage_is_unavailable(harness: PlatformHarness) -> None:
    account = opened(harness).ref
    harness.fail_next(1, 400)
    with pytest.raises(PlatformRejectedError):
        harness.platform.figures(account)
    harness.fail_next(20, 503)
    with pytest.raises(PlatformUnavailableError):
        harness.platform.figures(account)


def test_a_refusal_is_not_retried(http_harness: PlatformHarness) -> None:
    account = opened(http_harness).ref
    http_harness.fail_next(1, 422)
    before = http_harness.requests_sent()
    with pytest.raises(PlatformRejectedError):
        http_harness.platform.figures(account)
    assert http_harness.requests_sent() == before + 1


def test_transient_failures_are_retried_with_backoff(http_harness: PlatformHarness) -> None:
    account = opened(http_harness).ref
    slept = len(http_harness.time.sleeps)
    http_harness.fail_next(2, 503)
    assert http_harness.platform.figures(account).balance == Decimal("100000")
    assert len(http_harness.time.sleeps) - slept >= 2


def test_a_429_is_retried_after_the_platforms_retry_after(http_harness: PlatformHarness) -> None:
    account = opened(http_harness).ref
    http_harness.limit_requests(2)
    for _ in range(3):
        http_harness.platform.figures(account)
    assert http_harness.answered_429() >= 1
    assert max(http_harness.time.sleeps) >= 1


def test_the_circuit_opens_while_the_platform_is_down_and_closes_when_it_is_back(
    http_harness: PlatformHarness,
) -> None:
    account = opened(http_harness).ref
    http_harness.set_down(True)
    for _ in range(CONTRACT_RESILIENCE.failure_threshold):
        with pytest.raises(PlatformUnavailableError):
            http_harness.platform.figures(account)
    sent = http_harness.requests_sent()
    with pytest.raises(PlatformUnavailableError, match="not calling it"):
        http_harness.platform.figures(account)
    assert http_harness.requests_sent() == sent  # failed fast: nothing sent
    http_harness.set_down(False)
    http_harness.time.now += CONTRACT_RESILIENCE.reset_timeout + 1
    assert http_harness.platform.figures(account).balance == Decimal("100000")


def test_an_unknown_account_is_a_refusal(harness: PlatformHarness) -> None:
    opened(harness)
    ghost = AccountRef(harness.platform.name, "999999999", "999999999", harness.group)
    with pytest.raises(PlatformRejectedError):
        harness.platform.figures(ghost)
