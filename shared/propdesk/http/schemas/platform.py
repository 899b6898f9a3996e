"""Server-to-server routes: trading-platform connections (signed per platform) and provider webhooks (signed).

A bridge's events are engine events (docs/rules.md, "Events"). Each is checked here against its type's model
before anything is read or written: every number is a plain decimal (a string, or a whole JSON number) within
the engine's bounds (docs/rules.md, "Bounds": money |x| < 10^12, volumes 0 < v < 10^6, prices 0 < p < 10^12,
at most 8 decimal places), so `1E+100` is refused with 422 naming `events[i].equity`. The engine's own reading
of the event (in the ingestion service) checks the rest with the same bounds; a unit test holds the patterns
below to `propdesk.engine.bounds`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    StrictStr,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from propdesk.errors import InvalidInputError
from propdesk.http.error_format import field_path
from propdesk.http.schemas.common import RequestModel, ResponseModel

MONEY_LIMIT = 10**12
VOLUME_LIMIT = 10**6
PLACES = 8
MONEY_PATTERN = r"^-?0*\d{1,12}(\.\d{1,8})?$"  # |x| < 10^12, at most 8 decimal places
UNSIGNED_MONEY_PATTERN = r"^0*\d{1,12}(\.\d{1,8})?$"
VOLUME_PATTERN = r"^0*\d{1,6}(\.\d{1,8})?$"  # < 10^6, at most 8 decimal places


class _DecimalText:
    """A plain decimal string matching `pattern` (or a whole JSON number within the same range); `signed`
    allows 0 and negatives, else the value must be above 0."""

    def __init__(self, pattern: str, limit: int, signed: bool, what: str) -> None:
        words = f"{'|x|' if signed else 'x'} < {limit:,}, at most {PLACES} decimal places"
        self.words = words if signed else f"0 < {words}"
        self.compiled = re.compile(pattern)
        self.limit = limit
        self.signed = signed
        integer: dict[str, Any] = {"type": "integer", "exclusiveMaximum": limit}
        integer["exclusiveMinimum"] = -limit if signed else 0
        self.schema: dict[str, Any] = {
            "anyOf": [{"type": "string", "pattern": pattern}, integer],
            "description": f"{what} as a decimal string: {self.words}.",
        }

    def check(self, value: Any) -> str | int:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError(f"must be a decimal number as a string ({self.words})")
        if isinstance(value, int):
            within = -self.limit < value < self.limit if self.signed else 0 < value < self.limit
        else:
            within = self.compiled.fullmatch(value) is not None and (self.signed or Decimal(value) > 0)
        if not within:
            raise ValueError(f"must be a plain decimal with {self.words}, got {str(value)[:40]!r}")
        return value


_SIGNED_MONEY = _DecimalText(MONEY_PATTERN, MONEY_LIMIT, True, "An exact amount")
_POSITIVE_MONEY = _DecimalText(UNSIGNED_MONEY_PATTERN, MONEY_LIMIT, False, "An exact amount")
_PRICE = _DecimalText(UNSIGNED_MONEY_PATTERN, MONEY_LIMIT, False, "A price")
_VOLUME = _DecimalText(VOLUME_PATTERN, VOLUME_LIMIT, False, "Lots or contracts")
SignedMoney = Annotated[str | int, PlainValidator(_SIGNED_MONEY.check), WithJsonSchema(_SIGNED_MONEY.schema)]
PositiveMoney = Annotated[
    str | int, PlainValidator(_POSITIVE_MONEY.check), WithJsonSchema(_POSITIVE_MONEY.schema)
]
Price = Annotated[str | int, PlainValidator(_PRICE.check), WithJsonSchema(_PRICE.schema)]
Volume = Annotated[str | int, PlainValidator(_VOLUME.check), WithJsonSchema(_VOLUME.schema)]
EventTime = Annotated[
    StrictStr,
    Field(
        max_length=64,
        examples=["2026-03-02T10:00:00+01:00"],
        description="ISO-8601 with a UTC offset; at most 30 seconds (a firm setting) ahead of the server's "
        "clock, and not before the account opened.",
    ),
]
Name = Annotated[StrictStr, Field(min_length=1, max_length=128)]


class _Event(BaseModel):
    """Keys other than the type's are ignored, as the engine ignores them."""

    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True)

    time: EventTime
    event_id: Name | None = None


class PositionOpenedEvent(_Event):
    type: Literal["position_opened"]
    position_id: Name
    symbol: Name
    side: Literal["buy", "sell"]
    volume: Volume
    stop_loss: Price | None = None
    take_profit: Price | None = None


class PositionClosedEvent(_Event):
    type: Literal["position_closed"]
    position_id: Name
    profit: SignedMoney = Field(description="The position's net realized P&L.")
    reason: Name | None = None


class EquityEvent(_Event):
    type: Literal["equity"]
    equity: SignedMoney


class WithdrawalEvent(_Event):
    """Money taken out of the account (a paid payout): not a trading loss."""

    type: Literal["withdrawal"]
    amount: PositiveMoney
    payout_id: Name | None = None


class DepositEvent(_Event):
    """Money put back (e.g. a failed payout's compensation): not a trading profit."""

    type: Literal["deposit"]
    amount: PositiveMoney
    payout_id: Name | None = None


class OrderPlacedEvent(_Event):
    """A pending (stop or limit) order placed: for abuse detection only (news straddles), never evaluated by
    the risk engine (`propdesk.abuse.orders`)."""

    type: Literal["order_placed"]
    order_id: Name
    symbol: Name
    side: Literal["buy", "sell"]
    volume: Volume
    price: Price | None = None
    order_type: Literal["stop", "limit"] = "stop"


EVENT_MODELS: dict[str, type[_Event]] = {
    "position_opened": PositionOpenedEvent,
    "position_closed": PositionClosedEvent,
    "equity": EquityEvent,
    "withdrawal": WithdrawalEvent,
    "deposit": DepositEvent,
    "order_placed": OrderPlacedEvent,
}


def _document_event_types(schema: dict[str, Any]) -> None:
    schema["items"] = {"oneOf": [model.model_json_schema() for model in EVENT_MODELS.values()]}


class PlatformEventsRequest(RequestModel):
    account_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")
    events: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=100,
        description="Engine events (docs/rules.md), amounts as decimal strings within the engine's bounds.",
        json_schema_extra=_document_event_types,
    )

    @model_validator(mode="after")
    def _each_event_fits_its_type(self) -> Self:
        """422 naming the first field at fault (`events[3].equity`), after the top-level fields passed."""
        for index, event in enumerate(self.events):
            kind = event.get("type")
            model = EVENT_MODELS.get(kind) if isinstance(kind, str) else None
            if model is None:
                raise InvalidInputError(
                    f"must be one of {', '.join(EVENT_MODELS)}", field_path(("events", index, "type"))
                )
            try:
                model.model_validate(event)
            except ValidationError as error:
                first = error.errors()[0]
                field = field_path(("events", index, *first["loc"]))
                raise InvalidInputError(first["msg"].removeprefix("Value error, "), field) from None
        return self


class PlatformEventsAccepted(ResponseModel):
    account_id: str
    accepted: list[str] = Field(description="Event ids stored now.")
    duplicates: list[str] = Field(description="Event ids already stored (a redelivery is harmless).")


class WebhookAcknowledged(ResponseModel):
    status: str


class Health(ResponseModel):
    status: Literal["ok"] = "ok"
