"""Who may read an account: its trader, and staff whose role grants `read_accounts`; anyone else is told
exactly what they would be told about an account that does not exist."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from propdesk.access import Identity, OwnAccountError, readable_account, refuse_own_account
from propdesk.errors import ForbiddenError, NotFoundError
from propdesk.records import Account

OPENED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ACCOUNT = Account(
    "acc-1", "trader-1", "one-step-100k", 1, "active", "USD", Decimal("100000"), "UTC", "00:00", OPENED
)


class Accounts:
    def __init__(self, *accounts: Account) -> None:
        self._by_id = {account.account_id: account for account in accounts}
        self.consistent_reads = 0

    def get(self, account_id: str, consistent: bool = False) -> Account | None:
        self.consistent_reads += consistent
        return self._by_id.get(account_id)


@pytest.mark.parametrize(
    "reader",
    [Identity("trader-1", frozenset()), *(Identity("staff-1", frozenset({r})) for r in ("support", "admin"))],
)
def test_the_accounts_trader_and_staff_who_read_accounts_get_the_account(reader: Identity) -> None:
    assert readable_account(Accounts(ACCOUNT), reader, "acc-1") == ACCOUNT


def test_another_traders_account_answers_exactly_like_a_missing_one() -> None:
    stranger = Identity("trader-2", frozenset({"trader"}))

    with pytest.raises(NotFoundError) as foreign:
        readable_account(Accounts(ACCOUNT), stranger, "acc-1")
    with pytest.raises(NotFoundError) as missing:
        readable_account(Accounts(), stranger, "acc-1")

    assert (foreign.value.message, foreign.value.field) == (missing.value.message, missing.value.field)
    assert foreign.value.field == "account_id"


def test_a_consistent_read_is_asked_for_when_the_caller_needs_one() -> None:
    accounts = Accounts(ACCOUNT)

    readable_account(accounts, Identity("trader-1", frozenset()), "acc-1", consistent=True)

    assert accounts.consistent_reads == 1


def test_staff_roles_are_the_staff_groups_in_order() -> None:
    assert Identity("u", frozenset({"trader", "risk", "admin"})).staff_roles == ("admin", "risk")


def test_staff_are_refused_on_an_account_they_trade_and_only_there() -> None:
    """Separation of duties: one rule, 403 `own_account`, naming the field the caller gave."""
    refuse_own_account("risk-1", "trader-1", "override a breach of", "account_id")
    refuse_own_account("risk-1", ("trader-1", "trader-2"), "decide a flag naming", "flag_id")

    with pytest.raises(OwnAccountError) as own:
        refuse_own_account("trader-1", "trader-1", "override a breach of", "account_id")
    with pytest.raises(OwnAccountError) as named:
        refuse_own_account("trader-2", ("trader-1", "trader-2"), "decide a flag naming", "flag_id")

    assert isinstance(own.value, ForbiddenError)
    assert (own.value.code, own.value.field, named.value.field) == ("own_account", "account_id", "flag_id")
    assert own.value.message == "staff may not override a breach of an account they trade"
