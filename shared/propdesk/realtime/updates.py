"""The messages pushed on topics (pure: built from records, no AWS).

An account update carries the account's risk-state version as its sequence number: versions only grow, every
recalculation that changed the state has one, and a redelivered stream record yields the same number, so
clients drop what they have seen (`seq <= last`) and ask for what they missed with `since`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from propdesk.realtime.topics import Topic

ACCOUNT_UPDATE = "account.update"
LEADERBOARD_UPDATE = "leaderboard.update"
RESYNC = "resync"


def account_update(
    topic: Topic,
    sequence: int,
    at: datetime,
    metrics: Mapping[str, Any],
    old_evaluation: Mapping[str, Any] | None,
    new_evaluation: Mapping[str, Any],
    old_warnings_sent: Mapping[str, str] | None,
    new_warnings_sent: Mapping[str, str],
) -> dict[str, Any]:
    """One recalculation's result: the live metrics, plus the warnings and breaches it newly produced."""
    return {
        "type": ACCOUNT_UPDATE,
        "topic": topic.name,
        "seq": sequence,
        "at": at.isoformat(),
        "metrics": dict(metrics),
        "warnings": new_warnings(new_evaluation, old_warnings_sent or {}, new_warnings_sent),
        "breaches": new_breaches(old_evaluation, new_evaluation),
    }


def new_breaches(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Breaches in the new evaluation that the old one did not list (same rule, index and time)."""
    known = {_breach_identity(breach) for breach in (old or {}).get("breaches", [])}
    return [dict(breach) for breach in new.get("breaches", []) if _breach_identity(breach) not in known]


def new_warnings(
    evaluation: Mapping[str, Any], old_sent: Mapping[str, str], new_sent: Mapping[str, str]
) -> list[dict[str, Any]]:
    """Limits warned about in this recalculation (`warnings_sent` gained a key or a later trading day)."""
    usage = {f"{u['rule']}#{u['rule_index']}": u for u in evaluation.get("usage", [])}
    warned = []
    for key, day in sorted(new_sent.items()):
        if old_sent.get(key, "") >= day:
            continue
        rule, _, index = key.partition("#")
        limit = usage.get(key, {})
        warned.append(
            {
                "rule": rule,
                "rule_index": int(index) if index.isdigit() else 0,
                "trading_day": day,
                "floor": limit.get("floor"),
                "used_share": limit.get("used_share"),
            }
        )
    return warned


def leaderboard_update(topic: Topic, period_key: str, entry: Mapping[str, Any]) -> dict[str, Any]:
    """One account's new standing on a board (display name only): clients re-rank their copy."""
    return {
        "type": LEADERBOARD_UPDATE,
        "topic": topic.name,
        "period_key": period_key,
        "entry": dict(entry),
    }


def resync(topic: Topic, since: int) -> dict[str, Any]:
    """Updates after `since` are no longer all kept: reload the state over REST, then follow from the next."""
    return {
        "type": RESYNC,
        "topic": topic.name,
        "since": since,
        "message": "updates after your last sequence number are no longer all kept; reload over REST",
    }


def _breach_identity(breach: Mapping[str, Any]) -> tuple[str, str, str]:
    return (str(breach.get("rule")), str(breach.get("rule_index")), str(breach.get("time")))
