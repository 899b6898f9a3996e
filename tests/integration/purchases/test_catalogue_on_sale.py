"""`GET /v1/programs` and `GET /v1/programs/{id}` list what is on sale: prices per currency and the add-ons
sold with each program, priced as checkout prices them; discount codes never appear (DynamoDB Local)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from propdesk.catalogue import demo_programs
from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.sales import SalesCatalogueRepository
from propdesk.purchases.demo import demo_add_ons, demo_discount_codes
from propdesk.purchases.pricing import AddOn

from functions.catalogue_api import handler as catalogue_api
from tests.integration.dynamodb_local import TableNames
from tests.integration.invoke import LambdaContextStub, json_of, rest_request

pytestmark = pytest.mark.integration

CONTEXT = LambdaContextStub()
PUBLISHED_AT = datetime(2026, 3, 1, tzinfo=UTC)
PHASE_1 = "two-step-100k-phase-1"
FUTURES = "futures-50k"


@pytest.fixture(autouse=True)
def wired_from_environment() -> Iterator[None]:
    catalogue_api.production_dependencies.cache_clear()
    yield
    catalogue_api.production_dependencies.cache_clear()


@pytest.fixture()
def on_sale(fresh_tables: TableNames) -> None:
    programs = CatalogueRepository()
    for program in demo_programs():
        programs.publish(program.summary, program.document, PUBLISHED_AT)
    sales = SalesCatalogueRepository(programs)
    for add_on in demo_add_ons():
        sales.put_add_on(add_on)
    sales.put_add_on(
        AddOn("futures-reset", "Free reset", {"USD": Decimal("25.00")}, programs=frozenset({FUTURES}))
    )
    for code in demo_discount_codes():
        sales.put_discount(code)


def program(body: dict[str, Any], program_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in body["programs"] if p["program_id"] == program_id)
    return found


@pytest.mark.usefixtures("on_sale")
def test_every_program_lists_its_prices_and_the_add_ons_sold_with_it() -> None:
    response = catalogue_api.handler(rest_request("get_programs"), CONTEXT)

    assert response["statusCode"] == 200
    body = json_of(response)
    phase_1 = program(body, PHASE_1)
    assert phase_1["prices"] == {"EUR": "499.00", "GBP": "429.00", "USD": "540.00"}
    assert phase_1["add_ons"] == [
        {
            "add_on_id": "no-time-limit",
            "description": "No time limit",
            "prices": {"EUR": "74.85", "GBP": "64.35", "USD": "81.00"},  # 15% of the program, per currency
        },
        {
            "add_on_id": "split-90",
            "description": "90% profit split",
            "prices": {"EUR": "89.00", "GBP": "79.00", "USD": "99.00"},
        },
    ]
    futures = program(body, FUTURES)
    assert [a["add_on_id"] for a in futures["add_ons"]] == ["futures-reset", "no-time-limit", "split-90"]
    assert futures["add_ons"][0]["prices"] == {"USD": "25.00"}  # no EUR/GBP price: left out


@pytest.mark.usefixtures("on_sale")
def test_one_program_comes_with_its_add_ons() -> None:
    event = rest_request(
        "get_program", path=f"/v1/programs/{FUTURES}", path_parameters={"program_id": FUTURES}
    )
    body = json_of(catalogue_api.handler(event, CONTEXT))

    assert body["program"]["program_id"] == FUTURES
    assert [a["add_on_id"] for a in body["program"]["add_ons"]] == [
        "futures-reset",
        "no-time-limit",
        "split-90",
    ]
    assert body["program"]["add_ons"][1]["prices"] == {"EUR": "6.75", "GBP": "5.85", "USD": "7.35"}


@pytest.mark.usefixtures("on_sale")
def test_discount_codes_stay_private() -> None:
    listing = catalogue_api.handler(rest_request("get_programs"), CONTEXT)["body"]
    event = rest_request(
        "get_program", path=f"/v1/programs/{PHASE_1}", path_parameters={"program_id": PHASE_1}
    )
    detail = catalogue_api.handler(event, CONTEXT)["body"]

    for text in (listing, detail):
        assert "LAUNCH10" not in text and "WELCOME50" not in text and "discount" not in json.loads(text)


def test_a_catalogue_without_add_ons_lists_none(fresh_tables: TableNames) -> None:
    CatalogueRepository().publish(demo_programs()[0].summary, demo_programs()[0].document, PUBLISHED_AT)

    body = json_of(catalogue_api.handler(rest_request("get_programs"), CONTEXT))

    assert [p["add_ons"] for p in body["programs"]] == [[]]
