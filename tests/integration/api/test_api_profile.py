"""A trader sets the display name leaderboards show (`PUT /v1/me`): stored on their profile, answered like
`GET /v1/me`, never an e-mail address or a link, and limited per trader."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.api.api_world import body_of, claims, clear_wiring, invoke, request
from tests.integration.dynamodb_local import TableNames

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def wired_from_environment() -> Iterator[None]:
    clear_wiring()
    yield
    clear_wiring()


def put_name(trader: str, name: object) -> dict[str, object]:
    return invoke(
        "updateProfile",
        request("updateProfile", None, claims(trader, "trader"), None, {"display_name": name}),
    )


def test_a_trader_sets_a_display_name_and_reads_it_back(tables: TableNames, unique_id: str) -> None:
    trader = f"trader-{unique_id}"

    updated = put_name(trader, "Desk Jane_42")
    read = invoke("getProfile", request("getProfile", None, claims(trader, "trader")))

    assert updated["statusCode"] == 200
    assert body_of(updated)["display_name"] == "Desk Jane_42"
    assert body_of(read)["display_name"] == "Desk Jane_42"
    assert body_of(read)["email"] == f"{trader}@example.com"


@pytest.mark.parametrize(
    "name", ["jane@example.com", "https://spam.example", "ab", "x" * 33, " Jane", "Jane ", "<b>Jane</b>", 42]
)
def test_a_name_that_could_carry_personal_data_or_markup_is_refused(
    tables: TableNames, unique_id: str, name: object
) -> None:
    response = put_name(f"trader-{unique_id}", name)

    assert response["statusCode"] == 422
    assert body_of(response)["error"]["field"] == "display_name"


def test_name_changes_are_limited_per_trader(tables: TableNames, unique_id: str) -> None:
    trader = f"trader-{unique_id}"

    statuses = [put_name(trader, f"Desk {n}")["statusCode"] for n in range(6)]

    assert statuses == [200] * 5 + [429]
    assert put_name(f"other-{unique_id}", "Desk Other")["statusCode"] == 200
