"""Trading-event ingestion: validate a platform bridge's batch against the engine's event format, then store
each event once (its key is derived from the event, so a redelivery is a no-op).

The caller has authenticated the pushing platform (`propdesk.platforms.push_auth`); an account accepts events
only from the platform it lives on (its stored `PlatformReference`): another platform's push, or a push for an
account without a platform reference, is refused with 403 naming `account_id` and nothing is written.

The whole batch is validated before anything is written: a bad event anywhere means a 422 naming it
(`events[3].profit`) and no item written. Besides the engine's own reading (every number within its bounds),
an event's time may be at most `max_clock_skew` (a firm setting, 30 seconds by default) ahead of the receiving
clock, and not before the account opened.

The starting balance is counted once, by the account's initial balance: a platform that records the money an
account was opened with as a deposit in its history (MT5's balance deal; Match-Trader, TradeLocker and DXtrade
do not say, docs/platforms.md "The starting balance") sends it with the account's first deals. A `deposit`
without a payout, of exactly the initial balance, booked before the account opened or within
`OPENING_WINDOW` after, is that record: acknowledged (reported with the duplicates, already counted) and never
stored, and not refused for being older than the account (a provisioning retried later opens the account after
the platform did).

A fill may carry what the engine does not read but abuse detection does (`FILL_FIELDS`): the fill price
(`price`, `open_price`, `close_price`) and the platform feed's quote at the fill instant (`feed_bid`,
`feed_ask`, sent together, bid at most ask); each a positive decimal, kept in the stored payload.

A batch may also carry pending orders (`order_placed`, `propdesk.abuse.orders`), for abuse detection only:
validated with the rest, stored apart from the trading events (`orders`), never seen by the risk engine. An
ingestion built without a place for them refuses them (422), as before.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from propdesk.abuse.orders import ORDER_TYPE, order_to_dict, parse_order
from propdesk.domain_events import stable_id
from propdesk.engine import ClockAdvance, EventError, event_to_dict, parse_event
from propdesk.errors import ForbiddenError, InvalidInputError, NotFoundError
from propdesk.records import Account, StoredEvent
from propdesk.services.risk_stores import AccountLookup, TradingEventWriter

EVENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
FILL_FIELDS = ("price", "open_price", "close_price", "feed_bid", "feed_ask")
FILL_TYPES = frozenset({"position_opened", "position_closed"})
MAX_PRICE = Decimal("1e9")
MAX_CLOCK_SKEW = timedelta(seconds=30)
OPENING_WINDOW = timedelta(
    hours=1
)  # how long after opening a platform's record of the starting balance comes


@dataclass(frozen=True, slots=True)
class IngestReport:
    accepted: list[str]
    duplicates: list[str]


class EventIngestion:
    def __init__(
        self,
        accounts: AccountLookup,
        events: TradingEventWriter,
        max_clock_skew: timedelta = MAX_CLOCK_SKEW,
        orders: TradingEventWriter | None = None,
    ) -> None:
        self._accounts = accounts
        self._events = events
        self._max_clock_skew = max_clock_skew
        self._orders = orders

    def ingest(
        self,
        account_id: str,
        raw_events: Sequence[Mapping[str, Any]],
        received_at: datetime,
        platform: str,
    ) -> IngestReport:
        """Store the events of `account_id` pushed by `platform` (already authenticated)."""
        account = self._accounts.get(account_id)
        if account is None:
            raise NotFoundError(f"no account {account_id!r}", "account_id")
        if account.platform is None or account.platform.platform != platform:
            raise ForbiddenError(f"the account does not live on {platform}", "account_id")
        stored = [self._read(account_id, index, raw) for index, raw in enumerate(raw_events)]
        counted = {event.event_id for event in stored if starting_balance(event, account)}
        latest = received_at + self._max_clock_skew
        for index, event in enumerate(stored):
            if event.time > latest:
                raise InvalidInputError(
                    f"the event is more than {self._max_clock_skew.total_seconds():g} seconds ahead "
                    f"of the server's clock ({received_at.isoformat()})",
                    f"events[{index}].time",
                )
            if event.time < account.opened_at and event.event_id not in counted:
                raise InvalidInputError(
                    f"the event is older than the account (opened {account.opened_at.isoformat()})",
                    f"events[{index}].time",
                )
        report = IngestReport(accepted=[], duplicates=[])
        for event in stored:
            if event.event_id in counted:
                report.duplicates.append(event.event_id)  # the initial balance counts it already
                continue
            writer = self._orders if event.type == ORDER_TYPE and self._orders is not None else self._events
            recorded = writer.record(event, received_at=received_at)
            (report.accepted if recorded else report.duplicates).append(event.event_id)
        return report

    def _read(self, account_id: str, index: int, raw: Mapping[str, Any]) -> StoredEvent:
        if self._orders is not None and raw.get("type") == ORDER_TYPE:
            return _order(account_id, f"events[{index}]", raw)
        return self._validated(account_id, index, raw)

    @staticmethod
    def _validated(account_id: str, index: int, raw: Mapping[str, Any]) -> StoredEvent:
        path = f"events[{index}]"
        try:
            event = parse_event(raw)
        except EventError as error:
            field = f"{path}.{error.field}" if error.field else path
            raise InvalidInputError(error.message, field) from None
        if isinstance(event, ClockAdvance):
            raise InvalidInputError(
                "platforms send trading events; the clock is advanced by the system", f"{path}.type"
            )
        payload = event_to_dict(event)
        if event.type in FILL_TYPES:
            payload |= _fill_fields(raw, path)
        event_id = event.event_id or stable_id(account_id, json.dumps(payload, sort_keys=True))
        if not EVENT_ID.match(event_id):
            raise InvalidInputError("event_id must be 1-128 letters, digits or _.:-", f"{path}.event_id")
        payload["event_id"] = event_id
        return StoredEvent(
            account_id=account_id,
            event_id=event_id,
            time=event.time,
            type=event.type,
            payload=payload,
        )  # its position in the account's log (`sk`) is the store's to give


def starting_balance(event: StoredEvent, account: Account) -> bool:
    """Whether the event is the platform's record of the money the account was opened with (see above)."""
    if event.type != "deposit" or event.payload.get("payout_id"):
        return False
    if event.time > account.opened_at + OPENING_WINDOW:
        return False
    return Decimal(str(event.payload.get("amount"))) == account.initial_balance


def _order(account_id: str, path: str, raw: Mapping[str, Any]) -> StoredEvent:
    try:
        order = parse_order(raw)
    except EventError as error:
        raise InvalidInputError(error.message, f"{path}.{error.field}" if error.field else path) from None
    payload = order_to_dict(order)
    event_id = order.event_id or stable_id(account_id, json.dumps(payload, sort_keys=True))
    if not EVENT_ID.match(event_id):
        raise InvalidInputError("event_id must be 1-128 letters, digits or _.:-", f"{path}.event_id")
    payload["event_id"] = event_id
    return StoredEvent(account_id, event_id, order.time, ORDER_TYPE, payload)


def _fill_fields(raw: Mapping[str, Any], path: str) -> dict[str, str]:
    kept: dict[str, str] = {}
    for name in FILL_FIELDS:
        value = raw.get(name)
        if value is None:
            continue
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = Decimal(0)
        if isinstance(value, bool) or not number.is_finite() or not Decimal(0) < number < MAX_PRICE:
            raise InvalidInputError("must be a positive price", f"{path}.{name}")
        kept[name] = str(number)
    if ("feed_bid" in kept) != ("feed_ask" in kept):
        raise InvalidInputError("feed_bid and feed_ask come together", f"{path}.feed_ask")
    if "feed_bid" in kept and Decimal(kept["feed_bid"]) > Decimal(kept["feed_ask"]):
        raise InvalidInputError("feed_bid must not exceed feed_ask", f"{path}.feed_bid")
    return kept
