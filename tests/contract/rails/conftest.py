"""One world per rail for the contract tests: the Bridge adapter against the Bridge fake, the Wise adapter
against the Wise fake, and the in-memory double; each with a shared clock the tests move, a webhook receiver
(a local HTTP endpoint the fakes POST to) that can answer 500 to test redelivery, and the rail's switches."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from propdesk.adapters.rails.bridge import BridgeCredentials, BridgeStablecoinRail
from propdesk.adapters.rails.wise import WiseBankRail, WiseCredentials
from propdesk.rails.destinations import Destination, iban_account, stablecoin_wallet
from propdesk.rails.port import PaymentOrder, PayoutRail, RailStatusUpdate

from fakes.bridge import CUSTOMER_ID, WALLET_ID, FakeBridge
from fakes.server import FakeService, Reply
from fakes.webhook_outbox import WebhookOutbox
from fakes.wise import FakeWise
from tests.doubles.rails import InMemoryRail

START = datetime(2026, 6, 1, 12, tzinfo=UTC).timestamp()


@dataclass
class Clock:
    now: float = START

    def seconds(self) -> float:
        return self.now

    def utc(self) -> datetime:
        return datetime.fromtimestamp(self.now, tz=UTC)


@dataclass
class Receiver:
    """Where the rail's webhooks land; `fail_next` deliveries are answered 500."""

    received: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)
    fail_next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def accept(self, body: bytes, headers: dict[str, str]) -> int:
        with self._lock:
            if self.fail_next:
                self.fail_next -= 1
                return 500
            self.received.append((body, headers))
            return 200


@dataclass
class World:
    name: str
    rail: PayoutRail
    destination: Destination
    currency: str
    clock: Clock
    receiver: Receiver
    outbox: WebhookOutbox
    settle: Callable[[str], None]
    fail: Callable[[str], None]
    return_payment: Callable[[str], None]
    lose_next_payment_response: Callable[[], None]
    fail_next_calls: Callable[[int], None]
    fail_next_reads: Callable[[int], None]
    payments_at_rail: Callable[[], int]

    def order(self, payout_id: str, amount: str = "250.00") -> PaymentOrder:
        return PaymentOrder(payout_id, Decimal(amount), self.currency, self.destination, self.clock.utc())

    updates: list[RailStatusUpdate] = field(default_factory=list)  # verified as they arrived

    def deliver(self) -> int:
        """Send the due webhooks; what arrived is verified on arrival, as the webhook endpoint does."""
        seen = len(self.receiver.received)
        delivered = self.outbox.flush()
        for body, headers in self.receiver.received[seen:]:
            update = self.rail.verify_webhook(body, headers)
            if update is not None:
                self.updates.append(update)
        return delivered


def _receiver_server(receiver: Receiver) -> FakeService:
    server = FakeService()
    server.route("POST", "/hooks", lambda request: Reply(receiver.accept(request.body, request.headers)))
    server.start()
    return server


def _no_sleep(_: float) -> None:
    return None


def _bridge(clock: Clock, receiver: Receiver, hooks: str) -> tuple[World, list[FakeService]]:
    fake = FakeBridge(clock=clock.seconds)
    fake.start()
    fake.webhook_url = hooks
    credentials = BridgeCredentials("sk-bridge-propdesk-fake", fake.public_key_pem)
    rail = BridgeStablecoinRail(
        lambda: credentials, CUSTOMER_ID, WALLET_ID, _no_sleep, api_base=fake.url, clock=clock.utc
    )
    wallet = stablecoin_wallet("USDT", "tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
    world = World(
        "bridge", rail, wallet, "USDT", clock, receiver, fake.outbox,
        settle=fake.settle, fail=fake.fail, return_payment=fake.return_payment,
        lose_next_payment_response=lambda: fake.lose_next_response(1, "/v0/transfers"),
        fail_next_calls=fake.fail_next, fail_next_reads=fake.fail_next_reads,
        payments_at_rail=lambda: len(fake.transfers),
    )  # fmt: skip
    return world, [fake]


def _wise(clock: Clock, receiver: Receiver, hooks: str) -> tuple[World, list[FakeService]]:
    fake = FakeWise(clock=clock.seconds)
    fake.start()
    fake.webhook_url = hooks
    credentials = WiseCredentials("wise-propdesk-fake-token", fake.public_key_pem)
    rail = WiseBankRail(
        lambda: credentials, fake.profile_id, "EUR", _no_sleep, api_base=fake.url, clock=clock.utc
    )
    account = iban_account("Jane Trader", "DE89370400440532013000", "EUR", "DEUTDEFF")
    world = World(
        "wise", rail, account, "EUR", clock, receiver, fake.outbox,
        settle=fake.settle, fail=fake.fail, return_payment=fake.return_payment,
        lose_next_payment_response=lambda: fake.lose_next_response(1, "/v1/transfers"),
        fail_next_calls=fake.fail_next, fail_next_reads=fake.fail_next_reads,
        payments_at_rail=lambda: len(fake.transfers),
    )  # fmt: skip
    return world, [fake]


def _memory(clock: Clock, receiver: Receiver, hooks: str) -> tuple[World, list[FakeService]]:
    rail = InMemoryRail(clock.seconds, lambda url, body, headers: receiver.accept(body, headers))
    rail.outbox.url = "memory://hooks"
    wallet = stablecoin_wallet("USDC", "ethereum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")

    def lose() -> None:
        rail.lost_responses += 1

    def fail_calls(count: int, status: int = 503) -> None:
        rail.unavailable += count

    def fail_reads(count: int) -> None:
        rail.unavailable_reads += count

    world = World(
        "memory", rail, wallet, "USDC", clock, receiver, rail.outbox,
        settle=rail.settle, fail=rail.fail, return_payment=rail.return_payment,
        lose_next_payment_response=lose, fail_next_calls=fail_calls, fail_next_reads=fail_reads,
        payments_at_rail=lambda: len(rail.payments),
    )  # fmt: skip
    return world, []


BUILDERS = {"bridge": _bridge, "wise": _wise, "memory": _memory}


@pytest.fixture(params=sorted(BUILDERS))
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    clock, receiver = Clock(), Receiver()
    server = _receiver_server(receiver)
    built, fakes = BUILDERS[request.param](clock, receiver, f"{server.url}/hooks")
    try:
        yield built
    finally:
        for fake in fakes:
            fake.stop()
        server.stop()
