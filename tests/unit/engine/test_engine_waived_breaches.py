"""Waived breaches (staff overrides): recorded as overridden, without effect; the rule stays in force."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from propdesk.engine import (
    AccountState,
    Breach,
    BreachRef,
    Evaluator,
    TradingEvent,
    breach_identities,
    evaluate,
)

from tests.unit.engine.engine_helpers import (
    closed,
    daily_loss,
    end,
    equity,
    max_loss,
    opened,
    program,
    target,
)

D1 = "2026-03-02T{}:00+01:00"  # Monday in Prague (CET)
D2 = "2026-03-03T{}:00+01:00"
NEWS = [{"time": "2026-03-06T13:30:00+00:00", "symbols": ["EURUSD"], "title": "US NFP"}]


def ref(breach: Breach, identity: str | None = None) -> BreachRef:
    """The reference an override of `breach` carries (the identity as the risk service derives it)."""
    default = f"{breach.rule_index}-{breach.trigger}"
    return BreachRef(breach.time, breach.rule, default if identity is None else identity)


def day_one_drop() -> list[TradingEvent]:
    return [
        opened(D1.format("10:00"), "p1"),
        equity(D1.format("11:00"), "94999.99"),  # daily loss breached (floor 95,000)
        equity(D1.format("12:00"), "94000.00"),  # same day: the limit is disarmed, no second breach
        closed(D1.format("13:00"), "p1", "-6000.00"),
    ]


def test_a_waived_fail_breach_is_recorded_as_overridden_and_the_account_stays_active() -> None:
    prog = program(daily_loss(), max_loss())
    events = day_one_drop()
    [breach] = evaluate(prog, events).breaches

    result = evaluate(prog, events, waived={ref(breach)})

    assert result.status == "active"
    [waived] = result.breaches
    assert waived.overridden and (waived.rule, waived.time, waived.value) == (
        breach.rule,
        breach.time,
        breach.value,
    )
    assert result.metrics.balance == Decimal("94000.00")
    assert waived.to_dict()["overridden"] is True and breach.to_dict()["overridden"] is False


def test_evaluation_continues_after_a_waived_breach_and_a_later_breach_counts() -> None:
    prog = program(daily_loss(), max_loss())
    events = [
        *day_one_drop(),
        # day 2: the floor is 94,000 - 5,000 = 89,000; equity falls below it: a NEW daily-loss breach
        opened(D2.format("10:00"), "p2"),
        equity(D2.format("11:00"), "88999.00"),
    ]
    first = evaluate(prog, events).breaches[0]

    result = evaluate(prog, events, waived={ref(first)})

    assert result.status == "failed"
    assert [(b.time.isoformat(), b.rule, b.overridden) for b in result.breaches] == [
        ("2026-03-02T11:00:00+01:00", "daily_loss", True),
        ("2026-03-03T11:00:00+01:00", "daily_loss", False),
        ("2026-03-03T11:00:00+01:00", "max_loss", False),  # 90,000 floor: crossed by the same tick
    ]


def test_a_limit_still_breached_at_the_next_reset_breaches_again_at_the_boundary() -> None:
    prog = program(max_loss())
    events = [
        opened(D1.format("10:00"), "p1"),
        equity(D1.format("11:00"), "89000.00"),
        end(D2.format("09:00")),
    ]
    first = evaluate(prog, events).breaches[0]

    result = evaluate(prog, events, waived={ref(first)})

    assert result.status == "failed"
    second = result.breaches[1]
    assert (second.time.isoformat(), second.event_type, second.overridden) == (
        "2026-03-03T00:00:00+01:00",
        "day_boundary",
        False,
    )
    assert breach_identities(result.breaches) == ["0-" + first.trigger, "0-day_boundary"]


def test_a_waived_pause_does_not_lock_the_account() -> None:
    prog = program(daily_loss(effect="pause"))
    events = [opened(D1.format("10:00"), "p1"), equity(D1.format("11:00"), "94000.00")]
    paused = evaluate(prog, events)
    assert paused.metrics.paused_until is not None

    result = evaluate(prog, events, waived={ref(paused.breaches[0])})

    assert result.metrics.paused_until is None
    assert [b.overridden for b in result.breaches] == [True]


def test_a_waived_news_breach_lets_the_profit_count() -> None:
    news = {"type": "news_blackout", "minutes_before": 5, "minutes_after": 5, "effect": "exclude_profit"}
    prog = program(news, target(fixed="100"), zone="UTC", news=NEWS)
    events = [
        opened("2026-03-06T13:28:00+00:00", "p1"),
        closed("2026-03-06T13:33:00+00:00", "p1", "400"),
    ]
    excluded = evaluate(prog, events)
    assert excluded.metrics.excluded_profit == Decimal("400")

    result = evaluate(prog, events, waived={ref(excluded.breaches[0])})

    assert result.metrics.excluded_profit == 0 and result.status == "passed"


def test_only_the_named_breach_is_waived_and_a_repeat_has_its_own_identity() -> None:
    # two openings at one instant without event ids: same rule, instant and trigger, so the second repeats
    rule = {"type": "max_position_volume", "volume": "5", "effect": "fail"}
    prog = program(rule)
    events = [opened(D1.format("10:00"), "p1", volume="6"), opened(D1.format("10:00"), "p2", volume="7")]
    first, repeat = evaluate(prog, events).breaches  # both openings at the failing instant are judged
    assert (first.overridden, repeat.overridden) == (False, False)

    result = evaluate(prog, events, waived={ref(first)})

    assert [(b.value, b.overridden) for b in result.breaches] == [(Decimal("6"), True), (Decimal("7"), False)]
    assert breach_identities(result.breaches) == ["0-position_opened", "0-position_opened-1"]
    assert result.status == "failed"
    both = {ref(first), ref(result.breaches[1], "0-position_opened-1")}
    assert evaluate(prog, events, waived=both).status == "active"


def test_a_reference_without_identity_names_the_first_breach_of_the_rule_at_that_instant() -> None:
    prog = program(daily_loss(), max_loss())
    events = [opened(D1.format("10:00"), "p1"), equity(D1.format("11:00"), "94000.00")]
    [breach] = evaluate(prog, events).breaches

    result = evaluate(prog, events, waived={BreachRef(breach.time, breach.rule)})

    assert result.status == "active" and result.breaches[0].overridden


def test_a_reference_to_another_instant_waives_nothing() -> None:
    prog = program(daily_loss())
    events = [opened(D1.format("10:00"), "p1"), equity(D1.format("11:00"), "94000.00")]
    other = BreachRef(datetime.fromisoformat(D1.format("11:01")), "daily_loss", "0-" + "x")

    assert evaluate(prog, events, waived={other}).status == "failed"


def test_the_waived_set_survives_a_snapshot_and_applies_to_later_steps() -> None:
    prog = program(daily_loss(), max_loss())
    evaluator = Evaluator(prog)
    events = day_one_drop()
    first = evaluate(prog, events).breaches[0]
    state = evaluator.start(events[0].time, {ref(first)})
    evaluator.apply(state, events[0])

    restored = AccountState.from_dict(state.to_dict())
    evaluator.apply_all(restored, events[1:])

    assert restored.waived == {ref(first)}
    assert restored.status == "active" and restored.breaches[0].overridden


def test_states_and_breaches_stored_before_overrides_still_load() -> None:
    prog = program(daily_loss())
    evaluator = Evaluator(prog)
    state = evaluator.start(datetime.fromisoformat(D1.format("09:00")))
    evaluator.apply_all(state, [opened(D1.format("10:00"), "p1"), equity(D1.format("11:00"), "94000.00")])
    old = state.to_dict()
    del old["waived"]
    for breach in old["breaches"]:
        del breach["overridden"]

    restored = AccountState.from_dict(old)

    assert restored.waived == frozenset() and restored.breaches[0].overridden is False


def test_references_compare_by_instant_whatever_the_zone() -> None:
    local = BreachRef(datetime.fromisoformat("2026-03-02T11:00:00+01:00"), "daily_loss", "0-e1")
    utc = BreachRef(datetime.fromisoformat("2026-03-02T10:00:00+00:00"), "daily_loss", "0-e1")

    assert local == utc and BreachRef.from_dict(local.to_dict()) == utc
