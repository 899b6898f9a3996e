"""Public routes: the programs on sale and the leaderboards."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from propdesk.http.schemas.common import Money, Percent, QueryModel, ResponseModel

Period = Literal["day", "week", "month", "all"]


class AddOnOut(ResponseModel):
    add_on_id: str = Field(description="What to list in `add_ons` of `POST /v1/orders`.")
    description: str
    prices: dict[str, Money] = Field(description="Price by ISO currency code, bought with this program.")


class ProgramOut(ResponseModel):
    program_id: str
    name: str
    kind: str
    description: str
    version: int = Field(description="The version on sale; accounts stay pinned to the one they bought.")
    currency: str
    initial_balance: Money
    prices: dict[str, Money] = Field(description="Price by ISO currency code.")
    add_ons: list[AddOnOut] = Field(
        description="Options that can be bought with the program. Discount codes are not listed: the trader "
        "types one in."
    )


class ProgramList(ResponseModel):
    programs: list[ProgramOut]
    next_cursor: str | None


class ProgramVersionOut(ResponseModel):
    version: int
    published_at: datetime
    document: dict[str, Any] = Field(description="The rule pack (docs/rules.md).")


class ProgramDetail(ResponseModel):
    program: ProgramOut
    current_version: ProgramVersionOut


class LeaderboardQuery(QueryModel):
    period: Period = Field(default="all", description="Return over the current day, week, month or all time.")
    limit: int = Field(default=20, ge=1, le=100)


class LeaderboardEntry(ResponseModel):
    rank: int
    entry_id: str = Field(description="Stable opaque id of the entry (live `leaderboard.update` uses it).")
    display_name: str = Field(description="The trader's chosen display name; no personal data.")
    return_percent: Percent = Field(description="Closed profit over the period, as % of the initial balance.")
    profit: Money


class Leaderboard(ResponseModel):
    program_id: str
    period: Period
    period_key: str = Field(examples=["2026-11-25", "2026-W48", "2026-11", "all"])
    entries: list[LeaderboardEntry]
