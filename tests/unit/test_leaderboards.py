"""Leaderboard arithmetic: period keys, returns that sort as strings, ranking and shard spread."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from propdesk.leaderboards import (
    SHARDS,
    period_key,
    ranked,
    return_percent,
    shard_of,
    sortable_return,
)
from propdesk.records import LeaderboardStanding

MOMENT = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)


def standing(account_id: str, start: str, balance: str) -> LeaderboardStanding:
    return LeaderboardStanding(
        program_id="p", period_key="all", account_id=account_id, display_name=account_id.upper(),
        initial_balance=Decimal("100000"), start_balance=Decimal(start), balance=Decimal(balance),
    )  # fmt: skip


def test_money_moved_in_or_out_is_no_gain_of_the_period() -> None:
    grown = LeaderboardStanding(
        program_id="p", period_key="2026-11-25", account_id="a", display_name="A",
        initial_balance=Decimal("110000"), start_balance=Decimal("101000"), balance=Decimal("110700"),
        start_funding=Decimal("100000"), funding=Decimal("109200"),  # grown by 10,000, 800 withdrawn
    )  # fmt: skip

    assert grown.profit == Decimal("500")  # the balance's 9,700 less the 9,200 that moved in
    assert standing("b", "100000", "101000").profit == Decimal("1000")  # kept before funding was


def test_period_keys_are_utc_calendar_periods() -> None:
    assert [period_key(p, MOMENT) for p in ("day", "week", "month", "all")] == [
        "2026-11-25", "2026-W48", "2026-11", "all"
    ]  # fmt: skip


def test_return_is_the_periods_profit_over_the_initial_balance() -> None:
    assert return_percent(standing("a", "102000", "105500")) == Decimal("3.5000")
    assert return_percent(standing("b", "100000", "96000")) == Decimal("-4.0000")


@given(
    st.decimals(min_value=-100, max_value=10_000_000, places=4, allow_nan=False),
    st.decimals(min_value=-100, max_value=10_000_000, places=4, allow_nan=False),
)
def test_sortable_returns_sort_as_strings_in_the_order_of_the_numbers(a: Decimal, b: Decimal) -> None:
    assert (sortable_return(a) < sortable_return(b)) == (a < b)


def test_ranking_is_by_return_then_profit_then_account() -> None:
    board = [standing("c", "100000", "101000"), standing("a", "100000", "104000"),
             standing("b", "100000", "101000")]  # fmt: skip

    assert [s.account_id for s in ranked(board, limit=3)] == ["a", "b", "c"]
    assert [s.account_id for s in ranked(board, limit=1)] == ["a"]


def test_accounts_spread_over_every_shard() -> None:
    counts = Counter(shard_of(f"acc-{n}") for n in range(4000))

    assert set(counts) == set(range(SHARDS))
    assert max(counts.values()) < 1.2 * 4000 / SHARDS
