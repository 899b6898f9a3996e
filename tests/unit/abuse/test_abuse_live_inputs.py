"""What the live stream gives the latency and news detectors: the platform feed's quote that came with a
fill, and the news calendar of the programs the firm published, reloaded as it changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from propdesk.abuse.detection import AbuseInput
from propdesk.abuse.feeds import Quote, RefreshingCalendar, releases_of
from propdesk.abuse.firm_settings import AbuseSettings, build_monitor
from propdesk.abuse.state import MemoryState
from propdesk.engine.events import PositionClosed, PositionOpened
from propdesk.engine.news import NewsRelease
from propdesk.records import StoredEvent

NFP = datetime(2026, 3, 6, 13, 30, tzinfo=UTC)


def test_a_stored_fill_brings_its_price_and_the_feeds_quote_to_the_detectors() -> None:
    payload = {
        "type": "position_opened", "time": NFP.isoformat(), "position_id": "p1", "symbol": "EURUSD",
        "side": "buy", "volume": "1", "price": "1.0840", "feed_bid": "1.0846", "feed_ask": "1.0847",
    }  # fmt: skip
    item = AbuseInput.from_stored(StoredEvent("acc", "d1", NFP, "position_opened", payload))
    assert item.price == Decimal("1.0840") and item.quote == Quote(Decimal("1.0846"), Decimal("1.0847"))


def test_fills_better_than_the_platforms_own_feed_are_flagged_without_a_reference_feed() -> None:
    monitor = build_monitor(MemoryState(), AbuseSettings())
    quote = Quote(Decimal("1.0846"), Decimal("1.0847"))
    flags = []
    for number in range(6):
        at = NFP + timedelta(minutes=10 * number)
        opened = PositionOpened(at, f"p{number}", "EURUSD", "buy", Decimal(1), event_id=f"o{number}")
        flags += monitor.observe(opened, "acc", "t1", Decimal("1.0840"), quote)  # 6 pips below the ask
        closed = PositionClosed(at + timedelta(seconds=20), f"p{number}", Decimal(50), event_id=f"c{number}")
        flags += monitor.observe(closed, "acc", "t1", Decimal("1.0846"), quote)  # at the bid: not stale
    assert [flag.detector for flag in flags] == ["latency_arbitrage"]
    assert "reference bid 1.0846 / ask 1.0847" in (flags[0].evidence.trades[0][0].note or "")


def test_fills_without_a_quote_cost_the_latency_detector_nothing() -> None:
    state = MemoryState()
    monitor = build_monitor(state, AbuseSettings())
    monitor.observe(PositionOpened(NFP, "p1", "EURUSD", "buy", Decimal(1)), "acc", "t1", Decimal("1.08"))
    assert not [key for key in state.keys() if key.startswith("latency#")]  # noqa: SIM118 (a method)


def test_the_programs_news_lists_merge_into_one_calendar() -> None:
    documents = [
        {"news": [{"time": NFP.isoformat(), "symbols": ["EURUSD"], "title": "US NFP"}]},
        {"news": [{"time": NFP.isoformat(), "symbols": ["XAUUSD"], "title": "US NFP"}]},
        {"news": "not a list"},
        {},
    ]
    (release,) = releases_of(documents)
    assert release.symbols == frozenset({"EURUSD", "XAUUSD"}) and release.time == NFP


def test_the_calendar_reloads_after_its_ttl_and_keeps_the_last_one_when_a_reload_fails() -> None:
    moments = iter([0.0, 10.0, 400.0, 800.0])
    loads = [[NewsRelease(NFP, frozenset({"EURUSD"}), "US NFP")], RuntimeError("table down")]

    def load() -> list[NewsRelease]:
        found = loads.pop(0) if loads else []
        if isinstance(found, Exception):
            raise found
        return found

    calendar = RefreshingCalendar(load, 300.0, lambda: next(moments))
    window = (NFP - timedelta(minutes=5), NFP + timedelta(minutes=5))
    assert len(calendar.releases_between(*window)) == 1  # loaded
    assert len(calendar.releases_between(*window)) == 1  # cached
    assert len(calendar.releases_between(*window)) == 1  # the reload failed: kept
    assert len(calendar.releases_between(*window)) == 0  # reloaded: the release is gone


def test_opposite_positions_around_a_published_release_are_straddles_in_the_live_monitor() -> None:
    releases = [NFP + timedelta(days=day) for day in range(2)]
    calendar = RefreshingCalendar(
        lambda: [NewsRelease(at, frozenset({"EURUSD"}), "US data") for at in releases], 300.0, lambda: 0.0
    )
    monitor = build_monitor(MemoryState(), AbuseSettings(), calendar=calendar)
    flags = []
    for day, release in enumerate(releases):
        for side, offset in (("buy", -120), ("sell", -100)):
            opened = PositionOpened(
                release + timedelta(seconds=offset), f"{day}{side}", "EURUSD", side, Decimal(1)
            )
            flags += monitor.observe(opened, "acc", "t1", Decimal("1.08"))
    assert [flag.detector for flag in flags] == ["news_straddling"]


def test_two_accounts_events_with_one_platform_id_are_two_events_for_the_detectors() -> None:
    payload = {"type": "position_opened", "time": NFP.isoformat(), "position_id": "p1", "symbol": "EURUSD",
               "side": "buy", "volume": "1", "event_id": "deal-1"}  # fmt: skip
    first = AbuseInput.from_stored(StoredEvent("acc-a", "deal-1", NFP, "position_opened", payload))
    second = AbuseInput.from_stored(StoredEvent("acc-b", "deal-1", NFP, "position_opened", payload))
    assert first.event_id != second.event_id
