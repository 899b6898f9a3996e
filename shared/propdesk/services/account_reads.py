"""What a signed-in reader sees of an account: the account, its live figures, its stored risk verdict, its
breaches with the event that triggered each and any staff override, its platform login, open positions and
its state at the trading platform.

Guarantees:
- a missing account and another trader's account raise the same `NotFoundError` (`propdesk.access.
  readable_account`): the answer never tells them apart; staff with `read_accounts` read every account;
- the account detail never fails because its program version is missing: it comes without live figures
  (and an error is logged for ops); the figures route itself answers 404;
- the engine (~25 ms of import) and the tables only some routes read are touched on first use only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from propdesk.access import AccountLookup, Identity, readable_account
from propdesk.errors import NotFoundError, ProgramVersionMissingError
from propdesk.observability import logger
from propdesk.records import (
    Account,
    AccountLogin,
    BreachEvidence,
    BreachOverride,
    Page,
    RiskSnapshot,
    StoredEvent,
)

if TYPE_CHECKING:
    from propdesk.engine import Evaluator
    from propdesk.platforms.enforcement import PlatformAccessState
    from propdesk.services.account_metrics import LiveMetrics
    from propdesk.services.risk_stores import ProgramVersionStore

LATEST_BREACHES = 20


class RiskReader(Protocol):
    def get(self, account_id: str) -> RiskSnapshot | None: ...


class BreachReader(Protocol):
    def list_for_account(
        self,
        account_id: str,
        limit: int = 50,
        cursor: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        newest_first: bool = False,
    ) -> Page[BreachEvidence]: ...


class OverrideReader(Protocol):
    def overrides_for(self, account_id: str) -> Mapping[str, BreachOverride]: ...


class EventReader(Protocol):
    def get(self, account_id: str, time: datetime, event_id: str) -> StoredEvent | None: ...

    def list_fills(
        self,
        account_id: str,
        limit: int = 50,
        cursor: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        newest_first: bool = False,
    ) -> Page[StoredEvent]: ...


class LoginReader(Protocol):
    def get(self, account_id: str) -> AccountLogin | None: ...


class PlatformFigures(Protocol):
    """The latest reconciliation with the platform, as the account view shows it."""

    @property
    def stale(self) -> bool: ...

    @property
    def stale_since(self) -> datetime | None: ...

    @property
    def checked_at(self) -> datetime: ...


class FiguresReader(Protocol):
    def latest(self, account_id: str) -> PlatformFigures | None: ...


class AccessReader(Protocol):
    def get(self, account_id: str) -> PlatformAccessState | None: ...


@dataclass(frozen=True, slots=True)
class BreachReport:
    evidence: BreachEvidence
    trigger: StoredEvent | None
    override: BreachOverride | None


@dataclass(frozen=True, slots=True)
class AccountDetail:
    account: Account
    live: LiveMetrics | None  # None: the pinned program version is missing
    risk: RiskSnapshot | None
    latest_breaches: list[BreachReport]
    platform_figures: PlatformFigures | None


@dataclass(frozen=True, slots=True)
class TimeRange:
    limit: int = 50
    cursor: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    newest_first: bool = True


class AccountReads:
    def __init__(
        self,
        accounts: AccountLookup,
        risk: RiskReader,
        breaches: BreachReader,
        overrides: OverrideReader,
        events: EventReader,
        catalogue: ProgramVersionStore,
        logins: LoginReader,
        figures: Callable[[], FiguresReader],
        access: Callable[[], AccessReader],
    ) -> None:
        """`figures` and `access` build their readers on first use."""
        self._accounts = accounts
        self._risk = risk
        self._breaches = breaches
        self._overrides = overrides
        self._events = events
        self._catalogue = catalogue
        self._logins = logins
        self._make_figures = figures
        self._make_access = access
        self._evaluators: Callable[[Account], Evaluator] | None = None
        self._figures: FiguresReader | None = None
        self._access: AccessReader | None = None

    def account(self, reader: Identity, account_id: str) -> Account:
        return readable_account(self._accounts, reader, account_id)

    def detail(self, reader: Identity, account_id: str, now: datetime) -> AccountDetail:
        account = self.account(reader, account_id)
        latest = self._breaches.list_for_account(account_id, limit=LATEST_BREACHES, newest_first=True)
        overrides = self._overrides.overrides_for(account_id) if latest.items else {}
        try:
            live: LiveMetrics | None = self.live_metrics(account, now)
        except ProgramVersionMissingError:
            logger.error("program version missing", extra={"account_id": account_id})
            live = None
        return AccountDetail(
            account=account,
            live=live,
            risk=self._risk.get(account_id),
            latest_breaches=[BreachReport(b, None, overrides.get(b.breach_id)) for b in latest.items],
            platform_figures=self._figures_reader().latest(account_id),
        )

    def live_metrics(self, account: Account, now: datetime) -> LiveMetrics:
        """The stored state brought forward to `now`; `ProgramVersionMissingError` if the pinned version is
        not stored."""
        from propdesk.services.account_metrics import live_metrics

        return live_metrics(account, self._evaluator(account), self._risk.get(account.account_id), now)

    def risk(self, reader: Identity, account_id: str) -> RiskSnapshot | None:
        self.account(reader, account_id)
        return self._risk.get(account_id)

    def fills(self, reader: Identity, account_id: str, window: TimeRange) -> Page[StoredEvent]:
        self.account(reader, account_id)
        return self._events.list_fills(
            account_id, window.limit, window.cursor, window.start, window.end, window.newest_first
        )

    def breach_reports(self, reader: Identity, account_id: str, window: TimeRange) -> Page[BreachReport]:
        """Each breach with the trading event that triggered it and any staff override."""
        self.account(reader, account_id)
        page = self._breaches.list_for_account(
            account_id, window.limit, window.cursor, window.start, window.end, window.newest_first
        )
        overrides = self._overrides.overrides_for(account_id) if page.items else {}
        reports = [
            BreachReport(
                evidence,
                self._events.get(account_id, evidence.time, evidence.event_id) if evidence.event_id else None,
                overrides.get(evidence.breach_id),
            )
            for evidence in page.items
        ]
        return Page(reports, page.next_cursor)

    def login(self, reader: Identity, account_id: str) -> AccountLogin:
        """The platform's server and login (never a password)."""
        account = self.account(reader, account_id)
        login = self._logins.get(account.account_id)
        if login is None:
            raise NotFoundError("the account has no platform login yet", "account_id")
        return login

    def platform_access(
        self, reader: Identity, account_id: str
    ) -> tuple[Account, PlatformAccessState | None]:
        account = self.account(reader, account_id)
        if self._access is None:
            self._access = self._make_access()
        return account, self._access.get(account_id)

    def _figures_reader(self) -> FiguresReader:
        if self._figures is None:
            self._figures = self._make_figures()
        return self._figures

    def _evaluator(self, account: Account) -> Evaluator:
        if self._evaluators is None:
            from propdesk.services.evaluators import Evaluators  # the engine: only when figures are asked

            self._evaluators = Evaluators(self._catalogue)
        return self._evaluators(account)
