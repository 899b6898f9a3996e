"""A trader's dashboard through the REST functions, in-process against DynamoDB Local."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from propdesk.data.platform_access import PlatformAccessRepository
from propdesk.platforms.enforcement import PendingCommand, PlatformAccessState
from propdesk.platforms.port import TradingAccess

from tests.integration.api.api_world import (
    NOW,
    Firm,
    body_of,
    claims,
    clear_wiring,
    fills_then_breach,
    invoke,
    request,
)
from tests.integration.dynamodb_local import TableNames

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def wired_from_environment() -> Iterator[None]:
    clear_wiring()
    yield
    clear_wiring()


@pytest.fixture()
def firm(tables: TableNames, unique_id: str) -> Firm:
    return Firm.seed(unique_id)


def get(operation_id: str, firm: Firm, query: dict[str, str] | None = None) -> dict[str, object]:
    response = invoke(
        operation_id,
        request(operation_id, {"account_id": firm.account_id}, claims(firm.trader, "trader"), query),
    )
    assert response["statusCode"] == 200, response["body"]
    result: dict[str, object] = body_of(response)
    return result


def test_the_profile_names_the_trader_and_their_roles(firm: Firm) -> None:
    identity = claims(firm.trader, "trader")
    identity["zoneinfo"] = "America/Chicago"

    body = body_of(invoke("getProfile", request("getProfile", identity=identity)))

    assert body == {
        "trader_id": firm.trader,
        "email": f"{firm.trader}@example.com",
        "display_name": f"Desk {firm.trader}",
        "roles": ["trader"],
        "timezone": "America/Chicago",
    }


def test_live_metrics_of_a_fresh_account(firm: Firm) -> None:
    metrics = get("getAccountMetrics", firm, {"tz": "Asia/Tokyo"})

    assert metrics["status"] == "active"
    assert metrics["balance"] == "100000.00"
    assert metrics["daily_loss"] == {
        "rule": "daily_loss", "floor": "95000.00", "remaining": "5000.00", "used_percent": "0.00"
    }  # fmt: skip
    assert metrics["next_day_boundary"] == {
        "utc": "2026-03-02T23:00:00Z",
        "program_time": "2026-03-03T00:00:00+01:00",
        "trader_time": "2026-03-03T08:00:00+09:00",
        "trader_timezone": "Asia/Tokyo",
    }
    assert metrics["profit_target"] == {
        "target": "10000.00", "profit": "0.00", "remaining": "10000.00", "progress_percent": "0.00"
    }  # fmt: skip
    assert metrics["trading_days"] == {"count": 0, "required": 4}


def test_an_unknown_zone_is_a_422_naming_tz(firm: Firm) -> None:
    event = request(
        "getAccountMetrics", {"account_id": firm.account_id}, claims(firm.trader), {"tz": "Mars/Base"}
    )

    response = invoke("getAccountMetrics", event)

    assert response["statusCode"] == 422
    assert body_of(response)["error"]["field"] == "tz"


def test_the_account_detail_after_trading_and_a_breach(firm: Firm) -> None:
    firm.trade(firm.account_id, fills_then_breach())

    detail = get("getAccount", firm)

    assert detail["account"]["status"] == "failed"  # type: ignore[index]
    assert detail["metrics"]["status"] == "failed"  # type: ignore[index]
    assert detail["metrics"]["balance"] == "100250.50"  # type: ignore[index]
    [breach] = detail["breaches"]  # type: ignore[misc]
    assert (breach["rule"], breach["event_id"], breach["value"]) == ("daily_loss", "t3", "94000.00")
    assert breach["override"] is None


def test_trades_are_executions_only_newest_first_in_pages_and_time_ranges(firm: Firm) -> None:
    firm.trade(firm.account_id, fills_then_breach())

    first = get("listTrades", firm, {"limit": "2"})
    second = get("listTrades", firm, {"limit": "2", "cursor": str(first["next_cursor"])})
    ranged = get("listTrades", firm, {"from": "2026-03-02T09:30:00Z", "to": "2026-03-02T11:00:00Z",
                                      "order": "asc"})  # fmt: skip

    pages = [t["event_id"] for t in first["trades"] + second["trades"]]  # type: ignore[operator]
    assert pages == ["o3", "o2", "c1", "o1"]  # no equity ticks
    assert (
        second["next_cursor"] is None
        or get("listTrades", firm, {"limit": "2", "cursor": str(second["next_cursor"])})["trades"] == []
    )
    assert [t["event_id"] for t in ranged["trades"]] == ["c1", "o2"]  # type: ignore[attr-defined]
    close = second["trades"][0]  # type: ignore[index]
    assert close == {
        "event_id": "c1", "time": "2026-03-02T09:30:00Z", "type": "position_closed", "position_id": "p1",
        "symbol": None, "side": None, "volume": None, "stop_loss": None, "take_profit": None,
        "profit": "250.50", "reason": None,
    }  # fmt: skip


def test_a_cursor_from_another_account_is_refused(firm: Firm) -> None:
    firm.trade(firm.account_id, fills_then_breach())
    cursor = str(get("listTrades", firm, {"limit": "1"})["next_cursor"])
    event = request("listTrades", {"account_id": firm.other_account_id}, claims(firm.other_trader),
                    {"cursor": cursor})  # fmt: skip

    response = invoke("listTrades", event)

    assert response["statusCode"] == 422
    assert body_of(response)["error"]["field"] == "cursor"


def test_a_reversed_time_range_is_a_422_naming_to(firm: Firm) -> None:
    event = request("listTrades", {"account_id": firm.account_id}, claims(firm.trader),
                    {"from": "2026-03-02T12:00:00Z", "to": "2026-03-02T11:00:00Z"})  # fmt: skip

    response = invoke("listTrades", event)

    assert response["statusCode"] == 422
    assert body_of(response)["error"]["field"] == "to"


def test_open_positions_come_from_the_risk_state(firm: Firm) -> None:
    firm.trade(firm.account_id, fills_then_breach())

    positions = get("listOpenPositions", firm)["positions"]

    assert [(p["position_id"], p["symbol"], p["volume"]) for p in positions] == [  # type: ignore[attr-defined]
        ("p2", "XAUUSD", "2"), ("p3", "US30", "1")
    ]  # fmt: skip


def test_a_breach_report_carries_its_explanation_figures_and_the_triggering_event(firm: Firm) -> None:
    firm.trade(firm.account_id, fills_then_breach())

    [report] = get("listBreaches", firm)["breaches"]  # type: ignore[misc]

    assert report["rule"] == "daily_loss" and report["effect"] == "fail"
    assert "95,000.00" in report["explanation"]
    assert report["limit"] == "95000.00"
    assert report["figures"]["formula"]
    trigger = report["trigger"]
    assert (trigger["event_id"], trigger["time"], trigger["type"]) == ("t3", "2026-03-02T11:30:00Z", "equity")
    assert trigger["payload"]["equity"] == "94000"
    assert report["program_version"] == firm.program_version
    assert report["breach_id"]


def test_the_account_at_its_platform_shows_access_confirmed_wanted_and_pending(firm: Firm) -> None:
    before = get("getAccountPlatform", firm)
    PlatformAccessRepository().save(
        PlatformAccessState(
            firm.account_id, desired=TradingAccess.READ_ONLY, desired_since=NOW, desired_kind="pause",
            paused_until=NOW + timedelta(hours=3), confirmed=TradingAccess.READ_ONLY,
            confirmed_at=NOW + timedelta(seconds=1),
            pending=(PendingCommand("c-2", "disable", NOW, NOW, 2, "503 from the platform"),),
        )
    )  # fmt: skip

    as_trader = get("getAccountPlatform", firm)
    as_staff = body_of(
        invoke(
            "getAccountPlatform",
            request("getAccountPlatform", {"account_id": firm.account_id}, claims("risk-1", "risk")),
        )
    )

    assert before["access"] is None and before["pending"] == []
    assert as_trader["access"] == as_trader["wanted"] == "read_only"
    assert as_trader["confirmed_at"] == "2026-03-02T12:00:01Z"
    assert as_trader["paused_until"] == "2026-03-02T15:00:00Z"
    assert as_trader["pending"] == [
        {"kind": "disable", "asked_at": "2026-03-02T12:00:00Z", "received_at": "2026-03-02T12:00:00Z",
         "attempts": 2, "last_error": None}
    ]  # fmt: skip
    assert as_staff["pending"][0]["last_error"] == "503 from the platform"
