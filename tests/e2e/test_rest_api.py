"""The REST API as a client sees it, through API Gateway in the local cloud."""

from __future__ import annotations

import pytest

from tests.e2e.harness import DeployedStack

pytestmark = pytest.mark.e2e


def test_the_catalogue_lists_the_seeded_programs(stack: DeployedStack) -> None:
    answer = stack.http("GET", "/v1/programs")

    assert answer.status == 200
    program_ids = {program["program_id"] for program in answer.body["programs"]}
    assert stack.demo["program_id"] in program_ids
    assert all(isinstance(p["prices"]["USD"], str) for p in answer.body["programs"])


def test_one_program_by_id_and_a_json_404_for_an_unknown_one(stack: DeployedStack) -> None:
    found = stack.http("GET", f"/v1/programs/{stack.demo['program_id']}")
    missing = stack.http("GET", "/v1/programs/no-such-program")

    assert found.status == 200
    assert missing.status == 404
    assert missing.body["error"]["code"] == "not_found"


def test_an_unknown_route_answers_a_json_404(stack: DeployedStack) -> None:
    answer = stack.http("GET", "/v1/no-such-route")

    assert answer.status in (403, 404)
    assert "error" in answer.body


def test_accounts_need_a_token(stack: DeployedStack) -> None:
    assert stack.http("GET", "/v1/accounts").status == 401
    assert stack.http("GET", "/v1/accounts", headers={"Authorization": "not-a-token"}).status in (401, 403)


def test_a_signed_in_trader_lists_their_own_accounts(stack: DeployedStack, trader_token: str) -> None:
    answer = stack.http("GET", "/v1/accounts", headers={"Authorization": trader_token})

    assert answer.status == 200
    assert stack.demo["account_id"] in [a["account_id"] for a in answer.body["accounts"]]


def test_malformed_json_is_a_400_and_a_missing_field_a_422_naming_it(stack: DeployedStack) -> None:
    malformed = stack.push_events("", [], raw_body=b"{not json")
    missing = stack.push_events("", [], raw_body=b'{"events": []}')

    assert malformed.status == 400
    assert malformed.body["error"]["code"]
    assert missing.status == 422
    assert missing.body["error"]["field"] in ("account_id", "events")


def test_an_oversize_body_is_a_413(stack: DeployedStack) -> None:
    body = '{"account_id": "x", "events": [' + ",".join(['{"type": "end"}'] * 20000) + "]}"

    answer = stack.push_events("", [], raw_body=body.encode())

    assert answer.status == 413
