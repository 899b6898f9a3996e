"""The kinds of rule the evaluator knows how to drive, and what every rule shares.

- `LossLimit`: a floor under equity (daily_loss, max_loss); the evaluator keeps its floor in the state and
  checks equity against it at every event and every day boundary.
- `PositionRule`: checked when a position opens or closes (size, count, symbols, stop loss, hold time, news,
  ...).
- `ScheduledRule`: checked at instants it names (time limit, inactivity, flat-by cut-offs), with or without
  events.
- `PassCondition`: must hold for the account to pass (profit target, minimum days, consistency).

Rules are immutable configuration; whatever they remember lives in `AccountState`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from typing import ClassVar
from zoneinfo import ZoneInfo

from propdesk.engine.breach import EFFECTS, FAIL, Violation
from propdesk.engine.events import PositionClosed, PositionOpened
from propdesk.engine.news import NewsRelease
from propdesk.engine.reading import Reader
from propdesk.engine.state import AccountState, LimitState, OpenPosition
from propdesk.engine.words import money_words
from propdesk.money import money_str

Figures = tuple[Decimal, Decimal, Decimal]  # floor, base, allowance


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Program-level facts a rule may need while it is parsed."""

    initial_balance: Decimal
    currency: str
    zone: ZoneInfo
    day_starts_at: time
    news: tuple[NewsRelease, ...]


class Rule(ABC):
    type: ClassVar[str]
    index: int
    effect: str
    currency: str

    @classmethod
    @abstractmethod
    def from_config(cls, read: Reader, index: int, ctx: RuleContext) -> Rule:
        """Parse the rule's JSON object; raise `ProgramError` (via `read`) naming the field."""

    def money(self, amount: Decimal) -> str:
        return money_words(amount, self.currency)


def scaled(figures: dict[str, str], state: AccountState, program_initial: Decimal) -> dict[str, str]:
    """A limit's figures, with the account's size when a scale grew it past the program's (which event)."""
    if state.initial == program_initial:
        return figures
    return {
        **figures,
        "initial": money_str(state.initial),
        "formula": figures["formula"] + f"; the initial balance is the scaled size (bought at "
        f"{money_str(program_initial)})",
    }


def read_effect(read: Reader, allowed: tuple[str, ...] = EFFECTS, default: str = FAIL) -> str:
    return read.choice("effect", allowed, default)


class LossLimit(Rule):
    """A floor under equity, recomputed at day boundaries and (for trailing kinds) at new equity highs.

    A limit is described by three figures: `floor` (exact, never rounded), `base` (the reference the
    allowance is taken from) and `allowance` (the exact amount of money that may be lost below the base).
    """

    tracks_day_peak: bool = False
    tracks_peak: bool = False

    @abstractmethod
    def at_boundary(self, state: AccountState, limit: LimitState | None) -> Figures:
        """The limit's figures at a day boundary (the account's start included; `limit` is None there)."""

    def at_new_peak(self, state: AccountState, limit: LimitState) -> Figures | None:
        """New figures after a new equity high (of the day or of all time), or None if the floor does not
        move."""
        return None

    @abstractmethod
    def figures_on(self, state: AccountState, base: Decimal) -> Figures:
        """The limit's figures on `base` for the account as it stands (its size `state.initial`): what a scale
        takes, with the base moved up by the growth."""

    @abstractmethod
    def explain(
        self, state: AccountState, limit: LimitState, at_boundary: bool
    ) -> tuple[str, dict[str, str]]:
        """One sentence for the trader, and the figures (base, amount, formula) behind the floor."""


class PositionRule(Rule):
    def on_open(self, state: AccountState, event: PositionOpened, position: OpenPosition) -> Violation | None:
        """Called after the position was added to the state."""
        return None

    def on_close(
        self, state: AccountState, event: PositionClosed, position: OpenPosition
    ) -> Violation | None:
        """Called before the position leaves the state and before its profit is booked."""
        return None


class ScheduledRule(Rule):
    @abstractmethod
    def next_due(self, state: AccountState, after: datetime) -> datetime | None:
        """The next instant strictly after `after` at which this rule must be checked, if any."""

    @abstractmethod
    def on_due(self, state: AccountState, at: datetime) -> Violation | None:
        """Check the rule at its due instant."""


class PassCondition(Rule):
    @abstractmethod
    def blocker(self, state: AccountState) -> str | None:
        """None when satisfied, else one sentence saying what is missing."""
