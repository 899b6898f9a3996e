"""The daily deep pass over the stream's state: identity links the stream stored (a card shared a month
ago) reach hedging's deep pass; the copy-trading rings it finds keep the stream's ids and are written back,
once, one transaction per ring, never over the stream's newer change."""

from __future__ import annotations

import itertools
from datetime import datetime

from propdesk.abuse.deep_pass import DeepPass, DeepState, ring_groups, stream_first
from propdesk.abuse.detection import AbuseDetection, AbuseInput, FlagRecorder
from propdesk.abuse.firm_settings import AbuseSettings, build_monitor
from propdesk.abuse.inputs import IdentitySignal
from propdesk.abuse.monitor import AbuseMonitor
from propdesk.abuse.session import StoredItem, Write
from propdesk.abuse.state import KeyedState, MemoryState
from propdesk.records import StoredEvent

from tests.doubles.abuse import EnforcementDoubles, InMemoryAbuseState, InMemoryFlagStore, InMemoryTraders
from tests.doubles.ports import ManualClock
from tests.unit.abuse.desk import DAY, at

OWNERS = {"a1": "t1", "a2": "t2", "a3": "t3"}


def monitor_of(state: KeyedState) -> AbuseMonitor:
    return build_monitor(state, AbuseSettings())


class Stored:
    """The stream's state and flags, and the stored fills a deep pass reads."""

    def __init__(self) -> None:
        self.state = InMemoryAbuseState()
        self.flags = InMemoryFlagStore()
        self.traders = InMemoryTraders(dict(OWNERS))
        self.clock = ManualClock(at(30 * DAY))
        self.enforcer = EnforcementDoubles().enforcer(self.traders, self.clock.now)
        ids = itertools.count(1)
        new_id = lambda: f"{next(ids)}"  # noqa: E731
        self.detection = AbuseDetection(
            self.state, self.flags, self.enforcer, monitor_of, self.traders, self.clock, new_id
        )
        self.fills: list[tuple[StoredEvent, str]] = []

    def signal(self, trader: str, kind: str, value: str, seconds: float) -> None:
        event = IdentitySignal(at(seconds), kind, value, "unknown", f"signal:{trader}:{kind}")  # type: ignore[arg-type]
        self.detection.on_event(AbuseInput(event, f"signal:{trader}:{kind}:{seconds}", "", trader))

    def fill(self, account: str, seconds: float, side: str, volume: str, symbol: str = "XAUUSD") -> None:
        number = len(self.fills)
        moment = at(seconds)
        payload = {
            "type": "position_opened", "time": moment.isoformat(), "position_id": f"{account}-{number}",
            "symbol": symbol, "side": side, "volume": volume, "price": "2000",
        }  # fmt: skip
        event = StoredEvent(account, f"mt:{account}-{number}", moment, "position_opened", payload,
                            f"{moment.timestamp():014.0f}-{number}")  # fmt: skip
        self.fills.append((event, OWNERS[account]))

    def events_between(self, start: datetime, end: datetime) -> list[tuple[StoredEvent, str]]:
        return [pair for pair in self.fills if start <= pair[0].time <= end]

    def deep_pass(self, shared: bool = True) -> DeepPass:
        recorder = FlagRecorder(self.flags, self.enforcer, self.clock, lambda: "id")
        return DeepPass(self, recorder, monitor_of, 7, self.state if shared else None)


def test_traders_linked_by_a_card_bought_a_month_ago_hedging_this_week_are_found_by_the_deep_pass() -> None:
    stored = Stored()
    stored.signal("t1", "card", "card-hash", 0)  # a month before the window
    stored.signal("t2", "card", "card-hash", 60)
    for day in (25, 26):
        stored.fill("a1", day * DAY, "buy", "1")
        stored.fill("a2", day * DAY + 40, "sell", "1")

    alone = stored.deep_pass(shared=False).run(at(30 * DAY))
    assert alone.flags == 0 and stored.flags.get("hedging:a1+a2") is None, "the window alone has no link"

    report = stored.deep_pass().run(at(30 * DAY))

    flag = stored.flags.get("hedging:a1+a2")
    assert flag is not None and flag.found_by == "deep"
    assert report.linked_traders == 2
    assert dict(flag.evidence.inputs)["link"] == "strength 1"
    assert [s.kind for s in flag.evidence.signals] == ["card"]


def stream_ring(stored: Stored, ring_id: str, members: dict[str, str]) -> None:
    until = at(60 * DAY).timestamp()
    ring = {"m": members, "e": {}, "sup": []}
    stored.state.items[f"copy#ring#{ring_id}"] = StoredItem(ring, until, 3)
    for account in members:
        stored.state.items[f"copy#ring-of#{account}"] = StoredItem({"r": ring_id}, until, 3)


def copier_at_twice_the_size(stored: Stored) -> None:
    for day in range(23, 29):
        stored.fill("a1", day * DAY, "sell", "1", "GBPUSD")
        stored.fill("a2", day * DAY + 4, "sell", "2", "GBPUSD")


def test_a_copier_the_deep_pass_finds_joins_the_streams_ring_which_is_written_back_once() -> None:
    stored = Stored()
    stream_ring(stored, "a1+a3", {"a1": "t1", "a3": "t3"})
    copier_at_twice_the_size(stored)

    report = stored.deep_pass().run(at(30 * DAY))

    flag = stored.flags.get("copy_trading:a1+a3")
    assert flag is not None and set(flag.accounts) == {"a1", "a2", "a3"}, "the stream's ring id, grown"
    assert stored.flags.get("copy_trading:a1+a2") is None, "no second flag for the same ring"
    assert report.rings_written == 1 and report.conflicts == 0
    assert set(stored.state.items["copy#ring#a1+a3"].value["m"]) == {"a1", "a2", "a3"}
    assert stored.state.items["copy#ring-of#a2"].value == {"r": "a1+a3"}
    assert not any(key.startswith(("book#", "copy#pair#", "hedge#")) for key in stored.state.items), (
        "the replay's own memory stays in memory"
    )

    again = stored.deep_pass().run(at(30 * DAY))

    assert again.flags == report.flags and again.rings_written == 0, "nothing changed: nothing written"


def test_a_ring_the_stream_changed_meanwhile_is_left_to_the_stream() -> None:
    stored = Stored()
    stream_ring(stored, "a1+a3", {"a1": "t1", "a3": "t3"})
    copier_at_twice_the_size(stored)
    stored.state.interfere.append("copy#ring#a1+a3")  # the stream grew the ring meanwhile

    report = stored.deep_pass().run(at(30 * DAY))

    assert report.conflicts == 1 and report.rings_written == 0
    assert "copy#ring-of#a2" not in stored.state.items
    assert stored.flags.get("copy_trading:a1+a3") is not None, "the flag is raised all the same"


def test_a_new_ring_found_only_by_the_deep_pass_is_written_for_the_stream() -> None:
    stored = Stored()
    copier_at_twice_the_size(stored)

    report = stored.deep_pass().run(at(30 * DAY))

    assert report.rings_written == 1
    assert stored.state.items["copy#ring-of#a1"].value == stored.state.items["copy#ring-of#a2"].value
    ring_id = stored.state.items["copy#ring-of#a1"].value["r"]
    assert stored.flags.get(f"copy_trading:{ring_id}") is not None


def test_the_deep_state_keeps_shared_keys_in_the_stream_session_and_the_rest_in_memory() -> None:
    memory, shared = MemoryState(), MemoryState()
    state = DeepState(memory, shared)
    moment = at(0)

    state.put("copy#ring#r1", {"m": {}}, at(DAY))
    state.put("book#a1", {"p": {}}, at(DAY))

    assert shared.keys() == ["copy#ring#r1"] and memory.keys() == ["book#a1"]
    assert state.get("copy#ring#r1", moment) == {"m": {}}


def test_writes_are_grouped_by_ring_with_the_rings_it_absorbed() -> None:
    writes = [
        Write("copy#ring-of#a1", {"r": "r1"}, 1.0, 1),
        Write("copy#ring#r2", None, None, 2),  # absorbed by r1
        Write("copy#ring#r1", {"m": {}, "e": {}, "sup": ["r2"]}, 1.0, 1),
        Write("copy#ring-of#b1", {"r": "r3"}, 1.0, 0),
        Write("copy#ring#r3", {"m": {}, "e": {}, "sup": []}, 1.0, None),
    ]

    groups = ring_groups(writes)

    assert [sorted(w.key for w in group) for group in groups] == [
        ["copy#ring#r1", "copy#ring#r2", "copy#ring-of#a1"],
        ["copy#ring#r3", "copy#ring-of#b1"],
    ]


def test_a_written_back_ring_keeps_the_streams_figures_for_the_pairs_it_has() -> None:
    stored = {"m": {"a1": "t1", "a3": "t3"}, "e": {"a1+a3": [9, 7.5]}, "sup": []}
    found = {
        "m": {"a1": "t1", "a2": "t2", "a3": "t3"},
        "e": {"a1+a3": [5, 4.0], "a1+a2": [6, 5.0]},
        "sup": [],
    }

    merged = stream_first(found, stored)

    assert merged is not None and merged["e"] == {"a1+a3": [9, 7.5], "a1+a2": [6, 5.0]}
    assert set(merged["m"]) == {"a1", "a2", "a3"}
    assert stream_first({**stored, "e": {"a1+a3": [5, 4.0]}}, stored) is None, "only fewer repeats: nothing"
    assert stream_first(found, None) == found
