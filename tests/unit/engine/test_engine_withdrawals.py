"""Withdrawals and deposits (issue 10): money leaves or comes back; it is never a trading loss or profit, and
the program says whether the loss floors move with it (`shift`, the default) or stay (`keep`)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from propdesk.engine import (
    AccountState,
    Deposit,
    Evaluation,
    Evaluator,
    EventError,
    Program,
    ProgramError,
    TradingEvent,
    Withdrawal,
    event_to_dict,
    parse_event,
)

from tests.unit.engine.engine_helpers import (
    closed,
    daily_loss,
    deposit,
    end,
    equity,
    max_loss,
    opened,
    program,
    run,
    target,
    withdrawal,
)

DAY = "2026-03-0{}T{}+00:00"  # Monday 2 March 2026 is day 2


def at(day: int, clock: str) -> str:
    return DAY.format(day, clock)


def floors(*rules: dict[str, Any], setting: str, events: list[TradingEvent]) -> Evaluation:
    return run(program(*rules, zone="UTC", withdrawals={"floors": setting}), events)


def grown_to_105k_then_withdrawn(amount: str = "4000") -> list[TradingEvent]:
    return [
        opened(at(2, "10:00:00"), "p1"),
        closed(at(2, "11:00:00"), "p1", "5000"),  # balance 105,000
        withdrawal(at(3, "12:00:00"), amount),
    ]


# ------------------------------------------------------------------------------------------------ the event


def test_withdrawals_and_deposits_parse_and_print_back() -> None:
    paid = parse_event(
        {"time": at(3, "12:00:00"), "type": "withdrawal", "amount": "1234.56", "payout_id": "po-1"}
    )
    assert isinstance(paid, Withdrawal) and (paid.amount, paid.payout_id) == (Decimal("1234.56"), "po-1")
    back = parse_event({"time": at(3, "13:00:00"), "type": "deposit", "amount": "1234.56", "event_id": "d1"})
    assert isinstance(back, Deposit) and back.payout_id is None
    for event in (paid, back):
        assert parse_event(event_to_dict(event)) == event


@pytest.mark.parametrize("amount", ["0", "-5", "1E+12", "0.000000001", 12.5])
def test_a_withdrawal_amount_must_be_positive_and_bounded(amount: object) -> None:
    with pytest.raises(EventError) as caught:
        parse_event({"time": at(3, "12:00:00"), "type": "withdrawal", "amount": amount})
    assert caught.value.field == "amount"


def test_balance_and_equity_fall_by_the_amount_and_rise_by_a_deposit() -> None:
    result = floors(max_loss(), setting="shift", events=grown_to_105k_then_withdrawn())
    assert (result.metrics.balance, result.metrics.equity) == (Decimal(101000), Decimal(101000))
    back = floors(
        max_loss(),
        setting="shift",
        events=[*grown_to_105k_then_withdrawn(), deposit(at(3, "13:00:00"), "4000")],
    )
    assert (back.metrics.balance, back.metrics.equity) == (Decimal(105000), Decimal(105000))


def test_a_withdrawal_larger_than_the_closed_balance_is_refused_before_any_change() -> None:
    evaluator = Evaluator(program(max_loss(), zone="UTC"))
    state = evaluator.start(datetime.fromisoformat(at(2, "10:00:00")))
    before = state.to_dict()
    with pytest.raises(EventError) as caught:
        evaluator.apply(state, withdrawal(at(2, "11:00:00"), "100000.01"))
    assert caught.value.field == "amount"
    assert state.to_dict() == before


def test_a_deposit_that_would_take_the_balance_out_of_bounds_is_refused() -> None:
    evaluator = Evaluator(program(max_loss(), zone="UTC"))
    state = evaluator.start(datetime.fromisoformat(at(2, "10:00:00")))
    with pytest.raises(EventError) as caught:
        evaluator.apply(state, deposit(at(2, "11:00:00"), "999999900000"))
    assert caught.value.field == "amount"


@pytest.mark.parametrize(
    ("setting", "field"),
    [
        ({"floors": "move"}, "withdrawals.floors"),
        ("shift", "withdrawals"),
        ({"floors": ""}, "withdrawals.floors"),
    ],
)
def test_the_program_setting_is_shift_or_keep(setting: object, field: str) -> None:
    with pytest.raises(ProgramError) as caught:
        Program.from_dict({"initial_balance": "100000", "rules": [], "withdrawals": setting})
    assert caught.value.field == field
    assert Program.from_dict({"initial_balance": "1", "rules": []}).withdrawal_floors == "shift"


# -------------------------------------------------------------------------------------- floors: shift, keep


def test_static_max_loss_shift_lowers_the_floor_by_the_amount_and_keep_leaves_it() -> None:
    events = [*grown_to_105k_then_withdrawn(), end(at(4, "12:00:00"))]  # and across a reset
    shifted = floors(max_loss(), setting="shift", events=events).metrics
    kept = floors(max_loss(), setting="keep", events=events).metrics
    # 90,000 - 4,000: the room stays 101,000 - 86,000 = 15,000, as it was at 105,000 - 90,000
    assert shifted.max_loss_floor == Decimal(86000)
    assert kept.max_loss_floor == Decimal(90000)  # the room shrinks to 11,000


def test_trailing_eod_max_loss_shift_lowers_the_floor_and_the_highest_eod_balance() -> None:
    rule = max_loss("trailing_eod", fixed="4000")
    events = [*grown_to_105k_then_withdrawn(), end(at(5, "12:00:00"))]  # the floor was 101,000 on day 3
    assert floors(rule, setting="shift", events=events).metrics.max_loss_floor == Decimal(97000)
    assert floors(rule, setting="keep", events=events).metrics.max_loss_floor == Decimal(101000)


def test_trailing_intraday_max_loss_with_a_lock_shift_lowers_the_floor_and_the_lock() -> None:
    rule = max_loss("trailing_intraday", lock="100", fixed="3000")  # Apex-like: locks at 100,100
    events = [
        opened(at(2, "10:00:00"), "p1"),
        equity(at(2, "10:30:00"), "104000"),  # peak 104,000: 101,000 capped at 100,100
        closed(at(2, "11:00:00"), "p1", "4000"),
        withdrawal(at(3, "12:00:00"), "2000"),  # balance 102,000
        end(at(4, "12:00:00")),
    ]
    shifted = floors(rule, setting="shift", events=events)
    kept = floors(rule, setting="keep", events=events)
    assert shifted.metrics.max_loss_floor == Decimal(98100)  # the lock at 100,100 - 2,000: room 3,900 kept
    assert kept.metrics.max_loss_floor == Decimal(100100)  # room 1,900


def test_under_keep_the_peak_is_not_lowered_so_trailing_resumes_only_above_the_old_high() -> None:
    rule = max_loss("trailing_intraday", fixed="3000")
    events = [
        opened(at(2, "10:00:00"), "p1"),
        equity(at(2, "10:30:00"), "104000"),  # floor 101,000
        closed(at(2, "11:00:00"), "p1", "4000"),
        withdrawal(at(2, "12:00:00"), "2000"),  # equity 102,000
        opened(at(2, "13:00:00"), "p2"),
        equity(at(2, "13:30:00"), "103500"),  # below the old peak: the floor does not move
    ]
    assert floors(rule, setting="keep", events=events).metrics.max_loss_floor == Decimal(101000)
    assert floors(rule, setting="shift", events=events).metrics.max_loss_floor == Decimal(100500)


@pytest.mark.parametrize(
    "basis", ["balance_at_reset", "max_balance_equity_at_reset", "equity_at_reset", "equity_peak_of_day"]
)
def test_a_daily_loss_base_is_lowered_by_the_amount_under_shift_only(basis: str) -> None:
    rule = daily_loss(basis)
    events = grown_to_105k_then_withdrawn()  # day 3's base 105,000, floor 100,000
    shifted = floors(rule, setting="shift", events=events).metrics
    kept = floors(rule, setting="keep", events=events).metrics
    assert shifted.daily_loss_floor == Decimal(96000)
    assert kept.daily_loss_floor == Decimal(100000)
    nextday = floors(rule, setting="keep", events=[*events, end(at(4, "12:00:00"))]).metrics
    assert nextday.daily_loss_floor == Decimal(96000)  # the next reset takes the lower balance either way


def test_a_withdrawal_never_breaches_by_itself_but_a_kept_floor_binds_the_next_reading() -> None:
    events = [
        *grown_to_105k_then_withdrawn("6000"),  # balance 99,000: under day 3's kept floor of 100,000
        opened(at(3, "13:00:00"), "p2"),
        equity(at(3, "13:30:00"), "99000"),
    ]
    evaluator = Evaluator(program(daily_loss(), zone="UTC", withdrawals={"floors": "keep"}))
    state = evaluator.start(events[0].time)
    outcomes = [evaluator.apply(state, event) for event in events]

    assert not outcomes[2].breaches  # the withdrawal itself
    assert [b.rule for b in outcomes[4].breaches] == ["daily_loss"]
    shifted = floors(daily_loss(), setting="shift", events=events)
    assert (shifted.status, shifted.breaches) == ("active", ())  # floor 94,000: the room is unchanged


# ------------------------------------------------------------------------------------- not a trading result


def test_a_withdrawal_is_not_a_trading_day_nor_a_days_loss_and_leaves_trading_profit_alone() -> None:
    prog = program(
        daily_loss(), {"type": "min_profitable_days", "days": 2}, zone="UTC", withdrawals={"floors": "keep"}
    )
    events = [*grown_to_105k_then_withdrawn(), end(at(4, "12:00:00"))]
    metrics = run(prog, events).metrics
    assert (metrics.trading_days, metrics.profitable_days) == (1, 1)
    assert (metrics.profit, metrics.best_day_profit) == (Decimal(5000), Decimal(5000))


def test_the_profit_target_counts_trading_profit_across_a_withdrawal() -> None:
    events = [
        opened(at(2, "10:00:00"), "p1"),
        closed(at(2, "11:00:00"), "p1", "6000"),
        withdrawal(at(3, "09:00:00"), "6000"),  # the balance is back at 100,000
        opened(at(3, "10:00:00"), "p2"),
        closed(at(3, "11:00:00"), "p2", "4000"),
    ]
    result = floors(target(), setting="shift", events=events)
    assert (result.status, result.metrics.balance, result.metrics.profit) == (
        "passed",
        Decimal(104000),
        Decimal(10000),
    )


def test_profit_since_the_last_withdrawal_never_counts_the_same_profit_twice() -> None:
    events = [
        opened(at(2, "10:00:00"), "p1"),
        closed(at(2, "11:00:00"), "p1", "5000"),
        withdrawal(at(3, "09:00:00"), "4000", payout_id="po-1"),
        opened(at(3, "10:00:00"), "p2"),
        closed(at(3, "11:00:00"), "p2", "1000"),
    ]
    metrics = floors(max_loss(), setting="shift", events=events).metrics
    assert (metrics.withdrawn_total, metrics.profit_since_last_withdrawal) == (Decimal(4000), Decimal(1000))
    assert metrics.profit == Decimal(6000)
    assert floors(max_loss(), setting="shift", events=events[:3]).metrics.profit_since_last_withdrawal == 0

    failed_payout_compensated = [*events, deposit(at(3, "12:00:00"), "4000", payout_id="po-1")]
    metrics = floors(max_loss(), setting="shift", events=failed_payout_compensated).metrics
    assert (metrics.withdrawn_total, metrics.profit_since_last_withdrawal) == (0, Decimal(5000))
    assert metrics.profit == Decimal(6000)
    printed = floors(max_loss(), setting="shift", events=events).to_dict()["metrics"]
    assert (printed["withdrawn_total"], printed["profit_since_last_withdrawal"]) == ("4000.00", "1000.00")


def test_money_still_moves_after_the_account_failed() -> None:
    events = [
        opened(at(2, "10:00:00"), "p1"),
        equity(at(2, "10:30:00"), "94000"),
        closed(at(2, "11:00:00"), "p1", "-6000"),
        deposit(at(2, "12:00:00"), "6000"),
    ]
    result = floors(daily_loss(), setting="shift", events=events)
    assert (result.status, result.metrics.balance, result.metrics.withdrawn_total) == (
        "failed",
        Decimal(100000),
        Decimal(-6000),
    )


def test_a_state_stored_before_withdrawals_restores_with_none() -> None:
    evaluator = Evaluator(program(max_loss(), zone="UTC"))
    state = evaluator.start(datetime.fromisoformat(at(2, "10:00:00")))
    old = {
        k: v for k, v in state.to_dict().items() if k not in ("withdrawn", "floor_shift", "withdrawal_base")
    }
    restored = AccountState.from_dict(old)
    assert (restored.withdrawn, restored.floor_shift, restored.withdrawal_base) == (0, 0, Decimal(100000))
    evaluator.apply(restored, withdrawal(at(2, "11:00:00"), "10"))
    assert json.loads(json.dumps(restored.to_dict()))["withdrawn"] == "10"


# ------------------------------------------------------------------------------------------------ properties

START = datetime.fromisoformat("2026-03-27T08:00:00+01:00")  # Prague's DST change falls inside
step = st.tuples(
    st.integers(min_value=0, max_value=2000),  # minutes since the previous event
    st.sampled_from(["open", "open", "close", "close", "close", "equity", "withdraw", "withdraw", "deposit"]),
    st.integers(min_value=-200_000, max_value=400_000).map(lambda n: Decimal(n) / 100),
    st.integers(min_value=1, max_value=100),  # the share of the withdrawable profit taken, in percent
)


@st.composite
def with_and_without_money_moves(draw: st.DrawFn) -> tuple[list[TradingEvent], list[TradingEvent]]:
    """The same trading history twice: with withdrawals and deposits (the equity readings lower by the money
    out, as a platform reports them), and without them."""
    moment, balance, base, out = START, Decimal(100000), Decimal(100000), Decimal(0)
    open_ids: list[str] = []
    withdrawn: list[Decimal] = []
    moving: list[TradingEvent] = []
    plain: list[TradingEvent] = []
    for number, (minutes, action, amount, share) in enumerate(draw(st.lists(step, min_size=10, max_size=60))):
        moment += timedelta(minutes=minutes)
        time = moment.isoformat()
        if action == "withdraw":
            since = balance - base
            if since > 0:
                taken = (since * share / 100).quantize(Decimal("0.01"))
                if taken > 0:
                    moving.append(withdrawal(time, str(taken)))
                    balance -= taken
                    base = balance
                    out += taken
                    withdrawn.append(taken)
            continue
        if action == "deposit":
            if withdrawn:
                back = withdrawn.pop()
                moving.append(deposit(time, str(back)))
                balance += back
                out -= back
            continue
        if action == "open" or (action == "close" and not open_ids):
            open_ids.append(f"p{number}")
            both = [opened(time, open_ids[-1])] * 2
        elif action == "close":
            pid = open_ids.pop(0)
            both = [closed(time, pid, str(amount))] * 2
            balance += amount
        else:
            reading = balance + out + amount  # what the equity would be without the money moves
            both = [equity(time, str(reading - out)), equity(time, str(reading))]
        moving.append(both[0])
        plain.append(both[1])
    return moving, plain


TRADING_MEASURES = ("profit", "best_day_profit", "profitable_days", "trading_days", "excluded_profit")
SHIFT_INVARIANT_RULES = [
    daily_loss("balance_at_reset", "flag"),
    daily_loss("max_balance_equity_at_reset", "pause", fixed="2500"),
    daily_loss("equity_peak_of_day", "flag"),
    daily_loss("equity_at_reset"),
    max_loss("static"),
    max_loss("trailing_eod", lock="0", fixed="4000"),
    max_loss("trailing_intraday", lock="100", fixed="3000"),
    target(percent_of_initial="8"),
    {"type": "consistency", "max_best_day_percent": "50"},
    {"type": "max_trade_loss", "amount": {"fixed": "2500"}, "effect": "flag"},
]


def replay(
    prog: Program, events: list[TradingEvent], until: datetime
) -> tuple[Evaluator, AccountState, list[Any]]:
    """Apply `events`, then move the clock to `until` (both histories end at the same instant)."""
    evaluator = Evaluator(prog)
    state = evaluator.start(START)
    checks = []
    for event in events:
        evaluator.apply(state, event)
        if isinstance(event, Withdrawal):
            metrics = evaluator.metrics(state)
            checks.append((metrics.withdrawn_total, metrics.profit))
    evaluator.advance_to(state, until)
    return evaluator, state, checks


def last_instant(*histories: list[TradingEvent]) -> datetime:
    return max((history[-1].time for history in histories if history), default=START)


@settings(max_examples=200, deadline=None)
@given(with_and_without_money_moves(), st.sampled_from(["shift", "keep"]))
def test_withdrawals_never_take_more_than_the_trading_profit_and_never_change_it(
    histories: tuple[list[TradingEvent], list[TradingEvent]], setting: str
) -> None:
    moving, plain = histories
    rules = [rule for rule in SHIFT_INVARIANT_RULES if rule.get("effect") in ("flag", "pause")]
    prog = Program.from_dict({"initial_balance": "100000", "timezone": "Europe/Prague", "rules": rules,
                              "withdrawals": {"floors": setting}})  # fmt: skip
    until = last_instant(moving, plain)
    evaluator, state, checks = replay(prog, moving, until)
    _, plain_state, _ = replay(prog, plain, until)

    for withdrawn_total, trading_profit in checks:  # each withdrawal took only profit not yet withdrawn
        assert withdrawn_total <= trading_profit
    with_moves, without = evaluator.metrics(state), evaluator.metrics(plain_state)
    for measure in TRADING_MEASURES:
        assert getattr(with_moves, measure) == getattr(without, measure), measure


@settings(max_examples=200, deadline=None)
@given(
    with_and_without_money_moves(),
    st.lists(st.sampled_from(SHIFT_INVARIANT_RULES), min_size=1, unique_by=str),
)
def test_under_shift_withdrawals_change_no_verdict(
    histories: tuple[list[TradingEvent], list[TradingEvent]], rules: list[dict[str, Any]]
) -> None:
    moving, plain = histories
    prog = Program.from_dict({"initial_balance": "100000", "timezone": "Europe/Prague", "rules": rules})
    until = last_instant(moving, plain)
    evaluator, state, _ = replay(prog, moving, until)
    _, plain_state, _ = replay(prog, plain, until)

    def verdict(result: Evaluation) -> tuple[Any, ...]:
        breaches = [(b.rule, b.rule_index, b.time, b.effect, b.trigger) for b in result.breaches]
        return result.status, breaches, result.metrics.paused_until, result.metrics.pass_blockers

    assert verdict(evaluator.result(state)) == verdict(evaluator.result(plain_state))
