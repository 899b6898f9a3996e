"""Polling the platforms that push nothing (TradeLocker; Match-Trader while its gRPC streams have no
connector): each tick, every active account on the platform that the cadence says is due
(`propdesk.platforms.polling`: every minute near a limit or while stale, otherwise once per cycle) is caught
up through `FeedRecovery` (the port's deals since its latest stored event, an equity reading, stored through
ingestion once per deal id, and the working orders where the wiring asks for them (`Backfill`); marked
stale if the platform cannot be read, backfilled from the mark's instant when it can again).

Guarantees: accounts are found by their day-boundary groups (an index query each, no Scan); one account
failing never stops the tick (it is reported); a platform whose circuit is open fails each account fast
(`PlatformUnavailableError` from the breaker), so an outage costs no platform requests and marks its polled
accounts stale; the clock is injected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from propdesk.observability import logger
from propdesk.platforms.feed import FeedRecovery, StaleMarks
from propdesk.platforms.polling import PollingCadence
from propdesk.ports import Clock
from propdesk.records import RiskSnapshot
from propdesk.services.risk_stores import ResetAccounts


class Snapshots(Protocol):
    def get(self, account_id: str) -> RiskSnapshot | None: ...


@dataclass(slots=True)
class PollReport:
    platform: str
    accounts: int = 0  # active accounts on the platform
    polled: int = 0
    near_limit: int = 0
    backfilled: list[str] = field(default_factory=list)  # deals we lacked were stored
    stale: list[str] = field(default_factory=list)  # could not be read: marked stale
    rejected: list[str] = field(default_factory=list)  # the platform refused (e.g. an unknown account)
    failed: list[str] = field(default_factory=list)  # anything else (logged, retried next tick)


class PlatformPolling:
    def __init__(
        self,
        accounts: ResetAccounts,
        snapshots: Snapshots,
        marks: StaleMarks,
        recovery: FeedRecovery,
        clock: Clock,
        cadence: PollingCadence | None = None,
    ) -> None:
        self._accounts = accounts
        self._snapshots = snapshots
        self._marks = marks
        self._recovery = recovery
        self._clock = clock
        self._cadence = cadence or PollingCadence()

    def poll(self, platform: str) -> PollReport:
        tick = self._clock.now().replace(second=0, microsecond=0)  # the schedule's minute
        report = PollReport(platform)
        for timezone, day_starts_at in self._accounts.reset_groups():
            for account in self._accounts.active_in_reset_group(timezone, day_starts_at):
                if account.platform is None or account.platform.platform != platform:
                    continue
                report.accounts += 1
                self._poll_one(account.account_id, tick, report)
        return report

    def _poll_one(self, account_id: str, tick: datetime, report: PollReport) -> None:
        try:
            snapshot = self._snapshots.get(account_id)
            usage = snapshot.usage if snapshot is not None else []
            near = self._cadence.near_limit(usage)
            stale = self._marks.stale_since(account_id) is not None
            if not self._cadence.due(account_id, usage, tick, stale):
                return
            report.polled += 1
            report.near_limit += 1 if near else 0
            result = self._recovery.catch_up(account_id)
        except Exception:
            logger.exception("polling an account failed", extra={"account_id": account_id})
            report.failed.append(account_id)
            return
        if result.outcome == "backfilled":
            report.backfilled.append(account_id)
        elif result.stale:
            report.stale.append(account_id)
        elif result.outcome == "rejected":
            report.rejected.append(account_id)
