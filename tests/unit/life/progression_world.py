"""A firm with the demo catalogue, a trader whose phase-1 account passed, and the progression use case over
in-memory stores, a fake platform, a recording mailbox, bus and workflow callback."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from propdesk.access import Identity
from propdesk.catalogue import demo_programs
from propdesk.life.progression import Progression
from propdesk.life.workflow import Passed, Progressions, ReviewProgression
from propdesk.mail.delivery import OnceOnlyMail
from propdesk.mail.letter import Firm
from propdesk.purchases.fulfilment import LoginMail
from propdesk.records import Account, AuditEntry, TraderProfile

from tests.doubles.life import (
    InMemoryLifeAccounts,
    InMemoryProgramDocuments,
    InMemoryProgressions,
    RecordingCallback,
)
from tests.doubles.mail import InMemoryMailMarks, RecordingMailService
from tests.doubles.ports import InMemoryEventPublisher, ManualClock
from tests.doubles.purchases import FakePlatform, InMemoryLogins, InMemoryTraders

OPENED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
PASSED_AT = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
NOW = PASSED_AT + timedelta(seconds=5)
TRADER = "trader-7"


@dataclass
class Audit:
    entries: list[AuditEntry] = field(default_factory=list)

    def append(self, entry: AuditEntry) -> bool:
        self.entries.append(entry)
        return True


@dataclass
class LifeWorld:
    store: InMemoryProgressions = field(default_factory=InMemoryProgressions)
    programs: InMemoryProgramDocuments = field(default_factory=InMemoryProgramDocuments)
    accounts: InMemoryLifeAccounts = field(default_factory=InMemoryLifeAccounts)
    publisher: InMemoryEventPublisher = field(default_factory=InMemoryEventPublisher)
    platform: FakePlatform = field(default_factory=FakePlatform)
    mail: RecordingMailService = field(default_factory=RecordingMailService)
    logins: InMemoryLogins = field(default_factory=InMemoryLogins)
    marks: InMemoryMailMarks = field(default_factory=InMemoryMailMarks)
    callback: RecordingCallback = field(default_factory=RecordingCallback)
    audit: Audit = field(default_factory=Audit)
    traders: InMemoryTraders = field(default_factory=InMemoryTraders)

    def __post_init__(self) -> None:
        for program in demo_programs():
            self.programs.publish(program.document, OPENED_AT)
        self.traders.profiles[TRADER] = TraderProfile(TRADER, "ada@example.com", "Ada Lovelace", OPENED_AT)

    @property
    def service(self) -> Progressions:
        return Progressions(
            self.store,
            self.programs,
            self.accounts,
            self.publisher,
            traders=self.traders,
            platform=self.platform,
            login_mail=LoginMail(
                OnceOnlyMail(self.mail, self.marks, ManualClock(NOW)),
                self.logins,
                Firm("Acme Funding"),
                "https://trade.example/login",
            ),
            callback=self.callback,
            audit=self.audit,
            new_id=lambda: "audit-1",
        )

    def passed_account(self, program_id: str = "two-step-100k-phase-1", account_id: str = "acc-1") -> Account:
        document = self.programs.get_version(program_id, 1)
        assert document is not None
        account = Account(
            account_id=account_id,
            trader_id=TRADER,
            program_id=program_id,
            program_version=1,
            status="passed",
            currency="USD",
            initial_balance=Decimal(str(document.document["initial_balance"])),
            timezone=str(document.document["timezone"]),
            day_starts_at=str(document.document["day_starts_at"]),
            opened_at=OPENED_AT,
        )
        self.accounts.accounts[account_id] = account
        return account

    def passed(self, account_id: str = "acc-1", owner: str = "run-1") -> Passed:
        return Passed(account_id, TRADER, PASSED_AT, owner)

    def run(self, account_id: str = "acc-1", owner: str = "run-1") -> str:
        """The workflow without a review: start, open, finish; the start's outcome."""
        started = self.service.start(self.passed(account_id, owner), NOW)
        if started.outcome == "proceed":
            self.service.open_next(account_id, PASSED_AT, NOW)
            self.service.finish(account_id, PASSED_AT, NOW)
        return started.outcome

    def republish(self, program_id: str, **changes: object) -> int:
        version = self.programs.get_version(program_id, len(self.programs.versions[program_id]))
        assert version is not None
        return self.programs.publish({**version.document, **changes}, NOW)

    def opened_accounts(self) -> list[Account]:
        return [a for a in self.accounts.accounts.values() if a.account_id.startswith("acc_")]

    def review(
        self, decision: str = "approved", account_id: str = "acc-1", by: str = "risk-officer"
    ) -> Progression:
        return self.service.review(
            ReviewProgression(
                account_id,
                "approved" if decision == "approved" else "rejected",
                "checked the trading",
                Identity(by, frozenset({"risk"})),
                NOW,
            )
        )

    def pass_next(self, account: Account) -> Account:
        passed = replace(account, status="passed")
        self.accounts.accounts[account.account_id] = passed
        return passed
