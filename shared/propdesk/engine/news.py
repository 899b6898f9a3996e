"""The program's news calendar: high-impact releases and the symbols they target.

Program key `news`: `[{"time": T, "symbols": ["EURUSD", "XAUUSD"], "title": "US NFP"}, ...]` (title optional).
The `news_blackout` rule turns each release into a window of minutes before and after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from propdesk.engine.errors import ProgramError
from propdesk.engine.reading import Reader


@dataclass(frozen=True, slots=True)
class NewsRelease:
    time: datetime
    symbols: frozenset[str]
    title: str


def read_news(read: Reader) -> tuple[NewsRelease, ...]:
    releases = []
    for index, item in enumerate(read.items("news", default_empty=True)):
        if not isinstance(item, Mapping):
            raise ProgramError(f"news[{index}]", "must be an object")
        entry = Reader(item, f"news[{index}]", ProgramError)
        releases.append(
            NewsRelease(
                time=entry.instant("time").astimezone(UTC),
                symbols=frozenset(entry.strings("symbols")),
                title=entry.string("title", default="a news release"),
            )
        )
    return tuple(sorted(releases, key=lambda release: release.time))


def news_to_list(releases: tuple[NewsRelease, ...]) -> list[dict[str, Any]]:
    return [
        {"time": release.time.isoformat(), "symbols": sorted(release.symbols), "title": release.title}
        for release in releases
    ]
