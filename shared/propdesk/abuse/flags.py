"""A flag: one suspicion about named accounts, with the evidence a person needs to decide on it.

A flag's `flag_id` is stable: it names the detector and the subject (an account, a pair of accounts, a ring,
a cluster of traders), never the moment, so a later detection of the same subject updates the flag rather
than opening a second one (`reconcile`). Evidence holds the trades side by side, the shared identity
signals, the score with its formula and inputs, and the thresholds in force: enough to re-check the
arithmetic by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

DetectorName = Literal[
    "copy_trading",
    "hedging",
    "shared_identity",
    "scalping",
    "latency_arbitrage",
    "martingale_grid",
    "news_straddling",
]
DETECTORS: tuple[DetectorName, ...] = (
    "copy_trading",
    "hedging",
    "shared_identity",
    "scalping",
    "latency_arbitrage",
    "martingale_grid",
    "news_straddling",
)
Severity = Literal["low", "medium", "high"]
SEVERITIES: tuple[Severity, ...] = ("low", "medium", "high")
FlagStatus = Literal["open", "dismissed", "warned", "payout_denied", "accounts_failed", "superseded"]
Pass = Literal["stream", "deep"]

SCORE_PLACES = Decimal("0.01")
REOPEN_GROWTH = Decimal("1.5")


def score_of(value: float | Decimal) -> Decimal:  # float ok: a detector's statistic, never money
    """A score as shown in evidence: a Decimal with two places (statistics are computed in float)."""
    return Decimal(str(value)).quantize(SCORE_PLACES)


def severity_rank(severity: Severity) -> int:
    return SEVERITIES.index(severity)


@dataclass(frozen=True, slots=True)
class TradeRef:
    """One trade (or pending order) as cited in evidence."""

    account_id: str
    position_id: str
    symbol: str
    side: str
    volume: Decimal
    opened_at: datetime
    price: Decimal | None = None
    closed_at: datetime | None = None
    close_price: Decimal | None = None
    profit: Decimal | None = None
    event_id: str | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "position_id": self.position_id,
            "symbol": self.symbol,
            "side": self.side,
            "volume": str(self.volume),
            "opened_at": self.opened_at.isoformat(),
            "price": _text(self.price),
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "close_price": _text(self.close_price),
            "profit": _text(self.profit),
            "event_id": self.event_id,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class SharedSignal:
    """An identity signal value two or more traders share, with the weight it carried in the link."""

    kind: str
    value: str
    traders: tuple[str, ...]
    weight: Decimal
    network: str = "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": self.value,
            "traders": list(self.traders),
            "weight": str(self.weight),
            "network": self.network,
        }


@dataclass(frozen=True, slots=True)
class Evidence:
    summary: str
    score: Decimal
    formula: str
    inputs: tuple[tuple[str, str], ...]
    thresholds: tuple[tuple[str, str], ...]
    trades: tuple[tuple[TradeRef, ...], ...] = ()
    signals: tuple[SharedSignal, ...] = ()

    def figure(self, name: str) -> str:
        return dict(self.inputs)[name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "score": str(self.score),
            "formula": self.formula,
            "inputs": dict(self.inputs),
            "thresholds": dict(self.thresholds),
            "trades": [[trade.to_dict() for trade in row] for row in self.trades],
            "signals": [signal.to_dict() for signal in self.signals],
        }


@dataclass(frozen=True, slots=True)
class Flag:
    """`detected_at` is the event time of the detection (the event that completed the evidence, or the end
    of a deep pass's window). `supersedes` lists the subjects of the flags this one absorbed (two rings found
    to be one: `absorbed_ids`); an absorbed flag is `superseded`, `superseded_by` its survivor, and is no
    longer open (it holds nothing; a decision on the survivor covers its accounts)."""

    flag_id: str
    detector: DetectorName
    severity: Severity
    accounts: tuple[str, ...]
    traders: tuple[str, ...]
    evidence: Evidence
    detected_at: datetime
    found_by: Pass = "stream"
    status: FlagStatus = "open"
    first_detected_at: datetime | None = None
    supersedes: tuple[str, ...] = ()
    superseded_by: str | None = None

    @property
    def score(self) -> Decimal:
        return self.evidence.score

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def to_dict(self) -> dict[str, Any]:
        return {
            "flag_id": self.flag_id,
            "detector": self.detector,
            "severity": self.severity,
            "accounts": list(self.accounts),
            "traders": list(self.traders),
            "evidence": self.evidence.to_dict(),
            "detected_at": self.detected_at.isoformat(),
            "first_detected_at": (self.first_detected_at or self.detected_at).isoformat(),
            "found_by": self.found_by,
            "status": self.status,
            "supersedes": list(self.supersedes),
            "superseded_by": self.superseded_by,
        }


def flag_id(detector: DetectorName, subject: str) -> str:
    return f"{detector}:{subject}"


def absorbed_ids(flag: Flag) -> tuple[str, ...]:
    """The ids of the flags `flag` absorbed (`supersedes` holds their subjects, of the same detector)."""
    return tuple(flag_id(flag.detector, subject) for subject in flag.supersedes)


def pair_subject(first: str, second: str) -> str:
    low, high = sorted((first, second))
    return f"{low}+{high}"


def reconcile(stored: Flag | None, detected: Flag) -> Flag:
    """The flag to store when `detected` arrives for the id of `stored`.

    A new id is stored as detected. An open flag takes the new evidence and keeps when it was first seen.
    A decided flag keeps its decision and its evidence, unless the detection is graver (a higher severity,
    or a score grown by half since): then it is reopened with the new evidence, for staff to look again.
    A superseded flag is treated as a decided one (its survivor covers it) and reopened the same way.
    """
    if stored is None:
        return detected
    first = stored.first_detected_at or stored.detected_at
    if stored.is_open:
        return replace(detected, first_detected_at=first, supersedes=_union(stored.supersedes, detected))
    graver = severity_rank(detected.severity) > severity_rank(stored.severity)
    grown = detected.score >= stored.score * REOPEN_GROWTH and detected.score > stored.score
    if graver or grown:
        return replace(detected, status="open", first_detected_at=first)
    return stored


def _union(previous: Sequence[str], detected: Flag) -> tuple[str, ...]:
    return tuple(sorted(set(previous) | set(detected.supersedes)))


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
