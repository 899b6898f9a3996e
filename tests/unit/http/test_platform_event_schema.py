"""The platform events route's schema holds numbers to the engine's bounds, and names the field at fault."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from propdesk.engine import EventError, parse_event
from propdesk.errors import InvalidInputError
from propdesk.http.schemas.platform import PlatformEventsRequest

TIME = "2026-03-02T10:00:00+01:00"

plain_decimals = st.builds(
    lambda sign, whole, fraction: f"{sign}{whole}{'.' + fraction if fraction else ''}",
    st.sampled_from(["", "-"]),
    st.from_regex(r"0{0,3}[0-9]{1,14}", fullmatch=True),
    st.from_regex(r"[0-9]{0,10}", fullmatch=True),
)


def schema_accepts(event: dict[str, Any]) -> bool:
    try:
        PlatformEventsRequest.model_validate({"account_id": "a", "events": [event]})
    except InvalidInputError:
        return False
    return True


def engine_accepts(event: dict[str, Any]) -> bool:
    try:
        parse_event(event)
    except EventError:
        return False
    return True


def agree(event: dict[str, Any], text: str) -> None:
    """The route accepts exactly what the engine accepts, written with at most 8 places (the engine also
    takes `1.000000000`, the value 1; the route wants the plain form)."""
    written_places = len(text.partition(".")[2])
    assert schema_accepts(event) == (engine_accepts(event) and written_places <= 8)


@given(plain_decimals)
def test_the_schema_and_the_engine_agree_on_every_plain_money_figure(text: str) -> None:
    agree({"time": TIME, "type": "equity", "equity": text}, text)


@given(plain_decimals, st.sampled_from(["volume", "stop_loss", "take_profit"]))
def test_the_schema_and_the_engine_agree_on_every_plain_volume_and_price(text: str, field: str) -> None:
    event = {"time": TIME, "type": "position_opened", "position_id": "p", "symbol": "EURUSD", "side": "buy",
             "volume": "1", field: text}  # fmt: skip
    agree(event, text)


@given(plain_decimals, st.sampled_from(["withdrawal", "deposit"]))
def test_the_schema_and_the_engine_agree_on_every_plain_withdrawal(text: str, kind: str) -> None:
    agree({"time": TIME, "type": kind, "amount": text}, text)


@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_whole_json_numbers_are_held_to_the_same_bounds(number: int) -> None:
    event = {"time": TIME, "type": "equity", "equity": number}
    assert schema_accepts(event) == engine_accepts(event)
    assert schema_accepts(event) == (abs(number) < 10**12)


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"type": "equity", "equity": "1E+100"}, "events[0].equity"),
        ({"type": "equity", "equity": 99750.5}, "events[0].equity"),
        ({"type": "equity", "equity": True}, "events[0].equity"),
        ({"type": "equity"}, "events[0].equity"),
        ({"type": "end"}, "events[0].type"),
        ({"type": "withdrawal", "amount": "-100"}, "events[0].amount"),
        ({"type": "deposit", "amount": "0"}, "events[0].amount"),
        ({"type": "withdrawal", "amount": "100", "payout_id": ""}, "events[0].payout_id"),
        ({"type": {"nested": 1}}, "events[0].type"),
        ({"type": "position_opened", "position_id": "p", "symbol": "X", "side": "long", "volume": "1"},
         "events[0].side"),
    ],
)  # fmt: skip
def test_a_refused_event_names_its_field(event: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        PlatformEventsRequest.model_validate({"account_id": "a", "events": [{"time": TIME, **event}]})
    assert caught.value.field == field


def test_trailing_zeros_beyond_eight_places_are_the_engines_to_accept_not_the_routes() -> None:
    event = {"time": TIME, "type": "equity", "equity": "1.000000000"}
    assert engine_accepts(event) and not schema_accepts(event)


def test_keys_the_engine_ignores_are_allowed() -> None:
    event = {"time": TIME, "type": "equity", "equity": "99000", "platform_ticket": 7}
    request = PlatformEventsRequest.model_validate({"account_id": "a", "events": [event]})
    assert request.events == [event]
    assert Decimal(request.events[0]["equity"]) == 99000
