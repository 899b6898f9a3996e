"""The progression use case: the steps of the workflow that takes a passed account to the next one, and what
the trader sees of their chain.

    start      account.passed → the progression record (once per account and pass), or why nothing follows
    await      (optional) park the workflow's task token until a staff member decides
    review     a staff member approves or rejects (audited), which resumes the workflow
    open_next  the next account on the trader's platform (found by our reference before creating), stored
               here, linked to the one before it
    finish     the old account closed for trading (`platform.disable_requested`), the trader told
               (`account.phase_started` or `account.funded`)

Every step may run again (a redelivered event, a retried task) and does nothing twice: the record is
created once per key, the next account's id and platform reference derive from the key, events have stable
ids. A second workflow run for the same key (`account.passed` delivered twice) finds the record owned by
the first and stops (`duplicate`).

A staff decision is never lost nor applied twice: it is stored (and audited) before the workflow is resumed,
and the task token stays on the record until Step Functions confirmed the resume. A resume that failed
(`ResumePendingError`, a 503 for the staff route) is sent again by the same request repeated, which finds
the same decision stored and only resumes (nothing saved or audited again); a different decision is a
conflict. The waiting step, run again, resumes at once with the stored decision. A token Step Functions no
longer knows (the run was resumed by an earlier try, or its wait timed out) clears the token and alerts the
firm, as a run that timed out ended without the decision.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from propdesk.access import Identity, refuse_own_account
from propdesk.domain_events import (
    AccountDisableRequested,
    AccountFunded,
    AccountPhaseStarted,
    DomainEvent,
    FirmAlert,
    stable_id,
)
from propdesk.errors import ConflictError, NotFoundError
from propdesk.life.chain import MAX_STEPS, ChainError, ChainStep, walk
from propdesk.life.ports import Accounts, AuditTrail, ProgramDocuments, ProgressionStore, ResumePendingError
from propdesk.life.progression import (
    PlatformLogin,
    Progression,
    ReviewDecision,
    next_account,
    plan,
    platform_reference,
)
from propdesk.mail.delivery import mail_key
from propdesk.mail.purchases import CREDENTIALS, platform_credentials
from propdesk.mail.purchases import PlatformLogin as LoginLetter
from propdesk.platforms.port import NewAccount, OpenedAccount
from propdesk.platforms.references import reference_of
from propdesk.ports import EventPublisher, WorkflowCallback
from propdesk.purchases.fulfilment import LoginMail
from propdesk.purchases.ports import PlatformAccounts
from propdesk.purchases.store import TraderDirectory
from propdesk.records import Account, AccountLogin, AuditEntry

StartOutcome = Literal["proceed", "duplicate", "rejected", "end", "not_passed", "chain_broken"]
_SAVE_ATTEMPTS = 5


class ProgressionNotReadyError(Exception):
    """A step asked for before the steps it needs (a task run out of order): the workflow retries it."""


@dataclass(frozen=True, slots=True)
class Passed:
    """An `account.passed` as the workflow hands it on; `owner` is the workflow run."""

    account_id: str
    trader_id: str
    passed_at: datetime
    owner: str


@dataclass(frozen=True, slots=True)
class Started:
    outcome: StartOutcome
    account_id: str
    passed_at: datetime
    progression: Progression | None = None
    detail: str = ""

    def to_output(self) -> dict[str, Any]:
        """What the workflow's Choice states read."""
        found = self.progression
        return {
            "outcome": self.outcome,
            "account_id": self.account_id,
            "passed_at": self.passed_at.isoformat(),
            "review": found is not None and found.review in ("required", "waiting"),
            "funded": found is not None and found.funded,
            "next_account_id": found.next_account_id if found else None,
            "next_program_id": found.next_program_id if found else None,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class ReviewProgression:
    account_id: str  # the account that passed
    decision: ReviewDecision
    reason: str
    by: Identity
    at: datetime


@dataclass(frozen=True, slots=True)
class ChainView:
    """An account in its chain: its stage and phase, the accounts before it (oldest first), the programs
    still ahead of it, and its progression once it passed."""

    account: Account
    stage: str
    phase: int
    history: tuple[Account, ...]
    upcoming: tuple[ChainStep, ...]
    progression: Progression | None


class Progressions:
    def __init__(
        self,
        store: ProgressionStore,
        programs: ProgramDocuments,
        accounts: Accounts,
        publisher: EventPublisher,
        *,
        traders: TraderDirectory | None = None,
        platform: PlatformAccounts | None = None,
        login_mail: LoginMail | None = None,
        callback: WorkflowCallback | None = None,
        audit: AuditTrail | None = None,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        """Each step needs only some ports: a function wires those its step uses."""
        self._store = store
        self._programs = programs
        self._accounts = accounts
        self._publisher = publisher
        self._traders = traders
        self._platform = platform
        self._login_mail = login_mail
        self._callback = callback
        self._audit = audit
        self._new_id = new_id

    # ---- start: what follows a passed account
    def start(self, passed: Passed, now: datetime) -> Started:
        def outcome(kind: StartOutcome, found: Progression | None = None, detail: str = "") -> Started:
            return Started(kind, passed.account_id, passed.passed_at, found, detail)

        existing = self._store.get(passed.account_id, passed.passed_at)
        if existing is not None:
            return outcome(*self._resumed(existing, passed.owner))
        account = self._accounts.get(passed.account_id, consistent=True)
        if account is None or account.status != "passed":
            state = "does not exist" if account is None else f"is {account.status}"
            return outcome("not_passed", detail=f"account {passed.account_id} {state}")
        pinned = self._programs.get_version(account.program_id, account.program_version)
        following_id = pinned.document.get("next_program_id") if pinned else None
        if not isinstance(following_id, str) or not following_id:
            return outcome("end", detail=f"program {account.program_id} ends its chain")
        try:
            chain = walk(following_id, self._current_document)
        except ChainError as error:
            self._alert_broken_chain(account, error, now)
            return outcome("chain_broken", detail=error.message)
        summary = self._programs.get_program(following_id)
        version = self._programs.get_version(following_id, summary.current_version) if summary else None
        if version is None:  # read a moment ago by walk: a catalogue changing under us
            raise ProgressionNotReadyError(f"program {following_id} has no current version")
        phase = self._phase_of(account.account_id) + 1
        planned = plan(account, passed.passed_at, passed.owner, chain[0], version, phase, now)
        return outcome(*self._resumed(self._store.create(planned), passed.owner))

    @staticmethod
    def _resumed(found: Progression, owner: str) -> tuple[StartOutcome, Progression, str]:
        if found.owner != owner:
            return "duplicate", found, f"carried by {found.owner}"
        if found.status == "rejected":
            return "rejected", found, found.review_reason or ""
        return "proceed", found, ""

    # ---- await: the workflow waits for a staff member
    def await_review(self, account_id: str, passed_at: datetime, task_token: str, now: datetime) -> str:
        """Park `task_token` on the progression; resume at once when it is decided already."""
        for _ in range(_SAVE_ATTEMPTS):
            found = self._required(account_id, passed_at)
            if found.review == "none":
                self._resume(task_token, "approved")
                return "no review needed"
            if found.review in ("approved", "rejected"):
                parked = replace(found, task_token=task_token, updated_at=now)
                if not self._store.save(parked, found):
                    continue
                try:
                    self._resume_decided(parked)
                except ResumePendingError:  # staff sending the decision again resumes this run
                    self._publisher.publish([self._review_alert(found, now)])
                    return f"decided already ({found.review}); the resume failed and waits for a retry"
                return f"decided already: {found.review}"
            if self._store.save(found.waiting_for(task_token, now), found):
                self._publisher.publish([self._review_alert(found, now)])
                return "waiting for a staff review"
        raise ProgressionNotReadyError(f"progression of {account_id} kept changing")

    def review(self, command: ReviewProgression) -> Progression:
        """A staff member's decision on the account's waiting progression, audited; resumes the workflow.
        The same decision again (a retry) only resumes a workflow not resumed yet; another one conflicts."""
        found = self._store.latest_for(command.account_id)
        if found is None:
            raise NotFoundError(f"account {command.account_id} has no progression", "account_id")
        refuse_own_account(command.by.subject, found.trader_id, "review the progression of", "account_id")
        if found.review in ("approved", "rejected"):
            if found.review != command.decision:
                raise ConflictError(f"this progression was {found.review} already", "decision")
            return self._resume_decided(found) if found.resume_pending else found
        if found.review not in ("required", "waiting"):
            raise ConflictError(f"this progression is not waiting for a review ({found.review})", "decision")
        decided = found.decided(command.decision, command.by.actor, command.reason, command.at)
        if not self._store.save(decided, found):
            raise ConflictError("the progression changed meanwhile; reload and try again", "decision")
        if self._audit is not None:
            self._audit.append(
                AuditEntry(
                    entry_id=self._new_id() if self._new_id else stable_id("review", found.key),
                    at=command.at,
                    actor=command.by.actor,
                    actor_roles=command.by.staff_roles,
                    action="progression.reviewed",
                    subject=f"ACCOUNT#{command.account_id}",
                    reason=command.reason,
                    before={"review": found.review},
                    after={
                        "review": command.decision,
                        "next_account_id": found.next_account_id,
                        "next_program_id": found.next_program_id,
                    },
                )
            )
        return self._resume_decided(decided) if decided.resume_pending else decided

    def _resume_decided(self, decided: Progression) -> Progression:
        """Send the stored decision to the waiting run, then forget its token. Raises ResumePendingError
        (the token kept) when the resume failed."""
        assert decided.task_token is not None and decided.review in ("approved", "rejected")
        decision: ReviewDecision = "rejected" if decided.review == "rejected" else "approved"
        try:
            delivered = self._resume(decided.task_token, decision)
        except ProgressionNotReadyError:
            raise
        except Exception as failure:  # the workflow service unreachable, throttled: the caller retries
            raise ResumePendingError(
                f"the decision ({decision}) is stored, but the workflow could not be resumed: send the same "
                "decision again",
                "decision",
            ) from failure
        resumed = self._saved(decided, lambda current: current.resumed())
        if not delivered:
            # advisory: the decision is stored, audited and its token settled whether or not this goes out
            with contextlib.suppress(Exception):
                self._publisher.publish([self._stale_resume_alert(decided)])
        return resumed

    # ---- open: the next account, on the platform and here
    def open_next(self, account_id: str, passed_at: datetime, now: datetime) -> Progression:
        found = self._required(account_id, passed_at)
        if found.status in ("opened", "done"):
            return found
        if found.status == "rejected" or found.review in ("required", "waiting"):
            raise ProgressionNotReadyError(f"progression of {account_id}: review is {found.review}")
        version = self._programs.get_version(found.next_program_id, found.next_program_version)
        if version is None:
            raise ProgressionNotReadyError(f"program {found.next_program_id} v{found.next_program_version}")
        opened, email = self._on_platform(found, version.document)
        account = replace(next_account(found, version.document, now), platform=reference_of(opened))
        self._accounts.open(account)  # False: opened by an earlier try
        self._store.link(found.next_account_id, found.account_id)
        self._mail_login(found, opened, email)
        login = PlatformLogin(
            platform=opened.ref.platform,
            platform_account_id=opened.ref.platform_account_id,
            login=opened.ref.login,
            server=opened.server,
        )
        return self._saved(found, lambda current: current.opened(login, now))

    # ---- finish: close the old account for trading, tell the trader
    def finish(self, account_id: str, passed_at: datetime, now: datetime) -> Progression:
        found = self._required(account_id, passed_at)
        if found.status == "done":
            return found
        if found.status != "opened" or found.login is None:
            raise ProgressionNotReadyError(f"progression of {account_id} is {found.status}")
        self._publisher.publish([self._close_old(found, now), self._announce(found, now)])
        return self._saved(found, lambda current: current.done(now))

    # ---- what the trader sees
    def chain_of(self, account: Account) -> ChainView:
        history: list[Account] = []
        previous = self._store.previous_of(account.account_id)
        while previous is not None and len(history) < MAX_STEPS:
            before = self._accounts.get(previous)
            if before is None:
                break
            history.insert(0, before)
            previous = self._store.previous_of(previous)
        pinned = self._programs.get_version(account.program_id, account.program_version)
        document: Mapping[str, Any] = pinned.document if pinned else {}
        stage = str(document.get("kind") or "challenge")
        upcoming: tuple[ChainStep, ...] = ()
        following = document.get("next_program_id")
        if isinstance(following, str) and following:
            try:
                upcoming = walk(following, self._current_document)
            except ChainError:
                upcoming = ()  # a broken chain shows nothing ahead; the firm was alerted when it mattered
        progression = self._store.latest_for(account.account_id)
        return ChainView(account, stage, len(history) + 1, tuple(history), upcoming, progression)

    # ---- helpers
    def _required(self, account_id: str, passed_at: datetime) -> Progression:
        found = self._store.get(account_id, passed_at)
        if found is None:
            raise ProgressionNotReadyError(f"account {account_id} has no progression for {passed_at}")
        return found

    def _saved(self, found: Progression, change: Callable[[Progression], Progression]) -> Progression:
        current = found
        for _ in range(_SAVE_ATTEMPTS):
            updated = change(current)
            if self._store.save(updated, current):
                return updated
            reloaded = self._store.get(found.account_id, found.passed_at)
            assert reloaded is not None  # progressions are never deleted
            current = reloaded
        raise ProgressionNotReadyError(f"progression of {found.account_id} kept changing")

    def _current_document(self, program_id: str) -> Mapping[str, Any] | None:
        summary = self._programs.get_program(program_id)
        if summary is None:
            return None
        version = self._programs.get_version(program_id, summary.current_version)
        return version.document if version else None

    def _phase_of(self, account_id: str) -> int:
        phase, previous = 1, self._store.previous_of(account_id)
        while previous is not None and phase < MAX_STEPS:
            phase, previous = phase + 1, self._store.previous_of(previous)
        return phase

    def _on_platform(self, found: Progression, document: Mapping[str, Any]) -> tuple[OpenedAccount, str]:
        if self._platform is None or self._traders is None:
            raise ProgressionNotReadyError("opening an account needs the platform and the trader directory")
        profile = self._traders.get(found.trader_id)
        if profile is None:
            raise ProgressionNotReadyError(f"trader {found.trader_id} has no profile")
        reference = platform_reference(found.key)
        existing = self._platform.find_account(reference, profile.email)
        if existing is not None:
            return existing, profile.email
        settings = document.get("platform") or {}
        first, _, last = (profile.display_name.strip() or profile.email.partition("@")[0]).partition(" ")
        created = self._platform.create_account(
            NewAccount(
                reference=reference,
                email=profile.email,
                first_name=first,
                last_name=last or "-",
                currency=str(document.get("currency") or "USD"),
                initial_balance=Decimal(str(document["initial_balance"])),
                group=str(settings.get("challenge_id") or found.next_program_id),
                phase_step=int(settings.get("phase", found.phase)),
            )
        )
        return created, profile.email

    def _mail_login(self, found: Progression, opened: OpenedAccount, email: str) -> None:
        """The next account's platform login, kept for the API and mailed once per account as provisioning
        does (with the one-time password when this attempt created the account, else the platform's
        password reset)."""
        if self._login_mail is None:
            return
        ref = opened.ref
        self._login_mail.logins.put(
            AccountLogin(found.next_account_id, ref.platform, opened.server, ref.login)
        )
        letter = LoginLetter(
            found.next_account_id,
            ref.platform,
            opened.server,
            ref.login,
            opened.password,
            self._login_mail.login_url,
        )
        self._login_mail.mail.send(
            mail_key(found.next_account_id, CREDENTIALS.name),
            email,
            platform_credentials(letter, self._login_mail.firm),
        )

    def _resume(self, task_token: str, decision: ReviewDecision) -> bool:
        """False: Step Functions no longer knows the token (resumed already, or the wait timed out)."""
        if self._callback is None:
            raise ProgressionNotReadyError("resuming the workflow needs its callback")
        return self._callback.succeed(task_token, {"decision": decision})

    def _stale_resume_alert(self, found: Progression) -> DomainEvent:
        return FirmAlert(
            event_id=stable_id("firm.alert", "progression-resume-stale", found.key),
            occurred_at=found.updated_at,
            severity="warning",
            subject=f"Account {found.account_id}: progression {found.review}, but no run was waiting",
            message=(
                f"the decision is stored, but workflow run {found.owner} was no longer waiting for it "
                "(resumed by an earlier try, or its review wait timed out); if the run ended, account "
                f"{found.next_account_id} was not opened and the progression needs a new run"
            ),
            trader_id=found.trader_id,
        )

    def _close_old(self, found: Progression, now: datetime) -> DomainEvent:
        return AccountDisableRequested(
            event_id=stable_id("platform.disable_requested", "progression", found.key),
            occurred_at=now,
            account_id=found.account_id,
            trader_id=found.trader_id,
            reason=f"passed; continues in account {found.next_account_id}",
        )

    def _announce(self, found: Progression, now: datetime) -> DomainEvent:
        assert found.login is not None
        kind = AccountFunded if found.funded else AccountPhaseStarted
        return kind(
            event_id=stable_id(kind.detail_type, found.key),
            occurred_at=now,
            account_id=found.next_account_id,
            trader_id=found.trader_id,
            previous_account_id=found.account_id,
            program_id=found.next_program_id,
            program_version=found.next_program_version,
            phase=found.phase,
            platform=found.login.platform,
            login=found.login.login,
            server=found.login.server,
        )

    def _review_alert(self, found: Progression, now: datetime) -> DomainEvent:
        return FirmAlert(
            event_id=stable_id("firm.alert", "progression-review", found.key),
            occurred_at=now,
            severity="info",
            subject=f"Account {found.account_id} passed: review before {found.next_program_id}",
            message=f"approve or reject with POST /v1/staff/accounts/{found.account_id}/progression-review",
            trader_id=found.trader_id,
        )

    def _alert_broken_chain(self, account: Account, error: ChainError, now: datetime) -> None:
        self._publisher.publish(
            [
                FirmAlert(
                    event_id=stable_id("firm.alert", "broken-chain", account.account_id),
                    occurred_at=now,
                    severity="critical",
                    subject=f"Account {account.account_id} passed but its chain cannot be followed",
                    message=f"program {account.program_id}: {error.message}",
                    trader_id=account.trader_id,
                )
            ]
        )
