"""Read models kept from the main table's stream: leaderboard standings (from risk-state changes) and audit
entries for automated enforcement (from breach evidence). Both are idempotent: a redelivered record rewrites
the same standing or collides with the audit entry it already wrote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from propdesk.access import AccountLookup
from propdesk.domain_events import stable_id
from propdesk.leaderboards import PERIODS, Period, expires_at, period_key
from propdesk.records import AuditEntry, BreachEvidence, LeaderboardStanding, RiskSnapshot, TraderProfile

ENFORCEMENT_ACTOR = "system:risk_recalc"
ANONYMOUS = "Anonymous trader"


class TraderProfiles(Protocol):
    def get(self, trader_id: str) -> TraderProfile | None: ...


class LeaderboardStore(Protocol):
    """Standings per program and board (`propdesk.data.leaderboards.LeaderboardRepository`)."""

    def get(self, program_id: str, board: str, account_id: str) -> LeaderboardStanding | None: ...

    def save(self, standing: LeaderboardStanding, at: datetime, expires_at: datetime | None) -> None: ...


class AuditAppender(Protocol):
    def append(self, entry: AuditEntry) -> bool:
        """Append the entry once; False when an entry with its id exists already."""
        ...


@dataclass(frozen=True, slots=True)
class BalanceChange:
    """A risk state's closed balance and funding (`RiskSnapshot.funding`: what did not come from trading)
    before and after; the funding's move (scaling growth, a withdrawal, a deposit) is no gain nor loss."""

    account_id: str
    previous_balance: Decimal | None  # None: the account's first risk state (it started at its initial)
    balance: Decimal
    at: datetime
    previous_funding: Decimal | None = None  # None: as the account started (its initial, nothing withdrawn)
    funding: Decimal | None = None  # None: unknown, taken as unchanged


class Projections:
    def __init__(
        self,
        accounts: AccountLookup,
        traders: TraderProfiles,
        leaderboards: LeaderboardStore,
        audit: AuditAppender,
    ) -> None:
        self._accounts = accounts
        self._traders = traders
        self._leaderboards = leaderboards
        self._audit = audit

    def on_balance_change(self, change: BalanceChange) -> list[tuple[Period, LeaderboardStanding]]:
        """Update the account's standing on each period's board; returns the standings written."""
        if change.previous_balance == change.balance:
            return []
        account = self._accounts.get(change.account_id)
        if account is None:
            return []
        profile = self._traders.get(account.trader_id)
        display_name = profile.display_name if profile and profile.display_name else ANONYMOUS
        previous = account.initial_balance if change.previous_balance is None else change.previous_balance
        funding = change.funding
        previous_funding: Decimal | None = change.previous_funding
        if previous_funding is None:  # the first risk state: the account as it started
            previous_funding = account.initial_balance if change.previous_balance is None else funding
        written: list[tuple[Period, LeaderboardStanding]] = []
        for period in PERIODS:
            key = period_key(period, change.at)
            start_funding: Decimal | None
            if period == "all":  # since the account opened: the gain is the balance beyond its funding
                start = start_funding = account.initial_balance
            else:
                known = self._leaderboards.get(account.program_id, key, account.account_id)
                start = known.start_balance if known else previous
                # a standing kept before funding was: no money had moved in the period until now
                start_funding = known.start_funding if known and known.start_funding is not None else None
                start_funding = previous_funding if start_funding is None else start_funding
            standing = LeaderboardStanding(
                program_id=account.program_id,
                period_key=key,
                account_id=account.account_id,
                display_name=display_name,
                initial_balance=account.initial_balance,
                start_balance=start,
                balance=change.balance,
                start_funding=start_funding if funding is not None else None,
                funding=funding,
            )
            self._leaderboards.save(standing, change.at, expires_at(period, change.at))
            written.append((period, standing))
        return written

    def on_breach_recorded(self, evidence: BreachEvidence, recorded_at: datetime) -> bool:
        """Audit the engine's enforcement; False when this breach's entry exists already."""
        entry = AuditEntry(
            entry_id=stable_id(
                "enforcement",
                evidence.account_id,
                evidence.rule,
                evidence.time.isoformat(),
                *((evidence.identity,) if evidence.identity else ()),  # two breaches of a rule at one instant
            ),
            at=recorded_at,
            actor=ENFORCEMENT_ACTOR,
            action="enforcement.breach_recorded",
            subject=f"ACCOUNT#{evidence.account_id}",
            reason=evidence.explanation,
            before=None,
            after={
                "rule": evidence.rule,
                "effect": evidence.effect,
                "limit": str(evidence.limit),
                "value": str(evidence.value),
                "breach_time": evidence.time.isoformat(),
                "event_id": evidence.event_id,
                "program_id": evidence.program_id,
                "program_version": evidence.program_version,
            },
        )
        return self._audit.append(entry)


def balance_of(snapshot: RiskSnapshot) -> Decimal:
    """The closed balance of a risk snapshot."""
    return snapshot.balance
