"""What a reader sees of an account: another trader's account is indistinguishable from a missing one, staff
read every account, breaches come with their trigger and override, a missing program version leaves the
detail without figures, and the tables only some routes need are read on first use only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from propdesk.access import Identity
from propdesk.errors import NotFoundError, ProgramVersionMissingError
from propdesk.records import (
    Account,
    AccountLogin,
    BreachEvidence,
    BreachOverride,
    Page,
    ProgramVersion,
    RiskSnapshot,
    StoredEvent,
)
from propdesk.services.account_reads import AccountReads, TimeRange

OPENED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = OPENED + timedelta(hours=4)
PROGRAM = {
    "name": "test 100K",
    "currency": "USD",
    "initial_balance": "100000",
    "timezone": "Europe/Prague",
    "day_starts_at": "00:00",
    "rules": [{"type": "max_loss", "mode": "static", "amount": {"percent_of_initial": "10"}}],
}
OWNER = Identity("trader-1", frozenset())
STRANGER = Identity("trader-2", frozenset())
RISK_STAFF = Identity("staff-1", frozenset({"risk"}))


def account(program_version: int = 1) -> Account:
    return Account(
        account_id="acc-1", trader_id="trader-1", program_id="test", program_version=program_version,
        status="failed", currency="USD", initial_balance=Decimal("100000"), timezone="Europe/Prague",
        day_starts_at="00:00", opened_at=OPENED,
    )  # fmt: skip


TRIGGER = StoredEvent("acc-1", "evt-9", OPENED + timedelta(hours=1), "equity", {"equity": "89000"})
BREACH = BreachEvidence(
    account_id="acc-1", rule="max_loss", time=TRIGGER.time, effect="fail", limit=Decimal("90000"),
    value=Decimal("89000"), explanation="equity 89000 below the floor 90000", event_id="evt-9",
    event_type="equity", figures={}, program_id="test", program_version=1, breach_id="b-1",
)  # fmt: skip
OVERRIDE = BreachOverride("o-1", "acc-1", "b-1", "staff-1", "platform outage", NOW)


@dataclass
class World:
    account: Account
    figures_built: int = 0
    access_built: int = 0

    def get(self, account_id: str, consistent: bool = False) -> Account | None:
        return self.account if account_id == self.account.account_id else None


class Risk:
    def get(self, account_id: str) -> RiskSnapshot | None:
        return None


class Breaches:
    def list_for_account(self, account_id: str, limit: int = 50, cursor: str | None = None,
                         start: datetime | None = None, end: datetime | None = None,
                         newest_first: bool = False) -> Page[BreachEvidence]:  # fmt: skip
        return Page([BREACH], None)


class Overrides:
    def overrides_for(self, account_id: str) -> dict[str, BreachOverride]:
        return {"b-1": OVERRIDE}


class Events:
    def get(self, account_id: str, time: datetime, event_id: str) -> StoredEvent | None:
        return TRIGGER if event_id == TRIGGER.event_id else None

    def list_fills(self, account_id: str, limit: int = 50, cursor: str | None = None,
                   start: datetime | None = None, end: datetime | None = None,
                   newest_first: bool = False) -> Page[StoredEvent]:  # fmt: skip
        return Page([], None)


class Catalogue:
    def get_version(self, program_id: str, version: int) -> ProgramVersion | None:
        return ProgramVersion("test", 1, PROGRAM, OPENED) if version == 1 else None


class Logins:
    def __init__(self, login: AccountLogin | None) -> None:
        self.login = login

    def get(self, account_id: str) -> AccountLogin | None:
        return self.login


class NoFigures:
    def latest(self, account_id: str) -> None:
        return None


class NoAccess:
    def get(self, account_id: str) -> None:
        return None


def reads(world: World, login: AccountLogin | None = None) -> AccountReads:
    def figures() -> NoFigures:
        world.figures_built += 1
        return NoFigures()

    def access() -> NoAccess:
        world.access_built += 1
        return NoAccess()

    return AccountReads(
        world, Risk(), Breaches(), Overrides(), Events(), Catalogue(), Logins(login), figures, access
    )


def test_another_traders_account_answers_like_a_missing_one() -> None:
    service = reads(World(account()))
    with pytest.raises(NotFoundError) as stranger:
        service.detail(STRANGER, "acc-1", NOW)
    with pytest.raises(NotFoundError) as missing:
        service.detail(OWNER, "acc-404", NOW)
    assert stranger.value.field == missing.value.field == "account_id"


def test_staff_who_read_accounts_read_any_account() -> None:
    assert reads(World(account())).detail(RISK_STAFF, "acc-1", NOW).account.account_id == "acc-1"


def test_the_breach_reports_carry_the_triggering_event_and_the_override() -> None:
    page = reads(World(account())).breach_reports(OWNER, "acc-1", TimeRange())
    assert [(r.evidence.breach_id, r.trigger, r.override) for r in page.items] == [("b-1", TRIGGER, OVERRIDE)]


def test_the_detail_comes_without_figures_when_the_program_version_is_missing() -> None:
    service = reads(World(account(program_version=7)))
    detail = service.detail(OWNER, "acc-1", NOW)
    assert detail.live is None
    assert [b.override for b in detail.latest_breaches] == [OVERRIDE]
    with pytest.raises(ProgramVersionMissingError):
        service.live_metrics(detail.account, NOW)


def test_the_live_figures_are_brought_forward_to_now() -> None:
    live = reads(World(account())).detail(OWNER, "acc-1", NOW).live
    assert live is not None and live.as_of == NOW


def test_an_account_without_a_platform_login_yet_answers_not_found() -> None:
    with pytest.raises(NotFoundError, match="no platform login"):
        reads(World(account())).login(OWNER, "acc-1")
    login = AccountLogin("acc-1", "match_trader", "demo.example", "100200")
    assert reads(World(account()), login).login(OWNER, "acc-1") == login


def test_the_platform_tables_are_read_on_first_use_only() -> None:
    world = World(account())
    service = reads(world)
    service.breach_reports(OWNER, "acc-1", TimeRange())
    assert (world.figures_built, world.access_built) == (0, 0)
    service.detail(OWNER, "acc-1", NOW)
    service.detail(OWNER, "acc-1", NOW)
    service.platform_access(OWNER, "acc-1")
    assert (world.figures_built, world.access_built) == (1, 1)
