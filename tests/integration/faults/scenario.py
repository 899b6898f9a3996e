"""A run of trading events and purchases through the real handlers on DynamoDB Local, with or without
injected faults, redelivering what failed the way the event sources do, until quiescent; then its final state.

- Trading events: several accounts (some breach, some pass, some just trade), their events stored as ingestion
  stores them, the table's real stream records delivered to `risk_recalc` in batches of `BATCH`. As a stream
  mapping with `ReportBatchItemFailures` does: a batch with failures is delivered again from its first failed
  record; a batch whose function died (`SimulatedCrash`) is delivered again whole.
- Purchases: `POST /v1/orders` (the trader repeats a failed one with the same Idempotency-Key), Stripe's
  signed `checkout.session.completed` (redelivered until answered 200; some paid twice), then the provisioning
  queue: one SQS message per `purchase.*` entry EventBridge accepted (duplicates included), the failed
  messages (partial batch response) or the whole batch (an exception) delivered again.

`final_state` is what must not depend on faults: risk snapshots, breach evidence, account statuses, orders and
their histories, accounts on the platform and in the table, logins mailed, and the published events
deduplicated by event id (with the count of distinct ids per logical effect: exactly one each).
"""

from __future__ import annotations

import json
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from propdesk.adapters.clock import SystemClock
from propdesk.adapters.eventbridge import EventBridgePublisher
from propdesk.adapters.platform import EventBusAccountControl
from propdesk.data.account_status import PurchaseAccountBook
from propdesk.data.accounts import AccountRepository
from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.deadlines import DeadlineRepository
from propdesk.data.events import TradingEventRepository
from propdesk.data.orders import OrderRepository
from propdesk.data.risk import BreachRepository, RiskStateRepository
from propdesk.purchases.fulfilment import account_id_for
from propdesk.services.risk import RiskService, RiskStores

from functions.provisioning import handler as provisioning
from functions.risk_recalc import handler as risk_recalc
from tests.integration.dynamodb_local import REGION, DynamoDBLocal, TableNames
from tests.integration.faults.injector import FaultInjector, FaultRates, LocalEventBridge, SimulatedCrash
from tests.integration.invoke import json_of
from tests.integration.purchases.purchase_stack_world import CONTEXT, PurchaseStack, start_stack, stop_stack
from tests.integration.risk_world import RiskWorld

BATCH = 10
MAX_DELIVERIES = 60  # per batch or message: a run that needs more has lost something (the test fails)
PROFILES = ("breach", "pass", "trade")
VISIBILITY_TIMEOUT = 360.0  # the provisioning queue's (infra: 6 x the function's 60 s timeout)


@dataclass
class RunResult:
    state: dict[str, Any]
    faults: Counter[str]
    trading_events: int
    purchases: int
    redeliveries: int
    max_receives: int
    restamped: int


def run(
    server: DynamoDBLocal,
    tables: TableNames,
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    rates: FaultRates,
    accounts: int = 3,
    events_per_account: int = 10,
    purchases: int = 4,
    redeliver: bool = True,
) -> RunResult:
    """One run on `tables` (fresh, bound); the scenario depends on `seed` only, the faults on `rates` too.
    `redeliver=False` drops what failed instead (the control: the comparison must see what that loses)."""
    scenario = random.Random(seed)
    bus = LocalEventBridge()
    raw = boto3.client(
        "dynamodb",
        endpoint_url=server.endpoint_url,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    injector = FaultInjector(seed + 1, rates, bus, raw)
    stack = start_stack(monkeypatch)
    monkeypatch.setattr("propdesk.adapters.eventbridge.EventBridgePublisher", EventBridgePublisher)
    clock = _InstantTime()
    monkeypatch.setattr("propdesk.wiring.purchases.time", clock)
    monkeypatch.setattr(SystemClock, "now", lambda _: clock.now())
    try:
        with injector.installed():
            risk = _RiskRun(server, tables, scenario, injector, accounts, events_per_account)
            risk.redeliver = redeliver
            risk.run()
            shop = _PurchaseRun(stack, scenario, injector, bus, purchases, clock)
            shop.redeliver = redeliver
            shop.run()
            state = {
                "risk": risk.state(),
                "purchases": shop.state(),
                "published": published(bus, shop.labels()),
            }
    finally:
        stop_stack(stack)
    return RunResult(
        state,
        injector.counts,
        risk.events,
        purchases,
        risk.redeliveries + shop.redeliveries,
        shop.max_receives,
        restamped(bus),
    )


class _InstantTime:
    """The purchase wiring's `time`: a sleep (back-off, rate limiting) moves the clock, takes no time. The
    handlers' `SystemClock` too: a failed message comes back after the queue's visibility timeout."""

    def __init__(self) -> None:
        import time

        self._time = time
        self._offset = 0.0

    def time(self) -> float:
        return self._time.time() + self._offset

    def monotonic(self) -> float:
        return self._time.monotonic() + self._offset

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self._offset)

    def sleep(self, seconds: float) -> None:
        self._offset += max(seconds, 0.0)


# ------------------------------------------------------------------ trading events


def trading_day(profile: str, rng: random.Random, count: int) -> list[dict[str, str]]:
    """`count` events of one account: a `breach` ends below the daily loss limit, a `pass` reaches the
    target over four days, a `trade` wanders inside the limits."""
    events: list[dict[str, str]] = []
    if profile == "pass":
        days = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]
        for number, day in enumerate(days, start=1):
            events.append(_opened(f"o{number}", f"{day}T10:00:00+01:00", f"p{number}"))
            events.append(_closed(f"c{number}", f"{day}T11:00:00+01:00", f"p{number}", "2600.00"))
    else:
        events.append(_opened("o1", "2026-03-02T09:00:00+01:00", "p1"))
    level = 100000
    minute = 0
    while len(events) < count:
        minute += 7
        step = rng.randint(-900, 600) if profile == "breach" else rng.randint(-300, 300)
        level = max(level + step, 96000) if profile != "breach" else level + step
        day = "2026-03-06" if profile == "pass" else "2026-03-02"
        time = f"{day}T{12 + minute // 60:02d}:{minute % 60:02d}:00+01:00"
        events.append(
            {"event_id": f"q{len(events)}", "time": time, "type": "equity", "equity": f"{level}.00"}
        )
    if profile == "breach":
        events[-1] = {**events[-1], "equity": "94000.00"}
    return events


def _opened(event_id: str, time: str, position: str) -> dict[str, str]:
    return {
        "event_id": event_id,
        "time": time,
        "type": "position_opened",
        "position_id": position,
        "symbol": "EURUSD",
        "side": "buy",
        "volume": "1.0",
    }


def _closed(event_id: str, time: str, position: str, profit: str) -> dict[str, str]:
    return {
        "event_id": event_id,
        "time": time,
        "type": "position_closed",
        "position_id": position,
        "profit": profit,
    }


class _RiskRun:
    def __init__(
        self,
        server: DynamoDBLocal,
        tables: TableNames,
        rng: random.Random,
        injector: FaultInjector,
        accounts: int,
        per_account: int,
    ) -> None:
        self.injector = injector
        self.worlds = [RiskWorld.open(server, tables, f"acct-{n}") for n in range(accounts)]
        self.plans = [trading_day(PROFILES[n % 3], rng, per_account) for n in range(accounts)]
        self.events = sum(len(plan) for plan in self.plans)
        self.redeliveries = 0
        self.redeliver = True
        clock = self.worlds[0].clock
        publisher = EventBridgePublisher("propdesk-test")
        stores = RiskStores(
            AccountRepository(),
            CatalogueRepository(),
            TradingEventRepository(),
            RiskStateRepository(),
            BreachRepository(),
            DeadlineRepository(),
        )
        service = RiskService(stores, publisher, EventBusAccountControl(publisher, clock), clock)
        self.dependencies = risk_recalc.Dependencies(service, TradingEventRepository.from_stream_image)

    def run(self) -> None:
        for world, plan in zip(self.worlds, self.plans, strict=True):
            world.store(*plan)  # ingestion: not under test here
        records = [record for world in self.worlds for record in world.stream()]
        records.sort(key=lambda record: record["dynamodb"]["SequenceNumber"].rjust(40, "0"))
        self.injector.active = True
        try:
            for start in range(0, len(records), BATCH):
                self._deliver(records[start : start + BATCH])
        finally:
            self.injector.active = False

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        """As the stream mapping does: again from the first failed record, or whole after a crash."""
        for _ in range(MAX_DELIVERIES):
            try:
                response = risk_recalc.process({"Records": batch}, CONTEXT, self.dependencies)
            except SimulatedCrash:
                failed = {record["dynamodb"]["SequenceNumber"] for record in batch}
            else:
                failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
            if not failed or not self.redeliver:
                return
            self.redeliveries += 1
            first = next(i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed)
            batch = batch[first:]
        raise AssertionError(f"a stream batch still failing after {MAX_DELIVERIES} deliveries")

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = {}
        for world in self.worlds:
            account_id = world.account.account_id
            snapshot = RiskStateRepository().get(account_id)
            account = AccountRepository().get(account_id)
            assert snapshot is not None and account is not None
            evaluation = snapshot.evaluation
            state[account_id] = {
                "status": (account.status, account.status_reason),
                "evaluation": {k: evaluation[k] for k in ("status", "breaches", "metrics")},
                "applied_events": snapshot.applied_events,
                "last_event_sk": snapshot.last_event_sk,
                "pending_effects": len(snapshot.pending),
                "warnings_sent": snapshot.warnings_sent,
                "evidence": [
                    (b.rule, b.effect, str(b.limit), str(b.value), b.event_id)
                    for b in BreachRepository().list_for_account(account_id).items
                ],
            }
        return state


# ------------------------------------------------------------------ purchases


class _PurchaseRun:
    def __init__(
        self,
        stack: PurchaseStack,
        rng: random.Random,
        injector: FaultInjector,
        bus: LocalEventBridge,
        count: int,
        clock: _InstantTime,
    ) -> None:
        self.stack, self.injector, self.bus, self.clock = stack, injector, bus, clock
        self.max_receives = 1  # the most a message was received (the queue's maxReceiveCount is 5)
        self.plan = [rng.choice(("paid", "paid", "paid_twice", "unpaid")) for _ in range(count)]
        self.orders: dict[str, str] = {}  # label → order id
        self.redeliveries = 0
        self.redeliver = True

    def run(self) -> None:
        self.injector.active = True
        try:
            for n, outcome in enumerate(self.plan):
                label = f"purchase-{n}"
                order_id = self._order(f"trader-{n}", f"key-{n}")
                self.orders[label] = order_id
                if outcome == "unpaid":
                    continue
                session = next(
                    s["id"]
                    for s in self.stack.stripe.sessions.values()
                    if s["metadata"]["order_id"] == order_id
                )
                payment = self.stack.stripe.pay(session)
                for _ in range(2 if outcome == "paid_twice" else 1):
                    self._webhook(payment)
            self._provision()
        finally:
            self.injector.active = False

    def _order(self, trader: str, key: str) -> str:
        """The trader repeats a failed order with the same Idempotency-Key until it is answered."""
        for _ in range(MAX_DELIVERIES):
            if self.injector.provider_fault() is not None:
                self.stack.stripe.fail_next(3, 503)  # beyond the SDK's own two retries
            try:
                answer = self.stack.order(trader, key=key)
            except (Exception, SimulatedCrash):  # (the function failed: API Gateway answers 502)
                answer = {"statusCode": 502}
            if answer["statusCode"] in (200, 201):
                return str(json_of(answer)["order"]["order_id"])
            self.redeliveries += 1
        raise AssertionError("an order never answered")

    def _webhook(self, payment: dict[str, Any]) -> None:
        """Stripe delivers until it is answered 200 (signed afresh each time)."""
        for _ in range(MAX_DELIVERIES):
            try:
                answer = self.stack.deliver_stripe(payment)
            except (Exception, SimulatedCrash):
                answer = {"statusCode": 502}
            if answer["statusCode"] == 200:
                return
            self.redeliveries += 1
        raise AssertionError("a Stripe delivery never answered 200")

    def _provision(self) -> None:
        """The provisioning queue: each accepted `purchase.*` entry a message, failed ones delivered again."""
        queue = [_sqs_message(entry) for entry in self.bus.take("purchase.")]
        rounds, last_failure = 0, ""
        while queue:
            rounds += 1
            if rounds > MAX_DELIVERIES:
                raise AssertionError(f"provisioning messages still failing: {last_failure}")
            batch, queue = queue[:BATCH], queue[BATCH:]
            fault = self.injector.provider_fault()
            if fault == "5xx":
                self.stack.match_trader.fail_next(1, 503)
            elif fault == "drop":
                self.stack.match_trader.fail_after_next("POST", "/v1/prop/accounts", "drop")
            try:
                response = provisioning.handler({"Records": batch}, CONTEXT)
                failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
                last_failure = f"{len(failed)} of {len(batch)} messages reported failed"
            except (Exception, SimulatedCrash) as error:  # the function failed: every message comes back
                failed, last_failure = {message["messageId"] for message in batch}, repr(error)
            if failed and self.redeliver:
                self.redeliveries += 1
                self.clock.sleep(VISIBILITY_TIMEOUT)
                for message in batch:
                    if message["messageId"] in failed:
                        receives = int(message["attributes"]["ApproximateReceiveCount"]) + 1
                        message["attributes"]["ApproximateReceiveCount"] = str(receives)
                        self.max_receives = max(self.max_receives, receives)
                        queue.append(message)
            queue += [_sqs_message(entry) for entry in self.bus.take("purchase.")]

    def labels(self) -> dict[str, str]:
        """The order ids and purchased account ids (random in each run) → names stable across runs."""
        labels = {account_id_for(order_id): f"{label}-account" for label, order_id in self.orders.items()}
        return labels | {order_id: label for label, order_id in self.orders.items()}

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = {}
        orders = OrderRepository()
        for label, order_id in self.orders.items():
            order = orders.get(order_id)
            assert order is not None
            account = PurchaseAccountBook().get(account_id_for(order_id))
            on_platform = self.stack.match_trader.accounts_named(f"propdesk:{order_id}")
            email = f"trader-{label.removeprefix('purchase-')}@example.com"
            state[label] = {
                "order": (order.status, str(order.total), order.program_version),
                "history": [step.to_status for step in orders.history(order_id)],
                "account": None if account is None else (account.status, account.program_id),
                "platform_accounts": len(on_platform),
                "mails": sum(1 for r in self.stack.ses.requests if f'"{email}"' in json.dumps(r)),
            }
        return state


def _sqs_message(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "messageId": str(uuid.uuid4()),
        "receiptHandle": "local",
        "body": json.dumps(
            {
                "version": "0",
                "id": entry["bus_id"],
                "detail-type": entry["DetailType"],
                "source": entry["Source"],
                "account": "123456789012",
                "time": "2026-03-02T00:00:00Z",
                "region": REGION,
                "resources": [],
                "detail": entry["detail"],
            }
        ),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:propdesk-test-provisioning",
        "awsRegion": REGION,
    }


# ------------------------------------------------------------------ the published events

VOLATILE = {
    "event_id",
    "occurred_at",
    "login",
    "created_at",
    "updated_at",
    "paid_at",
    "session_id",
    "payment_id",
    "requested_at",
    "platform_account_id",
    "password",
}


def published(bus: LocalEventBridge, labels: dict[str, str]) -> dict[str, Any]:
    """The distinct events (by event id), as a multiset of their lasting content per detail-type, and how
    many distinct ids each logical effect got (must be one: a second id is a doubled effect)."""
    by_id: dict[str, dict[str, Any]] = {}
    conflicting = 0
    for entry in bus.entries:
        detail = entry["detail"]
        seen = by_id.setdefault(detail["event_id"], entry)
        if _lasting(seen["detail"]) != _lasting(detail):
            conflicting += 1
    contents: Counter[str] = Counter()
    for entry in by_id.values():
        lasting = _lasting(entry["detail"])
        text = json.dumps([entry["DetailType"], lasting], sort_keys=True, default=str)
        for random_id, label in labels.items():
            text = text.replace(random_id, label)
        contents[text] += 1
    return {
        "distinct": dict(sorted(contents.items())),
        "same_id_different_content": conflicting,
        "doubled_effects": sum(count - 1 for count in contents.values() if count > 1),
    }


def _lasting(detail: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in detail.items() if k not in VOLATILE}


def restamped(bus: LocalEventBridge) -> int:
    """Events published again under their id with another `occurred_at` (the same content otherwise)."""
    first: dict[str, Any] = {}
    return sum(
        1
        for entry in bus.entries
        if first.setdefault(entry["detail"]["event_id"], entry["detail"]["occurred_at"])
        != entry["detail"]["occurred_at"]
    )


def differences(clean: Any, faulty: Any, path: str = "") -> list[str]:
    """Where two final states differ (each a path and both values)."""
    if isinstance(clean, dict) and isinstance(faulty, dict):
        found: list[str] = []
        for key in sorted(set(clean) | set(faulty), key=str):
            found += differences(clean.get(key, "<missing>"), faulty.get(key, "<missing>"), f"{path}/{key}")
        return found
    return [] if clean == faulty else [f"{path}: {clean!r} != {faulty!r}"]


__all__ = ["RunResult", "differences", "run"]
