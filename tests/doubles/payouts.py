"""In-memory payout stores (`propdesk.payouts.store`) and an account lookup, for tests only. They keep the
promises the DynamoDB ones make: a payout is created once per id (a repeat gets the stored one), an account
holds one open payout, a decision is written once and releases the lock on rejection."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from propdesk.payouts.consistency import ClosedTrade
from propdesk.payouts.extras import TradeRisk
from propdesk.payouts.holds import HoldSource, PayoutHold
from propdesk.payouts.model import Payout, PayoutStatus
from propdesk.payouts.put_back import PutBack
from propdesk.payouts.store import OpenPayoutError, PayoutDecidedError, PayoutMovedError
from propdesk.platforms.port import AccountRef
from propdesk.rails.destinations import PayoutDestination
from propdesk.records import Account, AuditEntry, KycStatus, Page, RiskSnapshot, StoredEvent


@dataclass
class InMemoryAccounts:
    accounts: dict[str, Account] = field(default_factory=dict)

    def get(self, account_id: str, consistent: bool = False) -> Account | None:
        return self.accounts.get(account_id)


@dataclass
class InMemoryPayoutStore:
    payouts: dict[str, Payout] = field(default_factory=dict)
    open_by_account: dict[str, str] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)
    rail_links: dict[tuple[str, str], str] = field(default_factory=dict)
    fail_next_update: int = 0  # the next moves fail (the table unreachable: the step dies and is retried)

    def get(self, payout_id: str) -> Payout | None:
        return self.payouts.get(payout_id)

    def history(self, account_id: str, limit: int = 50, cursor: str | None = None) -> Page[Payout]:
        return Page(self.all_for_account(account_id)[:limit], None)

    def all_for_account(self, account_id: str) -> list[Payout]:
        mine = [p for p in self.payouts.values() if p.account_id == account_id]
        return sorted(mine, key=lambda p: p.requested_at, reverse=True)

    def in_status(self, status: PayoutStatus, limit: int = 50, cursor: str | None = None) -> Page[Payout]:
        queue = sorted((p for p in self.payouts.values() if p.status == status), key=lambda p: p.requested_at)
        return Page(queue[:limit], None)

    def create(self, payout: Payout) -> Payout:
        if payout.payout_id in self.payouts:
            return self.payouts[payout.payout_id]
        if payout.account_id in self.open_by_account:
            raise OpenPayoutError(self.open_by_account[payout.account_id])
        self.payouts[payout.payout_id] = payout
        self.open_by_account[payout.account_id] = payout.payout_id
        return payout

    def decide(self, decided: Payout, entry: AuditEntry) -> None:
        stored = self.payouts[decided.payout_id]
        if stored.status != "requested":
            raise PayoutDecidedError(decided.payout_id)
        self.payouts[decided.payout_id] = replace(decided, published_status=stored.published_status)
        if not decided.is_open:
            self.open_by_account.pop(decided.account_id, None)
        self.audit.append(entry)

    def mark_published(self, payout_id: str, status: PayoutStatus) -> None:
        stored = self.payouts[payout_id]
        if stored.status == status:
            self.payouts[payout_id] = replace(stored, published_status=status)

    def update(self, changed: Payout, entry: AuditEntry | None = None) -> None:
        if self.fail_next_update:
            self.fail_next_update -= 1
            raise ConnectionError("the payout table is unreachable")
        stored = self.payouts.get(changed.payout_id)
        if stored is None or stored.revision != changed.revision - 1:
            raise PayoutMovedError(changed.payout_id)
        self.payouts[changed.payout_id] = replace(changed, published_status=stored.published_status)
        releases = stored.is_open and not changed.is_open
        if releases and self.open_by_account.get(changed.account_id) == changed.payout_id:
            del self.open_by_account[changed.account_id]
        if entry is not None:
            self.audit.append(entry)

    def hold_token(self, payout_id: str, step: str, token: str) -> bool:
        if payout_id not in self.payouts:
            return False
        self.tokens[(payout_id, step)] = token
        return True

    def token(self, payout_id: str, step: str) -> str | None:
        return self.tokens.get((payout_id, step))

    def link_rail_payment(self, rail: str, reference: str, payout_id: str) -> None:
        self.rail_links[(rail, reference)] = payout_id

    def payout_for_rail_payment(self, rail: str, reference: str) -> str | None:
        return self.rail_links.get((rail, reference))


@dataclass
class InMemoryPayoutFacts:
    documents: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    kyc: dict[str, KycStatus] = field(default_factory=dict)
    snapshots: dict[str, RiskSnapshot] = field(default_factory=dict)
    closes: dict[str, list[ClosedTrade]] = field(default_factory=dict)
    holds: dict[str, list[PayoutHold]] = field(default_factory=dict)
    fees: dict[str, Decimal] = field(default_factory=dict)  # by account
    previous: dict[str, str] = field(default_factory=dict)  # account -> the account it continues
    risks: dict[str, list[TradeRisk]] = field(default_factory=dict)

    def program_document(self, program_id: str, version: int) -> dict[str, Any] | None:
        return self.documents.get((program_id, version))

    def kyc_status(self, trader_id: str) -> KycStatus | None:
        return self.kyc.get(trader_id)

    def risk_snapshot(self, account_id: str) -> RiskSnapshot | None:
        return self.snapshots.get(account_id)

    def closed_trades(self, account_id: str, since: datetime) -> list[ClosedTrade]:
        return [trade for trade in self.closes.get(account_id, []) if trade.closed_at >= since]

    def payout_holds(self, account_id: str) -> list[PayoutHold]:
        return list(self.holds.get(account_id, []))

    def fee_paid(self, account_id: str, trader_id: str) -> Decimal | None:
        return self.fees.get(account_id)

    def previous_account(self, account_id: str) -> str | None:
        return self.previous.get(account_id)

    def trade_risks(self, account_id: str) -> list[TradeRisk]:
        return list(self.risks.get(account_id, []))


@dataclass
class InMemoryPayoutHolds:
    """`PayoutHolds` in memory, keyed like the table: (account, source, reference)."""

    kept: dict[tuple[str, str, str], PayoutHold] = field(default_factory=dict)

    def holds_on(self, account_id: str) -> list[PayoutHold]:
        mine = [hold for (account, _, _), hold in self.kept.items() if account == account_id]
        return sorted(mine, key=lambda hold: (hold.placed_at, hold.reference))

    def place(self, hold: PayoutHold) -> bool:
        key = (hold.account_id, hold.source, hold.reference)
        if key in self.kept:
            return False
        self.kept[key] = hold
        return True

    def lift(self, account_id: str, source: HoldSource, reference: str) -> bool:
        return self.kept.pop((account_id, source, reference), None) is not None


@dataclass
class InMemoryPlatformRefs:
    refs: dict[str, AccountRef] = field(default_factory=dict)

    def platform_ref(self, account_id: str) -> AccountRef | None:
        return self.refs.get(account_id)


@dataclass
class InMemoryEventLog:
    """The engine's event log, keyed as the table keys it (`keys.event_sk`): by the account, then the event's
    time and id, so the same event id written at another time is another item (as in DynamoDB)."""

    events: dict[tuple[str, str], StoredEvent] = field(default_factory=dict)
    fail_next: int = 0  # the next writes fail (the table unreachable: the step dies and is retried)

    def record(self, event: StoredEvent, received_at: datetime) -> bool:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("the event log is unreachable")
        key = (event.account_id, f"{event.time.isoformat()}#{event.event_id}")
        if key in self.events:
            return False
        self.events[key] = event
        return True

    def of_type(self, account_id: str, kind: str) -> list[StoredEvent]:
        return [e for (account, _), e in self.events.items() if account == account_id and e.type == kind]


@dataclass
class InMemoryDestinations:
    kept: dict[str, PayoutDestination] = field(default_factory=dict)

    def get(self, trader_id: str) -> PayoutDestination | None:
        return self.kept.get(trader_id)

    def put(self, destination: PayoutDestination) -> None:
        self.kept[destination.trader_id] = destination


@dataclass
class RecordingPutBacks:
    """`propdesk.abuse.payout_denial.StartedWithdrawalPutBack` without a platform: records what it was asked
    (the payout ids) and answers that nothing was booked."""

    asked: list[str] = field(default_factory=list)

    def put_back(self, payout: Payout) -> PutBack:
        self.asked.append(payout.payout_id)
        return "not_booked"
