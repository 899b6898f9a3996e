"""The payout workflow's steps, one method each (the Step Functions state machine calls them through the
`functions/payout_*` Lambdas, in this order):

    assess ─► kyc_gate ─► screen ─► approve (─► wait_for_approval) ─► withdraw ─► pay ─► (the rail's signed
    webhook: `confirm`) ─► settle
    a failure after `withdraw` ─► compensate

Each step answers a `StepOutcome` the state machine branches on (errors reach Step Functions as one generic
error locally, so refusals are outcomes, not exceptions; exceptions are for "try again": a platform or rail
that is down).

Guarantees:
- **Idempotent per payout and step.** A step reads the payout, acts only from the status it expects and
  answers the same outcome when it finds the status it moves to; every write is conditional on the revision
  it read (`PayoutStore.update`). Side effects outside carry keys per payout and step: the platform's balance
  operation `<payout>:withdrawal` and `<payout>:compensation`, the engine's events `payout.withdrawal` /
  `payout.deposit` of the payout (stable ids, at the time the payout reached `withdrawn` / `failed`: the log
  keys an event by its time and id, so the status is written first and every retry stamps the same time),
  the rail's payment keyed by the payout id.
- **Never paid twice, never lost.** The withdrawal is booked before the payment is asked; a payment that
  failed (or never started), or that the rail returns after `paid`, puts the amount back with a deposit
  (`compensate`, `put_back_returned`), and a payment the rail may
  still make is never compensated (it waits for a person: outcome `unsafe`). The engine gets the same
  withdrawal and deposit, so the withdrawn profit never becomes withdrawable again. A payout that takes
  nothing off the account (a breached account's breach share: `amount` 0) books nothing there and tells the
  engine nothing; it goes through the same steps.
- **Holds stop the money.** The withdrawal checks the payout holds again (`screen` ran before finance
  decided, which may take days): a hold placed since (an abuse flag, a reconciliation difference, staff)
  rejects the payout as the screen does instead of withdrawing; once booked, a payout is past stopping.
- **A withdrawal in doubt goes back.** The payout records that its withdrawal started before the platform is
  asked; a payout that then ends without reaching `withdrawn` (a hold or an abuse denial before the retry, a
  failure) has the platform's booking looked up and put back, once (`propdesk.payouts.put_back`).
- **Audited and visible.** Every move is an audit entry (actor `system:payout-workflow`) and a step on the
  payout's timeline with its time; `payout.approved`, `payout.rejected`, `payout.paid` (with the statement)
  and `payout.failed` are published.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from propdesk.domain_events import stable_id
from propdesk.errors import ConflictError, NotFoundError
from propdesk.payouts.approval import SYSTEM_APPROVER
from propdesk.payouts.holds import PayoutHolds
from propdesk.payouts.model import Payout, PayoutStatus, moved
from propdesk.payouts.ports import DestinationStore, PlatformRefs, TradingEventLog
from propdesk.payouts.put_back import (
    StartedWithdrawals,
    compensation_reference,
    withdrawal_in_doubt,
    withdrawal_reference,
)
from propdesk.payouts.requests import PayoutService, payout_event
from propdesk.payouts.store import PayoutFacts, PayoutMovedError, PayoutStore
from propdesk.platforms.port import PlatformRejectedError, TradingPlatform
from propdesk.rails.port import PaymentOrder, PayoutRail, RailPayment, RailRejectedError, RailStatusUpdate
from propdesk.records import AuditEntry, StoredEvent

if TYPE_CHECKING:
    from propdesk.ports import Clock, EventPublisher, WorkflowCallback

Outcome = Literal[
    "passed", "refused", "approved", "rejected", "wait", "withdrawn", "waiting", "paid", "failed",
    "compensated", "unsafe", "stopped",
]  # fmt: skip
FAILED_RAIL_STATUSES = frozenset({"failed", "returned"})
ON_HOLD = "payout_on_hold"  # what the trader is told of any hold: a review is pending, never its source
ON_HOLD_MESSAGE = "the account's payouts are under review"


class PaymentNotKnownError(ConflictError):
    """A verified webhook about a payment we cannot match to a payout yet (409: the rail delivers again)."""

    code = "payment_not_known"


class PaymentSettlingError(ConflictError):
    """A return of a payment whose `paid` is still being settled (409: the rail delivers it again, and then
    it is put back)."""

    code = "payment_settling"


@dataclass(frozen=True, slots=True)
class StepOutcome:
    payout_id: str
    outcome: Outcome
    status: PayoutStatus
    reason: str = ""

    def as_output(self) -> dict[str, str]:
        return {
            "payout_id": self.payout_id,
            "outcome": self.outcome,
            "status": self.status,
            "reason": self.reason,
        }


class PayoutWorkflow:
    def __init__(
        self,
        service: PayoutService,
        payouts: PayoutStore,
        facts: PayoutFacts,
        holds: PayoutHolds,
        platform: TradingPlatform,
        platform_refs: PlatformRefs,
        engine_events: TradingEventLog,
        destinations: DestinationStore,
        rails: Mapping[str, PayoutRail],  # by destination kind: stablecoin_wallet, iban, us_bank, uk_bank
        publisher: EventPublisher,
        callback: WorkflowCallback,
        clock: Clock,
        new_id: Callable[[], str],
    ) -> None:
        self._service = service
        self._payouts = payouts
        self._facts = facts
        self._holds = holds
        self._platform = platform
        self._refs = platform_refs
        self._engine = engine_events
        self._destinations = destinations
        self._rails = rails
        self._publisher = publisher
        self._callback = callback
        self._clock = clock
        self._new_id = new_id
        self._started = StartedWithdrawals(platform, platform_refs, clock)

    # ---- the checks: eligibility again, the KYC gate, the abuse screen

    def assess(self, payout_id: str) -> StepOutcome:
        """Every payout rule again, now (time passed since the request: trading, holds, KYC may differ)."""
        payout = self._payout(payout_id)
        if payout.status not in ("requested", "approved"):
            return self._stopped(payout)
        refusals = self._service.reassess(payout, self._clock.now()).refusals
        if refusals:
            return self._refuse(payout, refusals[0].code, "; ".join(r.message for r in refusals))
        return StepOutcome(payout_id, "passed", payout.status)

    def kyc_gate(self, payout_id: str) -> StepOutcome:
        """The trader's KYC must be approved (`PayoutFacts.kyc_status`, what the KYC workflow records)."""
        payout = self._payout(payout_id)
        if payout.status not in ("requested", "approved"):
            return self._stopped(payout)
        if self._facts.kyc_status(payout.trader_id) != "approved":
            return self._refuse(payout, "kyc_required", "the trader's identity is not verified")
        return StepOutcome(payout_id, "passed", payout.status)

    def screen(self, payout_id: str) -> StepOutcome:
        """Open holds (abuse flags, reconciliation differences, staff) block the payout; the trader is told
        only that a review is pending."""
        payout = self._payout(payout_id)
        if payout.status not in ("requested", "approved"):
            return self._stopped(payout)
        if self._holds.holds_on(payout.account_id):
            return self._refuse(payout, ON_HOLD, ON_HOLD_MESSAGE)
        return StepOutcome(payout_id, "passed", payout.status)

    # ---- approval

    def approve(self, payout_id: str) -> StepOutcome:
        """Approve automatically under the firm's amount; otherwise `wait` for finance (or answer the
        decision finance already made)."""
        payout = self._payout(payout_id)
        if payout.status != "requested":
            return self._decided(payout)
        if self._service.approval.approvers(payout.to_pay) > 0:
            return StepOutcome(payout_id, "wait", payout.status)
        at = self._clock.now()
        approved = moved(
            payout, "approved", at, decided_at=at, decided_by=SYSTEM_APPROVER,
            decision_reason="approved automatically: under the firm's approval amount",
            approvals=(SYSTEM_APPROVER,),
        )  # fmt: skip
        if not self._write(payout, approved):
            return self.approve(payout_id)
        self._announce(approved)
        return StepOutcome(payout_id, "approved", approved.status)

    def wait_for_approval(self, payout_id: str, task_token: str) -> StepOutcome:
        """Keep the task token for finance's decision (`PayoutService.decide` resumes it); a decision made
        before the token was kept resumes it now."""
        self._payouts.hold_token(payout_id, "approval", task_token)
        payout = self._payout(payout_id)  # read after keeping the token: a decision before it is seen here
        if payout.status in ("approved", "rejected"):
            self._service.resume_approval(payout)
        return StepOutcome(payout_id, "waiting", payout.status)

    # ---- money

    def withdraw(self, payout_id: str) -> StepOutcome:
        """Take the amount off the account on the platform (once: reference `<payout>:withdrawal`) and tell
        the engine; refused when a hold was placed since the approval (an abuse flag, a reconciliation
        difference, staff: finance's approval does not outlive it) or when trading lost the profit
        meanwhile."""
        payout = self._payout(payout_id)
        if payout.booked:
            self._record_engine_event(payout, "withdrawal")  # a retry after a crash in between: harmless
            return StepOutcome(payout_id, "withdrawn", payout.status)
        if payout.status != "approved":
            self._put_back_if_in_doubt(payout)  # a retry of a step that died after booking, ended meanwhile
            return self._stopped(payout)
        if self._holds.holds_on(payout.account_id):  # the screen again, right before the money moves
            return self._refuse(payout, ON_HOLD, ON_HOLD_MESSAGE)
        now = self._clock.now()
        refusals = [r for r in self._service.reassess(payout, now).refusals if r.field == "amount"]
        if refusals:
            return self._refuse(payout, refusals[0].code, refusals[0].message)
        if not _moves_money(payout):  # the breach share: nothing leaves the account
            withdrawn = moved(payout, "withdrawn", now)
            if not self._write(payout, withdrawn):
                return self.withdraw(payout_id)
            return StepOutcome(payout_id, "withdrawn", withdrawn.status)
        ref = self._refs.platform_ref(payout.account_id)
        if ref is None:
            return self._fail(payout, "the account is not on a trading platform", compensated=False)
        if payout.withdrawal_started_at is None:  # on the payout before the platform is asked (put_back.py)
            started = moved(payout, "approved", now, withdrawal_started_at=now)
            if not self._write(payout, started, "payout.withdrawal_started"):
                return self.withdraw(payout_id)
            payout = started
        try:
            self._platform.adjust_balance(
                ref, -payout.amount, withdrawal_reference(payout_id), f"payout {payout_id}"
            )  # PlatformUnavailableError: raised, the state machine retries
        except PlatformRejectedError as refused:  # the platform's own words go to staff, not to the trader
            failed = self._fail(payout, "the platform refused the withdrawal", compensated=False)
            return replace(failed, reason=f"the platform refused the withdrawal: {refused}")
        withdrawn = moved(payout, "withdrawn", now)
        if not self._write(payout, withdrawn):
            if self._payout(payout_id).status in ("rejected", "failed"):
                # stopped meanwhile (an abuse denial, finance's wait ended): the booking goes back
                self._platform.adjust_balance(
                    ref, payout.amount, compensation_reference(payout_id),
                    f"payout {payout_id} stopped during its withdrawal: put back",
                )  # fmt: skip
            return self.withdraw(payout_id)
        self._record_engine_event(withdrawn, "withdrawal")  # at the written `withdrawn` time: as a retry does
        return StepOutcome(payout_id, "withdrawn", withdrawn.status)

    def pay(self, payout_id: str, task_token: str) -> StepOutcome:
        """Ask the rail to pay the trader's share to their verified destination (once per payout id) and
        wait, holding the task token, for the rail's webhook (`confirm`). An answer that is final already
        resumes the workflow at once."""
        payout = self._payout(payout_id)
        if payout.status not in ("withdrawn", "paying"):
            return self._stopped(payout)
        destination = self._destinations.get(payout.trader_id)
        if destination is None or not destination.verified:
            self._resume_payment(task_token, "failed", "the trader has no verified payout destination")
            return StepOutcome(payout_id, "failed", payout.status, "no verified payout destination")
        rail = self._rails.get(destination.details.kind)
        if rail is None:
            self._resume_payment(task_token, "failed", f"no rail pays to a {destination.details.kind}")
            return StepOutcome(payout_id, "failed", payout.status, "no rail for the destination")
        self._payouts.hold_token(payout_id, "payment", task_token)  # before paying: a fast webhook finds it
        if payout.status == "withdrawn":
            paying = moved(
                payout, "paying", self._clock.now(), rail=rail.name, destination=destination.masked
            )
            if not self._write(payout, paying):
                return self.pay(payout_id, task_token)
            payout = paying
        order = PaymentOrder(
            payout_id=payout_id,
            amount=payout.to_pay,
            currency=destination.details.currency,
            destination=destination.details,
            created_at=payout.status_at,
            description=f"payout {payout_id}",
        )
        try:
            payment = rail.pay(order)  # RailUnavailableError: raised, the state machine retries
        except RailRejectedError as refused:  # the rail's own words go to staff, not to the trader
            self._resume_payment(task_token, "failed", "the rail refused the payment")
            return StepOutcome(payout_id, "failed", payout.status, f"the rail refused the payment: {refused}")
        self._payouts.link_rail_payment(rail.name, payment.reference, payout_id)
        self._note_reference(payout, payment)
        if payment.status == "paid" or payment.status in FAILED_RAIL_STATUSES:
            outcome = "paid" if payment.status == "paid" else "failed"
            self._resume_payment(task_token, outcome, payment.failure_reason or "", payment.reference)
        return StepOutcome(payout_id, "waiting", "paying")

    def confirm(self, update: RailStatusUpdate) -> str:
        """A verified rail webhook: resume the payout's workflow on a final status. Repeats and late or
        out-of-order deliveries change nothing (the token is used once; the settled payout ignores them).
        `unknown`: the payment is not one of ours (yet): the webhook answers so that the rail retries.
        `settling`: a return that arrived while the payment's `paid` is still being settled (the token is
        used): the webhook answers so that the rail delivers it again, and then it is put back."""
        payout_id = update.payout_id or self._payouts.payout_for_rail_payment(update.rail, update.reference)
        payout = self._payouts.get(payout_id) if payout_id else None
        if payout is None:
            return "unknown"  # not ours, or its link is not stored yet: the rail delivers again
        if update.status == "returned" and payout.status == "paid":
            return self.put_back_returned(payout)
        if update.status == "returned" and payout.status == "failed":
            self._record_put_back(payout.payout_id)  # the put-back's engine deposit, if a crash lost it
        if update.status not in ("paid", *FAILED_RAIL_STATUSES) or payout.status != "paying":
            return "ignored"
        token = self._payouts.token(payout.payout_id, "payment")
        if token is None:
            return "ignored"
        outcome = "paid" if update.status == "paid" else "failed"
        resumed = self._resume_payment(
            token, outcome, update.failure_reason or update.status, update.reference
        )
        if not resumed and update.status == "returned":
            return "settling"  # `paid` is being settled: the return must wait for it, never be dropped
        return "resumed" if resumed else "ignored"

    def put_back_returned(self, payout: Payout) -> str:
        """The rail paid, then the payment came back (a bank returns it: closed account, wrong name): the
        amount goes back onto the account as a compensation would (once: `<payout>:compensation`, the engine's
        `payout.deposit`), the payout becomes `failed` (audited, `payout.failed` tells the trader) and stops
        counting as withdrawn, so the profit is withdrawable again and the fee refund is owed again. A repeat
        of the return finds the payout failed and changes nothing. The rail's own words about the return are
        not the trader's reason (they stay with the rail's payment, for staff)."""
        if not _moves_money(payout):  # the breach share: nothing was taken off the account
            self._fail(payout, "the payment was returned to the firm", compensated=False)
            return "returned"
        ref = self._refs.platform_ref(payout.account_id)
        if ref is None:  # never for a paid payout; the rail delivers again while a person looks
            raise ConflictError(f"payout {payout.payout_id}: its account is on no platform", "account_id")
        # PlatformUnavailableError: raised, the webhook answers 5xx and the rail delivers again.
        self._platform.adjust_balance(
            ref, payout.amount, compensation_reference(payout.payout_id),
            f"payout {payout.payout_id} returned by the rail: put back",
        )  # fmt: skip
        self._fail(payout, "the payment was returned to the firm", compensated=True)
        self._record_put_back(payout.payout_id)
        return "returned"

    def receive_webhook(self, rail_name: str, raw_body: bytes, headers: Mapping[str, str]) -> str:
        """A rail's delivery: verified by that rail over the raw body (`RailWebhookRejectedError`, 401, when
        it is not the rail's), then `confirm`ed. A payment not known yet raises `PaymentNotKnownError` (409)
        so the rail delivers it again."""
        rail = self._rails_by_name().get(rail_name)
        if rail is None:
            raise NotFoundError(f"no rail {rail_name!r}", "rail")
        update = rail.verify_webhook(raw_body, headers)
        if update is None:
            return "acknowledged"
        answer = self.confirm(update)
        if answer == "unknown":
            raise PaymentNotKnownError(
                f"no payout is known for {rail_name} payment {update.reference}", "reference"
            )
        if answer == "settling":
            raise PaymentSettlingError(
                f"{rail_name} payment {update.reference} is still being settled: deliver the return again",
                "reference",
            )
        return answer

    def settle(self, payout_id: str, reference: str) -> StepOutcome:
        """`paid`: the rail confirmed; the statement is kept on the payout and announced (`payout.paid`)."""
        payout = self._payout(payout_id)
        if payout.status == "paid":
            if payout.event_pending:
                self._announce(payout)
            return StepOutcome(payout_id, "paid", payout.status)
        if payout.status != "paying":
            return self._stopped(payout)
        rail = self._rails_by_name().get(payout.rail or "")
        payment = rail.find(payout_id, payout.requested_at) if rail else None
        fees = payment.fee if payment else Decimal(0)
        paid = moved(
            payout, "paid", self._clock.now(), rail_reference=(payment.reference if payment else reference),
            fees=fees, paid_amount=payout.to_pay - fees,
        )  # fmt: skip
        if not self._write(payout, paid):
            return self.settle(payout_id, reference)
        self._announce(paid)
        return StepOutcome(payout_id, "paid", paid.status)

    def compensate(self, payout_id: str, reason: str) -> StepOutcome:
        """The payment failed (or could not start): put the withdrawn amount back on the account (once:
        `<payout>:compensation`), tell the engine (a deposit), mark the payout failed. A payment the rail
        may still make is never compensated: `unsafe`, for a person to settle."""
        payout = self._payout(payout_id)
        if payout.status == "failed":
            self._put_back_if_in_doubt(payout)  # a retry after a crash between the write and the put-back
            self._record_put_back(payout_id)  # a retry after a crash between the write and the engine
            if payout.event_pending:
                self._announce(payout)
            return StepOutcome(payout_id, "compensated", payout.status, payout.failure_reason or "")
        if payout.status == "paid":
            return StepOutcome(payout_id, "paid", payout.status)
        if payout.status == "paying" and self._payment_may_happen(payout):
            return StepOutcome(payout_id, "unsafe", payout.status, "the rail's payment is not final")
        if not payout.booked or not _moves_money(payout):
            return self._fail(payout, reason, compensated=False)
        ref = self._refs.platform_ref(payout.account_id)
        if ref is None:
            return StepOutcome(payout_id, "unsafe", payout.status, "the account is not on a trading platform")
        self._platform.adjust_balance(
            ref, payout.amount, compensation_reference(payout_id), f"payout {payout_id} failed: put back"
        )
        outcome = self._fail(payout, reason, compensated=True)
        self._record_put_back(payout_id)
        return StepOutcome(payout_id, "compensated", outcome.status, reason)

    # ---- helpers

    def _payout(self, payout_id: str) -> Payout:
        payout = self._payouts.get(payout_id)
        if payout is None:
            raise NotFoundError(f"no payout {payout_id!r}", "payout_id")
        return payout

    def _stopped(self, payout: Payout) -> StepOutcome:
        """The payout is not where this step acts (rejected, failed, paid): nothing to do."""
        return StepOutcome(payout.payout_id, "stopped", payout.status, payout.failure_reason or "")

    def _decided(self, payout: Payout) -> StepOutcome:
        if payout.status == "rejected":
            return StepOutcome(payout.payout_id, "rejected", payout.status, payout.decision_reason or "")
        if payout.status == "failed":
            return self._stopped(payout)
        return StepOutcome(payout.payout_id, "approved", payout.status)

    def _refuse(self, payout: Payout, code: str, message: str) -> StepOutcome:
        """Reject the payout (its checks failed), releasing the account's lock; the trader sees `code`."""
        at = self._clock.now()
        rejected = moved(
            payout, "rejected", at, decided_at=at, decided_by=SYSTEM_APPROVER, decision_reason=code,
            failure_reason=message,
        )  # fmt: skip
        if not self._write(payout, rejected):
            current = self._payout(payout.payout_id)
            if current.status == "rejected":
                self._put_back_if_in_doubt(current)
                return StepOutcome(payout.payout_id, "refused", current.status, current.decision_reason or "")
            return self._refuse(current, code, message)
        self._announce(rejected)
        self._put_back_if_in_doubt(rejected)
        return StepOutcome(payout.payout_id, "refused", rejected.status, code)

    def _fail(self, payout: Payout, reason: str, compensated: bool) -> StepOutcome:
        failed = moved(payout, "failed", self._clock.now(), failure_reason=reason)
        if not self._write(payout, failed):
            current = self._payout(payout.payout_id)
            if current.status == "failed":
                self._put_back_if_in_doubt(current)
                return StepOutcome(payout.payout_id, "failed", current.status, current.failure_reason or "")
            return self._fail(current, reason, compensated)
        self._announce(failed)
        self._put_back_if_in_doubt(failed)
        return StepOutcome(payout.payout_id, "failed", failed.status, reason)

    def _put_back_if_in_doubt(self, payout: Payout) -> None:
        """A payout that ended after its withdrawal started, before `withdrawn`: the platform may have booked
        it (a withdraw step that died after the platform answered); if so it goes back, once."""
        if withdrawal_in_doubt(payout):
            self._started.put_back(payout)

    def _write(self, before: Payout, after: Payout, action: str = "") -> bool:
        """Write the move, audited; False when another worker moved the payout first (the caller re-reads)."""
        try:
            self._payouts.update(after, self._audit_entry(before, after, action))
        except PayoutMovedError:
            return False
        return True

    def _announce(self, payout: Payout) -> None:
        self._publisher.publish([payout_event(payout)])
        self._payouts.mark_published(payout.payout_id, payout.status)

    def _record_put_back(self, payout_id: str) -> None:
        """The engine's deposit of a payout whose withdrawal was put back (it failed after `withdrawn`), with
        the withdrawal first (a withdraw that died after writing `withdrawn` may not have told the engine)."""
        payout = self._payout(payout_id)  # as written: the deposit's time is the `failed` on its timeline
        if payout.status == "failed" and _reached(payout, "withdrawn") is not None:
            self._record_engine_event(payout, "withdrawal")
            self._record_engine_event(payout, "deposit")

    def _record_engine_event(self, payout: Payout, kind: Literal["withdrawal", "deposit"]) -> None:
        """The engine's event at the time the payout reached the status that booked it (`withdrawn` for the
        withdrawal, `failed` for the deposit): the log keys an event by its time and id, so every retry must
        stamp the same time or it would store the move twice."""
        at = _reached(payout, "withdrawn" if kind == "withdrawal" else "failed")
        if not _moves_money(payout) or at is None:
            return
        event_id = stable_id(f"payout.{kind}", payout.payout_id)
        payload: dict[str, Any] = {
            "event_id": event_id, "time": at.isoformat(), "type": kind, "amount": f"{payout.amount:.2f}",
            "payout_id": payout.payout_id,
        }  # fmt: skip
        self._engine.record(StoredEvent(payout.account_id, event_id, at, kind, payload), self._clock.now())

    def _resume_payment(self, token: str, outcome: str, reason: str = "", reference: str = "") -> bool:
        return self._callback.succeed(token, {"outcome": outcome, "reason": reason, "reference": reference})

    def _note_reference(self, payout: Payout, payment: RailPayment) -> None:
        if payout.rail_reference == payment.reference:
            return
        current = self._payout(payout.payout_id)
        if current.status == "paying" and current.rail_reference != payment.reference:
            noted = moved(current, "paying", self._clock.now(), rail_reference=payment.reference)
            self._write(current, noted)

    def _payment_may_happen(self, payout: Payout) -> bool:
        """Whether the rail has (or may yet make) a payment for the payout: only a final failure is safe."""
        rail = self._rails_by_name().get(payout.rail or "")
        if rail is None:
            return False
        payment = rail.find(payout.payout_id, payout.requested_at)  # RailUnavailableError: retry later
        return payment is not None and payment.status not in FAILED_RAIL_STATUSES

    def _rails_by_name(self) -> dict[str, PayoutRail]:
        return {rail.name: rail for rail in self._rails.values()}

    def _audit_entry(self, before: Payout, after: Payout, action: str = "") -> AuditEntry:
        figures = {"payout_id": before.payout_id, "amount": f"{before.amount:.2f}",
                   "trader_share": f"{before.trader_share:.2f}"}  # fmt: skip
        return AuditEntry(
            entry_id=self._new_id(),
            at=after.updated_at or self._clock.now(),
            actor=SYSTEM_APPROVER,
            actor_roles=(),
            action=action or f"payout.{after.status}",
            subject=f"ACCOUNT#{before.account_id}",
            reason=after.failure_reason or after.decision_reason or after.status,
            before={**figures, "status": before.status},
            after={**figures, "status": after.status, "revision": str(after.revision)},
        )


def _reached(payout: Payout, status: PayoutStatus) -> datetime | None:
    """When the payout reached `status` (its timeline's latest step to it); None if it never did."""
    return next((step.at for step in reversed(payout.timeline) if step.status == status), None)


def _moves_money(payout: Payout) -> bool:
    """Whether the payout takes profit off the account (a breached account's breach share does not)."""
    return payout.amount > 0
