"""Leaderboards: accounts of a program ranked by closed return over a period (day, week, month, all time).

A period's return is (balance now - balance at the period's start) / initial balance. The balance at the start
is the balance just before the account's first balance change in the period (it did not move before that), so
the stream's old image gives it exactly. Periods are UTC calendar periods (ISO weeks).

Each board is split over `SHARDS` partitions by a stable hash of the account id, so that a busy program's
updates spread out (no hot partition); reading the top N asks every shard for its top N and merges.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Literal

from propdesk.money import HUNDRED
from propdesk.records import LeaderboardStanding

Period = Literal["day", "week", "month", "all"]
PERIODS: tuple[Period, ...] = ("day", "week", "month", "all")
SHARDS = 8
# Keep a board a while after its period ends (yesterday's board stays readable), then let TTL remove it.
KEPT_FOR: dict[Period, timedelta | None] = {
    "day": timedelta(days=8),
    "week": timedelta(days=36),
    "month": timedelta(days=400),
    "all": None,
}
RETURN_PLACES = Decimal("0.0001")
# Sortable returns: shifted to be positive, fixed width (returns from -100% to +10,000,000%).
RETURN_OFFSET = Decimal(1_000_000_000)
RETURN_WIDTH = 20


def entry_id(account_id: str) -> str:
    """A board entry's stable, opaque id: clients merge live moves into a board without seeing account ids."""
    return hashlib.sha256(f"leaderboard-entry:{account_id}".encode()).hexdigest()[:16]


def period_key(period: Period, moment: datetime) -> str:
    day = moment.astimezone(UTC).date()
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{day.year}-{day.month:02d}"
    return "all"


def shard_of(account_id: str) -> int:
    return int.from_bytes(hashlib.sha256(account_id.encode()).digest()[:4], "big") % SHARDS


def return_percent(standing: LeaderboardStanding) -> Decimal:
    if standing.initial_balance <= 0:
        return Decimal(0)
    return (standing.profit * HUNDRED / standing.initial_balance).quantize(RETURN_PLACES)


def sortable_return(percent: Decimal) -> str:
    shifted = ((percent + RETURN_OFFSET) * 10_000).to_integral_value()
    return f"{max(int(shifted), 0):0{RETURN_WIDTH}d}"


def expires_at(period: Period, moment: datetime) -> datetime | None:
    kept = KEPT_FOR[period]
    return None if kept is None else moment + kept


def ranked(standings: Iterable[LeaderboardStanding], limit: int) -> list[LeaderboardStanding]:
    """Best return first; ties by profit, then account id (a stable order)."""
    return sorted(standings, key=lambda s: (-return_percent(s), -s.profit, s.account_id))[:limit]
