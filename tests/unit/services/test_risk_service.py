"""The risk service's steps on in-memory stores: incremental, duplicate, late event, breach evidence, fail,
pause and resume, pass, warnings, overrides, lost races and missing data."""

from __future__ import annotations

import decimal
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from propdesk.adapters.platform import EventBusAccountControl
from propdesk.domain_events import AccountBreached, AccountPassed, AccountWarning, stable_id
from propdesk.engine import Evaluator
from propdesk.errors import ProgramVersionMissingError
from propdesk.services.risk import UnknownAccountError

from tests.unit.services.risk_world import RiskWorld, closed, core, equity, opened

DAY_ONE = "2026-03-02T{}:00+01:00"
DAY_TWO = "2026-03-03T{}:00+01:00"

A_DAY_OF_TRADING = [
    opened("e1", DAY_ONE.format("10:00"), "p1"),
    equity("e2", DAY_ONE.format("10:30"), "98500.00"),
    equity("e3", DAY_ONE.format("11:00"), "97900.00"),
    closed("e4", DAY_ONE.format("12:00"), "p1", "-2100.00"),
    opened("e5", DAY_TWO.format("09:00"), "p2"),
    equity("e6", DAY_TWO.format("09:30"), "98400.00"),
]


def fail_on_day_one(world: RiskWorld, drop: str = "94999.99") -> None:
    world.trade(
        opened("e1", DAY_ONE.format("10:00"), "p1"),
        equity("e2", DAY_ONE.format("10:05"), drop),
        equity("e3", DAY_ONE.format("10:06"), "96000.00"),
    )


# ---- applying events


def test_events_delivered_one_by_one_give_the_in_order_verdict() -> None:
    world = RiskWorld()
    reports = world.trade(*A_DAY_OF_TRADING)

    assert [r.applied for r in reports] == [1, 1, 1, 1, 1, 1]
    assert core(world.evaluation) == world.in_order_verdict()
    assert world.snapshot.applied_events == 6
    assert world.snapshot.evaluated_until == datetime.fromisoformat(DAY_TWO.format("09:30"))


def test_one_stream_record_applies_every_event_stored_after_the_watermark() -> None:
    world = RiskWorld()
    first, *rest = world.store(*A_DAY_OF_TRADING)

    [report] = world.deliver(first)

    assert (report.applied, report.replayed, report.duplicate) == (6, False, False)
    assert [r.duplicate for r in world.deliver(*rest)] == [True] * 5
    assert core(world.evaluation) == world.in_order_verdict()


def test_a_redelivered_record_is_a_duplicate_and_writes_nothing() -> None:
    world = RiskWorld()
    triggers = world.store(*A_DAY_OF_TRADING[:2])
    world.deliver(*triggers)
    saves, settled = world.risk.saves, world.snapshot

    [again] = world.deliver(triggers[0])

    assert again.duplicate and again.status == "active"
    assert (world.risk.saves, world.snapshot) == (saves, settled)


def test_a_late_event_before_the_watermark_replays_the_history() -> None:
    world = RiskWorld()
    world.trade(*A_DAY_OF_TRADING)

    # a dip to 94500 at 11:30 on day one, stored after day two's events: a breach back then
    [report] = world.trade(equity("late", DAY_ONE.format("11:30"), "94500.00"))

    assert report.replayed and report.status == "failed"
    assert core(world.evaluation) == world.in_order_verdict()
    assert [b["time"] for b in world.evaluation["breaches"]] == [DAY_ONE.format("11:30")]
    assert world.deliver(world.events.inserted[-1])[0].duplicate  # the same record again


def test_an_event_the_account_cannot_take_is_rejected_with_its_field_and_the_rest_applies() -> None:
    world = RiskWorld()
    world.trade(
        closed("c1", DAY_ONE.format("10:00"), "no-such-position", "10.00"),
        equity("q1", DAY_ONE.format("10:05"), "99000.00"),
    )

    [rejected] = world.evaluation["rejected_events"]
    assert (rejected["event_id"], rejected["field"]) == ("c1", "position_id")
    assert world.evaluation["metrics"]["equity"] == "99000.00"
    assert world.snapshot.applied_events == 2


# ---- acting on what is new


def test_a_fail_breach_is_evidence_fails_the_account_disables_it_and_is_published_once() -> None:
    world = RiskWorld()
    fail_on_day_one(world)

    [evidence] = world.breaches.of(world.account_id)
    assert (evidence.rule, evidence.effect, evidence.limit, evidence.value, evidence.event_id) == (
        "daily_loss", "fail", Decimal("95000"), Decimal("94999.99"), "e2"
    )  # fmt: skip
    assert evidence.identity == "0-e2" and evidence.figures["rule_index"] == "0"
    assert (world.stored_account.status, world.stored_account.status_reason) == ("failed", "daily_loss")
    assert world.control.disabled == [(world.account_id, "daily_loss")]
    [breached] = world.published("account.breached")
    assert isinstance(breached, AccountBreached) and breached.limit == evidence.limit
    assert world.evaluation["status"] == "failed"


def test_a_redelivered_breach_records_and_publishes_nothing_new() -> None:
    world = RiskWorld()
    triggers = world.store(equity("e1", DAY_ONE.format("10:05"), "94000.00"))
    world.deliver(*triggers)
    world.deliver(*triggers)
    world.new_service().on_event_recorded(triggers[0])

    assert len(world.published("account.breached")) == 1
    assert len(world.control.disabled) == 1
    assert len(world.breaches.of(world.account_id)) == 1


def test_a_failed_publish_stays_pending_and_the_retry_publishes_once() -> None:
    world = RiskWorld()
    [trigger] = world.store(equity("e1", DAY_ONE.format("10:05"), "94000.00"))
    world.publisher.fail_next = 1

    with pytest.raises(RuntimeError):
        world.deliver(trigger)
    assert [effect.kind for effect in world.snapshot.pending] == ["publish"]
    assert world.stored_account.status == "failed" and len(world.control.disabled) == 1  # done before it

    world.deliver(trigger)
    assert len(world.published("account.breached")) == 1
    assert world.snapshot.pending == () and len(world.control.disabled) == 1
    assert world.evaluation["status"] == "failed"


def test_a_floating_loss_carried_over_midnight_breaches_at_the_reset_instant() -> None:
    world = RiskWorld()
    world.trade(
        opened("o1", DAY_ONE.format("10:00"), "p1"),
        closed("c1", DAY_ONE.format("11:00"), "p1", "3000.00"),
        opened("o2", DAY_ONE.format("12:00"), "p2"),
        equity("q1", DAY_ONE.format("13:00"), "97500.00"),
    )
    midnight = datetime.fromisoformat("2026-03-03T00:00:00+01:00")

    report = world.service.advance(world.stored_account, midnight)

    assert report.status == "failed" and [b.rule for b in report.new_breaches] == ["daily_loss"]
    [evidence] = world.breaches.of(world.account_id)
    assert (evidence.time, evidence.event_type, evidence.limit) == (midnight, "day_boundary", Decimal(98000))
    assert world.service.advance(world.stored_account, midnight).duplicate
    assert core(world.evaluation) == world.in_order_verdict(until=midnight)


def test_a_pause_breach_locks_trading_until_the_boundary_and_the_reset_unlocks_it() -> None:
    world = RiskWorld(program_id="futures-50k", opened_at=datetime.fromisoformat("2026-03-02T14:00:00+00:00"))
    close = datetime.fromisoformat("2026-03-02T17:00:00-06:00")
    world.trade(
        opened("o1", "2026-03-02T09:00:00-06:00", "p1", symbol="ES"),
        equity("q1", "2026-03-02T10:00:00-06:00", "48999.00"),
    )

    assert world.control.paused == [(world.account_id, "daily_loss", close)]
    assert world.control.disabled == [] and world.stored_account.status == "active"
    assert world.evaluation["metrics"]["paused_until"] == "2026-03-02T17:00:00-06:00"

    world.service.advance(world.stored_account, close)

    assert world.control.resumed == [(world.account_id, close)]
    assert world.evaluation["metrics"]["paused_until"] is None
    world.service.advance(world.stored_account, close + timedelta(minutes=1))
    assert len(world.control.resumed) == 1 and len(world.control.paused) == 1


def test_the_next_event_after_the_boundary_unlocks_a_paused_account_when_no_reset_ran() -> None:
    world = RiskWorld(program_id="futures-50k", opened_at=datetime.fromisoformat("2026-03-02T14:00:00+00:00"))
    world.trade(
        opened("o1", "2026-03-02T09:00:00-06:00", "p1", symbol="ES"),
        equity("q1", "2026-03-02T10:00:00-06:00", "48999.00"),
    )
    world.trade(equity("q2", "2026-03-03T08:00:00-06:00", "49100.00"))

    assert world.control.resumed == [(world.account_id, datetime.fromisoformat("2026-03-02T17:00:00-06:00"))]


def test_passing_is_announced_once_with_the_status_changed() -> None:
    world = RiskWorld()
    for number, day in enumerate(["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"], start=1):
        world.trade(
            opened(f"o{number}", f"{day}T10:00:00+01:00", f"p{number}"),
            closed(f"c{number}", f"{day}T11:00:00+01:00", f"p{number}", "2600.00"),
        )
    world.trade(equity("q1", "2026-03-05T12:00:00+01:00", "110400.00"))

    [passed] = world.published("account.passed")
    assert isinstance(passed, AccountPassed) and passed.metrics["balance"] == "110400.00"
    assert world.stored_account.status == "passed"
    assert world.evaluation["status"] == "passed"


def test_a_limit_warning_is_sent_once_per_trading_day() -> None:
    world = RiskWorld()
    world.trade(
        opened("e1", DAY_ONE.format("10:00"), "p1"),
        equity("e2", DAY_ONE.format("10:05"), "95900.00"),
        equity("e3", DAY_ONE.format("10:06"), "95800.00"),
    )
    world.trade(equity("e4", DAY_ONE.format("10:07"), "95700.00"))
    world.trade(equity("e5", DAY_TWO.format("10:00"), "95800.00"))

    warnings = [w for w in world.published("account.warning") if isinstance(w, AccountWarning)]
    assert [(w.rule, w.trading_day) for w in warnings] == [
        ("daily_loss", "2026-03-02"),
        ("daily_loss", "2026-03-03"),
    ]
    assert world.snapshot.warnings_sent == {"daily_loss#0": "2026-03-03"}


def test_no_warning_below_the_service_share() -> None:
    world = RiskWorld(warning_share="0.9")
    world.trade(opened("e1", DAY_ONE.format("10:00"), "p1"), equity("e2", DAY_ONE.format("10:05"), "95900"))
    assert world.published("account.warning") == []


def test_the_next_deadline_is_kept_for_the_sweep() -> None:
    rules: list[dict[str, Any]] = [
        {"type": "max_loss", "mode": "static", "amount": {"percent_of_initial": "10"}},
        {"type": "time_limit", "days": 10},
    ]
    world = RiskWorld(rules=rules)
    [report] = world.trade(equity("q1", "2026-03-05T10:00:00+01:00", "100100"))

    deadline = datetime.fromisoformat("2026-03-12T09:00:00+01:00")
    assert report.next_deadline == deadline and world.deadlines.due == {world.account_id: deadline}
    world.service.advance(world.stored_account, deadline)
    assert world.deadlines.due == {} and world.stored_account.status == "failed"


# ---- staff overrides


def override_the_first_breach(world: RiskWorld, reinstate: bool = True) -> None:
    world.breaches.override(world.breaches.of(world.account_id)[0])
    if reinstate:
        world.accounts.set_status(world.account_id, "active", "breach overridden")


def test_an_override_with_reinstatement_replays_the_account_active_and_enables_it() -> None:
    world = RiskWorld()
    fail_on_day_one(world)
    version = world.snapshot.version
    override_the_first_breach(world)

    report = world.service.on_override_recorded(world.account_id)

    assert report.reenabled and report.status == "active"
    assert world.snapshot.version > version
    [breach] = world.evaluation["breaches"]
    assert (breach["event_id"], breach["overridden"]) == ("e2", True)
    assert world.evaluation["metrics"]["equity"] == "96000.00"
    assert world.control.enabled == [(world.account_id, "breach overridden")]
    assert len(world.published("account.breached")) == 1  # not published again
    assert len(world.breaches.of(world.account_id)) == 1


def test_a_redelivered_override_changes_nothing() -> None:
    world = RiskWorld()
    fail_on_day_one(world)
    override_the_first_breach(world)
    world.service.on_override_recorded(world.account_id)
    settled = world.snapshot

    assert world.service.on_override_recorded(world.account_id).duplicate
    assert world.snapshot == settled and len(world.control.enabled) == 1


def test_a_new_breach_after_the_override_fails_the_account_again() -> None:
    world = RiskWorld()
    fail_on_day_one(world)
    override_the_first_breach(world)
    world.service.on_override_recorded(world.account_id)

    world.trade(equity("e4", DAY_TWO.format("10:00"), "94000.00"))

    assert [(b["event_id"], b["overridden"]) for b in world.evaluation["breaches"]] == [
        ("e2", True),
        ("e4", False),
    ]
    assert world.stored_account.status == "failed"
    assert len(world.published("account.breached")) == 2 and len(world.control.disabled) == 2


def test_a_reinstated_account_another_breach_still_fails_is_failed_again() -> None:
    world = RiskWorld()
    fail_on_day_one(world, drop="89000.00")  # below the daily (95,000) and the overall (90,000) floor
    override_the_first_breach(world)

    world.service.on_override_recorded(world.account_id)

    assert world.evaluation["status"] == "failed"
    assert (world.stored_account.status, world.stored_account.status_reason) == ("failed", "max_loss")
    assert world.control.enabled == []
    assert len(world.published("account.breached")) == 2


def test_an_override_without_reinstatement_keeps_the_platform_disabled() -> None:
    world = RiskWorld()
    fail_on_day_one(world)
    override_the_first_breach(world, reinstate=False)

    world.service.on_override_recorded(world.account_id)

    assert world.evaluation["status"] == "active" and world.stored_account.status == "failed"
    assert world.control.enabled == []


def test_an_overridden_pause_lifts_the_lock() -> None:
    world = RiskWorld(program_id="futures-50k", opened_at=datetime.fromisoformat("2026-03-02T14:00:00+00:00"))
    world.trade(
        opened("o1", "2026-03-02T09:00:00-06:00", "p1", symbol="ES"),
        equity("q1", "2026-03-02T10:00:00-06:00", "48999.00"),
    )
    [(_, _, until)] = world.control.paused
    override_the_first_breach(world, reinstate=False)

    world.service.on_override_recorded(world.account_id)

    assert world.control.resumed == [(world.account_id, until)]
    assert world.snapshot.paused_until is None


# ---- races and missing data


def test_a_lost_race_reloads_and_applies_on_top_of_the_winner() -> None:
    world = RiskWorld()
    first, second = world.store(*A_DAY_OF_TRADING[:2])
    rival = world.new_service()
    world.risk.before_save.append(partial(rival.on_event_recorded, first))

    world.deliver(second)

    assert world.risk.conflicts == 1
    assert world.snapshot.applied_events == 2
    assert core(world.evaluation) == world.in_order_verdict()


def test_an_unknown_account_is_refused() -> None:
    world = RiskWorld()
    [trigger] = world.store(equity("e1", DAY_ONE.format("10:05"), "99000.00"))
    world.accounts.accounts.clear()

    with pytest.raises(UnknownAccountError):
        world.deliver(trigger)


def test_an_account_pinned_to_a_missing_program_version_is_refused() -> None:
    world = RiskWorld()
    [trigger] = world.store(equity("e1", DAY_ONE.format("10:05"), "99000.00"))
    world.catalogue.versions.clear()

    with pytest.raises(ProgramVersionMissingError):
        world.deliver(trigger)


def test_the_ids_of_what_a_breach_causes_name_its_instant_in_utc_and_its_identity() -> None:
    """Consumers dedupe by these ids: they must not change from one release to the next."""
    world = RiskWorld()
    world.control = EventBusAccountControl(world.publisher, world.clock)  # type: ignore[assignment]
    world.service = world.new_service()
    fail_on_day_one(world)

    [breached] = world.published("account.breached")
    assert breached.event_id == stable_id("breached", "acc-1", "2026-03-02T09:05:00.000000Z", "0-e2")
    [disable] = world.published("platform.disable_requested")
    assert disable.event_id == stable_id("disable", "acc-1", "daily_loss", "2026-03-02T09:05:00.000000Z#0-e2")


# ---- amounts the engine cannot evaluate (risk never fails open)

POISONS = {
    "a huge equity": [equity("poison", DAY_ONE.format("10:00"), "1E+100")],
    "a huge negative equity": [equity("poison", DAY_ONE.format("10:00"), "-1E+100")],
    "a huge profit": [
        opened("o1", DAY_ONE.format("09:30"), "p1"),
        closed("poison", DAY_ONE.format("10:00"), "p1", "1E+100"),
    ],
}
POISON_FIELDS = {"a huge equity": "equity", "a huge negative equity": "equity", "a huge profit": "profit"}


@pytest.mark.parametrize("poison", sorted(POISONS))
def test_a_poisoned_amount_is_rejected_alone_and_a_later_breach_still_fails_the_account(poison: str) -> None:
    world = RiskWorld()
    world.trade(*POISONS[poison])  # raised before: the poisoned state could not be written

    world.trade(equity("real", DAY_ONE.format("10:05"), "88000.00"))

    [rejected] = world.evaluation["rejected_events"]
    assert (rejected["event_id"], rejected["field"]) == ("poison", POISON_FIELDS[poison])
    assert "must be less than 1,000,000,000,000 in magnitude" in rejected["reason"]  # the engine's bound
    assert world.stored_account.status == "failed" and world.evaluation["status"] == "failed"
    assert [(b.rule, b.event_id) for b in world.breaches.of(world.account_id)] == [
        ("daily_loss", "real"),
        ("max_loss", "real"),
    ]
    assert world.evaluation["metrics"]["equity"] == "88000.00"


def test_an_arithmetic_error_inside_the_engine_rejects_that_event_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Defence in depth behind the engine's bounds: whatever arithmetic error applying one event raises,
    that event is rejected and the account's later events still apply."""
    world = RiskWorld()
    apply = Evaluator.apply

    def overflowing(evaluator: Evaluator, state: Any, event: Any) -> Any:
        if event.event_id == "poison":
            raise decimal.Overflow("an out-of-range figure")
        return apply(evaluator, state, event)

    monkeypatch.setattr(Evaluator, "apply", overflowing)
    world.trade(equity("poison", DAY_ONE.format("10:00"), "99000.00"))

    world.trade(equity("real", DAY_ONE.format("10:05"), "88000.00"))

    [rejected] = world.evaluation["rejected_events"]
    assert (rejected["event_id"], rejected["field"]) == ("poison", "equity")
    assert "cannot be evaluated" in rejected["reason"]
    assert world.stored_account.status == "failed" and world.evaluation["status"] == "failed"


def test_a_poisoned_amount_in_a_batch_is_rejected_and_the_events_around_it_apply() -> None:
    world = RiskWorld()
    first, *_ = world.store(
        equity("before", DAY_ONE.format("09:55"), "99000.00"),
        equity("poison", DAY_ONE.format("10:00"), "1E+100"),
        equity("after", DAY_ONE.format("10:05"), "97000.00"),
    )

    [report] = world.deliver(first)

    assert report.applied == 3 and world.snapshot.applied_events == 3
    assert [r["event_id"] for r in world.evaluation["rejected_events"]] == ["poison"]
    assert world.evaluation["metrics"]["equity"] == "97000.00"


def test_a_replay_rejects_the_same_poisoned_amount_again() -> None:
    world = RiskWorld()
    world.trade(
        equity("poison", DAY_ONE.format("10:00"), "1E+100"),
        equity("q", DAY_TWO.format("10:00"), "99000.00"),
    )

    [report] = world.trade(equity("late", DAY_ONE.format("11:00"), "89000.00"))  # before the watermark

    assert report.replayed and report.status == "failed"
    assert [r["event_id"] for r in world.evaluation["rejected_events"]] == ["poison"]
    assert [b.event_id for b in world.breaches.of(world.account_id)] == ["late", "late"]


def test_a_sum_out_of_range_rejects_the_event_that_made_it_and_keeps_the_rest() -> None:
    """Each profit is within the bounds, their sum is not: the second close is the one rejected."""
    world = RiskWorld()
    first, *_ = world.store(
        opened("o1", DAY_ONE.format("09:00"), "p1"),
        closed("c1", DAY_ONE.format("09:30"), "p1", "600000000000"),
        opened("o2", DAY_ONE.format("09:40"), "p2"),
        closed("c2", DAY_ONE.format("10:00"), "p2", "600000000000"),
        equity("real", DAY_ONE.format("10:05"), "88000.00"),
    )

    world.deliver(first)

    assert [(r["event_id"], r["field"]) for r in world.evaluation["rejected_events"]] == [("c2", "profit")]
    assert world.evaluation["metrics"]["balance"] == "600000100000.00"
    assert world.snapshot.applied_events == 5
