"""Reading the main table's stream images (DynamoDB JSON) as records, for stream-driven read models."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from propdesk.data import keys
from propdesk.data.models import AccountItem, BreachItem, RiskStateItem
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


def account_outcome(record: dict[str, Any]) -> tuple[str, str, str, datetime] | None:
    """(account id, trader id, new status, when) of an account `META` change into `failed` or `passed`,
    None for any other record (the same status written again, another attribute changed, another item).
    The instant is the account's `updated_at`, else the stream record's creation time."""
    change = record.get("dynamodb") or {}
    if record.get("eventName") not in ("INSERT", "MODIFY") or sort_key(record) != keys.META_SK:
        return None
    new_image = change.get("NewImage") or {}
    if not str((new_image.get("pk") or {}).get("S", "")).startswith(keys.ACCOUNT_PREFIX):
        return None
    status = (new_image.get("status") or {}).get("S")
    before = ((change.get("OldImage") or {}).get("status") or {}).get("S")
    if status not in ("failed", "passed") or status == before:
        return None
    item = AccountItem.from_raw_data(new_image)
    at = item.updated_at
    if at is None:
        at = datetime.fromtimestamp(float(change.get("ApproximateCreationDateTime") or 0), UTC)  # float ok
    return item.account_id, item.trader_id, status, at if at.tzinfo else at.replace(tzinfo=UTC)
