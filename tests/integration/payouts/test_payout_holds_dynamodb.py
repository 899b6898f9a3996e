"""Payout holds in DynamoDB Local: placed and lifted once per (account, source, reference), read in the order
they were placed, and a held account's payout request refused through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from propdesk.data.payout_holds import PayoutHoldRepository
from propdesk.payouts.holds import PayoutHold

from tests.integration.api.api_world import body_of
from tests.integration.dynamodb_local import TableNames
from tests.integration.payouts.payout_world import NOW, FundedDesk

pytestmark = pytest.mark.integration


def test_a_hold_is_placed_once_listed_oldest_first_and_lifted_once(
    tables: TableNames, unique_id: str
) -> None:
    holds = PayoutHoldRepository()
    account = f"acc-{unique_id}"
    later = PayoutHold(account, "reconciliation", "rec-2", "equity differs by 12.50", NOW)
    earlier = PayoutHold(account, "abuse", "flag-1", "hedging pair", NOW - timedelta(minutes=5))

    assert holds.place(later) and holds.place(earlier)
    assert not holds.place(earlier)
    assert holds.holds_on(account) == [earlier, later]
    assert holds.lift(account, "abuse", "flag-1")
    assert not holds.lift(account, "abuse", "flag-1")
    assert holds.holds_on(account) == [later]
    assert holds.holds_on(f"other-{unique_id}") == []


def test_a_held_account_is_refused_its_payout_with_a_generic_reason(
    tables: TableNames, unique_id: str
) -> None:
    desk = FundedDesk.seed(unique_id)
    PayoutHoldRepository().place(
        PayoutHold(desk.account_id, "abuse", "flag-9", "copy trading ring", NOW - timedelta(hours=1))
    )

    response = desk.request_payout()

    body = body_of(response)
    assert response["statusCode"] == 409, body
    assert body["error"]["code"] == "payout_on_hold"
    assert "copy" not in str(body)
    assert desk.publisher.published == []
