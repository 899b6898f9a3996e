"""Accounts, their risk figures, events and breaches → the response models (money as decimal strings, times
ISO-8601). The catalogue's and the audit log's views are beside it (`catalogue_views`, `staff_views`), so a
function imports only the response models it answers with."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, get_args
from zoneinfo import ZoneInfo

from propdesk.http.schemas import accounts as out
from propdesk.money import HUNDRED, ZERO, money_str
from propdesk.records import (
    Account,
    BreachEvidence,
    BreachOverride,
    RiskSnapshot,
    StoredEvent,
)

if TYPE_CHECKING:  # the engine costs ~25 ms of import: only the metrics routes load it, when called
    from propdesk.engine import LimitUsage
    from propdesk.services.account_metrics import LiveMetrics

PERCENT_PLACES = Decimal("0.01")
STATUSES: dict[str, out.AccountStatus] = {status: status for status in get_args(out.AccountStatus)}


def account_view(account: Account) -> out.AccountOut:
    return out.AccountOut(
        account_id=account.account_id,
        trader_id=account.trader_id,
        status=account.status,
        status_reason=account.status_reason,
        program_id=account.program_id,
        program_version=account.program_version,
        currency=account.currency,
        initial_balance=money_str(account.initial_balance),
        timezone=account.timezone,
        day_starts_at=account.day_starts_at,
        opened_at=account.opened_at,
        platform=None
        if account.platform is None
        else out.PlatformLoginOut(
            platform=account.platform.platform, server=account.platform.server, login=account.platform.login
        ),
    )


def risk_view(snapshot: RiskSnapshot | None) -> out.RiskOut | None:
    if snapshot is None:
        return None
    return out.RiskOut(
        status=snapshot.status,
        metrics=snapshot.metrics,
        usage=snapshot.usage,
        evaluated_until=snapshot.evaluated_until,
        events_applied=snapshot.applied_events,
    )


# ---- breaches


def breach_view(
    evidence: BreachEvidence,
    trigger: StoredEvent | None = None,
    override: BreachOverride | None = None,
) -> out.BreachOut:
    return out.BreachOut(
        breach_id=evidence.breach_id,
        rule=evidence.rule,
        time=evidence.time,
        effect=evidence.effect,
        limit=_quantity(evidence.limit, evidence.figures),
        value=_quantity(evidence.value, evidence.figures),
        explanation=evidence.explanation,
        event_id=evidence.event_id,
        event_type=evidence.event_type,
        figures=evidence.figures,
        program_id=evidence.program_id,
        program_version=evidence.program_version,
        trigger=None if trigger is None else event_view(trigger),
        override=None if override is None else override_note(override),
    )


def override_note(override: BreachOverride) -> out.OverrideNote:
    return out.OverrideNote(
        override_id=override.override_id, actor=override.actor, reason=override.reason, at=override.at
    )


def event_view(event: StoredEvent) -> out.TradingEventOut:
    return out.TradingEventOut(
        event_id=event.event_id, time=event.time, type=event.type, payload=event.payload
    )


def _quantity(value: Decimal, figures: dict[str, Any]) -> str:
    """Money with its cents (DynamoDB drops trailing zeros); counts and volumes as they are."""
    return money_str(value) if figures.get("unit", "money") == "money" else str(value)


# ---- trades and positions


def fill_view(event: StoredEvent) -> out.Fill:
    payload = event.payload
    profit = payload.get("profit")
    return out.Fill(
        event_id=event.event_id,
        time=event.time,
        type="position_opened" if event.type == "position_opened" else "position_closed",
        position_id=str(payload.get("position_id", "")),
        symbol=payload.get("symbol"),
        side=payload.get("side"),
        volume=payload.get("volume"),
        stop_loss=payload.get("stop_loss"),
        take_profit=payload.get("take_profit"),
        profit=None if profit is None else money_str(Decimal(str(profit))),
        reason=payload.get("reason"),
    )


def open_position_view(position: dict[str, Any]) -> out.OpenPositionOut:
    return out.OpenPositionOut(
        position_id=position["position_id"],
        symbol=position["symbol"],
        side=position["side"],
        volume=position["volume"],
        opened_at=datetime.fromisoformat(position["opened_at"]),
    )


# ---- live metrics


def metrics_view(live: LiveMetrics, trader_zone: ZoneInfo) -> out.Metrics:
    figures = live.metrics
    equity = figures.equity
    status = STATUSES.get(live.status, "active")
    return out.Metrics(
        account_id=live.account.account_id,
        status=status,
        as_of=live.as_of,
        currency=live.account.currency,
        balance=money_str(figures.balance),
        equity=money_str(equity),
        profit=money_str(figures.profit),
        daily_loss=_allowance(live.daily_loss, equity),
        max_loss=_allowance(live.max_loss, equity),
        next_day_boundary=out.DayBoundary(
            utc=live.next_boundary.astimezone(ZoneInfo("UTC")),
            program_time=live.next_boundary,
            trader_time=live.next_boundary.astimezone(trader_zone),
            trader_timezone=trader_zone.key,
        ),
        profit_target=_target(figures.profit_target, figures.profit),
        trading_days=out.TradingDays(count=figures.trading_days, required=live.required_trading_days),
        consistency=_consistency(live),
        open_positions=figures.open_positions,
        paused_until=figures.paused_until,
        pass_blockers=list(figures.pass_blockers),
        next_reset=out.ResetPreview(
            safe=not live.reset_preview.breaches,
            breaches=[
                out.ResetBreach(rule=b.rule, effect=b.effect, explanation=b.explanation)
                for b in live.reset_preview.breaches
            ],
        ),
    )


def metrics_json(live: LiveMetrics, trader_zone: ZoneInfo) -> dict[str, Any]:
    """The metrics as the REST route answers them, as JSON (what a live update carries)."""
    return metrics_view(live, trader_zone).model_dump(mode="json")


def _allowance(usage: LimitUsage | None, equity: Decimal) -> out.LossAllowance | None:
    if usage is None:
        return None
    return out.LossAllowance(
        rule=usage.rule,
        floor=money_str(usage.floor),
        remaining=money_str(max(equity - usage.floor, ZERO)),
        used_percent=_percent(max(usage.used_share, ZERO) * HUNDRED),  # in profit: nothing used
    )


def _target(target: Decimal | None, profit: Decimal) -> out.TargetProgress | None:
    if target is None:
        return None
    progress = max(profit, ZERO) * HUNDRED / target if target > 0 else HUNDRED
    return out.TargetProgress(
        target=money_str(target),
        profit=money_str(profit),
        remaining=money_str(max(target - profit, ZERO)),
        progress_percent=_percent(min(progress, HUNDRED)),
    )


def _consistency(live: LiveMetrics) -> out.Consistency | None:
    check, percent = live.consistency, live.max_best_day_percent
    if check is None or percent is None:
        return None
    return out.Consistency(
        ok=check.ok,
        best_day_profit=money_str(check.best_day_profit),
        best_day_allowed=money_str(check.best_day_limit),
        max_best_day_percent=_percent(percent),
        profit_needed=money_str(check.profit_needed),
    )


def _percent(value: Decimal) -> str:
    return str(value.quantize(PERCENT_PLACES))
