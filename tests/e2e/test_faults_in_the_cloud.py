"""Faults injected into the local cloud itself: the deployed stack, with every function's AWS calls going
through a fault proxy (`fakes/fault_proxy.py`) that throttles a share of DynamoDB writes (in bursts that
outlast the SDK's retries) and half-fails EventBridge `PutEvents`. The same workload runs twice against one
deployment, first with the proxy off, then on (through the workload and a fault window after it, then off: an
outage ends, and what it broke must then heal), under different ids: trading events through
`POST /v1/platform/events` (one account breaches its daily loss, one stays within it) and purchases through
the API (order, signed Stripe webhook, provisioning). Clients act as clients do (an order repeated with its
`Idempotency-Key` after a 5xx, a webhook redelivered until it is answered 2xx); effects a failed risk step
left pending are performed by the outbox sweep (every minute, once two minutes old), which each phase waits
for. The final states, named by the workload's own names, must be equal: nothing lost, nothing doubled.

Heavy (a deployment, then minutes of redeliveries: the provisioning queue hides a failed message for six
minutes; about 20 minutes here): run it alone, under the e2e lock, and only when asked (`E2E_FAULTS=1`):

    E2E_FAULTS=1 flock /tmp/e2e.lock .venv/bin/python -m pytest tests/e2e/test_faults_in_the_cloud.py -q -s
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fakes.fault_proxy import FaultPlan
from tests.e2e.harness import HttpAnswer, eventually
from tests.e2e.platform_cloud import open_placed_account
from tests.e2e.purchase_cloud_world import PurchaseCloud, purchase_cloud

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(3600),
    pytest.mark.skipif(os.environ.get("E2E_FAULTS") != "1", reason="heavy: E2E_FAULTS=1 runs it"),
]

PLAN = FaultPlan(seed=7, dynamodb_throttle=0.08, throttle_burst=5, put_events_partial=0.3)
PURCHASES = 3
EQUITIES = {"breach": ("97000.00", "94900.00", "96000.00"), "calm": ("99000.00", "98000.00", "101000.00")}
# the provisioning queue's visibility timeout (6 min) can pass twice; effects a failed risk step left pending
# are performed by the outbox sweep (every minute, once two minutes old: docs/faults.md)
SETTLE_SECONDS = 900
# faults go on through the workload and this long after it (the first redeliveries and sweeps meet them too),
# then off: with throttle bursts that outlast the SDK's retries on every call forever, a queue's message would
# end in its DLQ after five receives, which is the DLQ's job, not a loss to look for here
FAULT_WINDOW_SECONDS = 180


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PurchaseCloud]:
    workdir: Path = tmp_path_factory.mktemp("fault-cloud")
    with purchase_cloud(workdir, fault_plan=PLAN) as started:
        yield started


def until_answered(call: Any, attempts: int = 30) -> HttpAnswer:
    """A client's retry: the same request again after a 5xx or no answer (each call is idempotent)."""
    answer: HttpAnswer | None = None
    for _ in range(attempts):
        try:
            answer = call()
        except OSError:
            answer = None
        if answer is not None and answer.status < 500:
            return answer
        time.sleep(2)
    raise AssertionError(f"no answer below 500 after {attempts} attempts: {answer}")


def trade(cloud: PurchaseCloud, tag: str) -> dict[str, Any]:
    """Two accounts, each also open on the fake Match-Trader: `breach` loses more than the daily 5%, `calm`
    stays within it. Returns each one's account id and platform login."""
    opened_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    accounts = {}
    for name, equities in EQUITIES.items():
        account_id = f"fault-{tag}-{name}-{uuid.uuid4().hex[:6]}"
        opened = open_placed_account(cloud.stack, cloud.match_trader, account_id, opened_at)
        accounts[name] = {"account_id": account_id, "login": opened.platform.login}
        for n, equity in enumerate(equities):  # one request each: more batches, more places for faults
            event = {"event_id": f"e{n}", "time": (opened_at + timedelta(minutes=n + 1)).isoformat()}
            event.update(type="equity", equity=equity)
            answer = until_answered(
                lambda account_id=account_id, event=event: cloud.stack.push_events(account_id, [event])
            )
            assert answer.status == 202, answer.body
    return accounts


def buy(cloud: PurchaseCloud, token: str, tag: str) -> list[str]:
    orders = []
    for n in range(PURCHASES):
        key = f"fault-{tag}-{n}-{uuid.uuid4().hex[:6]}"
        body = {"program_id": "two-step-100k-phase-1", "currency": "USD", "payment_method": "card"}
        placed = until_answered(
            lambda key=key, body=body: cloud.stack.http(
                "POST", "/v1/orders", body, {"Authorization": token, "Idempotency-Key": key}
            )
        )
        assert placed.status in (200, 201), placed.body
        order_id = placed.body["order"]["order_id"]
        session = next(s for s in cloud.stripe.sessions.values() if s["metadata"]["order_id"] == order_id)
        paid = cloud.stripe.pay(session["id"])
        delivered = until_answered(lambda paid=paid: cloud.deliver_stripe(paid))
        assert delivered.status == 200, delivered.body
        orders.append(order_id)
    return orders


def final_state(
    cloud: PurchaseCloud, token: str, accounts: dict[str, Any], orders: list[str]
) -> dict[str, Any]:
    """What must not differ, named by the workload's names (not by ids)."""
    table, dynamodb = cloud.stack.outputs["TableName"], cloud.stack.client("dynamodb")

    def account(account_id: str, login: str) -> Any:
        view = cloud.stack.http("GET", f"/v1/accounts/{account_id}", headers={"Authorization": token})
        risk = dynamodb.get_item(
            TableName=table,
            Key={"pk": {"S": f"ACCOUNT#{account_id}"}, "sk": {"S": "RISK"}},
            ConsistentRead=True,
        ).get("Item", {})
        pending = [effect["kind"] for effect in json.loads(risk.get("pending", {}).get("S") or "[]")]
        breaches = [str(b.get("rule")) for b in view.body.get("breaches") or []]
        return {
            "status": view.body["account"]["status"],
            "breaches": sorted(breaches),
            "pending_effects": pending,
            "platform_access": cloud.match_trader.access.get(login),
        }

    def order(order_id: str) -> Any:
        seen = cloud.stack.http("GET", f"/v1/orders/{order_id}", headers={"Authorization": token}).body
        return {
            "status": seen["order"]["status"],
            "history": [step["to_status"] for step in seen.get("history", [])],
            "platform_accounts": len(cloud.match_trader.accounts_named(f"propdesk:{order_id}")),
        }

    return {
        "accounts": {name: account(**ids) for name, ids in accounts.items()},
        "orders": [order(order_id) for order_id in orders],
    }


def settled(
    cloud: PurchaseCloud, token: str, accounts: dict[str, Any], orders: list[str]
) -> dict[str, Any] | None:
    try:
        state = final_state(cloud, token, accounts, orders)
    except OSError:  # the local cloud too busy to answer in time: look again at the next interval
        return None
    breach = state["accounts"]["breach"]
    # the breach found and all its effects done: by the step itself, its record delivered again, or the outbox
    # sweep (the emulator's stream mapping drops a record reported failed; the sweep performs what it left)
    failed = bool(breach["breaches"]) and breach["status"] == "failed"
    disabled = breach["platform_access"] == "TRADING_DISABLED"
    nothing_pending = not any(a["pending_effects"] for a in state["accounts"].values())
    provisioned = all(o["status"] == "provisioned" for o in state["orders"])
    return state if failed and disabled and nothing_pending and provisioned else None


def run_phase(cloud: PurchaseCloud, tag: str, faults: bool = False) -> dict[str, Any]:
    assert cloud.proxy is not None
    token, started = cloud.token(), time.monotonic()
    cloud.proxy.enabled = faults
    accounts, orders = trade(cloud, tag), buy(cloud, token, tag)
    outage_ends = threading.Timer(FAULT_WINDOW_SECONDS, lambda: setattr(cloud.proxy, "enabled", False))
    outage_ends.start()
    with contextlib.suppress(AssertionError):  # compared below: a difference says what was lost
        eventually(lambda: settled(cloud, token, accounts, orders), timeout=SETTLE_SECONDS, interval=10)
    settled_after = time.monotonic() - started
    outage_ends.cancel()
    cloud.proxy.enabled = False
    time.sleep(20)  # late redeliveries: a doubled effect would show now
    state = final_state(cloud, token, accounts, orders)
    print(f"\n{tag}: settled {settled_after:.0f} s after the workload started")
    return state


def differences(calm: Any, faulty: Any, path: str = "") -> list[str]:
    """Where two states differ, as `path: fault-free != faulty`."""
    if isinstance(calm, dict) and isinstance(faulty, dict):
        return [d for k in sorted(calm.keys() | faulty.keys()) for d in
                differences(calm.get(k), faulty.get(k), f"{path}/{k}")]  # fmt: skip
    if isinstance(calm, list) and isinstance(faulty, list) and len(calm) == len(faulty):
        return [d for n, (c, f) in enumerate(zip(calm, faulty, strict=True)) for d in
                differences(c, f, f"{path}/{n}")]  # fmt: skip
    return [] if calm == faulty else [f"{path}: {calm!r} != {faulty!r}"]


@pytest.fixture(scope="module")
def phases(cloud: PurchaseCloud) -> dict[str, dict[str, Any]]:
    """The workload without faults, then with them; the faults injected."""
    assert cloud.proxy is not None
    calm = run_phase(cloud, "calm")
    faulty = run_phase(cloud, "faulty", faults=True)
    injected = dict(cloud.proxy.injected)
    events = sum(len(equities) for equities in EQUITIES.values())
    print(f"\nper phase: {events} trading events on {len(EQUITIES)} accounts, {PURCHASES} purchases")
    print(f"faults injected: {sum(injected.values())} {injected}; forwarded: {dict(cloud.proxy.forwarded)}")
    print(f"fault-free: {calm}\nfaulty:     {faulty}")
    found = differences(calm, faulty)
    print(f"differences: {len(found)}" + "".join(f"\n  {d}" for d in found))
    assert sum(injected.values()) > 0
    return {"calm": calm, "faulty": faulty}


def test_purchases_end_as_in_a_fault_free_run(phases: dict[str, dict[str, Any]]) -> None:
    assert all(order["status"] == "provisioned" for order in phases["calm"]["orders"])
    assert phases["faulty"]["orders"] == phases["calm"]["orders"]


def test_trading_accounts_end_as_in_a_fault_free_run(phases: dict[str, dict[str, Any]]) -> None:
    calm = phases["calm"]["accounts"]
    assert calm["breach"]["status"] == "failed" and calm["calm"]["status"] == "active"
    assert calm["breach"]["platform_access"] == "TRADING_DISABLED"
    assert calm["calm"]["platform_access"] == "FULL"
    assert phases["faulty"]["accounts"] == calm
