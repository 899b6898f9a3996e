"""The incremental evaluator: applies a program's rules to one account's events, one step at a time.

    evaluator = Evaluator(program)
    state = evaluator.start(first_event.time)
    outcome = evaluator.apply(state, event)          # crosses any day boundaries due before the event first
    outcome = evaluator.advance_to(state, instant)   # crosses boundaries with no event (the reset-time
    breach) snapshot = state.to_dict()                       # persist; AccountState.from_dict(snapshot)
    continues exactly evaluation = evaluator.result(state)             # status, breaches, metrics

Semantics: a limit is breached when equity is strictly below its floor, checked at every event and at every
day boundary (the breach time is then the boundary instant). Each loss limit breaches at most once per day:
it is re-armed at every boundary. A `fail` breach ends the evaluation after its instant: events later than it
only update balance, equity and positions. A `pass` ends it at once.

Same instant: every rule crossed at one instant is recorded, whatever its kind, even after one of them failed
the account: first what the clock brings at that instant (the day boundary's loss limits and the scheduled
rules due then, together in program order), then each event stamped at it (its position rules and loss limits
together, in program order). The order does not depend on how the steps are cut (a daily reset's
`advance_to(boundary)` then the event, or the event alone).

Withdrawals and deposits move balance and equity by their amount and are never judged: no loss limit is
checked at them, they are not a trading day, not a day's loss or profit, and the trading profit (targets,
consistency, profitable days) does not change. With the program's `withdrawals.floors` `shift` (default),
every loss floor, its base and the trailing peaks move by the same amount, so the room is unchanged; with
`keep` the floors stay and the room shrinks (a later reading below a kept floor breaches as usual).

A scale (the account's size grows to a new initial balance, a scaling plan's decision; the platform tops
the balance up by the growth) is never judged either: balance and equity rise by the growth, and so do the
bases the floors are taken from (the highest end-of-day balance, the highest equity, the day's peak, the
balance after the last withdrawal), whatever `withdrawals.floors` says; then every loss limit is taken again
on its moved base for the new size (`LossLimit.figures_on`: a `percent_of_initial` amount of the new initial
balance). So the trading profit and the profit since the last withdrawal do not change (the growth is not
profit), and the room above each floor grows by the amount's growth and never shrinks.

Waived breaches (`start(..., waived=refs)`, the breaches staff overrode): such a breach is recorded with
`overridden=True` and has no effect (no fail, no pause, its profit is not excluded); evaluation goes on. The
rule itself stays in force: a loss limit is disarmed for the rest of that day as after any breach, and the
next violation is a new breach (its own identity) that counts.

Hot path: an equity tick inside the current day is a clock check and a few Decimal comparisons against levels
precomputed when they change (`floor_watch`, `warn_watch`, `peak_watch`, `next_check`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Context, Decimal

from propdesk.engine.bounds import balance_problem, time_problem
from propdesk.engine.breach import (
    DAY_BOUNDARY,
    DEADLINE,
    EXCLUDE_PROFIT,
    FAIL,
    PAUSE,
    QUIET,
    Breach,
    BreachRef,
    LimitWarning,
    Outcome,
    Violation,
    breach_identity,
)
from propdesk.engine.days import next_boundary
from propdesk.engine.errors import EventError
from propdesk.engine.evaluation import Evaluation, Metrics
from propdesk.engine.events import (
    Deposit,
    EquityUpdate,
    PositionClosed,
    PositionOpened,
    Scale,
    TradingEvent,
    Withdrawal,
)
from propdesk.engine.program import SHIFT, Program
from propdesk.engine.rules import (
    Consistency,
    ConsistencyCheck,
    LossLimit,
    MinProfitableDays,
    PassCondition,
    PositionRule,
    ProfitTarget,
    Rule,
    ScheduledRule,
)
from propdesk.engine.rules.base import Figures
from propdesk.engine.rules.daily_loss import DailyLoss
from propdesk.engine.rules.min_profitable_days import is_profitable_day, profitable_days
from propdesk.engine.state import ACTIVE, FAILED, PASSED, AccountState, LimitState, OpenPosition
from propdesk.engine.words import money_words
from propdesk.money import ZERO, money_str

DEFAULT_WARN_AT = Decimal("0.8")
_NEG_INF = Decimal("-Infinity")
_POS_INF = Decimal("Infinity")
_SHARE = Decimal("0.0001")
_WIDE = Context(prec=80)  # a used share of a tiny allowance can have more than 28 digits before its decimals


@dataclass(frozen=True, slots=True)
class LimitUsage:
    """How much of one loss limit's allowance the current equity uses (1 = at the floor)."""

    rule: str
    rule_index: int
    floor: Decimal
    allowance: Decimal
    used_share: Decimal


class Evaluator:
    """Applies one program. Stateless itself (safe to share and cache per program version)."""

    __slots__ = (
        "consistency", "currency", "day_starts_at", "limits", "pass_conditions", "position_rules",
        "profit_threshold", "program", "scheduled", "shifts_floors", "target", "tracks_day_peak",
        "tracks_peak", "warn_at", "zone",
    )  # fmt: skip

    def __init__(self, program: Program, warn_at: Decimal | None = DEFAULT_WARN_AT) -> None:
        """`warn_at`: the used share of a loss limit (e.g. 0.8) that produces a `LimitWarning`; None
        disables."""
        if warn_at is not None and not 0 < warn_at < 1:
            raise ValueError("warn_at must be between 0 and 1")
        self.program = program
        self.warn_at = warn_at
        self.zone = program.zone
        self.day_starts_at = program.day_starts_at
        self.currency = program.currency
        rules = program.rules
        self.limits = tuple(rule for rule in rules if isinstance(rule, LossLimit))
        self.position_rules = tuple(rule for rule in rules if isinstance(rule, PositionRule))
        self.scheduled = tuple(rule for rule in rules if isinstance(rule, ScheduledRule))
        targets = [rule for rule in rules if isinstance(rule, ProfitTarget)]
        self.target = targets[0] if targets else None
        others = [rule for rule in rules if isinstance(rule, PassCondition) and rule is not self.target]
        self.pass_conditions: tuple[PassCondition, ...] = (*targets, *others)
        thresholds = [rule.threshold for rule in rules if isinstance(rule, MinProfitableDays)]
        self.profit_threshold = thresholds[0] if thresholds else None
        consistency = [rule for rule in rules if isinstance(rule, Consistency)]
        self.consistency = consistency[0] if consistency else None
        self.tracks_day_peak = any(rule.tracks_day_peak for rule in self.limits)
        self.tracks_peak = any(rule.tracks_peak for rule in self.limits)
        self.shifts_floors = program.withdrawal_floors == SHIFT

    # -------------------------------------------------------------------------------- lifecycle

    def start(self, start_time: datetime, waived: Iterable[BreachRef] = ()) -> AccountState:
        """A fresh account at `start_time` (balance = equity = initial); the start counts as a day
        boundary. `waived`: breaches to record as overridden, without their effect."""
        if start_time.tzinfo is None:
            raise ValueError("start_time must be timezone-aware")
        _check_time(start_time)
        at = start_time.astimezone(UTC)
        state = AccountState(self.program.initial_balance, at)
        state.waived = frozenset(waived)
        state.next_boundary = next_boundary(at, self.day_starts_at, self.zone)
        state.limits = [self._new_limit(rule.at_boundary(state, None)) for rule in self.limits]
        state.marks = [at for _ in self.scheduled]
        state.dues = [rule.next_due(state, at) for rule in self.scheduled]
        self._refresh_watches(state)
        self._refresh_next_check(state)
        return state

    def apply(self, state: AccountState, event: TradingEvent) -> Outcome:
        """Apply one event (time-ordered). Raises `EventError` for events inconsistent with the account,
        before changing the state. For an event from `parse_event` (which holds every number to the engine's
        bounds) nothing else escapes: an event that would take the balance out of bounds is an `EventError`
        too."""
        at = event.time
        if at < state.clock:
            raise EventError(
                "time", f"{at.isoformat()} is before the account's last event ({state.clock.isoformat()})"
            )
        if type(event) is not EquityUpdate or at >= state.next_check or state.status != ACTIVE:
            return self._apply_full(state, event)
        state.clock = at
        equity = event.equity
        state.equity = equity
        if equity < state.floor_watch or equity <= state.warn_watch or equity > state.peak_watch:
            breaches: list[Breach] = []
            warnings: list[LimitWarning] = []
            self._check_levels(state, at, event, breaches, warnings)
            return self._outcome(breaches, warnings, False)
        return QUIET

    def advance_to(self, state: AccountState, at: datetime) -> Outcome:
        """Move the clock to `at` with no trading change, crossing day boundaries and deadlines on the way."""
        if at < state.clock:
            raise EventError(
                "time", f"{at.isoformat()} is before the account's last event ({state.clock.isoformat()})"
            )
        _check_time(at)
        breaches: list[Breach] = []
        warnings: list[LimitWarning] = []
        self._advance(state, at, breaches, warnings)
        state.clock = at
        return self._outcome(breaches, warnings, False)

    def apply_all(self, state: AccountState, events: Iterable[TradingEvent]) -> None:
        """Apply many events, ignoring outcomes (breaches stay in the state)."""
        apply = self.apply
        for event in events:
            apply(state, event)

    # -------------------------------------------------------------------------------- reading

    def result(self, state: AccountState) -> Evaluation:
        return Evaluation(state.status, tuple(state.breaches), self.metrics(state))

    def metrics(self, state: AccountState) -> Metrics:
        daily = [
            limit.floor
            for rule, limit in zip(self.limits, state.limits, strict=True)
            if isinstance(rule, DailyLoss)
        ]
        overall = [
            limit.floor
            for rule, limit in zip(self.limits, state.limits, strict=True)
            if not isinstance(rule, DailyLoss)
        ]
        return Metrics(
            balance=state.balance,
            equity=state.equity,
            daily_loss_floor=max(daily) if daily else None,
            max_loss_floor=max(overall) if overall else None,
            trading_days=state.trading_days,
            profit=state.profit,
            withdrawn_total=state.withdrawn,
            profit_since_last_withdrawal=state.profit_since_last_withdrawal,
            best_day_profit=state.best_day_profit,
            profitable_days=profitable_days(state, self.profit_threshold),
            open_positions=len(state.positions),
            excluded_profit=state.excluded_profit,
            profit_target=None if self.target is None else self.target.target,
            day_start=state.day_start.astimezone(self.zone),
            next_day_boundary=state.next_boundary.astimezone(self.zone),
            paused_until=None if state.paused_until is None else state.paused_until.astimezone(self.zone),
            pass_blockers=self.pass_blockers(state),
        )

    def pass_blockers(self, state: AccountState) -> tuple[str, ...]:
        """What stands between an active account and passing (empty once passed or without a target)."""
        if self.target is None or state.status != ACTIVE:
            return ()
        blockers = [text for rule in self.pass_conditions if (text := rule.blocker(state)) is not None]
        if state.positions:
            blockers.append(
                f"{len(state.positions)} position(s) are still open; the target counts on a flat balance."
            )
        return tuple(blockers)

    def usage(self, state: AccountState) -> list[LimitUsage]:
        """The used share of every loss limit at the current equity (for dashboards and warnings)."""
        return [
            LimitUsage(
                rule.type, rule.index, limit.floor, limit.allowance, self._used_share(limit, state.equity)
            )
            for rule, limit in zip(self.limits, state.limits, strict=True)
        ]

    def consistency_check(self, state: AccountState) -> ConsistencyCheck | None:
        """The consistency figures (for payout eligibility), or None if the program has no consistency
        rule."""
        return None if self.consistency is None else self.consistency.check(state)

    def next_day_boundary(self, state: AccountState) -> datetime:
        return state.next_boundary.astimezone(self.zone)

    def preview_next_reset(self, state: AccountState) -> Outcome:
        """What the next day boundary would bring if nothing changed before it (the state is not touched).

        Answers "safe now, breached at the reset?": a floating loss larger than the next day's allowance
        shows up here as the breach the reset would record.
        """
        copy = AccountState.from_dict(state.to_dict())
        return self.advance_to(copy, max(copy.next_boundary, copy.clock))

    # -------------------------------------------------------------------------------- steps

    def _apply_full(self, state: AccountState, event: TradingEvent) -> Outcome:
        self._validate(state, event)
        at = event.time
        breaches: list[Breach] = []
        warnings: list[LimitWarning] = []
        passed = False
        if at >= state.next_check:
            self._advance(state, at, breaches, warnings)
        if not self._judging(state, at):
            self._book(state, event)
        else:
            marks = len(state.breaches), len(breaches)
            if type(event) is EquityUpdate:
                state.equity = event.equity
                self._check_levels(state, at, event, breaches, warnings)
            elif type(event) is PositionOpened:
                self._open(state, event, breaches)
            elif type(event) is PositionClosed:
                self._close(state, event, breaches, warnings)
                passed = self._check_pass(state, at)
            elif type(event) is Withdrawal or type(event) is Deposit:
                self._move_money(state, event)
            elif type(event) is Scale:
                self._scale(state, event)
            self._in_program_order(state, breaches, marks)
        state.clock = at
        return self._outcome(breaches, warnings, passed)

    @staticmethod
    def _judging(state: AccountState, at: datetime) -> bool:
        """Whether rules are still judged at `at`: while active, and at the instant the account failed."""
        return state.status == ACTIVE or (state.status == FAILED and state.ended_at == at.astimezone(UTC))

    @staticmethod
    def _in_program_order(state: AccountState, breaches: list[Breach], marks: tuple[int, int]) -> None:
        """Put the breaches recorded since `marks` (one instant's) in program order (a stable sort)."""
        in_state, in_step = marks
        if len(breaches) - in_step > 1:
            ordered = sorted(breaches[in_step:], key=_rule_index)
            breaches[in_step:] = ordered
            state.breaches[in_state:] = ordered

    @staticmethod
    def _validate(state: AccountState, event: TradingEvent) -> None:
        _check_time(event.time)
        if type(event) is PositionOpened and event.position_id in state.positions:
            raise EventError("position_id", f"position {event.position_id!r} is already open")
        if type(event) is PositionClosed:
            if event.position_id not in state.positions:
                raise EventError("position_id", f"no open position {event.position_id!r} to close")
            problem = balance_problem(state.balance + event.profit)
            if problem is not None:
                raise EventError("profit", problem)
        elif type(event) is Withdrawal and event.amount > state.balance:
            raise EventError(
                "amount", f"{event.amount} is more than the closed balance of {money_str(state.balance)}"
            )
        elif type(event) is Deposit:
            problem = balance_problem(state.balance + event.amount)
            if problem is not None:
                raise EventError("amount", problem)
        elif type(event) is Scale:
            if event.initial <= state.initial:
                raise EventError(
                    "initial",
                    f"{event.initial} is not above the account's size of {money_str(state.initial)}: "
                    "a scale only grows it",
                )
            problem = balance_problem(state.balance + event.initial - state.initial)
            if problem is not None:
                raise EventError("initial", problem)

    def _book(self, state: AccountState, event: TradingEvent) -> None:
        """Follow balance, equity and positions without judging (after the account passed or failed)."""
        if type(event) is EquityUpdate:
            state.equity = event.equity
        elif type(event) is PositionOpened:
            state.positions[event.position_id] = self._position(event)
            state.total_volume += event.volume
        elif type(event) is PositionClosed:
            position = state.positions.pop(event.position_id)
            state.total_volume -= position.volume
            state.balance += event.profit
            if not state.positions:
                state.equity = state.balance
        elif type(event) is Withdrawal or type(event) is Deposit:
            self._move_money(state, event)
        elif type(event) is Scale:
            self._scale(state, event)

    def _move_money(self, state: AccountState, event: Withdrawal | Deposit) -> None:
        """Money out (a withdrawal) or back in (a deposit): balance and equity move by the amount; with
        `shift`, so do every floor, its base and warning level, and the peaks the trailing floors follow."""
        change = -event.amount if type(event) is Withdrawal else event.amount
        state.balance += change
        state.equity += change
        state.withdrawn -= change
        if type(event) is Withdrawal:
            state.withdrawal_base = state.balance
        if self.shifts_floors:
            state.floor_shift -= change
            state.high_eod_balance += change
            state.peak_equity += change
            state.day_peak += change
            for limit in state.limits:
                limit.floor += change
                limit.base += change
                limit.warn_level += change
        self._refresh_watches(state)

    def _scale(self, state: AccountState, event: Scale) -> None:
        """The account's size grows to `event.initial`: the money (the platform's top-up) and every base move
        up by the growth, then each loss limit is taken again on its moved base for the new size."""
        growth = event.initial - state.initial
        state.initial = event.initial
        state.balance += growth
        state.equity += growth
        state.withdrawal_base += growth
        state.day_start_balance += growth
        state.day_start_equity += growth
        state.high_eod_balance += growth
        state.peak_equity += growth
        state.day_peak += growth
        for rule, limit in zip(self.limits, state.limits, strict=True):
            floor, base, allowance = rule.figures_on(state, limit.base + growth)
            if allowance < limit.allowance:
                # A percent of a base that a withdrawal moved down (floors "shift" kept the amount) can come
                # out smaller than the amount in force: the room never shrinks at a scale, so it is kept.
                allowance = limit.allowance
                floor = min(floor, base - allowance)
            self._set_figures(limit, (floor, base, allowance))
        self._refresh_watches(state)

    @staticmethod
    def _position(event: PositionOpened) -> OpenPosition:
        return OpenPosition(
            event.position_id, event.symbol, event.side, event.volume, event.time.astimezone(UTC)
        )

    def _open(self, state: AccountState, event: PositionOpened, breaches: list[Breach]) -> None:
        position = self._position(event)
        state.positions[event.position_id] = position
        state.total_volume += event.volume
        state.trades_today += 1
        if state.last_trading_day != state.day_number:
            state.last_trading_day = state.day_number
            state.trading_days += 1
        state.last_open_at = position.opened_at
        for rule in self.position_rules:
            violation = rule.on_open(state, event, position)
            if violation is not None:
                self._record(state, rule, violation, event.time, event, breaches)
        if self.scheduled:
            state.dues = [
                rule.next_due(state, mark) for rule, mark in zip(self.scheduled, state.marks, strict=True)
            ]
            self._refresh_next_check(state)

    def _close(
        self, state: AccountState, event: PositionClosed, breaches: list[Breach], warnings: list[LimitWarning]
    ) -> None:
        position = state.positions[event.position_id]
        excluded = False
        for rule in self.position_rules:
            violation = rule.on_close(state, event, position)
            if violation is not None:
                effective = self._record(state, rule, violation, event.time, event, breaches)
                excluded = excluded or (effective and rule.effect == EXCLUDE_PROFIT)
        del state.positions[event.position_id]
        state.total_volume -= position.volume
        profit = event.profit
        state.balance += profit
        if excluded:
            state.excluded_profit += profit
        else:
            state.day_closed_profit += profit
        state.day_has_close = True
        if not state.positions:
            state.equity = state.balance
        self._check_levels(state, event.time, event, breaches, warnings)

    def _check_pass(self, state: AccountState, at: datetime) -> bool:
        if self.target is None or state.positions or state.status != ACTIVE:
            return False
        for rule in self.pass_conditions:
            if rule.blocker(state) is not None:
                return False
        state.status = PASSED
        state.ended_at = at.astimezone(UTC)
        return True

    def _advance(
        self, state: AccountState, until: datetime, breaches: list[Breach], warnings: list[LimitWarning]
    ) -> None:
        while state.status == ACTIVE and state.next_check <= until:
            due = state.next_check
            marks = len(state.breaches), len(breaches)
            if state.next_boundary <= due:
                self._cross_boundary(state, due, breaches, warnings)
            for index, rule in enumerate(self.scheduled):  # all of them, even if the boundary failed it
                rule_due = state.dues[index]
                if rule_due is None or rule_due > due:
                    continue
                violation = rule.on_due(state, rule_due)
                state.marks[index] = rule_due
                state.dues[index] = rule.next_due(state, rule_due)
                if violation is not None:
                    self._record(state, rule, violation, rule_due, None, breaches, DEADLINE)
            self._refresh_next_check(state)
            self._in_program_order(state, breaches, marks)

    def _cross_boundary(
        self, state: AccountState, at: datetime, breaches: list[Breach], warnings: list[LimitWarning]
    ) -> None:
        if is_profitable_day(state, self.profit_threshold):
            state.profitable_days += 1
        if state.day_closed_profit > state.best_past_day_profit:
            state.best_past_day_profit = state.day_closed_profit
        state.day_number += 1
        state.day_start = at
        state.next_boundary = next_boundary(at, self.day_starts_at, self.zone)
        state.day_closed_profit = ZERO
        state.day_has_close = False
        state.trades_today = 0
        state.day_start_balance = state.balance
        state.day_start_equity = state.equity
        state.day_peak = state.equity
        if state.balance > state.high_eod_balance:
            state.high_eod_balance = state.balance
        if state.paused_until is not None and state.paused_until <= at:
            state.paused_until = None
        for rule, limit in zip(self.limits, state.limits, strict=True):
            self._set_figures(limit, rule.at_boundary(state, limit))
            limit.armed = True
            limit.warned = False
        self._refresh_watches(state)
        self._check_levels(state, at, None, breaches, warnings)

    def _check_levels(
        self,
        state: AccountState,
        at: datetime,
        event: TradingEvent | None,
        breaches: list[Breach],
        warnings: list[LimitWarning],
    ) -> None:
        equity = state.equity
        if equity > state.peak_watch:
            self._new_peak(state, equity)
        if equity < state.floor_watch:
            for rule, limit in zip(self.limits, state.limits, strict=True):
                if limit.armed and equity < limit.floor:
                    limit.armed = False
                    sentence, figures = rule.explain(state, limit, event is None)
                    violation = Violation(limit.floor, equity, sentence, figures=figures)
                    self._record(state, rule, violation, at, event, breaches)
            self._refresh_watches(state)
        if equity <= state.warn_watch:
            for rule, limit in zip(self.limits, state.limits, strict=True):
                if limit.armed and not limit.warned and equity <= limit.warn_level:
                    limit.warned = True
                    warnings.append(self._warning(rule, limit, state, at))
            self._refresh_watches(state)

    def _new_peak(self, state: AccountState, equity: Decimal) -> None:
        if equity > state.day_peak:
            state.day_peak = equity
        if equity > state.peak_equity:
            state.peak_equity = equity
        for rule, limit in zip(self.limits, state.limits, strict=True):
            figures = rule.at_new_peak(state, limit)
            if figures is not None:
                self._set_figures(limit, figures)
        self._refresh_watches(state)

    def _record(
        self,
        state: AccountState,
        rule: Rule,
        violation: Violation,
        at: datetime,
        event: TradingEvent | None,
        breaches: list[Breach],
        trigger: str = DAY_BOUNDARY,
    ) -> bool:
        """Record the breach; True when its effect applies (False: staff waived it)."""
        waived = bool(state.waived) and self._is_waived(
            state, rule, at, trigger if event is None else (event.event_id or event.type)
        )
        breach = Breach(
            rule=rule.type,
            rule_index=rule.index,
            time=at.astimezone(self.zone),
            effect=rule.effect,
            limit=violation.limit,
            value=violation.value,
            explanation=violation.explanation,
            unit=violation.unit,
            event_type=trigger if event is None else event.type,
            event_id=None if event is None else event.event_id,
            figures=violation.figures,
            overridden=waived,
        )
        state.breaches.append(breach)
        breaches.append(breach)
        if waived:
            return False
        if rule.effect == FAIL and state.status == ACTIVE:
            state.status = FAILED
            state.ended_at = at.astimezone(UTC)
        elif rule.effect == PAUSE and state.status == ACTIVE:
            state.paused_until = state.next_boundary
        return True

    @staticmethod
    def _is_waived(state: AccountState, rule: Rule, at: datetime, trigger: str) -> bool:
        """Whether the breach about to be recorded is one staff overrode (its identity is in `waived`)."""
        instant = at.astimezone(UTC)
        same_rule = [b for b in state.breaches if b.time == instant and b.rule_index == rule.index]
        repeat = sum(1 for b in same_rule if b.trigger == trigger)
        identity = breach_identity(rule.index, trigger, repeat)
        if BreachRef(instant, rule.type, identity) in state.waived:
            return True
        return not same_rule and BreachRef(instant, rule.type) in state.waived

    # -------------------------------------------------------------------------------- levels

    def _new_limit(self, figures: Figures) -> LimitState:
        limit = LimitState(ZERO, ZERO, ZERO, _NEG_INF)
        self._set_figures(limit, figures)
        return limit

    def _set_figures(self, limit: LimitState, figures: Figures) -> None:
        limit.floor, limit.base, limit.allowance = figures
        if self.warn_at is None:
            limit.warn_level = _NEG_INF
        else:
            limit.warn_level = limit.floor + (1 - self.warn_at) * limit.allowance

    @staticmethod
    def _used_share(limit: LimitState, equity: Decimal) -> Decimal:
        if limit.allowance == 0:
            return Decimal(1) if equity <= limit.floor else ZERO
        return _WIDE.quantize(_WIDE.divide(limit.floor + limit.allowance - equity, limit.allowance), _SHARE)

    def _warning(self, rule: LossLimit, limit: LimitState, state: AccountState, at: datetime) -> LimitWarning:
        share = self._used_share(limit, state.equity)
        return LimitWarning(
            rule=rule.type,
            rule_index=rule.index,
            time=at.astimezone(self.zone),
            used_share=share,
            floor=limit.floor,
            equity=state.equity,
            explanation=(
                f"Equity of {money_words(state.equity, self.currency)} has used {share * 100:.0f}% of the "
                f"{rule.type.replace('_', ' ')} allowance; "
                f"the floor is {money_words(limit.floor, self.currency)}."
            ),
        )

    def _refresh_watches(self, state: AccountState) -> None:
        floor = warn = _NEG_INF
        for limit in state.limits:
            if limit.armed:
                if limit.floor > floor:
                    floor = limit.floor
                if not limit.warned and limit.warn_level > warn:
                    warn = limit.warn_level
        state.floor_watch = floor
        state.warn_watch = warn
        if self.tracks_day_peak:
            state.peak_watch = state.day_peak
        elif self.tracks_peak:
            state.peak_watch = state.peak_equity
        else:
            state.peak_watch = _POS_INF

    def _refresh_next_check(self, state: AccountState) -> None:
        next_check = state.next_boundary
        for due in state.dues:
            if due is not None and due < next_check:
                next_check = due
        state.next_check = next_check

    @staticmethod
    def _outcome(breaches: list[Breach], warnings: list[LimitWarning], passed: bool) -> Outcome:
        if not breaches and not warnings and not passed:
            return QUIET
        return Outcome(tuple(breaches), tuple(warnings), passed)


def _check_time(moment: datetime) -> None:
    problem = time_problem(moment)
    if problem is not None:
        raise EventError("time", problem)


def _rule_index(breach: Breach) -> int:
    return breach.rule_index
