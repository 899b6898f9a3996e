"""In-memory implementations of the purchase ports and stores, for fast tests only (property tests run
thousands of deliveries). Each behaves like its production counterpart on the points the services rely on:
conditional writes, idempotent creates, signature checks, failures on demand."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from propdesk.platforms.port import (
    AccountRef,
    NewAccount,
    OpenedAccount,
    PlatformName,
    PlatformUnavailableError,
    TradingAccess,
)
from propdesk.purchases.discount_uses import use_change
from propdesk.purchases.orders import Order, Transition
from propdesk.purchases.ports import (
    CheckoutRequest,
    PaymentSession,
    ProviderRejectedError,
    ProviderUnavailableError,
    WebhookRejectedError,
)
from propdesk.purchases.pricing import AddOn, DiscountCode, ProgramOnSale
from propdesk.purchases.reconciliation import ProviderPayment
from propdesk.purchases.store import (
    DiscountUnavailableError,
    DuplicateDeliveryError,
    StaleOrderError,
    WebhookReceipt,
)
from propdesk.records import Account, AccountLogin, AccountStatus, Page, ProgramVersion, TraderProfile


class InMemoryOrderStore:
    def __init__(self, discounts: dict[str, DiscountCode] | None = None) -> None:
        self.orders: dict[str, Order] = {}
        self.transitions: dict[str, list[Transition]] = {}
        self.receipts: dict[tuple[str, str], WebhookReceipt] = {}
        self.links: dict[tuple[str, str], str] = {}
        self.discounts = discounts if discounts is not None else {}
        self._lock = threading.RLock()

    def create(self, order: Order) -> Order:
        with self._lock:
            if order.order_id in self.orders:
                return self.orders[order.order_id]
            code = order.discount_code
            if code is not None:
                discount = self.discounts.get(code)
                if discount is None or (discount.max_uses is not None and discount.uses >= discount.max_uses):
                    raise DiscountUnavailableError(code)
                self.discounts[code] = replace(discount, uses=discount.uses + 1)
            self.orders[order.order_id] = order
            return order

    def get(self, order_id: str) -> Order | None:
        return self.orders.get(order_id)

    def put(
        self,
        order: Order,
        expected_revision: int,
        transition: Transition | None = None,
        receipt: WebhookReceipt | None = None,
    ) -> None:
        with self._lock:
            current = self.orders.get(order.order_id)
            if current is None or current.revision != expected_revision:
                raise StaleOrderError(order.order_id)
            if receipt is not None and (receipt.provider, receipt.event_id) in self.receipts:
                raise DuplicateDeliveryError(receipt.event_id)
            self.orders[order.order_id] = order
            if transition is not None:
                self.transitions.setdefault(order.order_id, []).append(transition)
            if receipt is not None:
                self.receipts[(receipt.provider, receipt.event_id)] = receipt
            self._count_use(order, transition)

    def _count_use(self, order: Order, transition: Transition | None) -> None:
        """Release or take back the order's discount use with its transition (see discount_uses)."""
        change = use_change(order, transition)
        code = order.discount_code or ""
        discount = self.discounts.get(code)
        if change == 0 or discount is None or discount.uses + change < 0:
            return
        self.discounts[code] = replace(discount, uses=discount.uses + change)

    def receipt(self, provider: str, event_id: str) -> WebhookReceipt | None:
        return self.receipts.get((provider, event_id))

    def add_receipt(self, receipt: WebhookReceipt) -> None:
        with self._lock:
            if (receipt.provider, receipt.event_id) in self.receipts:
                raise DuplicateDeliveryError(receipt.event_id)
            self.receipts[(receipt.provider, receipt.event_id)] = receipt

    def mark_published(self, provider: str, event_id: str) -> None:
        with self._lock:
            self.receipts[(provider, event_id)] = replace(self.receipts[(provider, event_id)], published=True)

    def link_payment(self, provider: str, reference: str, order_id: str) -> None:
        self.links[(provider, reference)] = order_id

    def order_for_payment(self, provider: str, reference: str) -> str | None:
        return self.links.get((provider, reference))

    def history(self, order_id: str) -> list[Transition]:
        return list(self.transitions.get(order_id, []))

    def list_for_trader(self, trader_id: str, limit: int = 50, cursor: str | None = None) -> Page[Order]:
        mine = sorted(
            (o for o in self.orders.values() if o.trader_id == trader_id), key=lambda o: o.created_at
        )
        return Page(items=mine[:limit], next_cursor=None)

    def created_between(self, start: datetime, end: datetime) -> list[Order]:
        return [o for o in self.orders.values() if start <= o.created_at < end]


@dataclass
class InMemoryCatalogue:
    programs: dict[str, tuple[ProgramOnSale, int]] = field(default_factory=dict)
    extras: dict[str, AddOn] = field(default_factory=dict)
    store: InMemoryOrderStore | None = None  # discount codes live with the orders (usage is counted there)
    versions: dict[tuple[str, int], ProgramVersion] = field(default_factory=dict)

    def program_on_sale(self, program_id: str) -> tuple[ProgramOnSale, int] | None:
        return self.programs.get(program_id)

    def add_ons(self) -> dict[str, AddOn]:
        return dict(self.extras)

    def discount(self, code: str) -> DiscountCode | None:
        return self.store.discounts.get(code) if self.store else None

    def get_version(self, program_id: str, version: int) -> ProgramVersion | None:
        return self.versions.get((program_id, version))


@dataclass
class InMemoryVelocity:
    seen: list[tuple[str, str, datetime]] = field(default_factory=list)

    def count(self, kind: str, value: str, since: datetime, now: datetime) -> int:
        return sum(1 for k, v, at in self.seen if k == kind and v == value and since <= at <= now)

    def record(self, kind: str, value: str, now: datetime) -> None:
        self.seen.append((kind, value, now))


class FakePaymentProvider:
    """A provider whose webhooks are signed with HMAC-SHA256 over the raw body (header `X-Signature`)."""

    def __init__(self, name: str = "stripe", secret: str = "fake-secret") -> None:  # noqa: S107
        self.name = name
        self.secret = secret
        self.sessions: dict[str, CheckoutRequest] = {}
        self.payment_orders: dict[str, str] = {}
        self.payments: list[ProviderPayment] = []
        self.unavailable = False

    def create_session(self, request: CheckoutRequest) -> PaymentSession:
        if self.unavailable:
            raise ProviderUnavailableError("fake provider down")
        reference = f"sess_{request.order_id}"
        self.sessions[reference] = request
        self.payment_orders[f"pi_{request.order_id}"] = request.order_id  # the payment carries our metadata
        return PaymentSession(url=f"https://pay.example/{reference}", session_reference=reference)

    def sign(self, raw_body: bytes) -> str:
        return hmac.new(self.secret.encode(), raw_body, hashlib.sha256).hexdigest()

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> dict[str, object]:
        if not hmac.compare_digest(headers.get("X-Signature", ""), self.sign(raw_body)):
            raise WebhookRejectedError("bad signature")
        verified: dict[str, object] = json.loads(raw_body)
        return verified

    def order_id_for_payment(self, payment_reference: str) -> str | None:
        if self.unavailable:
            raise ProviderUnavailableError("fake provider down")
        if payment_reference not in self.payment_orders:
            raise ProviderRejectedError(f"no payment {payment_reference}")
        return self.payment_orders[payment_reference]

    def payments_between(self, start: datetime, end: datetime) -> list[ProviderPayment]:
        if self.unavailable:
            raise ProviderUnavailableError("fake provider down")
        return [p for p in self.payments if start <= p.created_at < end]


class FakePlatform:
    """The accounts part of a trading platform (`PlatformAccounts`): it can be down (`fail_next`), creates
    accounts and finds them by reference, and records the access set on each."""

    name: PlatformName = "match-trader"
    server = "Fake-Demo"

    def __init__(self) -> None:
        self.accounts: dict[str, dict[str, object]] = {}
        self.users: set[str] = set()
        self.fail_next = 0
        self.created = 0
        self._lock = threading.Lock()

    def _maybe_fail(self) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise PlatformUnavailableError("fake platform down")

    def find_account(self, reference: str, email: str) -> OpenedAccount | None:
        self._maybe_fail()
        for account_id, account in self.accounts.items():
            if account["reference"] == reference:
                return OpenedAccount(self._ref(account_id), self.server)
        return None

    def create_account(self, request: NewAccount) -> OpenedAccount:
        self._maybe_fail()
        with self._lock:
            self.created += 1
            account_id = f"pa_{self.created}"
            new_user = request.email not in self.users
            self.users.add(request.email)
            self.accounts[account_id] = {
                "reference": request.reference,
                "login": str(700000 + self.created),
                "enabled": True,
                "access": TradingAccess.ENABLED,
                "challenge_id": request.group,
            }
        return OpenedAccount(self._ref(account_id), self.server, "pw" if new_user else None)

    def set_access(self, account: AccountRef, access: TradingAccess) -> None:
        self._maybe_fail()
        record = self.accounts[account.platform_account_id]
        record["access"] = access
        record["enabled"] = access is TradingAccess.ENABLED

    def _ref(self, account_id: str) -> AccountRef:
        account = self.accounts[account_id]
        return AccountRef(self.name, account_id, str(account["login"]), str(account["challenge_id"]))


class InMemoryAccounts:
    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}

    def open(self, account: Account) -> bool:
        if account.account_id in self.accounts:
            return False
        self.accounts[account.account_id] = account
        return True

    def get(self, account_id: str, consistent: bool = False) -> Account | None:
        return self.accounts.get(account_id)

    def set_status(
        self,
        account_id: str,
        status: AccountStatus,
        reason: str,
        at: datetime,
        expected: Sequence[AccountStatus],
    ) -> bool:
        account = self.accounts.get(account_id)
        if account is None or account.status not in expected:
            return False
        self.accounts[account_id] = replace(account, status=status, status_reason=reason, updated_at=at)
        return True


@dataclass
class InMemoryLogins:
    """The platform logins kept for the API (`AccountLogins`), by account."""

    logins: dict[str, AccountLogin] = field(default_factory=dict)

    def put(self, login: AccountLogin) -> None:
        self.logins[login.account_id] = login


@dataclass
class InMemoryTraders:
    profiles: dict[str, TraderProfile] = field(default_factory=dict)

    def get(self, trader_id: str) -> TraderProfile | None:
        return self.profiles.get(trader_id)


@dataclass
class InMemoryReviews:
    flags: list[tuple[str, str, str]] = field(default_factory=list)

    def flag(self, trader_id: str, order_id: str, reason: str, at: datetime) -> None:
        self.flags.append((trader_id, order_id, reason))


def demo_version(program_id: str, version: int = 1, published_at: datetime | None = None) -> ProgramVersion:
    """A minimal program version document with what provisioning reads."""
    from datetime import UTC

    return ProgramVersion(
        program_id=program_id,
        version=version,
        document={
            "program_id": program_id,
            "currency": "USD",
            "initial_balance": str(Decimal(100000)),
            "timezone": "Europe/Prague",
            "day_starts_at": "00:00",
            "platform": {"challenge_id": f"challenge-{program_id}"},
        },
        published_at=published_at or datetime(2026, 1, 1, tzinfo=UTC),
    )
