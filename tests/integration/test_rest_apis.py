"""The REST functions in-process with the sample API Gateway requests, against DynamoDB Local
(platform events: test_platform_events.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from propdesk.catalogue import demo_programs
from propdesk.data.accounts import AccountRepository
from propdesk.data.catalogue import CatalogueRepository

from functions.accounts_api import handler as accounts_api
from functions.catalogue_api import handler as catalogue_api
from tests.integration.consistency import eventually
from tests.integration.dynamodb_local import TableNames
from tests.integration.factories import account
from tests.integration.invoke import LambdaContextStub, json_of, rest_request

pytestmark = pytest.mark.integration

CONTEXT = LambdaContextStub()
PUBLISHED_AT = datetime(2026, 3, 1, tzinfo=UTC)
TRADER = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


@pytest.fixture(autouse=True)
def wired_from_environment() -> Iterator[None]:
    """Handlers build their dependencies from the environment the fixtures set (DynamoDB Local)."""
    for module in (catalogue_api, accounts_api):
        module.production_dependencies.cache_clear()
    yield
    for module in (catalogue_api, accounts_api):
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
