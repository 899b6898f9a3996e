"""The daily drift check: each active or failed account's access at its platform against the access we want
(`propdesk.platforms.enforcement.wanted_access`), corrected by re-issuing the command.

Which accounts: the active ones, day-boundary group by group (an index query per group), and every account
with an access state (failed, paused, reinstated: an index query per shard); no scan. An account with a
command still pending is left to it. A difference is corrected by publishing the command again
(`platform.disable_requested` / `enable_requested` / `pause_requested`, with an id stable per account, access
and day, so a second run that day does not repeat it): the command consumer applies it as any other, in order
and audited. When an account's access cannot be read (its platform down or refusing, not connected, no
platform reference), the run raises one `firm.alert` per cause listing the accounts, instead of guessing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from propdesk.domain_events import (
    AccountDisableRequested,
    AccountEnableRequested,
    AccountPauseRequested,
    DomainEvent,
    FirmAlert,
    stable_id,
)
from propdesk.platforms.enforcement import PlatformAccessState, wanted_access
from propdesk.platforms.port import (
    AccessReader,
    PlatformRejectedError,
    PlatformUnavailableError,
    TradingAccess,
)
from propdesk.platforms.stores import AccessStates, AccountDirectory, ActiveAccounts, PlatformDirectory
from propdesk.ports import Clock, EventPublisher
from propdesk.records import Account

CHECKED_STATUSES = ("active", "failed")
LISTED_IN_ALERT = 20


class Accounts(AccountDirectory, ActiveAccounts, Protocol):
    pass


@dataclass
class DriftReport:
    checked: int = 0
    in_step: int = 0
    corrected: list[str] = field(default_factory=list)  # account ids whose command was re-issued
    pending: int = 0  # left to the command waiting for them
    unchecked: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # cause -> ids


class DriftCheck:
    def __init__(
        self,
        states: AccessStates,
        accounts: Accounts,
        platforms: PlatformDirectory,
        publisher: EventPublisher,
        clock: Clock,
    ) -> None:
        self._states = states
        self._accounts = accounts
        self._platforms = platforms
        self._publisher = publisher
        self._clock = clock

    def run(self) -> DriftReport:
        report = DriftReport()
        for account in self._accounts_to_check():
            self._check(account, report)
        self._alert(report)
        return report

    def _accounts_to_check(self) -> Iterator[Account]:
        seen: set[str] = set()
        for timezone, day_starts_at in self._accounts.reset_groups():
            for account in self._accounts.active_in_reset_group(timezone, day_starts_at):
                seen.add(account.account_id)
                yield account
        for account_id in self._states.managed():
            if account_id in seen:
                continue
            managed = self._accounts.get(account_id)
            if managed is not None and managed.status in CHECKED_STATUSES:
                yield managed

    def _check(self, account: Account, report: DriftReport) -> None:
        now = self._clock.now()
        state = self._states.get(account.account_id)
        wanted = wanted_access(account, state, now)
        if wanted is None:
            return
        report.checked += 1
        if state is not None and state.pending:
            report.pending += 1
            return
        if account.platform is None:
            report.unchecked["no platform reference"].append(account.account_id)
            return
        try:
            platform, ref = self._platforms.for_account(account.platform)
            if not isinstance(platform, AccessReader):
                report.unchecked[f"{platform.name} cannot report access"].append(account.account_id)
                return
            actual = platform.access(ref)
        except (PlatformUnavailableError, PlatformRejectedError) as error:
            cause = f"{account.platform.platform}: {type(error).__name__}"
            report.unchecked[cause].append(account.account_id)
            return
        if actual is wanted:
            report.in_step += 1
            return
        self._publisher.publish([self._command(account, state, wanted, actual)])
        report.corrected.append(account.account_id)

    def _command(
        self,
        account: Account,
        state: PlatformAccessState | None,
        wanted: TradingAccess,
        actual: TradingAccess,
    ) -> DomainEvent:
        now = self._clock.now()
        event_id = stable_id("drift", account.account_id, wanted.value, now.date().isoformat())
        reason = f"drift: the platform showed {actual.value}, {wanted.value} wanted"
        common = {
            "event_id": event_id,
            "occurred_at": now,
            "account_id": account.account_id,
            "trader_id": account.trader_id,
            "reason": reason,
        }
        if wanted is TradingAccess.DISABLED:
            return AccountDisableRequested(**common)
        if wanted is TradingAccess.READ_ONLY and state is not None and state.paused_until is not None:
            return AccountPauseRequested(**common, paused_until=state.paused_until)
        return AccountEnableRequested(**common)

    def _alert(self, report: DriftReport) -> None:
        if not report.unchecked:
            return
        now = self._clock.now()
        alerts = []
        for cause, account_ids in sorted(report.unchecked.items()):
            listed = ", ".join(account_ids[:LISTED_IN_ALERT])
            more = len(account_ids) - LISTED_IN_ALERT
            alerts.append(
                FirmAlert(
                    event_id=stable_id("firm.alert", "drift", cause, now.date().isoformat()),
                    occurred_at=now,
                    severity="warning",
                    subject=f"Platform access of {len(account_ids)} account(s) could not be checked",
                    message=f"{cause}: {listed}" + (f" and {more} more" if more > 0 else ""),
                )
            )
        self._publisher.publish(alerts)
