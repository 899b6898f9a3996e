"""From a domain event to the e-mail the trader receives: the template the event calls for, the address from
the user pool at send time, times in the trader's zone; once per event, a failed send retried."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from propdesk import domain_events as events
from propdesk.mail.delivery import OnceOnlyMail
from propdesk.mail.letter import Firm
from propdesk.ports import Contact, MailUnavailableError
from propdesk.records import Account, ProgramSummary, ProgramVersion
from propdesk.services.mailer import Mailer

from tests.doubles.mail import InMemoryMailMarks, RecordingMailService, StaticContacts
from tests.doubles.ports import ManualClock

T0 = datetime(2026, 3, 2, 13, 30, tzinfo=UTC)
TRADER = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
ADDRESS = "jo@example.com"
KYC = {"trader_id": TRADER, "account_id": "acc-1"}


@dataclass
class Catalogue:
    versions: dict[tuple[str, int], ProgramVersion] = field(default_factory=dict)

    def get_version(self, program_id: str, version: int) -> ProgramVersion | None:
        return self.versions.get((program_id, version))

    def get_program(self, program_id: str) -> ProgramSummary | None:
        for (pid, _), found in self.versions.items():
            if pid == program_id:
                name = str(found.document["name"])
                return ProgramSummary(pid, name, 1, "USD", Decimal(100000), {}, "challenge")
        return None


@dataclass
class Accounts:
    accounts: dict[str, Account] = field(default_factory=dict)

    def get(self, account_id: str, consistent: bool = False) -> Account | None:
        return self.accounts.get(account_id)


def program(program_id: str, name: str, next_id: str | None) -> ProgramVersion:
    document = {"program_id": program_id, "name": name, "next_program_id": next_id}
    return ProgramVersion(program_id, 1, document, T0)


@dataclass
class Desk:
    service: RecordingMailService = field(default_factory=RecordingMailService)
    marks: InMemoryMailMarks = field(default_factory=InMemoryMailMarks)
    contacts: StaticContacts = field(
        default_factory=lambda: StaticContacts({TRADER: Contact(ADDRESS, "America/New_York")})
    )

    def __post_init__(self) -> None:
        catalogue = Catalogue(
            {
                ("p1", 1): program("p1", "2-Step: Phase 1", "p2"),
                ("p2", 1): program("p2", "2-Step: Phase 2", None),
            }
        )
        account = Account("acc-1", TRADER, "p1", 1, "active", "USD", Decimal(100000), "Europe/Prague",
                          "00:00", T0 - timedelta(days=3))  # fmt: skip
        mail = OnceOnlyMail(self.service, self.marks, ManualClock(T0))
        self.mailer = Mailer(self.contacts, Accounts({"acc-1": account}), catalogue, mail, Firm("Acme"))

    def deliver(self, event: events.DomainEvent) -> Any:
        return self.mailer.handle(event.detail_type, event.model_dump(mode="json"))


def breached(effect: str = "fail", event_id: str = "evt-b1") -> events.AccountBreached:
    return events.AccountBreached(
        event_id=event_id, occurred_at=T0, account_id="acc-1", trader_id=TRADER, program_id="p1",
        program_version=1, rule="daily_loss", effect=effect, limit=Decimal("95000.00"),  # type: ignore[arg-type]
        value=Decimal("94000.00"), explanation="Equity fell below the floor.", breached_at=T0,
    )  # fmt: skip


def passed(program_id: str) -> events.AccountPassed:
    return events.AccountPassed(
        event_id=f"evt-pass-{program_id}", occurred_at=T0, account_id="acc-1", trader_id=TRADER,
        program_id=program_id, program_version=1, metrics={},
    )  # fmt: skip


def test_a_breach_is_mailed_to_the_traders_address_in_their_zone() -> None:
    desk = Desk()
    result = desk.deliver(breached())

    assert (result.template, result.outcome) == ("breach", "sent")
    ((to, mail),) = desk.service.sent
    assert to == ADDRESS
    assert "2 March 2026, 08:30 (America/New_York)" in mail.text
    assert "  Limit: 95,000.00 USD" in mail.text


def test_a_redelivered_event_is_not_mailed_twice() -> None:
    desk = Desk()
    outcomes = [desk.deliver(breached()).outcome for _ in range(3)]
    assert outcomes == ["sent", "duplicate", "duplicate"]
    assert len(desk.service.sent) == 1


def test_a_send_that_failed_raises_for_the_retry_which_sends_it() -> None:
    desk = Desk()
    desk.service.fail_next = 1
    with pytest.raises(MailUnavailableError):
        desk.deliver(breached())
    assert desk.deliver(breached()).outcome == "sent"
    assert len(desk.service.sent) == 1


def test_a_flag_breach_is_for_the_firms_review_and_not_mailed() -> None:
    desk = Desk()
    assert desk.deliver(breached("flag")).outcome.startswith("skipped")
    assert desk.service.sent == []


def test_the_purchase_receipt_names_the_program_bought() -> None:
    desk = Desk()
    completed = events.PurchaseCompleted(
        event_id="evt-c1", occurred_at=T0, order_id="ord_1", trader_id=TRADER, program_id="p1",
        program_version=1, amount=Decimal("540"), currency="USD", provider="stripe",
    )  # fmt: skip
    assert desk.deliver(completed).template == "purchase_receipt"
    assert desk.service.sent[0][1].subject == "Receipt for your 2-Step: Phase 1 challenge"


def test_passing_a_phase_names_the_next_and_passing_the_last_is_funded() -> None:
    desk = Desk()
    assert desk.deliver(passed("p1")).template == "phase_passed"
    assert "Your next phase is 2-Step: Phase 2" in desk.service.sent[0][1].text
    assert desk.deliver(passed("p2")).template == "funded"


def continued(kind: type[events.AccountContinued], program_id: str, phase: int) -> events.AccountContinued:
    return kind(
        event_id=f"evt-{kind.detail_type}", occurred_at=T0, account_id=f"acc-{phase}", trader_id=TRADER,
        previous_account_id=f"acc-{phase - 1}", program_id=program_id, program_version=1, phase=phase,
        platform="match-trader", login=f"70000{phase}", server="MT-Demo",
    )  # fmt: skip


def test_the_next_phases_account_is_announced_once_with_its_server_and_login() -> None:
    desk = Desk()
    started = continued(events.AccountPhaseStarted, "p2", 2)

    outcomes = [desk.deliver(started) for _ in range(2)]

    assert [(o.template, o.outcome) for o in outcomes] == [
        ("phase_started", "sent"),
        ("phase_started", "duplicate"),
    ]
    ((to, mail),) = desk.service.sent
    assert to == ADDRESS
    assert mail.subject == "Your 2-Step: Phase 2 account acc-2 is open"
    assert "  Login: 700002" in mail.text
    assert "Account acc-1 is now closed for trading" in mail.text


def test_the_funded_account_is_announced_once_under_its_own_template() -> None:
    desk = Desk()
    funded = continued(events.AccountFunded, "p2", 3)

    outcomes = [desk.deliver(funded).outcome for _ in range(3)]

    assert outcomes == ["sent", "duplicate", "duplicate"]
    ((_, mail),) = desk.service.sent
    assert mail.template == "funded_account_opened"
    assert mail.subject == "Your funded account acc-3 is open"


def test_an_announcement_that_failed_to_send_is_sent_by_the_retry() -> None:
    desk = Desk()
    desk.service.fail_next = 1
    with pytest.raises(MailUnavailableError):
        desk.deliver(continued(events.AccountFunded, "p2", 3))
    assert desk.deliver(continued(events.AccountFunded, "p2", 3)).outcome == "sent"
    assert len(desk.service.sent) == 1


def test_the_warning_shows_the_accounts_currency() -> None:
    desk = Desk()
    warning = events.AccountWarning(
        event_id="evt-w1", occurred_at=T0, account_id="acc-1", trader_id=TRADER, rule="daily_loss",
        used_share=Decimal("0.8"), limit=Decimal("95000"), value=Decimal("96000"), trading_day="2026-03-02",
    )  # fmt: skip
    assert desk.deliver(warning).template == "limit_warning"
    assert "  Equity now: 96,000.00 USD" in desk.service.sent[0][1].text


@pytest.mark.parametrize(
    ("event", "template"),
    [
        (events.KycApproved(event_id="k1", occurred_at=T0, **KYC), "kyc_approved"),
        (events.KycDeclined(event_id="k2", occurred_at=T0, **KYC), "kyc_declined"),
        (events.KycResubmissionRequested(event_id="k3", occurred_at=T0, **KYC), "kyc_requested"),
        (
            events.KycRequested(
                event_id="k4", occurred_at=T0, trader_id=TRADER, attempt=1, attempts_allowed=3,
                resubmission=False, provider="veriff", url="https://alchemy.veriff.com/v/abc", deadline=T0,
            ),
            "kyc_requested",
        ),
        (
            events.PayoutRejected(
                event_id="p1", occurred_at=T0, account_id="acc-1", trader_id=TRADER, payout_id="pay_1",
                amount=Decimal(1000), trader_share=Decimal(800), currency="USD", decided_at=T0,
                reason="Consistency rule not met",
            ),
            "payout_status",
        ),
    ],
)  # fmt: skip
def test_identity_and_payout_events_each_get_their_email(event: events.DomainEvent, template: str) -> None:
    desk = Desk()
    assert desk.deliver(event).template == template


def test_account_provisioned_is_not_mailed_here_provisioning_mails_the_login() -> None:
    desk = Desk()
    provisioned = events.AccountProvisioned(
        event_id="a1", occurred_at=T0, account_id="acc-1", trader_id=TRADER, order_id="ord_1",
        program_id="p1", program_version=1, platform="match-trader", login="700001", server="MT",
    )  # fmt: skip
    assert desk.deliver(provisioned).outcome.startswith("skipped")
    assert desk.service.sent == []


def test_a_trader_the_pool_does_not_know_gets_nothing_and_nothing_is_retried() -> None:
    desk = Desk(contacts=StaticContacts({}))
    assert desk.deliver(breached()).outcome == "skipped: the trader has no address"


def test_an_event_outside_the_catalogue_is_skipped() -> None:
    desk = Desk()
    assert desk.mailer.handle("kyc.requested", {"event_id": "x"}).outcome.startswith("skipped")


def test_the_result_never_carries_the_address() -> None:
    desk = Desk()
    assert ADDRESS not in repr(desk.deliver(breached()))


def test_a_scaled_account_is_told_its_new_size_limits_split_and_next_review() -> None:
    desk = Desk()
    scaled = events.AccountScaled(
        event_id="s1", occurred_at=T0, account_id="acc-1", trader_id=TRADER,
        balance_before=Decimal(400000), balance_after=Decimal(500000), daily_loss=Decimal(25000),
        max_loss=Decimal(50000), split_percent=Decimal(90), cycle_ends_on=date(2026, 5, 9),
        next_review_on=date(2026, 9, 9), explanation="every criterion was met",
    )  # fmt: skip

    assert desk.deliver(scaled).template == "account_scaled"
    text = desk.service.sent[0][1].text
    for line in ("  Size now: 500,000.00 USD", "  Daily loss limit: 25,000.00 USD",
                 "  Your profit share: 90%", "  Next review: 2026-09-09"):  # fmt: skip
        assert line in text, text


@pytest.mark.parametrize(
    ("decision", "says"),
    [("warn", "This is a warning"), ("deny_payout", "Payouts on these accounts are denied"),
     ("fail_accounts", "These accounts are closed")],
)  # fmt: skip
def test_a_trading_review_decision_is_mailed_with_the_traders_accounts_and_nothing_of_the_case(
    decision: str, says: str
) -> None:
    desk = Desk()
    event = events.AbuseFlagDecided(
        event_id=f"evt-{decision}", occurred_at=T0, flag_reference="3f2a", trader_id=TRADER,
        decision=decision, decided_by="staff", account_ids=["acc-1", "acc-2"],  # type: ignore[arg-type]
    )  # fmt: skip

    result = desk.deliver(event)

    assert (result.template, result.outcome) == ("trading_review", "sent")
    ((_, mail),) = desk.service.sent
    assert "acc-1, acc-2" in mail.text and says in mail.text
    assert "3f2a" not in mail.text and "staff" not in mail.text
