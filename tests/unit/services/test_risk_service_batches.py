"""The risk service's batch step (`RiskService.on_events_recorded`), as properties over random histories:

- however the stream's records are cut into batches (between storing, redelivered, by several execution
  environments, losing optimistic races, crashing after a snapshot write; amounts it cannot evaluate among
  them), the account ends with the same risk state, breach evidence, published events, status and platform
  as when each record is delivered on its own (`on_event_recorded`), and every effect happens once;
- however late events are stored, batches end in the in-order risk state;
and, as examples, what a batch costs: one read of the account and the snapshot, one snapshot write, no query
of the log while the batch's events follow the watermark.
"""

from __future__ import annotations

from collections import Counter
from functools import partial

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from propdesk.records import StoredEvent

from tests.doubles.ports import InMemoryAccountControl
from tests.unit.services.risk_world import RiskWorld, core, equity
from tests.unit.services.test_risk_service_properties import (
    CrashError,
    OrderedControl,
    Scenario,
    crash,
    in_order,
    outcome,
    risk_state,
    scenarios,
    world_for,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(poisoned=True), data=st.data())
def test_any_batching_of_the_stream_ends_as_one_record_at_a_time(
    scenario: Scenario, data: st.DataObject
) -> None:
    world = world_for(scenario)
    services = [world.service, world.new_service()]  # two execution environments, one cache each
    delivered: list[list[StoredEvent]] = []
    crashed: list[list[StoredEvent]] = []
    waiting: list[StoredEvent] = []

    def deliver(batch: list[StoredEvent], crashes: bool = True) -> None:
        if delivered and data.draw(st.booleans(), label="a rival wins the race first"):
            rival, earlier = data.draw(st.sampled_from(services)), data.draw(st.sampled_from(delivered))
            world.risk.before_save.append(partial(rival.on_events_recorded, earlier))
        if crashes and data.draw(st.booleans(), label="a crash after the next snapshot write"):
            world.risk.after_save.append(crash)
        try:
            data.draw(st.sampled_from(services)).on_events_recorded(batch)
        except CrashError:
            crashed.append(batch)
        world.risk.before_save.clear()
        world.risk.after_save.clear()
        delivered.append(batch)

    for raw in scenario.history:
        waiting += world.store(raw)
        if data.draw(st.booleans(), label="the mapping cuts a batch now"):
            size = data.draw(st.integers(1, len(waiting)), label="records in the batch")
            deliver(waiting[:size])
            del waiting[:size]
        if delivered and data.draw(st.integers(0, 4), label="a batch delivered again") == 0:
            deliver(data.draw(st.sampled_from(delivered)))
    if waiting:
        deliver(waiting)
    for batch in list(crashed):  # the records of crashed invocations, delivered again
        deliver(batch, crashes=False)

    assert outcome(world) == outcome(in_order(scenario))
    assert world.snapshot.pending == ()
    published = Counter(event.event_id for event in world.publisher.published)
    assert set(published.values()) <= {1}, "an effect happened twice"
    assert isinstance(world.control, OrderedControl)
    assert set(Counter(world.control.log).values()) <= {1}, "a platform command was sent twice"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), data=st.data())
def test_late_events_in_any_batches_end_in_the_in_order_state(
    scenario: Scenario, data: st.DataObject
) -> None:
    world = world_for(scenario)
    waiting: list[StoredEvent] = []
    for raw in data.draw(st.permutations(scenario.history), label="storing order"):
        waiting += world.store(raw)
        if data.draw(st.booleans(), label="the mapping cuts a batch now"):
            world.service.on_events_recorded(waiting)
            waiting = []
    if waiting:
        world.service.on_events_recorded(waiting)

    reference = in_order(scenario)
    assert core(world.evaluation) == reference.in_order_verdict()
    assert {k: v for k, v in risk_state(world.snapshot).items() if k != "warnings_sent"} == {
        k: v for k, v in risk_state(reference.snapshot).items() if k != "warnings_sent"
    }


class CountingWorld(RiskWorld):
    """Counts the log's queries (replays and counts) the service makes."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.queries: Counter[str] = Counter()
        for name in ("replay", "count_until"):
            original = getattr(self.events, name)

            def counted(*args: object, _name: str = name, _original: object = original) -> object:
                self.queries[_name] += 1
                return _original(*args)  # type: ignore[operator]

            setattr(self.events, name, counted)


DAY = [equity(f"e{n}", f"2026-03-02T{10 + n}:00:00+01:00", f"{100_000 + 100 * n}.00") for n in range(6)]


def test_a_batch_following_the_watermark_is_applied_from_its_records_without_querying_the_log() -> None:
    world = CountingWorld()
    world.control = InMemoryAccountControl()
    world.service.on_events_recorded(world.store(*DAY[:3]))
    report = world.service.on_events_recorded(world.store(*DAY[3:]))

    assert world.queries == Counter()
    assert report.applied == 3 and not report.replayed
    assert world.snapshot.applied_events == 6
    assert core(world.evaluation) == world.in_order_verdict()


def test_a_batch_delivered_again_is_a_duplicate_after_one_count() -> None:
    world = CountingWorld()
    batch = world.store(*DAY)
    world.service.on_events_recorded(batch)
    before = world.snapshot

    report = world.service.on_events_recorded(batch)

    assert report.duplicate
    assert world.queries == Counter({"count_until": 1})
    assert world.snapshot == before


def test_a_late_event_in_a_batch_replays_the_history() -> None:
    world = CountingWorld()
    world.service.on_events_recorded(world.store(*DAY[2:]))
    report = world.service.on_events_recorded(world.store(*DAY[:2]))

    assert report.replayed
    assert world.snapshot.applied_events == 6
    assert core(world.evaluation) == world.in_order_verdict()


def test_a_batch_takes_the_events_of_one_account() -> None:
    world = RiskWorld()
    (event,) = world.store(DAY[0])
    other = StoredEvent("acc-2", "x", event.time, event.type, event.payload, event.sk)

    with pytest.raises(ValueError, match="one account"):
        world.service.on_events_recorded([event, other])
    with pytest.raises(ValueError, match="no events"):
        world.service.on_events_recorded([])
