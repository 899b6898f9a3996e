"""What the purchase path needs from the outside: payment providers and a trading platform (e-mail:
`propdesk.ports.EmailSender`).

Production adapters: `propdesk.adapters.stripe_payments`, `propdesk.adapters.coinbase_commerce`,
`propdesk.adapters.match_trader`; fakes for tests in `propdesk.purchases.memory`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

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

    def card_fingerprint(self, payment_reference: str) -> str | None:
        """The fingerprint of the card that paid (the same card gives the same one), None if not a card."""
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


@dataclass(frozen=True, slots=True)
class AccountRequest:
    """What the platform needs to open a challenge account; `reference` is ours and unique per order, so a
    retry can find an account created by an attempt that died before recording it."""

    reference: str
    email: str
    first_name: str
    last_name: str
    challenge_id: str
    phase_step: int = 1


@dataclass(frozen=True, slots=True)
class PlatformAccount:
    platform_account_id: str
    login: str
    server: str
    # Set only when the platform user was created just now; held in memory until the credentials e-mail.
    new_user_password: str | None = field(default=None, repr=False)


class PlatformUnavailableError(Exception):
    """The platform could not be reached, rate-limited us or answered 5xx; retry later."""


class PlatformRejectedError(Exception):
    """The platform refused the request (4xx other than 429): retrying will not help, a person must look."""


class TradingPlatform(Protocol):
    name: str
    server: str  # what the trader picks in the platform's login screen

    def find_account(self, email: str, reference: str) -> PlatformAccount | None: ...

    def create_account(self, request: AccountRequest) -> PlatformAccount: ...

    def set_trading_enabled(self, platform_account_id: str, challenge_id: str, enabled: bool) -> None: ...

