"""A risk snapshot's typed accessors read the engine's documents it holds."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from propdesk.catalogue import demo_programs
from propdesk.engine import BreachRef, Evaluator, Program, parse_event
from propdesk.records import RiskSnapshot

OPENED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def snapshot_after(*events: dict[str, str], waived: frozenset[BreachRef] = frozenset()) -> RiskSnapshot:
    document = next(p.document for p in demo_programs() if p.summary.program_id == "futures-50k")
    evaluator = Evaluator(Program.from_dict(document))
    state = evaluator.start(OPENED, waived)
    evaluator.apply_all(state, [parse_event(event) for event in events])
    evaluation = evaluator.result(state).to_dict() | {"usage": [], "rejected_events": []}
    return RiskSnapshot("acc-1", 3, state.to_dict(), evaluation, None, len(events), state.clock)


OPEN = {"event_id": "o1", "time": "2026-03-02T09:00:00-06:00", "type": "position_opened", "position_id": "p1",
        "symbol": "ES", "side": "buy", "volume": "1"}  # fmt: skip
DIP = {"event_id": "q1", "time": "2026-03-02T10:00:00-06:00", "type": "equity", "equity": "48999.00"}


def test_a_fresh_snapshot_reads_active_unpaused_with_the_initial_balance() -> None:
    snapshot = snapshot_after()
    assert (snapshot.status, snapshot.paused_until, snapshot.breaches) == ("active", None, [])
    assert (snapshot.balance, snapshot.excluded_profit) == (Decimal(50000), Decimal(0))
    assert snapshot.open_positions == []
    assert snapshot.metrics["balance"] == "50000.00" and snapshot.waived == frozenset()


def test_a_paused_snapshot_names_until_when_and_its_breach() -> None:
    snapshot = snapshot_after(OPEN, DIP)
    assert snapshot.paused_until == datetime.fromisoformat("2026-03-02T17:00:00-06:00")
    assert [breach["rule"] for breach in snapshot.breaches] == ["daily_loss"]
    assert [position["position_id"] for position in snapshot.open_positions] == ["p1"]


def test_the_waived_breaches_read_back_as_the_engine_named_them() -> None:
    ref = BreachRef(datetime.fromisoformat("2026-03-02T10:00:00-06:00"), "daily_loss", "0-q1")
    snapshot = snapshot_after(OPEN, DIP, waived=frozenset({ref}))
    assert frozenset(BreachRef(*waived) for waived in snapshot.waived) == {ref}
    assert snapshot.paused_until is None and snapshot.breaches[0]["overridden"] is True


def test_the_next_deadline_is_the_earliest_due_of_an_active_account() -> None:
    snapshot = snapshot_after()
    state = snapshot.state | {"dues": [None, "2026-03-12T09:00:00+01:00", "2026-03-20T09:00:00+01:00"]}
    due = datetime(2026, 3, 12, 8, tzinfo=UTC)
    assert RiskSnapshot("a", 1, state, {}, None, 0, None).next_deadline == due
    failed = state | {"status": "failed"}
    assert RiskSnapshot("a", 1, failed, {}, None, 0, None).next_deadline is None


def test_a_snapshot_without_a_verdict_has_no_status() -> None:
    assert RiskSnapshot("a", 1, {"balance": "10"}, {}, None, 0, None).status is None
