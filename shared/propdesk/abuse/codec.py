"""A flag back from its stored form: `Flag.to_dict()` is what the data layer keeps, `flag_from_dict` reads it.

The round trip is exact (`flag_from_dict(flag.to_dict()) == flag`), so that a stored flag reconciles with a
new detection as the detectors' own flags would.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from propdesk.abuse.flags import (
    DetectorName,
    Evidence,
    Flag,
    FlagStatus,
    Pass,
    Severity,
    SharedSignal,
    TradeRef,
)


def flag_from_dict(data: dict[str, Any]) -> Flag:
    first = data.get("first_detected_at")
    detected = datetime.fromisoformat(data["detected_at"])
    first_at = datetime.fromisoformat(first) if first else None
    return Flag(
        flag_id=data["flag_id"],
        detector=cast(DetectorName, data["detector"]),
        severity=cast(Severity, data["severity"]),
        accounts=tuple(data["accounts"]),
        traders=tuple(data["traders"]),
        evidence=evidence_from_dict(data["evidence"]),
        detected_at=detected,
        found_by=cast(Pass, data.get("found_by", "stream")),
        status=cast(FlagStatus, data.get("status", "open")),
        # to_dict writes detected_at when the flag had none: keep None then, so the round trip is exact
        first_detected_at=None if first_at == detected else first_at,
        supersedes=tuple(data.get("supersedes", ())),
        superseded_by=data.get("superseded_by"),  # absent in flags stored before it existed
    )


def evidence_from_dict(data: dict[str, Any]) -> Evidence:
    return Evidence(
        summary=data["summary"],
        score=Decimal(data["score"]),
        formula=data["formula"],
        inputs=tuple((str(k), str(v)) for k, v in data.get("inputs", {}).items()),
        thresholds=tuple((str(k), str(v)) for k, v in data.get("thresholds", {}).items()),
        trades=tuple(tuple(_trade(row) for row in rows) for rows in data.get("trades", [])),
        signals=tuple(_signal(row) for row in data.get("signals", [])),
    )


def _trade(data: dict[str, Any]) -> TradeRef:
    return TradeRef(
        account_id=data["account_id"],
        position_id=data["position_id"],
        symbol=data["symbol"],
        side=data["side"],
        volume=Decimal(data["volume"]),
        opened_at=datetime.fromisoformat(data["opened_at"]),
        price=_decimal(data.get("price")),
        closed_at=datetime.fromisoformat(data["closed_at"]) if data.get("closed_at") else None,
        close_price=_decimal(data.get("close_price")),
        profit=_decimal(data.get("profit")),
        event_id=data.get("event_id"),
        note=data.get("note", ""),
    )


def _signal(data: dict[str, Any]) -> SharedSignal:
    return SharedSignal(
        kind=data["kind"],
        value=data["value"],
        traders=tuple(data["traders"]),
        weight=Decimal(data["weight"]),
        network=data.get("network", "unknown"),
    )


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)
