"""Every rule type a program may use, by its JSON `type` name (each rule's module documents its fields)."""

from __future__ import annotations

from collections.abc import Callable

from propdesk.engine.reading import Reader
from propdesk.engine.rules.allowed_symbols import AllowedSymbols
from propdesk.engine.rules.base import (
    LossLimit,
    PassCondition,
    PositionRule,
    Rule,
    RuleContext,
    ScheduledRule,
)
from propdesk.engine.rules.consistency import Consistency, ConsistencyCheck
from propdesk.engine.rules.daily_loss import DailyLoss
from propdesk.engine.rules.flat_by import FlatBy
from propdesk.engine.rules.forbidden_symbols import ForbiddenSymbols
from propdesk.engine.rules.inactivity import Inactivity
from propdesk.engine.rules.max_loss import MaxLoss
from propdesk.engine.rules.max_open_positions import MaxOpenPositions
from propdesk.engine.rules.max_position_volume import MaxPositionVolume
from propdesk.engine.rules.max_total_volume import MaxTotalVolume
from propdesk.engine.rules.max_trade_loss import MaxTradeLoss
from propdesk.engine.rules.max_trades_per_day import MaxTradesPerDay
from propdesk.engine.rules.min_hold_time import MinHoldTime
from propdesk.engine.rules.min_profitable_days import MinProfitableDays
from propdesk.engine.rules.min_trading_days import MinTradingDays
from propdesk.engine.rules.news_blackout import NewsBlackout
from propdesk.engine.rules.profit_target import ProfitTarget
from propdesk.engine.rules.stop_loss_required import StopLossRequired
from propdesk.engine.rules.time_limit import TimeLimit

RuleParser = Callable[[Reader, int, RuleContext], Rule]

RULE_TYPES: dict[str, RuleParser] = {
    rule.type: rule.from_config
    for rule in (
        DailyLoss, MaxLoss, ProfitTarget, MinTradingDays, MinProfitableDays, Consistency, TimeLimit,
        Inactivity, MaxPositionVolume, MaxTotalVolume, MaxOpenPositions, MaxTradesPerDay, AllowedSymbols,
        ForbiddenSymbols,
        StopLossRequired, MinHoldTime, FlatBy, NewsBlackout, MaxTradeLoss,
    )
}  # fmt: skip

# Rule types a program may hold at most once (the state keeps one counter or one target for them).
SINGLETONS = frozenset({ProfitTarget.type, MinProfitableDays.type})

__all__ = [
    "RULE_TYPES",
    "SINGLETONS",
    "Consistency",
    "ConsistencyCheck",
    "LossLimit",
    "MinProfitableDays",
    "PassCondition",
    "PositionRule",
    "ProfitTarget",
    "Rule",
    "RuleContext",
    "ScheduledRule",
]
