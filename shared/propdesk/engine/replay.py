"""Evaluate a whole history at once (the CLI and tests); the same `Evaluator` steps the Lambda uses."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from propdesk.engine.breach import BreachRef
from propdesk.engine.evaluation import Evaluation
from propdesk.engine.evaluator import DEFAULT_WARN_AT, Evaluator
from propdesk.engine.events import TradingEvent
from propdesk.engine.program import Program


def evaluate(
    program: Program,
    events: Iterable[TradingEvent],
    until: datetime | None = None,
    start: datetime | None = None,
    warn_at: Decimal | None = DEFAULT_WARN_AT,
    waived: Iterable[BreachRef] = (),
) -> Evaluation:
    """Replay `events` (time-ordered) on a fresh account and return the verdict.

    The account starts at `start`, or at the first event's time; `until` moves the clock on after the last
    event (crossing day boundaries, like an `end` event). With no events and no start, the account starts at
    `until`. `waived`: breaches staff overrode (recorded as overridden, without effect).
    """
    evaluator = Evaluator(program, warn_at)
    iterator = iter(events)
    first = next(iterator, None)
    begin = start or (first.time if first is not None else until)
    if begin is None:
        raise ValueError("an empty history needs a start or an until time")
    state = evaluator.start(begin, waived)
    if first is not None:
        evaluator.apply(state, first)
        evaluator.apply_all(state, iterator)
    if until is not None:
        evaluator.advance_to(state, until)
    return evaluator.result(state)
