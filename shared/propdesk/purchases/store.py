"""What the purchase services need from storage, as protocols: the DynamoDB implementations live in
`propdesk.data.orders`, in-memory ones (for fast property tests) in `tests/doubles/purchases.py`.

Orders are written with optimistic locking on `revision`: every write names the revision it read, and the
write of a webhook's effect carries its receipt (keyed by the provider's event id) in the same transaction,
so an effect happens once per event id even when two deliveries race.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from propdesk.purchases.orders import Order, Transition
from propdesk.purchases.pricing import AddOn, DiscountCode, ProgramOnSale
from propdesk.records import Account, AccountLogin, AccountStatus, Page, ProgramVersion, TraderProfile


class StaleOrderError(Exception):
    """The order changed since it was read: reload and decide again."""


class DuplicateDeliveryError(Exception):
    """A receipt for this provider event id exists already: the event was applied before."""


class DiscountUnavailableError(Exception):
    """The discount code reached its usage limit (or vanished) while the order was being placed."""


@dataclass(frozen=True, slots=True)
class WebhookReceipt:
    """Proof that a provider event was applied, with the domain events it caused (republished until sent)."""

    provider: str
    event_id: str
    event_type: str
    order_id: str | None
    received_at: datetime
    events: tuple[dict[str, Any], ...] = ()  # {"detail_type": ..., "detail": {...}}
    published: bool = False


class OrderStore(Protocol):
    def create(self, order: Order) -> Order:
        """Store a new order and count its discount code's use; an order with this id already stored is
        returned instead (idempotent create). Raises DiscountUnavailableError when the code is used up."""
        ...

    def get(self, order_id: str) -> Order | None:
        """A strongly consistent read."""
        ...

    def put(
        self,
        order: Order,
        expected_revision: int,
        transition: Transition | None = None,
        receipt: WebhookReceipt | None = None,
    ) -> None:
        """Write the order if its stored revision is still `expected_revision` (StaleOrderError), with its
        history entry, the webhook receipt and the discount code's use released or taken back when the
        transition leaves or enters `failed` (`discount_uses`), all or nothing (DuplicateDeliveryError)."""
        ...

    def receipt(self, provider: str, event_id: str) -> WebhookReceipt | None: ...

    def add_receipt(self, receipt: WebhookReceipt) -> None:
        """A receipt for an event that changed no order (unmatched); DuplicateDeliveryError if present."""
        ...

    def mark_published(self, provider: str, event_id: str) -> None: ...

    def link_payment(self, provider: str, reference: str, order_id: str) -> None: ...

    def order_for_payment(self, provider: str, reference: str) -> str | None: ...

    def history(self, order_id: str) -> list[Transition]: ...

    def list_for_trader(self, trader_id: str, limit: int = 50, cursor: str | None = None) -> Page[Order]: ...

    def created_between(self, start: datetime, end: datetime) -> list[Order]: ...


class SalesCatalogue(Protocol):
    def program_on_sale(self, program_id: str) -> tuple[ProgramOnSale, int] | None:
        """The program with its prices and the version on sale now (the account is pinned to it)."""
        ...

    def add_ons(self) -> dict[str, AddOn]: ...

    def discount(self, code: str) -> DiscountCode | None: ...


class ProgramVersions(Protocol):
    def get_version(self, program_id: str, version: int) -> ProgramVersion | None: ...


class VelocityCounter(Protocol):
    def count(self, kind: str, value: str, since: datetime, now: datetime) -> int:
        """How many purchases were recorded for this e-mail/IP/card since `since`."""
        ...

    def record(self, kind: str, value: str, now: datetime) -> None: ...


class AccountBook(Protocol):
    def open(self, account: Account) -> bool: ...

    def get(self, account_id: str, consistent: bool = False) -> Account | None: ...

    def set_status(
        self,
        account_id: str,
        status: AccountStatus,
        reason: str,
        at: datetime,
        expected: Sequence[AccountStatus],
    ) -> bool:
        """Move the account to `status` if it is in one of `expected`; False otherwise."""
        ...


class TraderDirectory(Protocol):
    def get(self, trader_id: str) -> TraderProfile | None: ...


class ReviewFlags(Protocol):
    def flag(self, trader_id: str, order_id: str, reason: str, at: datetime) -> None: ...


class AccountLogins(Protocol):
    def put(self, login: AccountLogin) -> None:
        """Record an account's platform login (server and login; never a password); idempotent."""
        ...
