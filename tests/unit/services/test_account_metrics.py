"""Live metrics as a trader's dashboard shows them: floors and allowances, the next day boundary in UTC and
in the trader's zone, target progress, trading days, consistency, and the reset preview."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from propdesk.engine import Evaluator, Program, parse_event
from propdesk.http.schemas.accounts import Metrics
from propdesk.http.views import metrics_view
from propdesk.records import Account, RiskSnapshot
from propdesk.services.account_metrics import live_metrics

OPENED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PROGRAM = {
    "name": "test 100K",
    "currency": "USD",
    "initial_balance": "100000",
    "timezone": "Europe/Prague",
    "day_starts_at": "00:00",
    "rules": [
        {"type": "daily_loss", "basis": "balance_at_reset", "amount": {"percent_of_initial": "5"}},
        {"type": "max_loss", "mode": "static", "amount": {"percent_of_initial": "10"}},
        {"type": "profit_target", "amount": {"percent_of_initial": "10"}},
        {"type": "min_trading_days", "days": 4},
        {"type": "consistency", "max_best_day_percent": "40"},
    ],
}
NEW_YORK = ZoneInfo("America/New_York")


def account() -> Account:
    return Account(
        account_id="acc-1", trader_id="t-1", program_id="test", program_version=1, status="active",
        currency="USD", initial_balance=Decimal("100000"), timezone="Europe/Prague", day_starts_at="00:00",
        opened_at=OPENED,
    )  # fmt: skip


def snapshot_after(evaluator: Evaluator, events: list[dict[str, Any]]) -> RiskSnapshot:
    state = evaluator.start(OPENED)
    evaluator.apply_all(state, [parse_event(event) for event in events])
    return RiskSnapshot(
        account_id="acc-1", version=1, state=state.to_dict(), evaluation={}, last_event_sk=None,
        applied_events=len(events), evaluated_until=state.clock,
    )  # fmt: skip


def metrics_at(now: datetime, events: list[dict[str, Any]], zone: ZoneInfo = NEW_YORK) -> Metrics:
    evaluator = Evaluator(Program.from_dict(PROGRAM))
    return metrics_view(live_metrics(account(), evaluator, snapshot_after(evaluator, events), now), zone)


WINNING_DAY = [
    {"time": "2026-03-02T09:00:00+00:00", "type": "position_opened", "position_id": "p1", "symbol": "EURUSD",
     "side": "buy", "volume": "1"},
    {"time": "2026-03-02T10:00:00+00:00", "type": "position_closed", "position_id": "p1", "profit": "3000"},
    {"time": "2026-03-02T10:30:00+00:00", "type": "position_opened", "position_id": "p2", "symbol": "XAUUSD",
     "side": "sell", "volume": "2"},
]  # fmt: skip


def test_floors_and_what_remains_of_each_allowance() -> None:
    metrics = metrics_at(
        datetime(2026, 3, 2, 12, tzinfo=UTC),
        [*WINNING_DAY, {"time": "2026-03-02T11:00:00+00:00", "type": "equity", "equity": "101500"}],
    )

    assert (metrics.balance, metrics.equity, metrics.profit) == ("103000.00", "101500.00", "3000.00")
    assert metrics.daily_loss is not None and metrics.max_loss is not None
    assert (metrics.daily_loss.floor, metrics.daily_loss.remaining) == ("95000.00", "6500.00")
    assert metrics.daily_loss.used_percent == "0.00"  # in profit on the day's base: nothing used
    assert (metrics.max_loss.floor, metrics.max_loss.remaining) == ("90000.00", "11500.00")
    assert metrics.open_positions == 1


def test_the_next_day_boundary_in_utc_the_programs_zone_and_the_traders() -> None:
    boundary = metrics_at(datetime(2026, 3, 2, 12, tzinfo=UTC), WINNING_DAY).next_day_boundary

    assert boundary.utc == datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # midnight in Prague (UTC+1 in March)
    assert boundary.program_time.isoformat() == "2026-03-03T00:00:00+01:00"
    assert boundary.trader_time.isoformat() == "2026-03-02T18:00:00-05:00"
    assert boundary.trader_timezone == "America/New_York"


def test_target_progress_trading_days_and_consistency_with_the_numbers() -> None:
    metrics = metrics_at(datetime(2026, 3, 2, 12, tzinfo=UTC), WINNING_DAY)

    assert metrics.profit_target is not None and metrics.consistency is not None
    assert metrics.profit_target.model_dump() == {
        "target": "10000.00", "profit": "3000.00", "remaining": "7000.00", "progress_percent": "30.00"
    }  # fmt: skip
    assert (metrics.trading_days.count, metrics.trading_days.required) == (1, 4)
    assert metrics.consistency.ok is False
    assert metrics.consistency.best_day_allowed == "1200.00"  # 40% of 3,000 total
    assert metrics.consistency.profit_needed == "4500.00"  # 3,000 is 40% of 7,500
    assert any("trading days" in blocker for blocker in metrics.pass_blockers)


def test_a_day_the_reset_has_not_processed_yet_is_shown_as_the_new_day() -> None:
    metrics = metrics_at(datetime(2026, 3, 3, 10, tzinfo=UTC), WINNING_DAY)

    assert metrics.as_of == datetime(2026, 3, 3, 10, tzinfo=UTC)
    assert metrics.next_day_boundary.utc == datetime(2026, 3, 3, 23, 0, tzinfo=UTC)
    assert metrics.daily_loss is not None
    assert metrics.daily_loss.floor == "98000.00"  # the new day's base is the 103,000 balance


def test_safe_now_but_breached_at_the_reset_is_announced() -> None:
    floating_loss = {"time": "2026-03-02T11:00:00+00:00", "type": "equity", "equity": "97500"}

    metrics = metrics_at(datetime(2026, 3, 2, 12, tzinfo=UTC), [*WINNING_DAY, floating_loss])

    assert metrics.status == "active"
    assert metrics.daily_loss is not None and metrics.daily_loss.remaining == "2500.00"
    assert metrics.next_reset.safe is False
    assert [breach.rule for breach in metrics.next_reset.breaches] == ["daily_loss"]


def test_an_account_without_trades_yet_has_its_starting_figures() -> None:
    evaluator = Evaluator(Program.from_dict(PROGRAM))

    live = live_metrics(account(), evaluator, None, datetime(2026, 3, 2, 9, tzinfo=UTC))
    metrics = metrics_view(live, ZoneInfo("Europe/Prague"))

    assert (metrics.balance, metrics.equity, metrics.status) == ("100000.00", "100000.00", "active")
    assert metrics.next_reset.safe is True
