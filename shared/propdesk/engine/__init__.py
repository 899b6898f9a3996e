"""The risk and evaluation engine: prop-firm programs applied to an account's trading events, exactly.

Pure domain code (no AWS, no clock reads, no environment): the CLI and the Lambda functions share it.

    program = Program.from_dict(json_data)          # ProgramError(.field) on invalid input
    event = parse_event(json_line)                  # EventError(.field)
    evaluator = Evaluator(program, warn_at=Decimal("0.8"))
    state = evaluator.start(event.time)             # AccountState, JSON-safe via to_dict()/from_dict()
    state = evaluator.start(t, waived={BreachRef(...)})  # breaches staff overrode: recorded, no effect
    outcome = evaluator.apply(state, event)         # Outcome(breaches, warnings, passed); QUIET when nothing
    outcome = evaluator.advance_to(state, instant)  # day boundaries with no event (reset-time breaches)
    evaluator.result(state).to_dict()               # {"status", "breaches", "metrics"}: the CLI's output
    next_day_boundary(program, after)               # when the next daily reset happens

See docs/rules.md for every rule type and its JSON.
"""

from propdesk.engine.breach import (
    EFFECTS,
    EXCLUDE_PROFIT,
    FAIL,
    FLAG,
    PAUSE,
    QUIET,
    Breach,
    BreachRef,
    LimitWarning,
    Outcome,
    breach_identities,
    instant_id,
)
from propdesk.engine.days import TradingDay
from propdesk.engine.errors import EngineInputError, EventError, ProgramError
from propdesk.engine.evaluation import Evaluation, Metrics
from propdesk.engine.evaluator import DEFAULT_WARN_AT, Evaluator, LimitUsage
from propdesk.engine.events import (
    ClockAdvance,
    Deposit,
    EquityUpdate,
    PositionClosed,
    PositionOpened,
    Scale,
    TradingEvent,
    Withdrawal,
    event_to_dict,
    parse_event,
)
from propdesk.engine.program import Program, next_day_boundary
from propdesk.engine.replay import evaluate
from propdesk.engine.rules import ConsistencyCheck
from propdesk.engine.state import ACTIVE, FAILED, PASSED, AccountState

__all__ = [
    "ACTIVE",
    "DEFAULT_WARN_AT",
    "EFFECTS",
    "EXCLUDE_PROFIT",
    "FAIL",
    "FAILED",
    "FLAG",
    "PASSED",
    "PAUSE",
    "QUIET",
    "AccountState",
    "Breach",
    "BreachRef",
    "ClockAdvance",
    "ConsistencyCheck",
    "Deposit",
    "EngineInputError",
    "EquityUpdate",
    "Evaluation",
    "Evaluator",
    "EventError",
    "LimitUsage",
    "LimitWarning",
    "Metrics",
    "Outcome",
    "PositionClosed",
    "PositionOpened",
    "Program",
    "ProgramError",
    "Scale",
    "TradingDay",
    "TradingEvent",
    "Withdrawal",
    "breach_identities",
    "evaluate",
    "event_to_dict",
    "instant_id",
    "next_day_boundary",
    "parse_event",
]
