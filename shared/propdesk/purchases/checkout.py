"""Placing an order: price the basket, run the fraud pre-checks, store the order (idempotently), open a
payment page with the provider.

Idempotency (`Idempotency-Key`): our own conditional write, not Powertools' idempotency utility. The order
id is derived from (trader, key), so the order itself is the idempotency record: a repeat finds it, checks
the request is the same (else 422) and returns it; an order stored without its payment page (the provider
failed) gets the page on the repeat. The provider call carries the order id as its own idempotency key, so
a repeat never opens a second Stripe session. Without a key, every request is a new order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from propdesk.domain_events import PurchaseFlagged, stable_id
from propdesk.errors import InvalidInputError, NotFoundError
from propdesk.ports import EventPublisher
from propdesk.purchases.errors import (
    PURCHASE_REFUSED,
    IdempotencyKeyReusedError,
    PricingError,
    PurchaseBlockedError,
    RetryLaterError,
)
from propdesk.purchases.fraud import FraudPolicy, PurchaseSignals, assess
from propdesk.purchases.orders import Order, PaymentMethod
from propdesk.purchases.ports import (
    CheckoutRequest,
    IpCountries,
    PaymentProvider,
    ProviderRejectedError,
    ProviderUnavailableError,
)
from propdesk.purchases.pricing import quote
from propdesk.purchases.store import (
    DiscountUnavailableError,
    OrderStore,
    SalesCatalogue,
    StaleOrderError,
    VelocityCounter,
)

_WRITE_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    trader_id: str
    email: str
    program_id: str
    currency: str
    payment_method: PaymentMethod
    add_ons: tuple[str, ...] = ()
    discount_code: str | None = None
    billing_country: str | None = None
    idempotency_key: str | None = None
    client_ip: str | None = None
    ip_country: str | None = None

    def fingerprint(self) -> str:
        """What must be identical for a repeat of the same Idempotency-Key."""
        fields = [
            self.program_id,
            self.currency.upper(),
            self.payment_method,
            sorted(self.add_ons),
            (self.discount_code or "").upper(),
            (self.billing_country or "").upper(),
        ]
        return hashlib.sha256(json.dumps(fields).encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class RedirectUrls:
    success_url: str
    cancel_url: str


@dataclass(frozen=True, slots=True)
class Placed:
    order: Order
    replayed: bool


class CheckoutService:
    def __init__(
        self,
        orders: OrderStore,
        catalogue: SalesCatalogue,
        velocity: VelocityCounter,
        providers: Mapping[PaymentMethod, PaymentProvider],
        publisher: EventPublisher,
        policy: FraudPolicy,
        urls: RedirectUrls,
        new_order_id: Callable[[], str],
        ip_countries: IpCountries | None = None,
    ) -> None:
        self._orders = orders
        self._catalogue = catalogue
        self._velocity = velocity
        self._providers = providers
        self._publisher = publisher
        self._policy = policy
        self._urls = urls
        self._new_order_id = new_order_id
        self._ip_countries = ip_countries

    def has_placed(self, request: PlaceOrder) -> bool:
        """True when the request's Idempotency-Key names an order stored already (a repeat, no new order)."""
        return request.idempotency_key is not None and self._orders.get(self._order_id(request)) is not None

    def place(self, request: PlaceOrder, now: datetime) -> Placed:
        provider = self._providers.get(request.payment_method)
        if provider is None:
            raise InvalidInputError(
                f"payment method {request.payment_method!r} is not offered", "payment_method"
            )
        if self._ip_countries is not None and request.client_ip and not request.ip_country:
            request = replace(request, ip_country=self._ip_countries.country_of(request.client_ip))
        order_id = self._order_id(request)
        existing = self._orders.get(order_id) if request.idempotency_key else None
        if existing is not None:
            if existing.request_fingerprint != request.fingerprint():
                raise IdempotencyKeyReusedError(
                    "this Idempotency-Key was used for a different order request", "Idempotency-Key"
                )
            return Placed(self._with_payment_page(existing, provider), replayed=True)
        order = self._new_order(order_id, request, provider.name, now)
        try:
            stored = self._orders.create(order)
        except DiscountUnavailableError:
            raise PricingError(
                f"discount code {request.discount_code!r} has been used up", "discount_code"
            ) from None
        if stored is not order:  # a concurrent request with the same key stored its order first
            if stored.request_fingerprint != order.request_fingerprint:
                raise IdempotencyKeyReusedError(
                    "this Idempotency-Key was used for a different order request", "Idempotency-Key"
                )
            return Placed(self._with_payment_page(stored, provider), replayed=True)
        self._record_velocity(request, now)
        if stored.flags:
            self._publisher.publish(
                [
                    PurchaseFlagged(
                        event_id=stable_id("purchase.flagged", stored.order_id, "checkout"),
                        occurred_at=now,
                        order_id=stored.order_id,
                        trader_id=stored.trader_id,
                        reasons=list(stored.flags),
                    )
                ]
            )
        return Placed(self._with_payment_page(stored, provider), replayed=False)

    def _new_order(self, order_id: str, request: PlaceOrder, provider: str, now: datetime) -> Order:
        on_sale = self._catalogue.program_on_sale(request.program_id)
        if on_sale is None:
            raise NotFoundError(f"no program {request.program_id!r} on sale", "program_id")
        program, version = on_sale
        discount = None
        if request.discount_code:
            discount = self._catalogue.discount(request.discount_code.upper())
            if discount is None:
                raise PricingError(f"unknown discount code {request.discount_code!r}", "discount_code")
        add_ons = self._catalogue.add_ons() if request.add_ons else {}
        priced = quote(program, request.currency, request.add_ons, add_ons, discount, now)
        assessment = assess(self._signals(request, now), self._policy)
        if assessment.blocked:
            raise PurchaseBlockedError(PURCHASE_REFUSED, internal=tuple(assessment.blocking_reasons()))
        effects: dict[str, str] = {}
        for add_on_id in priced.add_on_ids:
            effects.update(add_ons[add_on_id].effects)
        return Order(
            order_id=order_id,
            trader_id=request.trader_id,
            email=request.email,
            program_id=program.program_id,
            program_version=version,
            currency=priced.currency,
            total=priced.total,
            lines=priced.lines,
            payment_method=request.payment_method,
            provider=provider,
            status="pending",
            created_at=now,
            updated_at=now,
            request_fingerprint=request.fingerprint(),
            add_on_effects=effects,
            flags=assessment.flags,
            client_ip=request.client_ip,
            client_country=request.ip_country,
        )

    def _with_payment_page(self, order: Order, provider: PaymentProvider) -> Order:
        if order.payment_url is not None or order.status != "pending":
            return order
        description = next(line.description for line in order.lines if line.kind == "program")
        try:
            session = provider.create_session(
                CheckoutRequest(
                    order_id=order.order_id,
                    trader_id=order.trader_id,
                    email=order.email,
                    description=description,
                    currency=order.currency,
                    lines=tuple((line.description, line.amount) for line in order.lines),
                    total=order.total,
                    success_url=self._urls.success_url,
                    cancel_url=self._urls.cancel_url,
                )
            )
        except ProviderUnavailableError as error:
            raise RetryLaterError(
                "the payment provider is unavailable; repeat with the same Idempotency-Key",
                internal=(str(error),),
            ) from error
        except ProviderRejectedError as error:
            raise InvalidInputError(
                "the payment provider could not open a payment page for this order",
                "payment_method",
                internal=(str(error),),
            ) from error
        self._orders.link_payment(provider.name, session.session_reference, order.order_id)
        if session.payment_reference:
            self._orders.link_payment(provider.name, session.payment_reference, order.order_id)
        current = order
        for _ in range(_WRITE_ATTEMPTS):
            if current.payment_url is not None:
                return current
            updated = replace(
                current,
                payment_url=session.url,
                session_reference=session.session_reference,
                payment_reference=current.payment_reference or session.payment_reference,
                revision=current.revision + 1,
            )
            try:
                self._orders.put(updated, expected_revision=current.revision)
            except StaleOrderError:
                current = self._orders.get(order.order_id) or order  # a webhook got there first: read again
                continue
            return updated
        raise RetryLaterError(
            "the order is changing too fast; repeat the request with the same Idempotency-Key"
        )

    def _signals(self, request: PlaceOrder, now: datetime) -> PurchaseSignals:
        since = now - self._policy.window
        return PurchaseSignals(
            email=request.email,
            ip=request.client_ip,
            ip_country=request.ip_country,
            billing_country=request.billing_country,
            recent_by_email=self._velocity.count("email", request.email.lower(), since, now),
            recent_by_ip=self._velocity.count("ip", request.client_ip, since, now)
            if request.client_ip
            else 0,
        )

    def _record_velocity(self, request: PlaceOrder, now: datetime) -> None:
        self._velocity.record("email", request.email.lower(), now)
        if request.client_ip:
            self._velocity.record("ip", request.client_ip, now)

    def _order_id(self, request: PlaceOrder) -> str:
        if request.idempotency_key:
            return "ord_" + stable_id("order", request.trader_id, request.idempotency_key)[:24]
        return self._new_order_id()
