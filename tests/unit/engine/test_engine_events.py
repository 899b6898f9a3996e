from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from propdesk.engine import (
    ClockAdvance,
    EquityUpdate,
    EventError,
    PositionClosed,
    PositionOpened,
    event_to_dict,
    parse_event,
)

OPEN = {
    "time": "2026-03-02T10:00:00+01:00",
    "type": "position_opened",
    "position_id": "p1",
    "symbol": "EURUSD",
    "side": "buy",
    "volume": "1.0",
}


def test_the_issue_formats_parse_to_typed_immutable_events() -> None:
    opened = parse_event(OPEN)
    assert isinstance(opened, PositionOpened)
    assert opened.volume == Decimal("1.0")
    assert opened.time.utcoffset() == timedelta(hours=1)
    closed = parse_event(
        {
            "time": "2026-03-02T11:00:00+01:00",
            "type": "position_closed",
            "position_id": "p1",
            "profit": "-250.00",
        }
    )
    assert isinstance(closed, PositionClosed) and closed.profit == Decimal("-250.00")
    tick = parse_event({"time": "2026-03-02T11:00:00Z", "type": "equity", "equity": "99750.00"})
    assert isinstance(tick, EquityUpdate) and tick.equity == Decimal("99750.00")
    assert isinstance(parse_event({"time": "2026-03-02T12:00:00+00:00", "type": "end"}), ClockAdvance)
    with pytest.raises(AttributeError):
        tick.equity = Decimal(0)  # type: ignore[misc]


def test_optional_event_id_and_stop_loss_are_read() -> None:
    event = parse_event(
        {**OPEN, "event_id": "evt-9", "stop_loss": "1.0500", "note": "extra keys are ignored"}
    )
    assert isinstance(event, PositionOpened)
    assert (event.event_id, event.stop_loss) == ("evt-9", Decimal("1.0500"))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time": "2026-03-02T10:00:00"}, "time"),
        ({"time": "yesterday"}, "time"),
        ({"time": None}, "time"),
        ({"type": "teleport"}, "type"),
        ({"side": "long"}, "side"),
        ({"volume": "0"}, "volume"),
        ({"volume": 1.5}, "volume"),
        ({"position_id": ""}, "position_id"),
        ({"event_id": 7}, "event_id"),
    ],
)
def test_invalid_events_name_the_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(EventError) as caught:
        parse_event({**OPEN, **change})
    assert caught.value.field == field


def test_event_to_dict_is_the_inverse_of_parse_event() -> None:
    for data in (
        {**OPEN, "stop_loss": "1.05", "event_id": "e1"},
        {
            "time": "2026-03-02T11:00:00+01:00",
            "type": "position_closed",
            "position_id": "p1",
            "profit": "5",
            "reason": "take_profit",
        },
        {"time": "2026-03-02T11:00:00+01:00", "type": "equity", "equity": "99750.00"},
        {"time": "2026-03-02T11:00:00+01:00", "type": "withdrawal", "amount": "500", "payout_id": "po-1"},
        {"time": "2026-03-02T11:00:00+01:00", "type": "deposit", "amount": "500"},
        {"time": "2026-03-02T11:00:00+01:00", "type": "end"},
    ):
        assert parse_event(event_to_dict(parse_event(data))) == parse_event(data)
