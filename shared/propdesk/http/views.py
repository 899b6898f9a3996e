"""Records → the JSON the REST API answers with (money as decimal strings, times ISO-8601)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from propdesk.data.records import Account, BreachEvidence, ProgramSummary, ProgramVersion, RiskSnapshot
from propdesk.money import money_str


def program_view(summary: ProgramSummary) -> dict[str, Any]:
    return {
        "program_id": summary.program_id,
        "name": summary.name,
        "kind": summary.kind,
        "description": summary.description,
        "version": summary.current_version,
        "currency": summary.currency,
        "initial_balance": str(summary.initial_balance),
        "prices": {currency: str(price) for currency, price in sorted(summary.prices.items())},
    }


def program_version_view(version: ProgramVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "published_at": version.published_at.isoformat(),
        "document": version.document,
    }


def account_view(account: Account) -> dict[str, Any]:
    return {
        "account_id": account.account_id,
        "trader_id": account.trader_id,
        "status": account.status,
        "status_reason": account.status_reason,
        "program_id": account.program_id,
        "program_version": account.program_version,
        "currency": account.currency,
        "initial_balance": str(account.initial_balance),
        "timezone": account.timezone,
        "day_starts_at": account.day_starts_at,
        "opened_at": account.opened_at.isoformat(),
    }


def risk_view(snapshot: RiskSnapshot | None) -> dict[str, Any] | None:
    if snapshot is None:
        return None
    evaluation = snapshot.evaluation
    return {
        "status": evaluation.get("status"),
        "metrics": evaluation.get("metrics", {}),
        "usage": evaluation.get("usage", []),
        "evaluated_until": snapshot.evaluated_until.isoformat() if snapshot.evaluated_until else None,
        "events_applied": snapshot.applied_events,
    }


def breach_view(evidence: BreachEvidence) -> dict[str, Any]:
    return {
        "rule": evidence.rule,
        "time": evidence.time.isoformat(),
        "effect": evidence.effect,
        "limit": _quantity(evidence.limit, evidence.figures),
        "value": _quantity(evidence.value, evidence.figures),
        "explanation": evidence.explanation,
        "event_id": evidence.event_id,
        "event_type": evidence.event_type,
        "figures": evidence.figures,
        "program_id": evidence.program_id,
        "program_version": evidence.program_version,
    }


def _quantity(value: Decimal, figures: dict[str, Any]) -> str:
    """Money with its cents (DynamoDB drops trailing zeros); counts and volumes as they are."""
    return money_str(value) if figures.get("unit", "money") == "money" else str(value)
