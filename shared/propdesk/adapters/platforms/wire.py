"""Reading platforms' JSON: times (RFC 3339 text or epoch milliseconds, always to UTC), amounts (`Decimal`,
never float), sides; writing times as RFC 3339 in UTC with milliseconds; and the order a window of deals is
answered in."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from propdesk.platforms.port import Deal, PlatformRejectedError, Side


def utc_time(value: Any, what: str = "time") -> datetime:
    """An aware UTC datetime from RFC 3339 text (a zone-less time is GMT, as the platforms document) or
    from epoch milliseconds."""
    if isinstance(value, bool) or value is None or value == "":
        raise PlatformRejectedError(f"the platform sent no {what}")
    if isinstance(value, int | Decimal | float) or (isinstance(value, str) and value.isdigit()):
        return datetime.fromtimestamp(int(Decimal(str(value))) / 1000, tz=UTC)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as error:
        raise PlatformRejectedError(f"the platform sent an unreadable {what}: {value!r}") from error
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def rfc3339(moment: datetime) -> str:
    """`2024-01-13T09:20:04.651Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def amount(value: Any, default: Decimal | None = None) -> Decimal:
    if value is None or value == "":
        if default is not None:
            return default
        raise PlatformRejectedError("the platform sent no amount")
    if isinstance(value, bool):
        raise PlatformRejectedError(f"the platform sent a boolean for an amount: {value!r}")
    try:
        return Decimal(str(value))
    except InvalidOperation as error:
        raise PlatformRejectedError(f"the platform sent an unreadable amount: {value!r}") from error


def price_or_none(value: Any) -> Decimal | None:
    """A stop loss or take profit: absent, null or 0 mean none."""
    if value is None or value == "":
        return None
    number = amount(value)
    return number if number > 0 else None


def side(value: Any) -> Side:
    text = str(value).strip().lower()
    if text in ("buy", "long"):
        return "buy"
    if text in ("sell", "short"):
        return "sell"
    raise PlatformRejectedError(f"the platform sent an unknown side: {value!r}")


def opposite(value: Side) -> Side:
    return "sell" if value == "buy" else "buy"


def oldest_first(deals: Iterable[Deal], since: datetime, until: datetime) -> list[Deal]:
    """The deals booked in [since, until), oldest first; at one instant an open before what follows it, then
    by deal id (so the order never depends on the order the platform answered in)."""
    found = [deal for deal in deals if since <= deal.time < until]
    return sorted(found, key=lambda deal: (deal.time, deal.kind != "open", deal.deal_id))
