"""What comes after a passed account, as pure decisions and the record that carries a progression through
its workflow.

One progression per passed account and pass: its key is derived from (account, passed-at), and so is the
next account's id and the platform reference it is opened under. `account.passed` delivered twice, or any
step of the workflow run again, lands on the same record, the same account id and the same platform
account: there is exactly one next account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from propdesk.domain_events import stable_id
from propdesk.life.chain import ChainStep
from propdesk.records import Account, ProgramVersion

# planned: the next program is chosen, the next account not opened yet; opened: the next account exists (on
# the platform and here); done: the old account is closed for trading and the trader is told; rejected: a
# staff member refused the progression (nothing is opened).
ProgressionStatus = Literal["planned", "opened", "done", "rejected"]
# none: the next program needs no review; required: it does, not asked yet; waiting: a staff member decides
# (the workflow holds a task token); approved / rejected: decided (the token is kept until the workflow has
# been resumed with the decision).
ReviewState = Literal["none", "required", "waiting", "approved", "rejected"]
ReviewDecision = Literal["approved", "rejected"]


def progression_key(account_id: str, passed_at: datetime) -> str:
    """The idempotency key of one pass of one account."""
    return stable_id("progression", account_id, passed_at.astimezone(UTC).isoformat())


def next_account_id(key: str) -> str:
    """The account a progression opens: derived from its key, so it can only ever be one."""
    return "acc_" + stable_id("next-account", key)[:24]


def platform_reference(key: str) -> str:
    """Our reference for the next account on the platform (found again instead of created twice)."""
    return f"propdesk:progression:{key}"


@dataclass(frozen=True, slots=True)
class PlatformLogin:
    """Where the next account lives on its platform (no password: that goes to the trader once)."""

    platform: str
    platform_account_id: str
    login: str
    server: str


@dataclass(frozen=True, slots=True)
class Progression:
    """One passed account on its way to the next: the workflow's record, created once per key."""

    key: str
    account_id: str  # the account that passed
    trader_id: str
    passed_at: datetime
    owner: str  # the workflow run that carries it (another run for the same key stops at once)
    next_account_id: str
    next_program_id: str
    next_program_version: int
    stage: Literal["challenge", "funded"]
    phase: int  # the next account's place in the chain: 1 for the first phase, ...
    review: ReviewState
    status: ProgressionStatus
    updated_at: datetime
    task_token: str | None = None
    reviewed_by: str | None = None
    review_reason: str | None = None
    login: PlatformLogin | None = None

    @property
    def funded(self) -> bool:
        return self.stage == "funded"

    def waiting_for(self, task_token: str, at: datetime) -> Progression:
        return replace(self, review="waiting", task_token=task_token, updated_at=at)

    def decided(self, decision: ReviewDecision, by: str, reason: str, at: datetime) -> Progression:
        """The decision, stored before the workflow is resumed: the task token stays until the resume is
        confirmed (`resumed`), so a resume that failed can be sent again with the same token."""
        return replace(
            self,
            review=decision,
            reviewed_by=by,
            review_reason=reason,
            status="rejected" if decision == "rejected" else self.status,
            updated_at=at,
        )

    @property
    def resume_pending(self) -> bool:
        """Decided, but the workflow has not been told yet (its token is still held)."""
        return self.review in ("approved", "rejected") and self.task_token is not None

    def resumed(self) -> Progression:
        return replace(self, task_token=None)

    def opened(self, login: PlatformLogin, at: datetime) -> Progression:
        return replace(self, status="opened", login=login, updated_at=at)

    def done(self, at: datetime) -> Progression:
        return replace(self, status="done", updated_at=at)


def plan(
    passed: Account,
    passed_at: datetime,
    owner: str,
    following: ChainStep,
    version: ProgramVersion,
    phase: int,
    now: datetime,
) -> Progression:
    """The progression of `passed` into `following` (its current `version`), not started yet."""
    key = progression_key(passed.account_id, passed_at)
    return Progression(
        key=key,
        account_id=passed.account_id,
        trader_id=passed.trader_id,
        passed_at=passed_at,
        owner=owner,
        next_account_id=next_account_id(key),
        next_program_id=following.program_id,
        next_program_version=version.version,
        stage=following.stage,
        phase=phase,
        review="required" if following.staff_review else "none",
        status="planned",
        updated_at=now,
    )


def next_account(progression: Progression, document: Mapping[str, Any], opened_at: datetime) -> Account:
    """The next account: a fresh balance, pinned to the next program's version the progression chose."""
    return Account(
        account_id=progression.next_account_id,
        trader_id=progression.trader_id,
        program_id=progression.next_program_id,
        program_version=progression.next_program_version,
        status="active",
        currency=str(document.get("currency") or "USD"),
        initial_balance=Decimal(str(document["initial_balance"])),
        timezone=str(document.get("timezone") or "UTC"),
        day_starts_at=str(document.get("day_starts_at") or "00:00"),
        opened_at=opened_at,
    )
