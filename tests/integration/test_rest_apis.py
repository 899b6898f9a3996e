"""The REST functions in-process with the sample API Gateway requests, against DynamoDB Local."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from propdesk.catalogue import demo_programs
from propdesk.data.accounts import AccountRepository
from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.events import TradingEventRepository

from functions.accounts_api import handler as accounts_api
from functions.catalogue_api import handler as catalogue_api
from functions.platform_events import handler as platform_events
from tests.doubles.ports import ManualClock
from tests.integration.consistency import eventually
from tests.integration.dynamodb_local import TableNames
from tests.integration.factories import OPENED_AT, account
from tests.integration.invoke import LambdaContextStub, json_of, rest_request

pytestmark = pytest.mark.integration

CONTEXT = LambdaContextStub()
PUBLISHED_AT = datetime(2026, 3, 1, tzinfo=UTC)
TRADER = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


@pytest.fixture(autouse=True)
def wired_from_environment() -> Iterator[None]:
    """Handlers build their dependencies from the environment the fixtures set (DynamoDB Local)."""
    for module in (catalogue_api, accounts_api, platform_events):
        module.production_dependencies.cache_clear()
    yield
    for module in (catalogue_api, accounts_api, platform_events):
        module.production_dependencies.cache_clear()


@pytest.fixture()
def catalogue(fresh_tables: TableNames) -> list[str]:
    repository = CatalogueRepository()
    for program in demo_programs():
        repository.publish(program.summary, program.document, PUBLISHED_AT)
    return sorted(program.summary.program_id for program in demo_programs())


def trader_claims(subject: str = TRADER, groups: str = "trader") -> dict[str, str]:
    return {"sub": subject, "cognito:groups": groups}


# ---------------------------------------------------------------------------------------------- catalogue


def test_the_catalogue_lists_every_program_with_prices_as_decimal_strings(catalogue: list[str]) -> None:
    response = catalogue_api.handler(rest_request("get_programs"), CONTEXT)

    assert response["statusCode"] == 200
    body = json_of(response)
    assert [p["program_id"] for p in body["programs"]] == catalogue
    phase1 = next(p for p in body["programs"] if p["program_id"] == "two-step-100k-phase-1")
    assert phase1["prices"] == {"EUR": "499.00", "GBP": "429.00", "USD": "540.00"}
    assert body["next_cursor"] is None


def test_the_catalogue_pages_with_an_opaque_cursor(catalogue: list[str]) -> None:
    seen: list[str] = []
    query = {"limit": "3"}
    for _ in range(5):
        body = json_of(catalogue_api.handler(rest_request("get_programs_page", query=query), CONTEXT))
        seen += [p["program_id"] for p in body["programs"]]
        if body["next_cursor"] is None:
            break
        query = {"limit": "3", "cursor": body["next_cursor"]}
    assert seen == catalogue


def test_one_program_comes_with_its_current_version_document(catalogue: list[str]) -> None:
    response = catalogue_api.handler(rest_request("get_program"), CONTEXT)

    assert response["statusCode"] == 200
    body = json_of(response)
    assert body["program"]["version"] == 1
    assert body["current_version"]["document"]["rules"][0]["type"] == "daily_loss"


def test_an_unknown_program_is_a_json_404_naming_the_field(catalogue: list[str]) -> None:
    event = rest_request("get_program", path="/v1/programs/nope", path_parameters={"program_id": "nope"})
    response = catalogue_api.handler(event, CONTEXT)
    assert response["statusCode"] == 404
    assert json_of(response)["error"] == {
        "code": "not_found",
        "message": "no program 'nope'",
        "field": "program_id",
    }


def test_an_unknown_route_is_a_json_404(tables: TableNames) -> None:
    response = catalogue_api.handler(rest_request("get_programs", path="/v1/nothing-here"), CONTEXT)
    assert response["statusCode"] == 404
    assert json_of(response)["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "abc"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"cursor": "x"}, "cursor"),
    ],
)
def test_bad_query_parameters_are_422_naming_the_field(
    tables: TableNames, query: dict[str, str], field: str
) -> None:
    response = catalogue_api.handler(rest_request("get_programs_page", query=query), CONTEXT)
    assert response["statusCode"] == 422
    assert json_of(response)["error"]["field"] == field


# ---------------------------------------------------------------------------------------------- accounts


def test_a_trader_lists_only_their_own_accounts(tables: TableNames, unique_id: str) -> None:
    repository = AccountRepository()
    repository.open(account(f"{unique_id}-mine", trader_id=f"t-{unique_id}"))
    repository.open(account(f"{unique_id}-theirs", trader_id=f"other-{unique_id}"))
    eventually(lambda: repository.list_for_trader(f"t-{unique_id}").items)

    response = accounts_api.handler(
        rest_request("get_accounts", claims=trader_claims(f"t-{unique_id}")), CONTEXT
    )

    assert response["statusCode"] == 200
    assert [a["account_id"] for a in json_of(response)["accounts"]] == [f"{unique_id}-mine"]


def test_another_traders_account_is_not_found_but_staff_see_it(tables: TableNames, unique_id: str) -> None:
    AccountRepository().open(account(unique_id, trader_id=f"owner-{unique_id}"))
    path = {"account_id": unique_id}
    event = rest_request("get_account", path=f"/v1/accounts/{unique_id}", path_parameters=path)

    stranger = accounts_api.handler(
        {
            **event,
            "requestContext": {
                **event["requestContext"],
                "authorizer": {"claims": trader_claims("someone-else")},
            },
        },
        CONTEXT,
    )
    staff = accounts_api.handler(
        {
            **event,
            "requestContext": {
                **event["requestContext"],
                "authorizer": {"claims": trader_claims("support-1", "[support]")},
            },
        },
        CONTEXT,
    )

    assert stranger["statusCode"] == 404
    assert staff["statusCode"] == 200
    assert json_of(staff)["account"]["trader_id"] == f"owner-{unique_id}"
    assert json_of(staff)["risk"] is None


def test_a_request_without_identity_is_401(tables: TableNames) -> None:
    event = rest_request("get_accounts")
    del event["requestContext"]["authorizer"]
    response = accounts_api.handler(event, CONTEXT)
    assert response["statusCode"] == 401
    assert json_of(response)["error"]["code"] == "unauthorized"


# ------------------------------------------------------------------------------------------ platform events


def post_events(account_id: str, events: list[dict[str, str]]) -> dict[str, object]:
    body = json.dumps({"account_id": account_id, "events": events})
    return platform_events.handler(rest_request("post_platform_events", body=body), CONTEXT)


def test_the_sample_batch_is_stored_once_and_redelivery_is_a_no_op(tables: TableNames) -> None:
    AccountRepository().open(account("acc-1001", trader_id=TRADER, opened_at=OPENED_AT))
    sample = rest_request("post_platform_events")

    first = platform_events.handler(sample, CONTEXT)
    again = platform_events.handler(sample, CONTEXT)

    assert first["statusCode"] == 202
    assert json_of(first)["accepted"] == ["mt5-deal-1", "mt5-eq-1", "mt5-deal-2"]
    assert json_of(again)["duplicates"] == ["mt5-deal-1", "mt5-eq-1", "mt5-deal-2"]
    stored = [event.event_id for event in TradingEventRepository().replay("acc-1001")]
    assert stored == ["mt5-deal-1", "mt5-eq-1", "mt5-deal-2"]


def test_malformed_json_is_400(tables: TableNames) -> None:
    response = platform_events.handler(rest_request("post_platform_events", body='{"account_id": '), CONTEXT)
    assert response["statusCode"] == 400
    assert json_of(response)["error"]["code"] == "malformed_request"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": [{"type": "equity"}]}, "account_id"),
        ({"account_id": "a", "events": []}, "events"),
        ({"account_id": "a", "events": "nope"}, "events"),
        ({"account_id": 7, "events": [{}]}, "account_id"),
        ({"account_id": "a", "events": [{}], "extra": 1}, "extra"),
        ({"account_id": "a", "events": [{}]}, "events[0].type"),
        ({"account_id": "a", "events": [{"type": ["equity"]}]}, "events[0].type"),
    ],
)
def test_wrong_shapes_are_422_naming_the_field(
    tables: TableNames, body: dict[str, object], field: str
) -> None:
    response = platform_events.handler(rest_request("post_platform_events", body=json.dumps(body)), CONTEXT)
    assert response["statusCode"] == 422
    assert json_of(response)["error"]["field"] == field


def test_an_invalid_event_deep_in_the_batch_is_422_and_nothing_is_written(
    tables: TableNames, unique_id: str
) -> None:
    AccountRepository().open(account(unique_id))
    good = {"event_id": "ok-1", "time": "2026-03-02T10:00:00+01:00", "type": "equity", "equity": "99000"}
    bad = {
        "event_id": "bad-1",
        "time": "2026-03-02T10:01:00+01:00",
        "type": "position_closed",
        "position_id": "p",
    }

    response = post_events(unique_id, [good, bad])

    assert response["statusCode"] == 422
    assert json_of(response)["error"]["field"] == "events[1].profit"
    assert list(TradingEventRepository().replay(unique_id)) == []


POISON = [
    ("equity", "equity", "1E+100"),
    ("equity", "equity", "-1E+40"),
    ("equity", "equity", "1E+30"),
    ("equity", "equity", 10**13),
    ("equity", "equity", "99000.123456789"),
    ("position_closed", "profit", "1E+30"),
    ("position_opened", "volume", "1000000"),
    ("position_opened", "volume", "0"),
    ("position_opened", "stop_loss", "-1"),
    ("withdrawal", "amount", "0"),
    ("withdrawal", "amount", "1E+12"),
    ("deposit", "amount", "-5"),
]
BASE_EVENTS: dict[str, dict[str, object]] = {
    "equity": {"type": "equity", "equity": "99000"},
    "position_closed": {"type": "position_closed", "position_id": "p1", "profit": "1"},
    "withdrawal": {"type": "withdrawal", "amount": "100"},
    "deposit": {"type": "deposit", "amount": "100"},
    "position_opened": {
        "type": "position_opened", "position_id": "p1", "symbol": "EURUSD", "side": "buy", "volume": "1"
    },
}  # fmt: skip


@pytest.mark.parametrize(("kind", "field", "value"), POISON)
def test_a_number_out_of_the_engines_bounds_is_422_naming_the_field_and_nothing_is_stored(
    tables: TableNames, unique_id: str, kind: str, field: str, value: object
) -> None:
    AccountRepository().open(account(unique_id))
    good = {"event_id": "ok-1", "time": "2026-03-02T10:00:00+01:00", "type": "equity", "equity": "99000"}
    poison = {**BASE_EVENTS[kind], "event_id": "bad-1", "time": "2026-03-02T10:01:00+01:00", field: value}

    response = post_events(unique_id, [good, poison])

    assert response["statusCode"] == 422
    assert json_of(response)["error"]["field"] == f"events[1].{field}"
    assert list(TradingEventRepository().replay(unique_id)) == []


def post_at(now: datetime, account_id: str, events: list[dict[str, str]]) -> dict[str, object]:
    """The route with an injected clock (the production wiring otherwise)."""
    from propdesk.services.ingestion import EventIngestion

    deps = (EventIngestion(AccountRepository(), TradingEventRepository()), ManualClock(now))
    body = json.dumps({"account_id": account_id, "events": events})
    return platform_events.process(rest_request("post_platform_events", body=body), CONTEXT, deps)


def test_an_event_more_than_five_minutes_ahead_of_the_clock_is_422_and_nothing_is_stored(
    tables: TableNames, unique_id: str
) -> None:
    AccountRepository().open(account(unique_id))
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    within = {"event_id": "e-1", "time": "2026-03-02T09:05:00+00:00", "type": "equity", "equity": "99000"}
    ahead = {"event_id": "e-2", "time": "2026-03-02T09:05:00.000001+00:00", "type": "equity", "equity": "1"}

    refused = post_at(now, unique_id, [within, ahead])
    accepted = post_at(now, unique_id, [within])

    assert refused["statusCode"] == 422
    assert json_of(refused)["error"]["field"] == "events[1].time"
    assert accepted["statusCode"] == 202
    assert [event.event_id for event in TradingEventRepository().replay(unique_id)] == ["e-1"]


def test_an_event_before_the_account_opened_is_422(tables: TableNames, unique_id: str) -> None:
    AccountRepository().open(account(unique_id, opened_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC)))
    early = {"event_id": "e-1", "time": "2026-03-02T07:59:59+00:00", "type": "equity", "equity": "99000"}

    response = post_at(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), unique_id, [early])

    assert response["statusCode"] == 422
    assert json_of(response)["error"]["field"] == "events[0].time"
    assert list(TradingEventRepository().replay(unique_id)) == []


def test_a_paid_payouts_withdrawal_and_its_compensation_are_stored(
    tables: TableNames, unique_id: str
) -> None:
    AccountRepository().open(account(unique_id))
    paid = {"event_id": "w-1", "time": "2026-03-02T10:00:00+01:00", "type": "withdrawal", "amount": "1234.56",
            "payout_id": "po-1"}  # fmt: skip
    back = {"event_id": "d-1", "time": "2026-03-02T11:00:00+01:00", "type": "deposit", "amount": "1234.56",
            "payout_id": "po-1"}  # fmt: skip

    response = post_events(unique_id, [paid, back])

    assert response["statusCode"] == 202
    stored = list(TradingEventRepository().replay(unique_id))
    assert [(event.type, event.payload["amount"], event.payload["payout_id"]) for event in stored] == [
        ("withdrawal", "1234.56", "po-1"),
        ("deposit", "1234.56", "po-1"),
    ]


def test_events_for_an_unknown_account_are_404(tables: TableNames, unique_id: str) -> None:
    response = post_events(
        unique_id, [{"time": "2026-03-02T10:00:00+01:00", "type": "equity", "equity": "1"}]
    )
    assert response["statusCode"] == 404
    assert json_of(response)["error"]["field"] == "account_id"


def test_an_oversize_body_is_413_before_parsing(tables: TableNames) -> None:
    response = platform_events.handler(
        rest_request("post_platform_events", body="x" * (256 * 1024 + 1)), CONTEXT
    )
    assert response["statusCode"] == 413
    assert json_of(response)["error"]["code"] == "payload_too_large"


def test_an_event_without_id_gets_one_derived_from_its_content(tables: TableNames, unique_id: str) -> None:
    AccountRepository().open(account(unique_id))
    event = {"time": "2026-03-02T10:00:00+01:00", "type": "equity", "equity": "99000.00"}
    first = json_of(post_events(unique_id, [event]))
    second = json_of(post_events(unique_id, [event]))
    assert len(first["accepted"]) == 1
    assert second["duplicates"] == first["accepted"]
