"""The stream-fed read models, with DynamoDB Local's real stream records: leaderboards from balance changes
(display names only, best return first) and audit entries for the engine's enforcement."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from propdesk.leaderboards import entry_id

from functions.stream_projections import handler as stream_projections
from tests.integration.api.api_world import (
    CONTEXT,
    PROGRAM_ID,
    Firm,
    body_of,
    claims,
    clear_wiring,
    fills_then_breach,
    invoke,
    request,
)
from tests.integration.dynamodb_local import DynamoDBLocal, TableNames, stream_records

pytestmark = pytest.mark.integration

WIN = [
    {"event_id": "w1", "time": "2026-03-02T09:05:00Z", "type": "position_opened", "position_id": "q1",
     "symbol": "GBPUSD", "side": "buy", "volume": "1"},
    {"event_id": "w2", "time": "2026-03-02T09:45:00Z", "type": "position_closed", "position_id": "q1",
     "profit": "1000"},
]  # fmt: skip


@pytest.fixture(autouse=True)
def wired_from_environment() -> Iterator[None]:
    clear_wiring()
    stream_projections.production_dependencies.cache_clear()
    yield
    clear_wiring()
    stream_projections.production_dependencies.cache_clear()


@pytest.fixture()
def traded(fresh_tables: TableNames, unique_id: str) -> Firm:
    firm = Firm.seed(unique_id)
    firm.trade(firm.account_id, fills_then_breach())
    firm.trade(firm.other_account_id, WIN)
    return firm


def records(server: DynamoDBLocal, tables: TableNames) -> list[dict[str, Any]]:
    return stream_records(server.streams_client(), server.stream_arn(tables.main))


def project(batch: list[dict[str, Any]]) -> dict[str, Any]:
    deps = stream_projections.production_dependencies()
    result: dict[str, Any] = stream_projections.process({"Records": batch}, CONTEXT, deps)
    return result


def leaderboard(period: str) -> dict[str, Any]:
    event = request("getLeaderboard", {"program_id": PROGRAM_ID}, None, {"period": period})
    response = invoke("getLeaderboard", event)
    assert response["statusCode"] == 200, response["body"]
    board: dict[str, Any] = body_of(response)
    return board


def test_leaderboards_rank_by_return_with_display_names_only(
    traded: Firm, dynamodb_local: DynamoDBLocal, fresh_tables: TableNames
) -> None:
    assert project(records(dynamodb_local, fresh_tables)) == {"batchItemFailures": []}

    for period, key in (("day", "2026-03-02"), ("week", "2026-W10"), ("month", "2026-03"), ("all", "all")):
        board = leaderboard(period)
        assert board["period_key"] == key
        assert board["entries"] == [
            {"rank": 1, "entry_id": entry_id(traded.other_account_id),
             "display_name": f"Desk {traded.other_trader}", "return_percent": "1.0000", "profit": "1000.00"},
            {"rank": 2, "entry_id": entry_id(traded.account_id),
             "display_name": f"Desk {traded.trader}", "return_percent": "0.2505", "profit": "250.50"},
        ]  # fmt: skip
    assert traded.account_id not in str(leaderboard("all"))


def test_a_redelivered_batch_changes_nothing(
    traded: Firm, dynamodb_local: DynamoDBLocal, fresh_tables: TableNames
) -> None:
    batch = records(dynamodb_local, fresh_tables)
    project(batch)
    before = leaderboard("day")

    project(batch)

    assert leaderboard("day") == before
    admin = claims("admin-1", "admin")
    query = {"actor": "system:risk_recalc"}
    entries = body_of(invoke("listAuditEntries", request("listAuditEntries", identity=admin, query=query)))
    assert len(entries["entries"]) == 1


def test_the_engines_enforcement_is_in_the_audit_log(
    traded: Firm, dynamodb_local: DynamoDBLocal, fresh_tables: TableNames
) -> None:
    project(records(dynamodb_local, fresh_tables))

    query = {"account_id": traded.account_id}
    response = invoke(
        "listAuditEntries", request("listAuditEntries", identity=claims("r", "risk"), query=query)
    )
    [entry] = body_of(response)["entries"]

    assert (entry["actor"], entry["action"]) == ("system:risk_recalc", "enforcement.breach_recorded")
    assert entry["after"]["rule"] == "daily_loss" and entry["after"]["effect"] == "fail"
    assert "95,000.00" in entry["reason"]


def test_a_malformed_record_fails_alone(
    traded: Firm, dynamodb_local: DynamoDBLocal, fresh_tables: TableNames
) -> None:
    batch = records(dynamodb_local, fresh_tables)
    risk = next(r for r in batch if r["dynamodb"]["Keys"]["sk"]["S"] == "RISK")
    poison = copy.deepcopy(risk)
    poison["dynamodb"]["SequenceNumber"] = "999"
    poison["dynamodb"]["NewImage"]["evaluation"] = {"S": "not json"}

    result = project([poison, *batch])

    assert result == {"batchItemFailures": [{"itemIdentifier": "999"}]}
    assert len(leaderboard("all")["entries"]) == 2


def test_scaling_growth_withdrawals_and_deposits_are_no_trading_gain_on_any_board(
    fresh_tables: TableNames, unique_id: str, dynamodb_local: DynamoDBLocal
) -> None:
    firm = Firm.seed(unique_id)
    firm.trade(
        firm.other_account_id,
        [
            *WIN,  # 1,000.00 of trading gain, the only gain
            {"event_id": "s1", "time": "2026-03-02T10:00:00Z", "type": "scale", "initial": "110000.00",
             "scaling_id": "scaling-1"},
            {"event_id": "p1", "time": "2026-03-02T10:30:00Z", "type": "withdrawal", "amount": "800.00",
             "payout_id": "payout-1"},
            {"event_id": "p2", "time": "2026-03-02T11:00:00Z", "type": "deposit", "amount": "300.00",
             "payout_id": "payout-1"},
        ],
    )  # fmt: skip

    assert project(records(dynamodb_local, fresh_tables)) == {"batchItemFailures": []}

    for period in ("day", "week", "month", "all"):
        [entry] = leaderboard(period)["entries"]
        assert (entry["profit"], entry["return_percent"]) == ("1000.00", "1.0000"), period
