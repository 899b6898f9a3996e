"""Staff actions over in-memory stores: a breach override is refused for an id the API never handed out
(422), a breach the account has not (404) or one overridden already (409); it may reinstate the account the
breach failed, and is audited with the state before and after. Pinning another program version takes the
version's trading day, changes nothing when it is the same version, and loses to a concurrent change (409)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from propdesk.access import Identity, OwnAccountError
from propdesk.errors import ConflictError, InvalidInputError, NotFoundError
from propdesk.records import Account, AuditEntry, Page, ProgramVersion
from propdesk.services.staff_actions import ChangeProgramVersion, OverrideBreach, StaffActionService

from tests.doubles.payouts import InMemoryAccounts
from tests.doubles.staff_actions import InMemoryStaffActions

AT = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
RISK = Identity("risk-ann", frozenset({"risk"}))
ADMIN = Identity("admin-bo", frozenset({"admin"}))
FAILED = Account("acc-1", "trader-1", "two-step", 1, "failed", "USD", Decimal(100000), "UTC", "00:00", AT)


class Versions:
    def get_version(self, program_id: str, version: int) -> ProgramVersion | None:
        document = {"timezone": "America/New_York", "day_starts_at": "17:00"}
        return ProgramVersion(program_id, version, document, AT) if version in (1, 2) else None


class NoAudit:
    def for_subject(self, subject: str, limit: int = 50, cursor: str | None = None) -> Page[AuditEntry]:
        return Page([], None)

    def by_actor(self, actor: str, limit: int = 50, cursor: str | None = None) -> Page[AuditEntry]:
        return Page([], None)


def desk(account: Account = FAILED) -> tuple[StaffActionService, InMemoryStaffActions]:
    store = InMemoryStaffActions(breaches={"acc-1": {"b-1"}})
    ids = iter(f"id-{n}" for n in range(100))
    service = StaffActionService(
        InMemoryAccounts({account.account_id: account}), store, Versions(), NoAudit(), lambda: next(ids)
    )
    return service, store


def test_an_override_reinstates_the_failed_account_and_is_audited_before_and_after() -> None:
    service, store = desk()

    done = service.override_breach(OverrideBreach("acc-1", "b-1", "bad tick", True, RISK, AT))

    assert (done.account_status, store.reinstated) == ("active", ["acc-1"])
    [entry] = store.audit
    assert (entry.action, entry.actor, entry.actor_roles, entry.subject) == (
        "breach.overridden", "risk-ann", ("risk",), "ACCOUNT#acc-1"
    )  # fmt: skip
    assert entry.before == {"status": "failed", "breach_id": "b-1"}
    assert entry.after == {"status": "active", "override_id": done.override.override_id}


@pytest.mark.parametrize(("breach_id", "error"), [("garbage", InvalidInputError), ("b-9", NotFoundError)])
def test_a_breach_id_never_handed_out_is_422_and_one_the_account_has_not_is_404(
    breach_id: str, error: type[Exception]
) -> None:
    service, store = desk()

    with pytest.raises(error) as refused:
        service.override_breach(OverrideBreach("acc-1", breach_id, "why", False, RISK, AT))

    assert refused.value.field == "breach_id"  # type: ignore[attr-defined]
    assert store.audit == []


def test_a_breach_is_overridden_once_and_a_lost_write_is_a_conflict() -> None:
    service, store = desk()
    service.override_breach(OverrideBreach("acc-1", "b-1", "bad tick", False, RISK, AT))

    with pytest.raises(ConflictError, match="overridden already"):
        service.override_breach(OverrideBreach("acc-1", "b-1", "again", False, RISK, AT))
    store.breaches["acc-1"].add("b-2")
    store.lose_next_write = True
    with pytest.raises(ConflictError, match="changed meanwhile"):
        service.override_breach(OverrideBreach("acc-1", "b-2", "bad tick", False, RISK, AT))


def test_a_new_version_takes_its_trading_day_and_the_same_version_changes_nothing() -> None:
    service, store = desk(replace(FAILED, status="active"))

    same = service.change_program_version(ChangeProgramVersion("acc-1", 1, "no-op", ADMIN, AT))
    changed = service.change_program_version(ChangeProgramVersion("acc-1", 2, "upgrade", ADMIN, AT))

    assert (same.previous_version, same.version) == (1, 1)
    assert (changed.previous_version, changed.version) == (1, 2)
    assert store.pinned == {"acc-1": (2, "America/New_York", "17:00")}
    assert [entry.action for entry in store.audit] == ["account.program_version_changed"]


def test_a_version_not_stored_is_422_a_missing_account_404_and_a_lost_write_409() -> None:
    service, store = desk()

    with pytest.raises(InvalidInputError):
        service.change_program_version(ChangeProgramVersion("acc-1", 7, "typo", ADMIN, AT))
    with pytest.raises(NotFoundError):
        service.change_program_version(ChangeProgramVersion("acc-404", 2, "nobody", ADMIN, AT))
    store.lose_next_write = True
    with pytest.raises(ConflictError):
        service.change_program_version(ChangeProgramVersion("acc-1", 2, "raced", ADMIN, AT))


# ---- separation of duties: staff never act on an account they trade


def test_risk_staff_cannot_override_a_breach_of_an_account_they_trade() -> None:
    service, store = desk()
    trader_in_risk = Identity("trader-1", frozenset({"risk"}))

    with pytest.raises(OwnAccountError) as refused:
        service.override_breach(OverrideBreach("acc-1", "b-1", "mine", True, trader_in_risk, AT))

    assert (refused.value.code, refused.value.field) == ("own_account", "account_id")
    assert (store.audit, store.reinstated) == ([], [])


def test_an_admin_cannot_pin_an_account_they_trade_to_another_version() -> None:
    service, store = desk()
    trader_as_admin = Identity("trader-1", frozenset({"admin"}))

    with pytest.raises(OwnAccountError):
        service.change_program_version(ChangeProgramVersion("acc-1", 2, "mine", trader_as_admin, AT))

    assert store.audit == []
