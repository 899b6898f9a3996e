"""A trader sees where and as whom to log in to their account's platform, never a password."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from propdesk.data.account_logins import AccountLoginRepository
from propdesk.records import AccountLogin

from tests.integration.api.api_world import Firm, body_of, claims, clear_wiring, invoke, request
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


def credentials(firm: Firm, *identity: str) -> dict[str, object]:
    subject, *groups = identity
    event = request("getAccountCredentials", {"account_id": firm.account_id}, claims(subject, *groups))
    return invoke("getAccountCredentials", event)


def test_the_owner_reads_server_and_login_once_the_account_is_open(firm: Firm) -> None:
    AccountLoginRepository().put(AccountLogin(firm.account_id, "match-trader", "MatchTrader-Demo", "700001"))

    answer = credentials(firm, firm.trader, "trader")

    assert answer["statusCode"] == 200
    assert body_of(answer) == {
        "account_id": firm.account_id,
        "platform": "match-trader",
        "server": "MatchTrader-Demo",
        "login": "700001",
    }
    assert "password" not in str(answer["body"]).lower()


def test_support_can_read_it_to_help_a_trader_log_in(firm: Firm) -> None:
    AccountLoginRepository().put(AccountLogin(firm.account_id, "match-trader", "MatchTrader-Demo", "700001"))
    assert credentials(firm, "support-1", "support")["statusCode"] == 200


def test_before_the_platform_account_exists_the_answer_is_404(firm: Firm) -> None:
    answer = credentials(firm, firm.trader, "trader")
    assert answer["statusCode"] == 404
    assert body_of(answer)["error"]["message"] == "the account has no platform login yet"
