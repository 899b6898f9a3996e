"""Payout requests, from the trader's preview to finance's decision: one service, over store protocols
(`propdesk.payouts.store`), an event publisher and the firm's default policy.

- `preview`: every payout rule's verdict now, from the same evaluation a request meets (`assess`);
- `request`: the trader asks for closed profit (all that is withdrawable unless an amount); refused with the
  unmet rules' reason codes (`PayoutRefusedError` 409 for the account, KYC or the schedule,
  `PayoutAmountRefusedError` 422 for the amount); publishes `payout.requested`;
- `history` (the account's payouts) and `queue` (finance's, by status);
- `decide`: finance approves or rejects once, with a reason, audited in the same write; publishes
  `payout.approved` or `payout.rejected` and resumes the payout workflow waiting for the decision. Finance
  never decides a payout they requested (403 `own_account`, `propdesk.access.refuse_own_account`); above
  the firm's second amount (`ApprovalPolicy`) the first approval is recorded and a second, different
  member's approves it;
- `reassess`: the workflow's eligibility check of a stored payout (the request's own reservation aside),
  with what it carries on top computed again: a payout whose extras are no longer owed as requested (one
  was paid meanwhile, the figures changed) is refused (`extras_changed`), so none is ever paid twice.

What a payout carries on top of the trader's share is fixed at the request (`Assessment.extras`): the fee
refund with the Nth payout, the challenge-phase share with the first, and on a funded account failed by a
breach only the breach share (with the challenge share if still owed); `propdesk.payouts.shares` says when
each is owed.

Profit withdrawn on the platform but not yet seen by the engine (the `withdrawal` event is on its way to the
risk state) is taken off the closed balance, so a request right after a paid payout never counts its profit.

Idempotency: with an `Idempotency-Key` the payout id derives from (trader, account, key), so the payout
itself is the idempotency record: a repeat finds it, checks that it asks the same (else 422) and answers it
without requesting or counting again. Events are published after the write and marked as sent; a repeat of
the same request (or decision) re-sends one that a failure left unsent.

Who may do what: an account is read by its trader or by staff with `read_accounts` (anyone else gets the
same 404 as for a missing account, `propdesk.access.readable_account`); only its trader requests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from propdesk.access import AccountLookup, Identity, readable_account, refuse_own_account
from propdesk.domain_events import (
    PayoutApproved,
    PayoutEvent,
    PayoutFailed,
    PayoutPaid,
    PayoutRejected,
    PayoutRequested,
    stable_id,
)
from propdesk.engine.days import TradingDay
from propdesk.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from propdesk.payouts.approval import ApprovalPolicy
from propdesk.payouts.eligibility import Assessment, PayoutSituation, Refusal, assess, assess_breach_share
from propdesk.payouts.extras import FeeRefundTerms, fee_refund, payout_number, refunded_before
from propdesk.payouts.model import (
    STATUS_AFTER,
    AlreadyDecidedError,
    Decision,
    Extra,
    Payout,
    PayoutStatus,
    approve_once,
    decide,
)
from propdesk.payouts.policy import PayoutPolicy, is_funded, policy_for
from propdesk.payouts.scaling_store import ScalingLookup, split_upgrade
from propdesk.payouts.shares import (
    BreachFacts,
    ChallengeResult,
    breach_share_owed,
    challenge_share_owed,
    failing_breach,
    profit_target,
    share_terms,
)
from propdesk.payouts.split import ZERO
from propdesk.payouts.store import OpenPayoutError, PayoutDecidedError, PayoutFacts, PayoutStore
from propdesk.payouts.terms import account_split
from propdesk.records import Account, AuditEntry, Page

if TYPE_CHECKING:
    from propdesk.ports import EventPublisher, WorkflowCallback

MAX_PAYOUT_ID_LENGTH = 128


class PayoutRefusedError(ConflictError):
    """The account may not be paid out now (409), with the rule's reason code."""

    def __init__(self, refusals: tuple[Refusal, ...]) -> None:
        super().__init__("; ".join(refusal.message for refusal in refusals), refusals[0].field)
        self.code = refusals[0].code


class PayoutAmountRefusedError(InvalidInputError):
    """The amount asked for cannot be paid (422), with the rule's reason code."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message, refusal.field)
        self.code = refusal.code


@dataclass(frozen=True, slots=True)
class RequestPayout:
    account_id: str
    trader: Identity
    at: datetime
    amount: Decimal | None = None  # None: all that is withdrawable
    idempotency_key: str | None = None

    def fingerprint(self) -> str:
        """What must be identical for a repeat of the same Idempotency-Key."""
        return f"{self.account_id}|{'all' if self.amount is None else self.amount}"


@dataclass(frozen=True, slots=True)
class Requested:
    payout: Payout
    replayed: bool  # a repeat of an earlier request: nothing new was requested


@dataclass(frozen=True, slots=True)
class Preview:
    account: Account
    assessment: Assessment


@dataclass(frozen=True, slots=True)
class DecidePayout:
    payout_id: str
    decision: Decision
    reason: str
    by: Identity
    at: datetime


@dataclass(frozen=True, slots=True)
class Decided:
    payout: Payout
    replayed: bool  # this decision was made before (its lost event was sent now)


class PayoutService:
    def __init__(
        self,
        accounts: AccountLookup,
        payouts: PayoutStore,
        facts: PayoutFacts,
        publisher: EventPublisher,
        firm_policy: PayoutPolicy,
        new_id: Callable[[], str],
        approval: ApprovalPolicy | None = None,
        callback: WorkflowCallback | None = None,
        scaling: ScalingLookup | None = None,
    ) -> None:
        self._accounts = accounts
        self._payouts = payouts
        self._facts = facts
        self._publisher = publisher
        self._firm_policy = firm_policy
        self._new_id = new_id
        self.approval = approval or ApprovalPolicy()
        self._callback = callback
        self._scaling = scaling

    def preview(self, account_id: str, reader: Identity, at: datetime, amount: Decimal | None) -> Preview:
        """What a request for `amount` (None: all) would meet now, rule by rule."""
        account = readable_account(self._accounts, reader, account_id)
        return Preview(account, self._assess(account, at, amount))

    def request(self, command: RequestPayout, admit: Callable[[], None]) -> Requested:
        """Request a payout, or answer the one this Idempotency-Key requested already.

        `admit` runs once the request is known to be new, before it is assessed: the caller's rate limit
        (it raises to refuse). A repeat is answered without it."""
        account = self._own_account(command)
        key = command.idempotency_key
        payout_id = f"pay_{stable_id(command.trader.subject, account.account_id, key)[:24]}" if key else None
        existing = self._payouts.get(payout_id) if payout_id else None
        if existing is not None:
            return self._replayed(existing, command)
        admit()
        assessment = self._assess(account, command.at, command.amount)
        state = tuple(r for r in assessment.refusals if r.kind == "state")
        if state:
            raise PayoutRefusedError(state)
        if assessment.refusals:
            raise PayoutAmountRefusedError(assessment.refusals[0])
        quote = assessment.quote
        payout = Payout(
            payout_id=payout_id or f"pay_{self._new_id()[:24]}",
            account_id=account.account_id,
            trader_id=account.trader_id,
            status="requested",
            currency=account.currency,
            amount=quote.amount,
            trader_share=quote.trader_share,
            firm_share=quote.firm_share,
            requested_at=command.at,
            request_fingerprint=command.fingerprint(),
            extras=assessment.extras_owed,
        )
        try:
            stored = self._payouts.create(payout)
        except OpenPayoutError as blocked:
            refusal = Refusal("payout_pending", f"payout {blocked.open_payout_id} is open and not paid yet")
            raise PayoutRefusedError((refusal,)) from None
        if stored is not payout:  # the same key, concurrently: the other request stored its payout first
            return self._replayed(stored, command)
        self._publish(payout)
        return Requested(payout, replayed=False)

    def history(self, account_id: str, reader: Identity, limit: int, cursor: str | None) -> Page[Payout]:
        readable_account(self._accounts, reader, account_id)
        return self._payouts.history(account_id, limit=limit, cursor=cursor)

    def queue(self, status: PayoutStatus, limit: int, cursor: str | None) -> Page[Payout]:
        return self._payouts.in_status(status, limit=limit, cursor=cursor)

    def decide(self, command: DecidePayout) -> Decided:
        """Approve or reject a requested payout, once. The same member repeating the same decision (a client
        asking again after no answer) is answered as the first time, and carries out again what may not
        have happened: the decision's event re-sent, the waiting workflow resumed.

        Above the two-person amount the first approval is recorded (the payout stays requested) and the
        second, by a different member, approves it. A final decision resumes the waiting workflow."""
        payout_id = command.payout_id
        payout = self._payouts.get(payout_id) if len(payout_id) <= MAX_PAYOUT_ID_LENGTH else None
        if payout is None:
            raise NotFoundError(f"no payout {payout_id!r}", "payout_id")
        actor = command.by.actor
        refuse_own_account(command.by.subject, payout.trader_id, "decide a payout of", "payout_id")
        try:
            decided = self._decision(payout, command)
        except AlreadyDecidedError:
            same = payout.status == STATUS_AFTER[command.decision] and payout.decided_by == actor
            if not same:
                raise ConflictError(f"payout {payout_id} is {payout.status} already", "payout_id") from None
            if payout.event_pending:  # this decision went through, its event did not: send it now
                self._publish(payout)
            self.resume_approval(payout)  # a no-op once the workflow moved on
            return Decided(payout, replayed=True)
        try:
            self._payouts.update(decided, self._audit_entry(command, payout, decided))
        except PayoutDecidedError:
            raise ConflictError(f"payout {payout_id} was decided meanwhile", "payout_id") from None
        if decided.status != "requested":
            self._publish(decided)
            self.resume_approval(decided)
        return Decided(decided, replayed=False)

    def resume_approval(self, payout: Payout) -> bool:
        """Hand a final decision to the workflow waiting for it (no-op when none waits or it moved on)."""
        token = self._payouts.token(payout.payout_id, "approval")
        if token is None or self._callback is None or payout.status not in ("approved", "rejected"):
            return False
        decision = "approve" if payout.status == "approved" else "reject"
        return self._callback.succeed(token, {"decision": decision, "payout_id": payout.payout_id})

    def reassess(self, payout: Payout, at: datetime) -> Assessment:
        """The payout rules for a stored payout now, its own reservation and open lock aside, and what it
        carries on top computed again: refused (`extras_changed`) unless it is what the payout was
        requested with."""
        account = self._accounts.get(payout.account_id, consistent=True)
        if account is None:
            raise NotFoundError(f"no account {payout.account_id!r}", "account_id")
        assessment = self._assess(account, at, payout.amount, leave_out=payout.payout_id)
        now, then = _amounts(assessment.extras_owed), _amounts(payout.extras)
        if now == then:
            return assessment
        message = (
            f"what is paid on top of the share changed since the request (requested with {_listed(then)}, "
            f"owed now {_listed(now)}): request again"
        )
        refusal = Refusal("extras_changed", message, "state", "extras")
        return replace(assessment, refusals=(*assessment.refusals, refusal))

    def _decision(self, payout: Payout, command: DecidePayout) -> Payout:
        actor = command.by.actor
        if command.decision == "reject":
            return decide(payout, "reject", actor, command.reason, command.at)
        needed = self.approval.approvers(payout.to_pay)
        if payout.status == "requested" and actor in payout.approvals:
            raise ConflictError("a second, different finance member must approve this payout", "payout_id")
        if needed == 2 and len(payout.approvals) == 0:
            return approve_once(payout, actor, command.at)
        return decide(payout, "approve", actor, command.reason, command.at)

    # ---- helpers

    def _own_account(self, command: RequestPayout) -> Account:
        """The trader's own account: 404 for a missing or another trader's, 403 for staff (who read it)."""
        account = readable_account(self._accounts, command.trader, command.account_id, consistent=True)
        if account.trader_id != command.trader.subject:
            raise ForbiddenError("only the account's trader may request its payouts", "account_id")
        return account

    def _replayed(self, existing: Payout, command: RequestPayout) -> Requested:
        if existing.request_fingerprint != command.fingerprint():
            raise InvalidInputError(
                "this Idempotency-Key was used for a different payout request", "Idempotency-Key"
            )
        if existing.event_pending:
            self._publish(existing)
        return Requested(existing, replayed=True)

    def _assess(
        self, account: Account, now: datetime, requested: Decimal | None, leave_out: str | None = None
    ) -> Assessment:
        """The one evaluation behind the preview, the request and the workflow's re-check, with what the
        payout would carry on top of the trader's share."""
        document = self._facts.program_document(account.program_id, account.program_version) or {}
        policy = self._account_policy(account, policy_for(document, self._firm_policy))
        situation = self._situation(account, document, policy, leave_out)
        terms = share_terms(document)
        history = situation.history
        challenge = (
            challenge_share_owed(terms.challenge, self._challenge(account), history)
            if terms.challenge
            else None
        )
        breach = (
            breach_share_owed(terms.breach, self._breach(account, situation), history)
            if terms.breach and situation.funded and account.status == "failed"
            else None
        )
        if breach is not None:  # failed by a breach: its share alone (and the challenge share if still owed)
            extras = (*([challenge] if challenge else []), breach.extra)
            return replace(assess_breach_share(situation, policy, now, requested, breach), extras=extras)
        refund = self._fee_refund(account, policy.fee_refund_with_payout, history)
        extras = (*([refund] if refund else []), *([challenge] if challenge else []))
        return replace(assess(situation, policy, now, requested), extras=extras)

    def _fee_refund(self, account: Account, number: int | None, history: Sequence[Payout]) -> Extra | None:
        """The fee refund when the program refunds it with this payout number (or a later one, if that one
        was skipped) and no payout that counts refunded it yet."""
        if number is None:
            return None
        fee = self._facts.fee_paid(account.account_id, account.trader_id)
        if fee is None:
            return None
        return fee_refund(FeeRefundTerms(number), fee, payout_number(history), refunded_before(history))

    def _challenge(self, account: Account) -> ChallengeResult | None:
        """The challenge the funded account continues: its target and the profit it made (the engine's)."""
        previous_id = self._facts.previous_account(account.account_id)
        previous = self._accounts.get(previous_id, consistent=True) if previous_id else None
        if previous is None:
            return None
        document = self._facts.program_document(previous.program_id, previous.program_version)
        snapshot = self._facts.risk_snapshot(previous.account_id)
        if document is None or snapshot is None:
            return None
        state = snapshot.state
        made = (
            snapshot.balance + Decimal(str(state.get("withdrawn", "0"))) - previous.initial_balance
            - snapshot.excluded_profit
        )  # fmt: skip
        return ChallengeResult(previous.account_id, profit_target(document, previous.initial_balance), made)

    def _breach(self, account: Account, situation: PayoutSituation) -> BreachFacts | None:
        """The breach that failed the account, the closed balance left after it and the account's trades."""
        snapshot = self._facts.risk_snapshot(account.account_id)
        rule = failing_breach(snapshot.breaches) if snapshot else None
        if rule is None:
            return None
        trades = self._facts.trade_risks(account.account_id)
        return BreachFacts(rule, account.initial_balance, situation.closed_balance, trades)

    def _account_policy(self, account: Account, policy: PayoutPolicy) -> PayoutPolicy:
        """The program's split, raised by the scaling plan's latest decision (`propdesk.payouts.terms`)."""
        if self._scaling is None:
            return policy
        upgrade = split_upgrade(self._scaling.latest(account.account_id))
        if upgrade is None:
            return policy
        return replace(policy, split=account_split(policy.split, [upgrade]).split)

    def _situation(
        self, account: Account, document: dict[str, Any], policy: PayoutPolicy, leave_out: str | None
    ) -> PayoutSituation:
        snapshot = self._facts.risk_snapshot(account.account_id)
        state: dict[str, Any] = snapshot.state if snapshot else {}
        history = [p for p in self._payouts.all_for_account(account.account_id) if p.payout_id != leave_out]
        situation = PayoutSituation(
            account_status=account.status,
            funded=is_funded(document),
            kyc_status=self._facts.kyc_status(account.trader_id),
            opened_at=account.opened_at,
            initial_balance=account.initial_balance,
            closed_balance=Decimal(str(state.get("balance", account.initial_balance)))
            - unseen_withdrawals(history, Decimal(str(state.get("withdrawn", "0")))),
            excluded_profit=Decimal(str(state.get("excluded_profit", "0"))),
            open_positions=len(state.get("positions", [])),
            history=history,
            holds=self._facts.payout_holds(account.account_id),
            trading_day=TradingDay(time.fromisoformat(account.day_starts_at), ZoneInfo(account.timezone)),
        )
        if policy.consistency_percent is None:
            return situation
        closed = self._facts.closed_trades(account.account_id, situation.consistency_since)
        return replace(situation, closed_trades=closed)

    def _audit_entry(self, command: DecidePayout, before: Payout, after: Payout) -> AuditEntry:
        figures = {"payout_id": before.payout_id, "amount": _money(before.amount),
                   "trader_share": _money(before.trader_share)}  # fmt: skip
        return AuditEntry(
            entry_id=self._new_id(),
            at=command.at,
            actor=command.by.actor,
            actor_roles=command.by.staff_roles,
            action="payout.first_approval" if after.status == "requested" else f"payout.{after.status}",
            subject=f"ACCOUNT#{before.account_id}",
            reason=after.decision_reason,
            before={**figures, "status": before.status},
            after={**figures, "status": after.status},
        )

    def _publish(self, payout: Payout) -> None:
        self._publisher.publish([payout_event(payout)])
        self._payouts.mark_published(payout.payout_id, payout.status)


def payout_event(payout: Payout) -> PayoutEvent:
    """The domain event of the payout's current status."""
    common: dict[str, Any] = {
        "event_id": stable_id(f"payout.{payout.status}", payout.payout_id),
        "account_id": payout.account_id,
        "trader_id": payout.trader_id,
        "payout_id": payout.payout_id,
        "amount": payout.amount,
        "trader_share": payout.trader_share,
        "currency": payout.currency,
        "extras": {extra.kind: extra.amount for extra in payout.extras},
    }
    if payout.status == "requested":
        return PayoutRequested(occurred_at=payout.requested_at, requested_at=payout.requested_at, **common)
    if payout.status == "paid":
        fees = payout.fees or ZERO
        return PayoutPaid(
            occurred_at=payout.status_at, paid_at=payout.status_at, gross_profit=payout.amount,
            firm_share=payout.firm_share, fees=fees, fee_refund=payout.fee_refund,
            paid=payout.paid_amount if payout.paid_amount is not None else payout.to_pay - fees,
            rail=payout.rail or "", reference=payout.rail_reference or "",
            destination=payout.destination or "", **common,
        )  # fmt: skip
    if payout.status == "failed":
        return PayoutFailed(
            occurred_at=payout.status_at, failed_at=payout.status_at, reason=payout.failure_reason or "",
            compensated=payout.amount > 0 and any(step.status == "withdrawn" for step in payout.timeline),
            **common,
        )  # fmt: skip
    decided_at, reason = payout.decided_at, payout.decision_reason or ""
    if decided_at is None:
        raise ValueError(f"payout {payout.payout_id} is {payout.status} without a decision time")
    kind = PayoutApproved if payout.status == "approved" else PayoutRejected
    return kind(occurred_at=decided_at, decided_at=decided_at, reason=reason, **common)


def unseen_withdrawals(history: list[Payout], engine_withdrawn: Decimal) -> Decimal:
    """Profit booked off the account on the platform that the engine's risk state does not show yet: our
    booked payouts less what the engine counts as withdrawn (withdrawals less deposits); never negative."""
    booked = sum((p.amount for p in history if p.booked), ZERO)
    return max(booked - engine_withdrawn, ZERO)


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _amounts(extras: tuple[Extra, ...]) -> tuple[tuple[str, Decimal], ...]:
    return tuple(sorted((extra.kind, extra.amount) for extra in extras if extra.amount > ZERO))


def _listed(amounts: tuple[tuple[str, Decimal], ...]) -> str:
    return ", ".join(f"{kind} {_money(amount)}" for kind, amount in amounts) or "nothing"
