"""What the purchase path needs from the outside: payment providers and a trading platform (e-mail:
`propdesk.ports.EmailSender`).

Production adapters: `propdesk.adapters.stripe_payments`, `propdesk.adapters.coinbase_commerce`, and the
trading-platform adapters in `propdesk.adapters.platforms` (the platform's port and its refusals are
`propdesk.platforms.port`); fakes for tests in `tests/doubles/purchases.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from propdesk.platforms.port import AccountRef, NewAccount, OpenedAccount, PlatformName, TradingAccess
from propdesk.purchases.payments import PaidCard
from propdesk.purchases.reconciliation import ProviderPayment


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    order_id: str
    trader_id: str
    email: str
    description: str
    currency: str
    lines: tuple[tuple[str, Decimal], ...]  # (description, amount) with the discount already applied
    total: Decimal
    success_url: str
    cancel_url: str


@dataclass(frozen=True, slots=True)
class PaymentSession:
    url: str
    session_reference: str
    payment_reference: str | None = None


class ProviderUnavailableError(Exception):
    """The provider could not be reached or answered 5xx/429; the same call may be repeated."""


class ProviderRejectedError(Exception):
    """The provider refused the request (a 4xx other than 429): repeating it will not help."""


class WebhookRejectedError(Exception):
    """A webhook's signature (or timestamp) does not check out."""


class PaymentProvider(Protocol):
    name: str

    def create_session(self, request: CheckoutRequest) -> PaymentSession:
        """A hosted payment page for the order; idempotent per order id (a repeat returns the same page)."""
        ...

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> dict[str, object]:
        """The delivery's JSON, after checking its signature over the raw body (WebhookRejectedError)."""
        ...

    def order_id_for_payment(self, payment_reference: str) -> str | None:
        """Ask the provider which order a payment belongs to (for events that do not name it)."""
        ...

    def payments_between(self, start: datetime, end: datetime) -> list[ProviderPayment]:
        """Payments created in [start, end), for reconciliation."""
        ...


class CardPayments(Protocol):
    """What the card check needs from a card provider once a payment succeeded."""

    def paid_card(self, payment_reference: str) -> PaidCard | None:
        """The card that paid (its fingerprint and issuing country), None if the payment was not by card."""
        ...

    def refund(
        self,
        payment_reference: str,
        order_id: str,
        reason: str,
        amount: Decimal | None = None,
        currency: str | None = None,
    ) -> None:
        """Refund the whole payment, or `amount` of it in `currency`; idempotent per order (a repeat never
        refunds twice: one refund per order)."""
        ...


class PlatformAccounts(Protocol):
    """What provisioning needs of a trading platform: the accounts part of the trading-platform port
    (`propdesk.platforms.port.TradingPlatform`, which every platform adapter implements in full)."""

    name: PlatformName
    server: str  # what the trader picks in the platform's login screen

    def find_account(self, reference: str, email: str) -> OpenedAccount | None: ...

    def create_account(self, request: NewAccount) -> OpenedAccount: ...

    def set_access(self, account: AccountRef, access: TradingAccess) -> None: ...


class IpCountries(Protocol):
    """Where an IP address is (ISO 3166-1 alpha-2), for the checkout's `ip_country` signal. No adapter is
    shipped: a geolocation database (e.g. a licensed GeoLite2/IP2Location file in the function's layer) or a
    look-up service would implement it; until one is wired, checkout has no IP country."""

    def country_of(self, ip: str) -> str | None: ...
