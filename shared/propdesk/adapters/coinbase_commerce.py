"""Coinbase Commerce: hosted charges for crypto payments (REST, `X-CC-Api-Key`) and webhook verification
(`X-CC-Webhook-Signature` = hex HMAC-SHA256 of the raw body with the shared secret).

Coinbase has no idempotency keys: the order keeps its charge, and the purchase service creates one only for
an order that has none. The API base is configurable so that the local cloud uses the fake.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

import httpx

from propdesk.purchases.ports import (
    CheckoutRequest,
    PaymentSession,
    ProviderRejectedError,
    ProviderUnavailableError,
    WebhookRejectedError,
)
from propdesk.purchases.reconciliation import PaymentStatus, ProviderPayment

PROVIDER = "coinbase"
DEFAULT_API_BASE = "https://api.commerce.coinbase.com"
API_VERSION = "2018-03-22"
# A charge is paid once confirmed (COMPLETED) or resolved by the merchant (RESOLVED); PENDING is a
# transaction seen on chain, not yet confirmed: orders do not count it as paid, nor does reconciliation.
PAID_STATUSES = frozenset({"COMPLETED", "RESOLVED"})


@dataclass(frozen=True, slots=True)
class CoinbaseCredentials:
    api_key: str
    webhook_secret: str


class CoinbaseRejectedError(ProviderRejectedError):
    """Coinbase refused the request (4xx other than 429)."""


class CoinbaseCommerce:
    name = PROVIDER

    def __init__(
        self,
        credentials: Callable[[], CoinbaseCredentials],
        api_base: str = DEFAULT_API_BASE,
        timeout: float = 10.0,
    ) -> None:
        self._credentials = credentials
        self._api_base = api_base.rstrip("/")
        self._timeout = timeout

    @cached_property
    def _http(self) -> httpx.Client:
        return httpx.Client(
            base_url=self._api_base,
            timeout=self._timeout,
            headers={"X-CC-Api-Key": self._credentials().api_key, "X-CC-Version": API_VERSION},
        )

    def create_session(self, request: CheckoutRequest) -> PaymentSession:
        body = {
            "name": request.description[:100],
            "description": f"order {request.order_id}",
            "pricing_type": "fixed_price",
            "local_price": {"amount": str(request.total), "currency": request.currency},
            "metadata": {"order_id": request.order_id, "trader_id": request.trader_id},
            "redirect_url": request.success_url,
            "cancel_url": request.cancel_url,
        }
        charge = self._request("POST", "/charges", json=body)["data"]
        return PaymentSession(
            url=charge["hosted_url"], session_reference=charge["id"], payment_reference=charge["code"]
        )

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> dict[str, object]:
        signature = next((v for k, v in headers.items() if k.lower() == "x-cc-webhook-signature"), None)
        if not signature:
            raise WebhookRejectedError("the X-CC-Webhook-Signature header is missing")
        expected = hmac.new(self._credentials().webhook_secret.encode(), raw_body, hashlib.sha256).hexdigest()
        # Bytes, not str: compare_digest raises on a str with non-ASCII characters (a 500, not a refusal).
        presented = signature.strip().lower().encode("utf-8", "replace")
        if not hmac.compare_digest(expected.encode("ascii"), presented):
            raise WebhookRejectedError("the Coinbase Commerce signature does not verify")
        try:
            verified: dict[str, object] = json.loads(raw_body)
        except ValueError:
            raise WebhookRejectedError("the body is not JSON") from None
        return verified

    def order_id_for_payment(self, payment_reference: str) -> str | None:
        charge = self._request("GET", f"/charges/{payment_reference}")["data"]
        order_id = (charge.get("metadata") or {}).get("order_id")
        return order_id if isinstance(order_id, str) and order_id else None

    def payments_between(self, start: datetime, end: datetime) -> list[ProviderPayment]:
        payments: list[ProviderPayment] = []
        cursor: str | None = None
        while True:
            params = {"limit": "100", **({"starting_after": cursor} if cursor else {})}
            page = self._request("GET", "/charges", params=params)
            for charge in page.get("data", []):
                created = datetime.fromisoformat(str(charge["created_at"]).replace("Z", "+00:00"))
                if start <= created < end:
                    payments.append(_payment(charge, created))
            cursor = ((page.get("pagination") or {}).get("cursor_range") or [None, None])[-1]
            if not cursor or not page.get("data"):
                return payments

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise ProviderUnavailableError(f"Coinbase Commerce unreachable: {error}") from error
        if response.status_code == 429 or response.status_code >= 500:
            raise ProviderUnavailableError(f"Coinbase Commerce answered {response.status_code}")
        if response.status_code >= 400:
            raise CoinbaseRejectedError(
                f"Coinbase Commerce refused ({response.status_code}): {response.text}"
            )
        answer: dict[str, Any] = response.json()
        return answer


def _payment(charge: Mapping[str, Any], created: datetime) -> ProviderPayment:
    local = (charge.get("pricing") or {}).get("local") or {}
    timeline = charge.get("timeline") or [{}]
    status: PaymentStatus = "paid" if str(timeline[-1].get("status")) in PAID_STATUSES else "unpaid"
    paid = [((p.get("value") or {}).get("local") or {}).get("amount") for p in charge.get("payments") or []]
    amount = sum((Decimal(str(a)) for a in paid if a is not None), Decimal(0)) if paid else Decimal(0)
    return ProviderPayment(
        provider=PROVIDER,
        reference=str(charge["id"]),
        order_id=(charge.get("metadata") or {}).get("order_id"),
        amount=amount if status == "paid" else Decimal(str(local.get("amount", "0"))),
        currency=str(local.get("currency", "")).upper(),
        status=status,
        created_at=created,
    )
