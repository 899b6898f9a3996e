"""Reading the main table's stream images (DynamoDB JSON) as records, for stream-driven read models."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from propdesk.data import keys
from propdesk.data.models import BreachItem, RiskStateItem
from propdesk.data.risk import _evidence, snapshot_of
from propdesk.records import BreachEvidence, RiskSnapshot


def sort_key(record: dict[str, Any]) -> str:
    raw_keys = (record.get("dynamodb") or {}).get("Keys") or {}
    value = (raw_keys.get("sk") or {}).get("S", "")
    return value if isinstance(value, str) else ""


def risk_balance(image: dict[str, Any]) -> tuple[str, Decimal, datetime]:
    """(account id, closed balance, when written) of a RISK image; raises on a malformed one."""
    item = RiskStateItem.from_raw_data(image)
    if item.sk != keys.RISK_SK:
        raise ValueError(f"not a risk state: {item.sk!r}")
    return item.account_id, Decimal(str(item.evaluation["metrics"]["balance"])), item.updated_at


def breach(image: dict[str, Any]) -> tuple[BreachEvidence, datetime]:
    """The breach evidence of a BREACH# image and when it was recorded."""
    item = BreachItem.from_raw_data(image)
    if not item.sk.startswith(keys.BREACH_PREFIX):
        raise ValueError(f"not a breach: {item.sk!r}")
    return _evidence(item), item.recorded_at


def risk_snapshot(image: dict[str, Any]) -> tuple[RiskSnapshot, datetime]:
    """The engine snapshot a RISK image holds and when it was written; raises on a malformed one."""
    item = RiskStateItem.from_raw_data(image)
    if item.sk != keys.RISK_SK:
        raise ValueError(f"not a risk state: {item.sk!r}")
    return snapshot_of(item), item.updated_at
