"""The pure parts of the staff administration routes: which orders may be refunded and for how much, the
refund service's order of work (provider first, then one record, retried when a webhook moved the order),
role changes (the acting admin keeps their admin role; audited before the pool changes) and the checks a
program document passes before it is published."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from propdesk.access import OwnAccountError
from propdesk.catalogue import demo_programs
from propdesk.errors import InvalidInputError, NotFoundError
from propdesk.ports import StaffUser
from propdesk.purchases.errors import RetryLaterError
from propdesk.purchases.orders import Order, Transition
from propdesk.purchases.payments import PaidCard
from propdesk.purchases.ports import ProviderRejectedError, ProviderUnavailableError
from propdesk.purchases.refunds import (
    REFUND_REQUESTED,
    AlreadyRefundedError,
    OrderNotRefundableError,
    RefundAlreadyRequestedError,
    RefundCommand,
    RefundNotSupportedError,
    RefundRejectedError,
    RefundService,
    refund_amount,
    refusal,
)
from propdesk.purchases.store import StaleOrderError
from propdesk.records import AuditEntry
from propdesk.services.program_publishing import checked_document
from propdesk.services.staff_roles import OwnRolesError, RolesCommand, StaffRoles, merged

from tests.doubles.ports import InMemoryStaffDirectory
from tests.unit.purchases.builders import order as built_order

AT = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def paid(**changes: Any) -> Order:
    values: dict[str, Any] = {"payment_reference": "pi_1", "amount_paid": Decimal("540.00"), **changes}
    return built_order(values.pop("status", "provisioned"), **values)


# ---- refunds: who may be refunded, and how much


@pytest.mark.parametrize(
    ("order", "error"),
    [
        (paid(payment_method="crypto", provider="coinbase"), RefundNotSupportedError),
        (paid(status="refunded"), AlreadyRefundedError),
        (paid(status="disputed"), OrderNotRefundableError),
        (built_order("pending"), OrderNotRefundableError),
        (built_order("failed"), OrderNotRefundableError),
    ],
)
def test_orders_that_cannot_be_refunded_say_why(order: Order, error: type[Exception]) -> None:
    assert isinstance(refusal(order, []), error)


def test_a_recorded_refund_request_refuses_the_next_one() -> None:
    step = Transition("ord-1", 3, "paid", "paid", REFUND_REQUESTED, "full refund", AT)

    assert refusal(paid(status="paid"), []) is None
    assert isinstance(refusal(paid(status="paid"), [step]), RefundAlreadyRequestedError)


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("540.00"), places=2))
def test_any_cent_amount_up_to_what_was_paid_is_refundable(amount: Decimal) -> None:
    assert refund_amount(paid(), amount) == amount


@pytest.mark.parametrize("amount", [Decimal("540.01"), Decimal(0), Decimal("-1"), Decimal("1.005")])
def test_other_amounts_are_refused_naming_the_amount(amount: Decimal) -> None:
    with pytest.raises(InvalidInputError) as refused:
        refund_amount(paid(), amount)
    assert refused.value.field == "amount"


def test_without_an_amount_everything_paid_is_refunded_or_the_total_if_the_payment_is_unknown() -> None:
    assert refund_amount(paid(amount_paid=Decimal("500.00")), None) == Decimal("500.00")
    assert refund_amount(paid(amount_paid=None), None) == Decimal("540.00")


# ---- refunds: the service


@dataclass
class Ledger:
    order: Order | None
    steps: list[Transition] = field(default_factory=list)
    entries: list[AuditEntry] = field(default_factory=list)
    stale_writes: int = 0  # a webhook moves the order before each of these writes

    def get(self, order_id: str) -> Order | None:
        return self.order

    def history(self, order_id: str) -> list[Transition]:
        return list(self.steps)

    def put_audited(self, order: Order, expected: int, transition: Transition, entry: AuditEntry) -> None:
        assert self.order is not None
        if self.stale_writes:
            self.stale_writes -= 1
            self.order = replace(self.order, revision=self.order.revision + 1)
            raise StaleOrderError(order.order_id)
        assert expected == self.order.revision and order.revision == expected + 1
        self.order, self.steps, self.entries = order, [*self.steps, transition], [*self.entries, entry]


@dataclass
class Cards:
    fail_with: Exception | None = None
    refunds: list[tuple[str, str, Decimal | None, str | None]] = field(default_factory=list)

    def paid_card(self, payment_reference: str) -> PaidCard | None:
        return None

    def refund(
        self,
        payment_reference: str,
        order_id: str,
        reason: str,
        amount: Decimal | None = None,
        currency: str | None = None,
    ) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.refunds.append((payment_reference, order_id, amount, currency))


def command(amount: Decimal | None = None) -> RefundCommand:
    return RefundCommand("ord-1", "finance-1", ("finance",), "goodwill after a platform outage", amount, AT)


def service(ledger: Ledger, cards: Cards) -> RefundService:
    return RefundService(ledger, {"stripe": cards}, lambda: "entry-1")


def test_a_partial_refund_asks_the_provider_for_the_amount_then_records_it_once() -> None:
    ledger, cards = Ledger(paid()), Cards()

    recorded = service(ledger, cards).refund(command(Decimal("40.00")))

    assert cards.refunds == [("pi_1", "ord-1", Decimal("40.00"), "USD")]
    assert (recorded.amount, recorded.full) == (Decimal("40.00"), False)
    (step,) = ledger.steps
    assert (step.cause, step.from_status, step.to_status) == (REFUND_REQUESTED, "provisioned", "provisioned")
    assert step.note == "partial refund of 40.00 USD requested: goodwill after a platform outage"
    (entry,) = ledger.entries
    assert entry.subject == "ORDER#ord-1" and entry.after is not None and entry.after["full"] is False


def test_a_full_refund_sends_no_amount() -> None:
    cards = Cards()
    service(Ledger(paid()), cards).refund(command(Decimal("540.00")))
    assert cards.refunds == [("pi_1", "ord-1", None, "USD")]


def test_a_webhook_moving_the_order_meanwhile_does_not_lose_the_record() -> None:
    ledger = Ledger(paid(), stale_writes=2)

    service(ledger, Cards()).refund(command())

    assert len(ledger.entries) == 1 and ledger.order is not None and ledger.order.revision == 3


@pytest.mark.parametrize(
    ("failure", "error"),
    [(ProviderUnavailableError("down"), RetryLaterError), (ProviderRejectedError("no"), RefundRejectedError)],
)
def test_a_provider_failure_records_nothing(failure: Exception, error: type[Exception]) -> None:
    ledger = Ledger(paid())

    with pytest.raises(error):
        service(ledger, Cards(fail_with=failure)).refund(command())

    assert ledger.steps == [] and ledger.entries == []


def test_an_unknown_order_is_not_found_and_an_unconfigured_provider_unsupported() -> None:
    with pytest.raises(NotFoundError):
        service(Ledger(None), Cards()).refund(command())
    with pytest.raises(RefundNotSupportedError):
        RefundService(Ledger(paid()), {}, lambda: "e").refund(command())


# ---- staff roles


@dataclass
class Audit:
    entries: list[AuditEntry] = field(default_factory=list)

    def append(self, entry: AuditEntry) -> bool:
        self.entries.append(entry)
        return True


def roles_command(user_id: str, *roles: str, actor: str = "admin-1") -> RolesCommand:
    return RolesCommand(user_id, frozenset(roles), actor, ("admin",), "joins the risk desk", AT)


def test_users_listed_under_several_roles_are_merged() -> None:
    users = [
        StaffUser("u1", "b@firm.example", frozenset({"risk"}), True, "CONFIRMED"),
        StaffUser("u2", "a@firm.example", frozenset({"admin"}), True, "CONFIRMED"),
        StaffUser("u1", "b@firm.example", frozenset({"finance"}), True, "CONFIRMED"),
    ]

    assert [(user.user_id, user.roles) for user in merged(users)] == [
        ("u2", {"admin"}),
        ("u1", {"finance", "risk"}),
    ]


def test_the_audit_entry_is_written_before_the_pool_changes() -> None:
    directory, audit = InMemoryStaffDirectory(), Audit()
    directory.add("u1", "support")

    def checked_add(user_id: str, role: str) -> None:
        assert [entry.action for entry in audit.entries] == ["staff.roles_changed"]
        InMemoryStaffDirectory.add_role(directory, user_id, role)

    directory.add_role = checked_add  # type: ignore[method-assign]
    StaffRoles(directory, audit, ("admin", "finance", "risk", "support"), lambda: "e1").set_roles(
        roles_command("u1", "risk")
    )

    assert directory.users["u1"].roles == {"risk"}
    (entry,) = audit.entries
    assert entry.before == {"roles": ["support"], "email": "u1@firm.example"}
    assert entry.after == {"roles": ["risk"], "email": "u1@firm.example"}


def test_a_failed_change_is_audited_as_failed() -> None:
    directory, audit = InMemoryStaffDirectory(), Audit()
    directory.add("u1", "support")

    def broken(user_id: str, role: str) -> None:
        raise RuntimeError("pool refused")

    directory.remove_role = broken  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        StaffRoles(directory, audit, ("support",), lambda: "e").set_roles(roles_command("u1", "risk"))

    assert [entry.action for entry in audit.entries] == ["staff.roles_changed", "staff.roles_change_failed"]
    assert audit.entries[1].after == {"roles": ["risk"], "email": "u1@firm.example", "error": "RuntimeError"}


def test_an_admin_never_changes_their_own_roles_a_second_admin_must() -> None:
    directory = InMemoryStaffDirectory()
    directory.add("admin-1", "admin", "risk")
    audit = Audit()
    roles = StaffRoles(directory, audit, ("admin", "finance", "risk"), lambda: "e")

    for wanted in (("risk",), ("admin",), ("admin", "risk", "finance")):  # drop admin, drop risk, add finance
        with pytest.raises(OwnRolesError):
            roles.set_roles(roles_command("admin-1", *wanted, actor="admin-1"))
    assert directory.users["admin-1"].roles == {"admin", "risk"} and audit.entries == []
    roles.set_roles(roles_command("admin-1", "admin", "risk", actor="admin-1"))  # no change: idempotent

    roles.set_roles(roles_command("admin-1", "admin", "risk", "finance", actor="admin-2"))

    assert directory.users["admin-1"].roles == {"admin", "risk", "finance"}


# ---- program documents


def demo() -> dict[str, Any]:
    return copy.deepcopy(demo_programs()[0].document)


def test_a_valid_document_gets_the_paths_id_and_its_catalogue_entry() -> None:
    document = demo()
    document.pop("program_id")

    summary, stored = checked_document("new-program", document)

    assert stored["program_id"] == summary.program_id == "new-program"
    assert summary.prices == {c: Decimal(p) for c, p in document["prices"].items()}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda d: d.update(initial_balance="-1"), "initial_balance"),
        (lambda d: d["rules"][0].update(type="nope"), "rules[0].type"),
        (lambda d: d["prices"].update(XYZ="10.00"), "prices.XYZ"),
        (lambda d: d["prices"].update(USD="ten"), "prices.USD"),
        (lambda d: d["prices"].update(USD=10), "prices.USD"),
    ],
)
def test_invalid_documents_name_the_field(change: Any, field: str) -> None:
    document = demo()
    change(document)

    with pytest.raises(InvalidInputError) as refused:
        checked_document(str(document["program_id"]), document)

    assert refused.value.field == field


def test_finance_cannot_refund_an_order_of_their_own() -> None:
    ledger, cards = Ledger(paid()), Cards()
    own = RefundCommand("ord-1", paid().trader_id, ("finance",), "my own order", None, AT)

    with pytest.raises(OwnAccountError) as refused:
        service(ledger, cards).refund(own)

    assert (refused.value.code, refused.value.field) == ("own_account", "order_id")
    assert cards.refunds == [] and ledger.entries == []
