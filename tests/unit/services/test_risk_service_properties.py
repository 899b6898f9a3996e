"""The risk service's promise, as properties over random histories (`propdesk.services.risk`, docstring):

- however an account's stream records are delivered (any order, duplicated, in batches between storing, by
  several execution environments, losing optimistic races, crashing after a snapshot write; amounts it
  cannot evaluate among them), the account ends with the same risk state,
  the same breach evidence and the same published events (by stable event id) as when every event is
  delivered once, in order; and every effect happens once (the outbox);
- however late events are stored (any order of storing), the final risk state is the in-order one.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from propdesk.records import RiskSnapshot, StoredEvent

from tests.doubles.ports import InMemoryAccountControl
from tests.unit.services.risk_world import RiskWorld, closed, core, equity, opened

PROGRAMS = {  # program id -> (opened at, initial balance)
    "two-step-100k-phase-1": (datetime.fromisoformat("2026-03-27T08:00:00+01:00"), 100_000),  # DST inside
    "futures-50k": (datetime.fromisoformat("2026-03-02T08:00:00-06:00"), 50_000),  # pause breaches
}


@dataclass(frozen=True)
class Scenario:
    program_id: str
    history: list[dict[str, str]]


@st.composite
def scenarios(draw: st.DrawFn, poisoned: bool = False) -> Scenario:
    """A few days of trading: equity readings around the loss limits, positions opened and closed, now and
    then the account scaled (a `scale` to a size a quarter larger); with `poisoned`, now and then an amount
    the engine cannot evaluate (rejected, whatever the delivery)."""
    program_id = draw(st.sampled_from(sorted(PROGRAMS)))
    start, initial = PROGRAMS[program_id]
    minutes = sorted(draw(st.lists(st.integers(0, 4 * 24 * 60), min_size=1, max_size=14)))
    open_ids: list[str] = []
    history: list[dict[str, str]] = []
    size = Decimal(initial)
    for number, minute in enumerate(minutes):
        event_id, time = f"e{number:02d}", (start + timedelta(minutes=minute)).isoformat()
        action = draw(st.sampled_from(["equity", "equity", "open", "close"]))
        if action == "open" and len(open_ids) < 2:
            open_ids.append(f"p{number:02d}")
            history.append(opened(event_id, time, open_ids[-1]))
        elif action == "close" and open_ids:
            profit = Decimal(initial) * draw(st.integers(-300, 600)) / 10_000
            history.append(closed(event_id, time, open_ids.pop(0), f"{profit:.2f}"))
        elif draw(st.integers(0, 11)) == 0:
            size += Decimal(initial) / 4
            history.append({"event_id": event_id, "time": time, "type": "scale", "initial": f"{size:.2f}"})
        elif poisoned and draw(st.integers(0, 9)) == 0:
            history.append(equity(event_id, time, draw(st.sampled_from(["1E+100", "-1E+100", "9E+27"]))))
        else:
            calm = draw(st.sampled_from([True, True, True, False]))
            basis_points = draw(st.integers(-250, 300) if calm else st.integers(-1_200, -250))
            level = Decimal(initial) * (10_000 + basis_points) / 10_000
            history.append(equity(event_id, time, f"{level:.2f}"))
    return Scenario(program_id, history)


class OrderedControl(InMemoryAccountControl):
    """Keeps the order of every platform command, to tell where the platform ends."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, Any]] = []

    def disable(self, account_id: str, trader_id: str, reason: str, cause: str = "") -> None:
        super().disable(account_id, trader_id, reason, cause)
        self.log.append(("disable", None))

    def enable(self, account_id: str, trader_id: str, reason: str, cause: str = "") -> None:
        super().enable(account_id, trader_id, reason, cause)
        self.log.append(("enable", None))

    def pause(self, account_id: str, trader_id: str, reason: str, until: datetime) -> None:
        super().pause(account_id, trader_id, reason, until)
        self.log.append(("pause", until))

    def resume(self, account_id: str, trader_id: str, paused_until: datetime) -> None:
        super().resume(account_id, trader_id, paused_until)
        self.log.append(("resume", paused_until))

    def platform(self) -> str:
        """Where the platform ends: disabled, locked until an instant, or open."""
        access = [name for name, _ in self.log if name in ("disable", "enable")]
        if access and access[-1] == "disable":
            return "disabled"  # a lock left from before the fail no longer matters
        locks = [(name, until) for name, until in self.log if name in ("pause", "resume")]
        return f"locked until {locks[-1][1]}" if locks and locks[-1][0] == "pause" else "open"


def world_for(scenario: Scenario) -> RiskWorld:
    start, _ = PROGRAMS[scenario.program_id]
    world = RiskWorld(program_id=scenario.program_id, opened_at=start)
    world.control = OrderedControl()
    world.service = world.new_service()
    return world


def in_order(scenario: Scenario) -> RiskWorld:
    world = world_for(scenario)
    world.trade(*scenario.history)
    return world


def risk_state(snapshot: RiskSnapshot) -> dict[str, Any]:
    """Everything a snapshot holds but its version (how many writes it took)."""
    return {
        "state": snapshot.state,
        "evaluation": snapshot.evaluation,
        "last_event_sk": snapshot.last_event_sk,
        "applied_events": snapshot.applied_events,
        "evaluated_until": snapshot.evaluated_until,
        "warnings_sent": snapshot.warnings_sent,
    }


def outcome(world: RiskWorld) -> dict[str, Any]:
    assert isinstance(world.control, OrderedControl)
    return {
        "risk": risk_state(world.snapshot),
        "evidence": world.breaches.of(world.account_id),
        "published": {event.event_id for event in world.publisher.published},
        "status": world.stored_account.status,
        "platform": world.control.platform(),
    }


class CrashError(Exception):
    """The execution environment dies right after a snapshot write: the stream delivers the record again."""


def crash() -> None:
    raise CrashError


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(poisoned=True), data=st.data())
def test_any_delivery_of_the_stream_ends_as_in_order_delivery(
    scenario: Scenario, data: st.DataObject
) -> None:
    world = world_for(scenario)
    services = [world.service, world.new_service()]  # two execution environments, one cache each
    triggers: list[StoredEvent] = []
    crashed: list[StoredEvent] = []

    def deliver(batch: list[StoredEvent], crashes: bool = True) -> None:
        for trigger in batch:
            if data.draw(st.booleans(), label="a rival wins the race first"):
                rival, record = data.draw(st.sampled_from(services)), data.draw(st.sampled_from(triggers))
                world.risk.before_save.append(partial(rival.on_event_recorded, record))
            if crashes and data.draw(st.booleans(), label="a crash after the next snapshot write"):
                world.risk.after_save.append(crash)
            try:
                data.draw(st.sampled_from(services)).on_event_recorded(trigger)
            except CrashError:
                crashed.append(trigger)
            world.risk.before_save.clear()
            world.risk.after_save.clear()

    for raw in scenario.history:
        triggers += world.store(raw)
        if data.draw(st.booleans(), label="deliver a batch now"):
            deliver(data.draw(st.lists(st.sampled_from(triggers), min_size=1, max_size=6), label="batch"))
    deliver(data.draw(st.permutations(triggers), label="the rest, in any order"))
    deliver(crashed, crashes=False)  # the records of crashed invocations, delivered again

    assert outcome(world) == outcome(in_order(scenario))
    assert world.snapshot.pending == ()
    published = Counter(event.event_id for event in world.publisher.published)
    assert set(published.values()) <= {1}, "an effect happened twice"
    assert isinstance(world.control, OrderedControl)
    assert set(Counter(world.control.log).values()) <= {1}, "a platform command was sent twice"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), data=st.data())
def test_late_events_in_any_storing_order_end_in_the_in_order_state(
    scenario: Scenario, data: st.DataObject
) -> None:
    world = world_for(scenario)
    for raw in data.draw(st.permutations(scenario.history), label="storing order"):
        world.trade(raw)

    reference = in_order(scenario)
    assert core(world.evaluation) == reference.in_order_verdict()
    assert {k: v for k, v in risk_state(world.snapshot).items() if k != "warnings_sent"} == {
        k: v for k, v in risk_state(reference.snapshot).items() if k != "warnings_sent"
    }
