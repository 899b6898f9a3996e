"""The stream consumer's use case with in-memory doubles: once per event, one writer per item, flags stored
with their evidence, payouts held while a flag is open, the firm's automatic enforcement, the review queue."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from propdesk.abuse.codec import flag_from_dict
from propdesk.abuse.decisions import Decision, DecisionRefusedError
from propdesk.abuse.deep_pass import DeepPass
from propdesk.abuse.detection import AbuseDetection, AbuseInput, FlagRecorder, UnknownAccountError
from propdesk.abuse.firm_settings import AbuseSettings, AbuseSettingsError, build_monitor, parse_settings
from propdesk.abuse.review import DecideFlag, FlagNotFoundError, FlagReview
from propdesk.abuse.state import KeyedState
from propdesk.abuse.store import FlagQuery, StateConflictError
from propdesk.access import OwnAccountError
from propdesk.engine.events import PositionOpened
from propdesk.records import StoredEvent

from tests.doubles.abuse import EnforcementDoubles, InMemoryAbuseState, InMemoryFlagStore, InMemoryTraders
from tests.doubles.ports import ManualClock
from tests.unit.abuse.desk import DAY, MONDAY, at


class World:
    def __init__(self, settings: AbuseSettings | None = None) -> None:
        self.state = InMemoryAbuseState()
        self.flags = InMemoryFlagStore()
        self.effects = EnforcementDoubles()
        self.holds = self.effects.holds
        self.control = self.effects.control
        self.traders = InMemoryTraders({"a1": "t1", "a2": "t2", "a3": "t3"})
        self.clock = ManualClock(MONDAY)
        ids = itertools.count(1)
        new_id = lambda: f"id-{next(ids)}"  # noqa: E731
        self.enforcer = self.effects.enforcer(self.traders, self.clock.now)
        chosen = settings or AbuseSettings()

        def monitor_of(state: KeyedState):  # type: ignore[no-untyped-def]
            return build_monitor(state, chosen)

        self.detection = AbuseDetection(
            self.state, self.flags, self.enforcer, monitor_of, self.traders, self.clock, new_id
        )
        self.review = FlagReview(self.flags, self.enforcer, new_id)
        self.positions = 0

    def open(self, account: str, seconds: float, volume: str = "1") -> AbuseInput:
        self.positions += 1
        position = f"{account}-p{self.positions}"
        event = PositionOpened(
            at(seconds), position, "EURUSD", "buy", Decimal(volume), event_id=f"mt:{position}"
        )
        item = AbuseInput(event, f"mt:{position}", account, None, Decimal("1.0850"))
        self.detection.on_event(item)
        return item

    def copy_pair(self, repeats: int = 5) -> None:
        for number in range(repeats):
            self.open("a1", number * DAY)
            self.open("a2", number * DAY + 3)


def test_a_planted_copy_pair_raises_one_flag_with_its_evidence_and_holds_both_accounts_payouts() -> None:
    world = World()
    world.copy_pair()

    flag = world.flags.get("copy_trading:a1+a2")
    assert flag is not None and flag.is_open
    assert flag.accounts == ("a1", "a2") and flag.traders == ("t1", "t2")
    assert flag.evidence.trades, "the matched openings side by side"
    assert [h.reference for h in world.holds.holds_on("a1")] == ["copy_trading:a1+a2"]
    assert [h.source for h in world.holds.holds_on("a2")] == ["abuse"]
    assert world.flags.detections(flag.flag_id)[0].flag_id == flag.flag_id


def test_a_redelivered_event_is_applied_once() -> None:
    world = World()
    item = world.open("a1", 0)
    writes = world.state.commits

    report = world.detection.on_event(item)

    assert report.duplicate and world.state.commits == writes


def test_a_session_that_read_an_item_another_writer_changed_is_run_again_on_fresh_reads() -> None:
    world = World()
    world.open("a1", 0)
    world.state.interfere.append("book#a1")

    event = PositionOpened(at(10), "a1-x", "EURUSD", "buy", Decimal("1"), event_id="mt:a1-x")
    report = world.detection.on_event(AbuseInput(event, "mt:a1-x", "a1"))

    assert report.attempts == 2 and world.state.conflicts == 1
    book = world.state.items["book#a1"].value["p"]
    assert set(book) == {"a1-p1", "a1-x"}, "no update lost"


def test_a_session_that_keeps_conflicting_fails_the_record_without_writing() -> None:
    world = World()
    world.open("a1", 0)

    class AlwaysBusy(InMemoryAbuseState):
        def commit(self, session, event_id, now):  # type: ignore[no-untyped-def]
            raise StateConflictError("book#a1")

    world.detection._state = AlwaysBusy(items=dict(world.state.items))  # type: ignore[attr-defined]
    event = PositionOpened(at(10), "a1-y", "EURUSD", "buy", Decimal("1"), event_id="mt:a1-y")
    with pytest.raises(StateConflictError):
        world.detection.on_event(AbuseInput(event, "mt:a1-y", "a1"))


def test_an_event_of_an_unknown_account_is_a_failed_record() -> None:
    world = World()
    event = PositionOpened(at(0), "z", "EURUSD", "buy", Decimal("1"), event_id="mt:z")
    with pytest.raises(UnknownAccountError):
        world.detection.on_event(AbuseInput(event, "mt:z", "ghost"))


def test_a_stored_trading_event_carries_its_fill_price_to_the_detectors() -> None:
    stored = StoredEvent(
        account_id="a1",
        event_id="mt:9",
        time=MONDAY,
        type="position_opened",
        payload={
            "type": "position_opened", "time": MONDAY.isoformat(), "position_id": "9", "symbol": "EURUSD",
            "side": "buy", "volume": "1", "price": "1.0851", "open_price": "1.0851",
        },
    )  # fmt: skip
    item = AbuseInput.from_stored(stored)
    assert item.price == Decimal("1.0851") and item.event.event_id == "mt:9" and item.account_id == "a1"


def test_a_dismissal_is_audited_and_lifts_the_holds_and_a_second_decision_is_refused() -> None:
    world = World()
    world.copy_pair()

    outcome = world.review.decide(
        DecideFlag(
            "copy_trading:a1+a2", Decision.DISMISS, "friends, same course", "staff-1", ("risk",), MONDAY
        )
    )

    assert outcome.flag.status == "dismissed"
    assert world.holds.holds_on("a1") == [] and world.holds.holds_on("a2") == []
    assert world.flags.audit[-1].subject == "FLAG#copy_trading:a1+a2"
    assert world.flags.audit[-1].actor == "staff-1"
    with pytest.raises(DecisionRefusedError):
        world.review.decide(
            DecideFlag("copy_trading:a1+a2", Decision.WARN, "again", "staff-2", ("risk",), MONDAY)
        )


def test_failing_the_accounts_requests_their_disabling_and_keeps_the_holds() -> None:
    world = World()
    world.copy_pair()

    world.review.decide(
        DecideFlag(
            "copy_trading:a1+a2", Decision.FAIL_ACCOUNTS, "a signal ring", "staff-1", ("risk",), MONDAY
        )
    )

    assert sorted(world.control.disabled) == [("a1", "abuse"), ("a2", "abuse")]
    assert len(world.holds.holds_on("a1")) == 1


def test_a_decision_on_an_unknown_flag_is_not_found() -> None:
    with pytest.raises(FlagNotFoundError):
        World().review.detail("copy_trading:nope")


def test_a_dismissed_flag_stays_dismissed_while_the_pair_repeats_no_graver() -> None:
    world = World()
    world.copy_pair(5)
    world.review.decide(
        DecideFlag("copy_trading:a1+a2", Decision.DISMISS, "known", "staff-1", ("risk",), MONDAY)
    )
    world.open("a1", 5 * DAY)  # a sixth repeat: not graver (the repeats did not double)
    world.open("a2", 5 * DAY + 3)
    flag = world.flags.get("copy_trading:a1+a2")
    assert flag is not None and flag.status == "dismissed"
    assert world.holds.holds_on("a1") == []


def test_automatic_enforcement_where_the_firm_turned_it_on_decides_at_once_and_is_audited() -> None:
    settings = parse_settings(
        "copy_trading.min_repeats=3,copy_trading.min_score=3", "copy_trading=deny_payout:low"
    )
    world = World(settings)
    world.copy_pair(3)

    flag = world.flags.get("copy_trading:a1+a2")
    assert flag is not None and flag.status == "payout_denied"
    assert world.flags.audit[-1].actor == "system:abuse_detect"
    assert len(world.holds.holds_on("a1")) == 1


def test_the_queue_filters_by_detector_account_trader_and_status() -> None:
    world = World()
    world.copy_pair()

    def ids(query: FlagQuery) -> list[str]:
        return [flag.flag_id for flag in world.review.queue(query).items]

    assert ids(FlagQuery(status="open")) == ["copy_trading:a1+a2"]
    assert ids(FlagQuery(detector="copy_trading", account_id="a2")) == ["copy_trading:a1+a2"]
    assert ids(FlagQuery(trader_id="t3")) == []
    assert ids(FlagQuery(status="dismissed")) == []


def test_a_stored_flag_reads_back_exactly() -> None:
    world = World()
    world.copy_pair()
    flag = world.flags.get("copy_trading:a1+a2")
    assert flag is not None
    assert flag_from_dict(flag.to_dict()) == flag


def test_the_firm_thresholds_and_enforcement_are_read_and_typos_refused() -> None:
    settings = parse_settings("scalping.short_hold=30,copy_trading.min_share=0.5", "hedging=fail_accounts")
    assert settings.of("scalping").short_hold == timedelta(seconds=30)
    assert settings.of("copy_trading").min_share == Decimal("0.5")
    assert settings.of("hedging").enforcement.automatic is Decision.FAIL_ACCOUNTS
    for thresholds, enforcement in (("copy.min_repeats=2", ""), ("scalping.nope=1", ""), ("", "hedging=ban")):
        with pytest.raises(AbuseSettingsError):
            parse_settings(thresholds, enforcement)


class ListWindow:
    def __init__(self, events: list[tuple[StoredEvent, str]]) -> None:
        self.events = events
        self.asked: list[tuple[datetime, datetime]] = []

    def events_between(self, start: datetime, end: datetime) -> list[tuple[StoredEvent, str]]:
        self.asked.append((start, end))
        return [pair for pair in self.events if start <= pair[0].time <= end]


def stored_opening(account: str, number: int, seconds: float, volume: str) -> StoredEvent:
    moment = at(seconds)
    payload = {
        "type": "position_opened", "time": moment.isoformat(), "position_id": f"{account}-{number}",
        "symbol": "GBPUSD", "side": "sell", "volume": volume, "price": "1.27",
    }  # fmt: skip
    return StoredEvent(
        account, f"mt:{account}-{number}", moment, "position_opened", payload, f"{seconds:012.0f}"
    )


def test_the_deep_pass_finds_a_copier_sizing_by_a_constant_factor_and_queues_it_once() -> None:
    world = World()
    events = []
    for number in range(6):
        events.append((stored_opening("a1", number, number * DAY, "1"), "t1"))
        events.append((stored_opening("a2", number, number * DAY + 4, "2"), "t2"))  # twice the size
    window = ListWindow(events)
    recorder = FlagRecorder(world.flags, world.enforcer, world.clock, lambda: "id")
    deep = DeepPass(window, recorder, lambda state: build_monitor(state, AbuseSettings()))

    report = deep.run(at(6 * DAY))
    again = deep.run(at(6 * DAY))

    assert report.events == 12 and report.flags >= 1 and again.flags == report.flags
    flag = world.flags.get("copy_trading:a1+a2")
    assert flag is not None and flag.found_by == "deep" and flag.is_open
    assert len(world.holds.holds_on("a2")) == 1
    assert window.asked[0] == (at(-DAY), at(6 * DAY))


def test_staff_cannot_decide_a_flag_that_names_an_account_they_trade() -> None:
    world = World()
    world.copy_pair()

    with pytest.raises(OwnAccountError) as refused:
        world.review.decide(
            DecideFlag("copy_trading:a1+a2", Decision.DISMISS, "not me", "t2", ("risk",), MONDAY)
        )

    assert (refused.value.code, refused.value.field) == ("own_account", "flag_id")
    flag = world.flags.get("copy_trading:a1+a2")
    assert flag is not None and flag.is_open and len(world.holds.holds_on("a2")) == 1
