"""Stripe through its SDK: Checkout Sessions, webhook verification (`Webhook.construct_event` with its
timestamp tolerance), PaymentIntent look-ups (the order, the paying card's fingerprint and issuing
country), refunds (of blocked payments, and staff refunds, whole or partial) and session listing for
reconciliation.

`stripe` is imported on first use (about 120 ms), so functions that never talk to Stripe never load it.
The API base is configurable (`STRIPE_API_BASE`) so that the local cloud points the SDK at the fake.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from propdesk.purchases.currencies import from_minor_units, to_minor_units
from propdesk.purchases.payments import PaidCard
from propdesk.purchases.ports import (
    CheckoutRequest,
    PaymentSession,
    ProviderRejectedError,
    ProviderUnavailableError,
    WebhookRejectedError,
)
from propdesk.purchases.reconciliation import ProviderPayment

if TYPE_CHECKING:
    from stripe import StripeClient

PROVIDER = "stripe"
SIGNATURE_TOLERANCE_SECONDS = 300
DEFAULT_API_BASE = "https://api.stripe.com"


@dataclass(frozen=True, slots=True)
class StripeCredentials:
    api_key: str
    webhook_secret: str


class StripeRejectedError(ProviderRejectedError):
    """Stripe refused the request (4xx other than 429): our input, not a transient failure."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class StripePayments:
    name = PROVIDER

    def __init__(
        self,
        credentials: Callable[[], StripeCredentials],
        api_base: str = DEFAULT_API_BASE,
        max_network_retries: int = 2,
        page_size: int = 100,
    ) -> None:
        self._page_size = page_size
        self._credentials = credentials
        self._api_base = api_base
        self._max_network_retries = max_network_retries

    @cached_property
    def _client(self) -> StripeClient:
        import stripe

        return stripe.StripeClient(
            self._credentials().api_key,
            base_addresses={"api": self._api_base},
            max_network_retries=self._max_network_retries,
        )

    def create_session(self, request: CheckoutRequest) -> PaymentSession:
        metadata = {"order_id": request.order_id, "trader_id": request.trader_id}
        params: dict[str, Any] = {
            "mode": "payment",
            "client_reference_id": request.order_id,
            "customer_email": request.email,
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata, "description": request.description},
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": to_minor_units(request.total, request.currency),
                        "product_data": {"name": request.description},
                    },
                }
            ],
            "success_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        session = self._call(
            lambda client: client.v1.checkout.sessions.create(
                params,  # type: ignore[arg-type]
                {"idempotency_key": f"checkout-{request.order_id}"},
            )
        )
        if not session.url:
            raise ProviderUnavailableError("Stripe returned a session without a URL")
        return PaymentSession(url=session.url, session_reference=session.id)

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> dict[str, object]:
        import stripe

        signature = _header(headers, "Stripe-Signature")
        if not signature:
            raise WebhookRejectedError("the Stripe-Signature header is missing")
        try:
            stripe.Webhook.construct_event(
                raw_body, signature, self._credentials().webhook_secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError as error:
            raise WebhookRejectedError(
                f"the Stripe signature does not verify: {error.user_message}"
            ) from None
        except ValueError as error:
            raise WebhookRejectedError(f"the body is not a Stripe event: {error}") from None
        verified: dict[str, object] = json.loads(raw_body)
        return verified

    def order_id_for_payment(self, payment_reference: str) -> str | None:
        intent = self._call(lambda client: client.v1.payment_intents.retrieve(payment_reference))
        order_id = _metadata(intent).get("order_id")
        return order_id if isinstance(order_id, str) and order_id else None

    def paid_card(self, payment_reference: str) -> PaidCard | None:
        """`payment_method_details.card` (`fingerprint`, `country`) of the PaymentIntent's latest charge, in
        one call (`expand[]=latest_charge`); None when the charge was not by card."""
        intent = self._call(
            lambda client: client.v1.payment_intents.retrieve(
                payment_reference, {"expand": ["latest_charge"]}
            )
        )
        charge = getattr(intent, "latest_charge", None)
        details = getattr(charge, "payment_method_details", None)
        card = getattr(details, "card", None)
        if card is None:
            return None
        fingerprint = getattr(card, "fingerprint", None)
        country = getattr(card, "country", None)
        return PaidCard(
            fingerprint=fingerprint if isinstance(fingerprint, str) and fingerprint else None,
            country=country.upper() if isinstance(country, str) and len(country) == 2 else None,
        )

    def refund(
        self,
        payment_reference: str,
        order_id: str,
        reason: str,
        amount: Decimal | None = None,
        currency: str | None = None,
    ) -> None:
        params: dict[str, Any] = {
            "payment_intent": payment_reference,
            "metadata": {"order_id": order_id, "reason": reason[:500]},
        }
        if amount is not None:
            if currency is None:
                raise ValueError("a partial refund needs the payment's currency")
            params["amount"] = to_minor_units(amount, currency)
        try:
            self._call(
                lambda client: client.v1.refunds.create(
                    params,  # type: ignore[arg-type]
                    {"idempotency_key": f"refund-{order_id}"},
                )
            )
        except StripeRejectedError as error:
            if error.code != "charge_already_refunded":  # refunded by hand or after the key expired
                raise

    def payments_between(self, start: datetime, end: datetime) -> list[ProviderPayment]:
        created = {"gte": int(start.timestamp()), "lte": int(end.timestamp())}  # whole seconds: end included
        payments: list[ProviderPayment] = []
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"created": created, "limit": self._page_size}
            if cursor:
                params["starting_after"] = cursor
            page = self._list_sessions(params)
            for session in page.data:
                payments.append(_payment(session))
            if not page.has_more or not page.data:
                return payments
            cursor = page.data[-1].id

    def _list_sessions(self, params: dict[str, Any]) -> Any:
        return self._call(lambda client: client.v1.checkout.sessions.list(params))  # type: ignore[arg-type]

    def _call(self, operation: Callable[[StripeClient], Any]) -> Any:
        import stripe

        try:
            return operation(self._client)
        except (stripe.APIConnectionError, stripe.RateLimitError) as error:
            raise ProviderUnavailableError(f"Stripe unavailable: {error.user_message}") from error
        except stripe.StripeError as error:
            if error.http_status is None or error.http_status >= 500:
                raise ProviderUnavailableError(f"Stripe failed: {error.user_message}") from error
            raise StripeRejectedError(f"Stripe refused: {error.user_message}", error.code) from error


def _payment(session: Any) -> ProviderPayment:
    currency = str(session.currency).upper()
    order_id = _metadata(session).get("order_id") or session.client_reference_id
    return ProviderPayment(
        provider=PROVIDER,
        reference=session.id,
        order_id=order_id,
        amount=from_minor_units(int(session.amount_total or 0), currency),
        currency=currency,
        status="paid" if session.payment_status == "paid" else "unpaid",
        created_at=datetime.fromtimestamp(int(session.created), UTC),
    )


def _metadata(obj: Any) -> dict[str, Any]:
    metadata = getattr(obj, "metadata", None)
    return dict(metadata.to_dict()) if metadata is not None else {}


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)
