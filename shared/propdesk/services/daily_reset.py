"""The daily reset: at each day boundary of every program in use, evaluate every active account at it.

Run every minute by a schedule. It looks at the boundaries that passed since its watermark (a floating loss
carried over a boundary can breach at the reset instant itself, with no new event), per (zone, local time)
group: DST moves the instant, and the engine's tz-database arithmetic places it. Advancing an account twice
to the same boundary is a no-op.

One account never holds the others back: an account that cannot be advanced is reported (`failed_accounts`,
counted by the function's metric) and kept with the watermark as a retry (`ResetRetry`: its latest missed
boundary, since advancing there crosses every earlier one); the watermark moves on for everyone else, and the
next run advances the retried accounts first. Only a failure that is not one account's (the reset groups or a
group's accounts cannot be read, or more than `MAX_RETRIES` accounts fail in one run) keeps the watermark
where it was, so that the next run visits those boundaries again for every account.

The same run sweeps scheduled deadlines (time limit, inactivity, flat-by): every account whose next deadline
(the deadline store, kept by the risk service) is due is advanced to that instant, so the deadline fires
without waiting for an event or a day boundary. These items are re-read every run until advanced, so they
do not hold the watermark back either.

An account whose trading feed is marked stale (`propdesk.platforms.feed`: its platform could not be read)
is deferred, never evaluated on data that is behind: its boundary is kept with the watermark as a retry
(not counted as a failure) and its due deadline is left due; both are advanced by the first run after the
gap is backfilled and the mark cleared, at the instants they were due (the engine's evaluation at an
instant is deterministic, so the verdict is the one an on-time run would have given on complete data).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from propdesk.engine.days import next_boundary
from propdesk.errors import VersionConflictError
from propdesk.observability import logger
from propdesk.platforms.feed import StaleMarks
from propdesk.ports import Clock
from propdesk.records import Account, ResetRetry
from propdesk.services.risk import RiskService
from propdesk.services.risk_stores import DeadlineSweep, ResetAccounts, ResetWatermarkStore

FIRST_RUN_LOOKBACK = timedelta(minutes=5)
MAX_RETRIES = 500  # accounts kept for retry with the watermark; more failing at once is not one account's


@dataclass(slots=True)
class ResetReport:
    checked_from: datetime
    checked_until: datetime
    boundaries: list[tuple[str, datetime]] = field(default_factory=list)
    accounts_advanced: int = 0
    deadlines_advanced: int = 0
    breaches: int = 0
    failed_accounts: list[str] = field(default_factory=list)  # this run's failures (new or retried again)
    failed_deadlines: list[str] = field(default_factory=list)
    retried: int = 0  # accounts a previous run could not advance, advanced by this one
    retries_pending: int = 0  # accounts the next run retries
    deferred_stale: list[str] = field(default_factory=list)  # stale feeds: boundaries and deadlines wait
    watermark_moved: bool = False
    held_back: bool = False  # a failure that is not one account's kept the watermark where it was


class DailyReset:
    def __init__(
        self,
        accounts: ResetAccounts,
        watermarks: ResetWatermarkStore,
        risk: RiskService,
        clock: Clock,
        deadlines: DeadlineSweep | None = None,
        stale: StaleMarks | None = None,
    ) -> None:
        self._accounts = accounts
        self._watermarks = watermarks
        self._risk = risk
        self._clock = clock
        self._deadlines = deadlines
        self._stale = stale

    def run(self) -> ResetReport:
        now = self._clock.now()
        mark = self._watermarks.get()
        since = mark.checked_until if mark else now - FIRST_RUN_LOOKBACK
        report = ResetReport(checked_from=since, checked_until=now)
        retry: dict[str, ResetRetry] = {}
        for missed in mark.retry if mark else ():
            self._retry(missed, report, retry)
        try:
            self._reset_boundaries(since, now, report, retry)
        except Exception:
            logger.exception("the daily reset could not read the accounts of a day boundary")
            report.held_back = True
        self._sweep_deadlines(now, report)
        report.retries_pending = len(retry)
        failing = len(retry.keys() - set(report.deferred_stale))  # an outage's stale feeds are not failures
        if failing > MAX_RETRIES:
            logger.error("too many accounts failed the daily reset at once", extra={"failed": len(retry)})
            report.held_back = True
        if not report.held_back:
            try:
                self._watermarks.advance(now, mark.version if mark else 0, sorted(retry.values(), key=_by_id))
                report.watermark_moved = True
            except VersionConflictError:
                logger.info("another daily reset run moved the watermark meanwhile")
        return report

    def _reset_boundaries(
        self, since: datetime, now: datetime, report: ResetReport, retry: dict[str, ResetRetry]
    ) -> None:
        for timezone, day_starts_at in self._accounts.reset_groups():
            zone, local_time = ZoneInfo(timezone), time.fromisoformat(day_starts_at)
            boundary = next_boundary(since, local_time, zone)
            while boundary <= now:
                report.boundaries.append((f"{timezone}#{day_starts_at}", boundary))
                for account in self._accounts.active_in_reset_group(timezone, day_starts_at):
                    if account.opened_at < boundary:
                        self._reset(account, boundary, report, retry)
                boundary = next_boundary(boundary, local_time, zone)

    def _reset(
        self, account: Account, boundary: datetime, report: ResetReport, retry: dict[str, ResetRetry]
    ) -> None:
        if self._deferred(account.account_id, report):
            attempts = known.attempts if (known := retry.get(account.account_id)) else 0
            retry[account.account_id] = ResetRetry(account.account_id, boundary, attempts)
            return
        try:
            outcome = self._risk.advance(account, boundary)
        except Exception:
            logger.exception("daily reset failed for an account", extra={"account_id": account.account_id})
            known = retry.get(account.account_id)
            attempts = 1 if known is None else known.attempts
            retry[account.account_id] = ResetRetry(account.account_id, boundary, attempts)
            if account.account_id not in report.failed_accounts:
                report.failed_accounts.append(account.account_id)
            return
        retry.pop(account.account_id, None)  # a later boundary crossed the missed one
        report.accounts_advanced += 0 if outcome.duplicate else 1
        report.breaches += len(outcome.new_breaches)

    def _retry(self, missed: ResetRetry, report: ResetReport, retry: dict[str, ResetRetry]) -> None:
        """Advance an account a previous run could not; kept for the next run if it fails again."""
        try:
            account = self._accounts.get(missed.account_id, consistent=True)
            if account is None or account.status != "active":
                return  # no longer reset: suspended, disabled, failed or passed since
            if self._deferred(account.account_id, report):
                retry[missed.account_id] = missed  # kept as it is until the feed is backfilled
                return
            outcome = self._risk.advance(account, missed.boundary)
        except Exception:
            logger.exception("daily reset retry failed", extra={"account_id": missed.account_id})
            retry[missed.account_id] = ResetRetry(missed.account_id, missed.boundary, missed.attempts + 1)
            report.failed_accounts.append(missed.account_id)
            return
        report.retried += 1
        report.accounts_advanced += 0 if outcome.duplicate else 1
        report.breaches += len(outcome.new_breaches)

    def _sweep_deadlines(self, now: datetime, report: ResetReport) -> None:
        if self._deadlines is None:
            return
        try:
            due_accounts = list(self._deadlines.due_by(now))
        except Exception:
            logger.exception("the deadline sweep could not read the due deadlines")
            return  # re-read by the next run
        for due in due_accounts:
            try:
                account = self._accounts.get(due.account_id, consistent=True)
                if account is None or account.status != "active":
                    continue  # suspended or disabled: its deadlines wait until it is reinstated
                if self._deferred(account.account_id, report):
                    continue  # left due: advanced once the feed is backfilled
                outcome = self._risk.advance(account, due.due_at)
                if outcome.duplicate:  # the account's clock was already past it: correct the stale item
                    self._deadlines.set(account.account_id, outcome.next_deadline)
            except Exception:
                logger.exception("deadline sweep failed for an account", extra={"account_id": due.account_id})
                report.failed_deadlines.append(due.account_id)
                continue
            report.deadlines_advanced += 0 if outcome.duplicate else 1
            report.breaches += len(outcome.new_breaches)

    def _deferred(self, account_id: str, report: ResetReport) -> bool:
        """The account's feed is stale: evaluate it later, not on data that is behind."""
        if self._stale is None or self._stale.stale_since(account_id) is None:
            return False
        if account_id not in report.deferred_stale:
            report.deferred_stale.append(account_id)
        return True


def _by_id(retry: ResetRetry) -> str:
    return retry.account_id
