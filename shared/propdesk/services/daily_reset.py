"""The daily reset: at each day boundary of every program in use, evaluate every active account at it.

Run every minute by a schedule. It looks at the boundaries that passed since its watermark (a floating loss
carried over a boundary can breach at the reset instant itself, with no new event), per (zone, local time)
group: DST moves the instant, and the engine's tz-database arithmetic places it. The watermark moves only
when every account was advanced, so a failed account is retried by the next run; advancing an account twice
to the same boundary is a no-op.

The same run sweeps scheduled deadlines (time limit, inactivity, flat-by): every account whose next deadline
(the deadline store, kept by the risk service) is due is advanced to that instant, so the deadline fires
without waiting for an event or a day boundary. These items are re-read every run until advanced, so they
do not hold the watermark back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from propdesk.engine.days import next_boundary
from propdesk.errors import VersionConflictError
from propdesk.observability import logger
from propdesk.ports import Clock
from propdesk.services.risk import RiskService
from propdesk.services.risk_stores import DeadlineSweep, ResetAccounts, ResetWatermarkStore

FIRST_RUN_LOOKBACK = timedelta(minutes=5)


@dataclass(slots=True)
class ResetReport:
    checked_from: datetime
    checked_until: datetime
    boundaries: list[tuple[str, datetime]] = field(default_factory=list)
    accounts_advanced: int = 0
    deadlines_advanced: int = 0
    breaches: int = 0
    failed_accounts: list[str] = field(default_factory=list)
    failed_deadlines: list[str] = field(default_factory=list)
    watermark_moved: bool = False


class DailyReset:
    def __init__(
        self,
        accounts: ResetAccounts,
        watermarks: ResetWatermarkStore,
        risk: RiskService,
        clock: Clock,
        deadlines: DeadlineSweep | None = None,
    ) -> None:
        self._accounts = accounts
        self._watermarks = watermarks
        self._risk = risk
        self._clock = clock
        self._deadlines = deadlines

    def run(self) -> ResetReport:
        now = self._clock.now()
        mark = self._watermarks.get()
        since = mark.checked_until if mark else now - FIRST_RUN_LOOKBACK
        report = ResetReport(checked_from=since, checked_until=now)
        for timezone, day_starts_at in self._accounts.reset_groups():
            zone, local_time = ZoneInfo(timezone), time.fromisoformat(day_starts_at)
            boundary = next_boundary(since, local_time, zone)
            while boundary <= now:
                report.boundaries.append((f"{timezone}#{day_starts_at}", boundary))
                self._reset_group(timezone, day_starts_at, boundary, report)
                boundary = next_boundary(boundary, local_time, zone)
        self._sweep_deadlines(now, report)
        if not report.failed_accounts:
            try:
                self._watermarks.advance(now, mark.version if mark else 0)
                report.watermark_moved = True
            except VersionConflictError:
                logger.info("another daily reset run moved the watermark meanwhile")
        return report

    def _sweep_deadlines(self, now: datetime, report: ResetReport) -> None:
        if self._deadlines is None:
            return
        for due in self._deadlines.due_by(now):
            account = self._accounts.get(due.account_id, consistent=True)
            if account is None or account.status != "active":
                continue  # suspended or disabled: its deadlines wait until it is reinstated
            try:
                outcome = self._risk.advance(account, due.due_at)
            except Exception:
                logger.exception(
                    "deadline sweep failed for an account", extra={"account_id": account.account_id}
                )
                report.failed_deadlines.append(account.account_id)
                continue
            if outcome.duplicate:  # the account's clock was already past it: correct the stale item
                self._deadlines.set(account.account_id, outcome.next_deadline)
            report.deadlines_advanced += 0 if outcome.duplicate else 1
            report.breaches += len(outcome.new_breaches)

    def _reset_group(
        self, timezone: str, day_starts_at: str, boundary: datetime, report: ResetReport
    ) -> None:
        for account in self._accounts.active_in_reset_group(timezone, day_starts_at):
            if account.opened_at >= boundary:
                continue
            try:
                outcome = self._risk.advance(account, boundary)
            except Exception:
                logger.exception(
                    "daily reset failed for an account", extra={"account_id": account.account_id}
                )
                report.failed_accounts.append(account.account_id)
                continue
            report.accounts_advanced += 0 if outcome.duplicate else 1
            report.breaches += len(outcome.new_breaches)
