"""E-mail the trader about what happened to their purchases, accounts, identity check and payouts.

One domain event in, at most one e-mail out: the event says which template and carries the trader's id; the
address (and the zone to show times in) comes from the contact directory at send time, so no address travels
in events or sits in our tables. Each message is sent once per event id and template (`OnceOnlyMail`), so a
redelivered event is not mailed twice, while a send that failed is retried with the event.

Events mailed: `purchase.completed` (receipt), `account.warning` (a loss limit 80% used), `account.breached`
(effects fail, pause, exclude_profit; a `flag` is for the firm's review only), `account.passed` (phase passed,
or funded after the last phase), `account.phase_started` and `account.funded` (the next account is open: its
server and login; the password went out in the login e-mail when it was created), `account.scaled` (the
scaling plan grew the account), `kyc.requested` (the
provider's link), `kyc.resubmission_requested`, `kyc.approved`, `kyc.declined`, `payout.*`,
`abuse.flag_decided` (a review's decision: warned, payouts denied, accounts closed; never what was found).
`account.provisioned` is not: provisioning mails the platform login itself, as only it ever holds the
one-time password.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from propdesk import domain_events as events
from propdesk.mail import abuse, evaluation, kyc, payouts, purchases
from propdesk.mail.delivery import OnceOnlyMail, mail_key
from propdesk.mail.letter import Firm
from propdesk.ports import Contact, ContactDirectory, EmailContent
from propdesk.records import Account, ProgramSummary, ProgramVersion

MAILED_BREACH_EFFECTS = frozenset({"fail", "pause", "exclude_profit"})


class AccountLookup(Protocol):
    def get(self, account_id: str, consistent: bool = False) -> Account | None: ...


class ProgramLookup(Protocol):
    def get_version(self, program_id: str, version: int) -> ProgramVersion | None: ...

    def get_program(self, program_id: str) -> ProgramSummary | None: ...


@dataclass(frozen=True, slots=True)
class MailResult:
    """What became of one event: the template used (None when nothing is mailed) and the outcome
    (`sent`, `duplicate`, `rejected`, or `skipped: <why>`). Never the address."""

    template: str | None
    outcome: str


class NotMailedError(Exception):
    """This event gets no e-mail (with the reason, for the log)."""


class Mailer:
    def __init__(
        self,
        contacts: ContactDirectory,
        accounts: AccountLookup,
        programs: ProgramLookup,
        mail: OnceOnlyMail,
        firm: Firm,
    ) -> None:
        self._contacts = contacts
        self._accounts = accounts
        self._programs = programs
        self._mail = mail
        self._firm = firm

    def handle(self, detail_type: str, detail: dict[str, object]) -> MailResult:
        """Render and send the e-mail for one event. Raises when it should be retried (the mail service or
        the directory unavailable); a malformed or unmailed event is answered, not raised."""
        try:
            event = events.parse(detail_type, dict(detail))
        except (events.UnknownDetailTypeError, ValueError) as error:
            return MailResult(None, f"skipped: not a mailed event ({type(error).__name__})")
        trader_id = getattr(event, "trader_id", None)
        if not isinstance(trader_id, str):
            return MailResult(None, "skipped: the event names no trader")
        contact = self._contacts.contact(trader_id)
        if contact is None:
            return MailResult(None, "skipped: the trader has no address")
        try:
            content = self._render(event, contact)
        except NotMailedError as reason:
            return MailResult(None, f"skipped: {reason}")
        outcome = self._mail.send(mail_key(event.event_id, content.template), contact.email, content)
        return MailResult(content.template, outcome)

    def _render(self, event: events.DomainEvent, contact: Contact) -> EmailContent:
        firm, zone = self._firm, contact.zoneinfo
        match event:
            case events.PurchaseCompleted():
                receipt = purchases.Receipt(
                    event.order_id,
                    self._program_name(event.program_id),
                    event.amount,
                    event.currency,
                    event.provider,
                    event.occurred_at,
                )
                return purchases.purchase_receipt(receipt, zone, firm)
            case events.AccountWarning():
                account = self._account(event.account_id)
                warning = evaluation.LimitWarning(
                    event.account_id, event.rule, event.used_share, event.limit, event.value,
                    account.currency, event.trading_day,
                )  # fmt: skip
                return evaluation.limit_warning(warning, firm)
            case events.AccountBreached():
                if event.effect not in MAILED_BREACH_EFFECTS:
                    raise NotMailedError(f"a {event.effect} breach is for the firm's review")
                account = self._account(event.account_id)
                notice = evaluation.BreachNotice(
                    event.account_id, event.rule, event.effect, event.limit, event.value, account.currency,
                    event.explanation, event.breached_at,
                )  # fmt: skip
                return evaluation.breach(notice, zone, firm)
            case events.AccountScaled():
                currency = self._account(event.account_id).currency
                return evaluation.scaled(
                    evaluation.Scaled(
                        event.account_id, event.balance_before, event.balance_after, event.daily_loss,
                        event.max_loss, event.split_percent, currency, event.next_review_on.isoformat(),
                        event.explanation,
                    ),
                    firm,
                )  # fmt: skip
            case events.AccountPassed():
                return self._passed(event)
            case events.AccountPhaseStarted() | events.AccountFunded():
                return self._opened(event)
            case events.KycRequested():
                return kyc.kyc_requested(kyc.KycStep(None, event.url), event.resubmission, firm)
            case events.KycResubmissionRequested():
                return kyc.kyc_requested(kyc.KycStep(event.account_id), True, firm)
            case events.KycApproved():
                return kyc.kyc_decided(kyc.KycStep(event.account_id), "approved", firm)
            case events.KycDeclined():
                return kyc.kyc_decided(kyc.KycStep(event.account_id), "declined", firm)
            case events.PayoutEvent():
                return payouts.payout_status(payout_notice(event), firm)
            case events.AbuseFlagDecided():
                decided = abuse.ReviewDecision(event.decision, tuple(event.account_ids))
                return abuse.trading_review(decided, firm)
        raise NotMailedError(f"{event.detail_type} is not mailed")

    def _passed(self, event: events.AccountPassed) -> EmailContent:
        version = self._programs.get_version(event.program_id, event.program_version)
        name = str(version.document.get("name") or event.program_id) if version else event.program_id
        next_id = version.document.get("next_program_id") if version else None
        if next_id:
            passed = evaluation.PhasePassed(event.account_id, name, self._program_name(str(next_id)))
            return evaluation.phase_passed(passed, self._firm)
        return evaluation.funded(evaluation.Funded(event.account_id, name), self._firm)

    def _opened(self, event: events.AccountContinued) -> EmailContent:
        version = self._programs.get_version(event.program_id, event.program_version)
        name = version.document.get("name") if version else None
        opened = evaluation.NextAccount(
            event.account_id, event.previous_account_id, str(name or self._program_name(event.program_id)),
            event.phase, event.platform, event.server, event.login,
        )  # fmt: skip
        if isinstance(event, events.AccountFunded):
            return evaluation.funded_account_opened(opened, self._firm)
        return evaluation.phase_started(opened, self._firm)

    def _account(self, account_id: str) -> Account:
        account = self._accounts.get(account_id)
        if account is None:
            raise NotMailedError("the account does not exist")
        return account

    def _program_name(self, program_id: str) -> str:
        program = self._programs.get_program(program_id)
        return program.name if program else program_id


def payout_notice(event: events.PayoutEvent) -> payouts.PayoutNotice:
    """What the payout mail shows: the status, and the statement of a paid payout."""
    statement = None
    if isinstance(event, events.PayoutPaid):
        extras = dict(event.extras)
        if event.fee_refund and "fee_refund" not in extras:
            extras["fee_refund"] = event.fee_refund
        statement = payouts.PaidStatement(
            event.gross_profit, event.firm_share, tuple(extras.items()), event.fees, event.paid,
            event.destination, event.rail, event.reference,
        )  # fmt: skip
    return payouts.PayoutNotice(
        event.detail_type.removeprefix("payout."), event.payout_id, event.account_id, event.trader_share,
        event.currency, getattr(event, "reason", None), statement,
        compensated=isinstance(event, events.PayoutFailed) and event.compensated,
        extras=tuple((kind, amount) for kind, amount in event.extras.items() if amount > 0),
    )  # fmt: skip
