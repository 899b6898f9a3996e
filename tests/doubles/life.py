"""In-memory doubles of the progression stores (`propdesk.life.ports`), for tests only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from propdesk.life.progression import Progression
from propdesk.records import Account, ProgramSummary, ProgramVersion


@dataclass
class InMemoryProgressions:
    records: dict[tuple[str, datetime], Progression] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    lose_next_save: int = 0  # a concurrent writer changed the record (the save finds it changed)

    def create(self, progression: Progression) -> Progression:
        return self.records.setdefault((progression.account_id, progression.passed_at), progression)

    def get(self, account_id: str, passed_at: datetime) -> Progression | None:
        return self.records.get((account_id, passed_at))

    def latest_for(self, account_id: str) -> Progression | None:
        mine = [p for (account, _), p in self.records.items() if account == account_id]
        return max(mine, key=lambda p: p.passed_at, default=None)

    def save(self, progression: Progression, expected: Progression) -> bool:
        if self.lose_next_save:
            self.lose_next_save -= 1
            return False
        stored = self.records.get((expected.account_id, expected.passed_at))
        if stored is None or (stored.status, stored.review, stored.updated_at) != (
            expected.status,
            expected.review,
            expected.updated_at,
        ):
            return False
        self.records[(progression.account_id, progression.passed_at)] = progression
        return True

    def link(self, account_id: str, previous_account_id: str) -> None:
        self.links.setdefault(account_id, previous_account_id)

    def previous_of(self, account_id: str) -> str | None:
        return self.links.get(account_id)


@dataclass
class InMemoryProgramDocuments:
    """The catalogue by program id: every published version of each document."""

    versions: dict[str, list[ProgramVersion]] = field(default_factory=dict)

    def publish(self, document: dict[str, Any], at: datetime) -> int:
        program_id = str(document["program_id"])
        stored = self.versions.setdefault(program_id, [])
        stored.append(ProgramVersion(program_id, len(stored) + 1, document, at))
        return len(stored)

    def get_program(self, program_id: str) -> ProgramSummary | None:
        from propdesk.catalogue import summary_of

        stored = self.versions.get(program_id)
        if not stored:
            return None
        summary = summary_of(stored[-1].document)
        return ProgramSummary(
            summary.program_id,
            summary.name,
            len(stored),
            summary.currency,
            summary.initial_balance,
            summary.prices,
            summary.kind,
        )

    def get_version(self, program_id: str, version: int) -> ProgramVersion | None:
        stored = self.versions.get(program_id, [])
        return stored[version - 1] if 0 < version <= len(stored) else None


@dataclass
class InMemoryLifeAccounts:
    accounts: dict[str, Account] = field(default_factory=dict)

    def get(self, account_id: str, consistent: bool = False) -> Account | None:
        return self.accounts.get(account_id)

    def open(self, account: Account) -> bool:
        if account.account_id in self.accounts:
            return False
        self.accounts[account.account_id] = account
        return True


@dataclass
class RecordingCallback:
    """Step Functions' task tokens as the workflow sees them: a token resumes its task once (`succeeded`);
    a used or `expired` token answers False. `fail_next` sends fail before reaching the service;
    `lose_answer_next` sends resume the task but their answer is lost (they raise)."""

    succeeded: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    expired: set[str] = field(default_factory=set)
    fail_next: int = 0
    lose_answer_next: int = 0

    def succeed(self, task_token: str, output: Any) -> bool:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("the workflow service is unreachable")
        if task_token in self.expired or any(token == task_token for token, _ in self.succeeded):
            return False
        self.succeeded.append((task_token, dict(output)))
        if self.lose_answer_next:
            self.lose_answer_next -= 1
            raise ConnectionError("the answer was lost on the way back")
        return True

    def fail(self, task_token: str, error: str, cause: str) -> bool:
        return True
