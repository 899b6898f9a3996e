"""Purchase burst in the local cloud: the real stack deployed into ministack with fake Stripe and
Match-Trader, then a burst of N purchases (default 500, a 10x registration spike) from signed-in traders.

Measured in one run, side by side:
- `POST /v1/orders` (N, `--concurrency` at a time): throughput and p50/p99 latency;
- Stripe webhooks: every payment delivered twice, shuffled (2N deliveries): throughput and p50/p99;
- a baseline round trip through the same gateway and emulator (`GET /v1/programs`), and each p99 as a ratio
  to it (what the purchase logic costs on top of a Lambda call);
- provisioning: time until every paid order has its account on the platform (bounded by Match-Trader's
  500 requests a minute), and the platform's 429 count;
- correctness: orders stored, paid, provisioned; accounts on the platform and in the table: zero lost, zero
  duplicated.

    .venv/bin/python benchmarks/purchases_bench.py [--orders 500] [--concurrency 16] [--platform-rpm 500]
"""

from __future__ import annotations

import argparse
import functools
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from scripts.local_cloud.seed import DEMO_PASSWORD, ensure_user  # noqa: E402
from scripts.local_cloud.tokens import admin_id_token  # noqa: E402
from tests.e2e.harness import HttpAnswer, bind_data_layer  # noqa: E402
from tests.e2e.purchase_cloud_world import PurchaseCloud, purchase_cloud  # noqa: E402

PROGRAM = {"program_id": "two-step-100k-phase-1", "currency": "USD", "payment_method": "card"}
# A registration spike is many new traders buying one or two challenges each; each stays well inside the
# per-trader order limit (10 per 10 minutes), so the burst measures the purchase path, not the limiter.
ORDERS_PER_TRADER = 5


def timed(call: Callable[[], HttpAnswer]) -> tuple[float, HttpAnswer]:
    """One call and its latency; a client-side timeout counts as status 0 (the caller retries it)."""
    started = time.perf_counter()
    try:
        answer = call()
    except TimeoutError:
        answer = HttpAnswer(status=0, body=None, headers={})
    return time.perf_counter() - started, answer


def burst(
    calls: Sequence[Callable[[], Any]], concurrency: int
) -> tuple[float, list[tuple[float, HttpAnswer]]]:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(timed, calls))
    return time.perf_counter() - started, results


def retry_failed(
    calls: Sequence[Callable[[], Any]], results: list[tuple[float, HttpAnswer]], ok: set[int]
) -> tuple[list[HttpAnswer], int]:
    """Repeat what failed (timeouts, 5xx) the way clients and Stripe do, until it succeeds: the final answers
    and how many repeats it took."""
    answers = [answer for _, answer in results]
    repeats = 0
    for index, answer in enumerate(answers):
        while answer.status not in ok and repeats < 10 * len(answers):
            repeats += 1
            time.sleep(1)
            answer = timed(calls[index])[1]
        answers[index] = answer
    return answers, repeats


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def report(
    name: str, wall: float, results: list[tuple[float, HttpAnswer]], baseline_p99: float | None
) -> float:
    latencies = [seconds for seconds, _ in results]
    statuses = Counter(answer.status for _, answer in results)
    p99 = percentile(latencies, 0.99)
    print(f"purchases.{name}.count: {len(results)}")
    print(f"purchases.{name}.statuses: {dict(sorted(statuses.items()))}")
    print(f"purchases.{name}.throughput: {len(results) / wall:.1f} /s")
    print(f"purchases.{name}.p50: {statistics.median(latencies) * 1000:.0f} ms")
    print(f"purchases.{name}.p99: {p99 * 1000:.0f} ms")
    if baseline_p99:
        print(f"purchases.{name}.p99_vs_baseline: {p99 / baseline_p99:.2f} x")
    return p99


def trader_tokens(shop: PurchaseCloud, count: int) -> list[str]:
    """`count` signed-in traders of the spike (created in the local cloud's user pool)."""
    cognito = shop.stack.client("cognito-idp")
    outputs = shop.stack.outputs
    tokens = []
    for n in range(count):
        email = f"spike-{n:04d}@bench.propdesk.local"
        ensure_user(cognito, outputs["UserPoolId"], email, "trader")
        tokens.append(admin_id_token(cognito, outputs, email, DEMO_PASSWORD))
    return tokens


def run(shop: PurchaseCloud, orders: int, concurrency: int, timeout: float) -> int:
    token = shop.token()
    auth = {"Authorization": token}
    http = shop.stack.http
    buyers = trader_tokens(shop, -(-orders // ORDERS_PER_TRADER))
    print(f"purchases.traders: {len(buyers)} ({ORDERS_PER_TRADER} orders each)")

    # Warm-up (not measured): one round of concurrent calls per function, as a spike meets warm instances.
    ignored = shop.stripe.event("customer.created", {"id": "cus_warm", "object": "customer"})
    warm: list[Callable[[], Any]] = [functools.partial(http, "GET", "/v1/programs")] * concurrency
    warm += [functools.partial(shop.deliver_stripe, ignored)] * concurrency
    warm += [functools.partial(http, "POST", "/v1/orders", {"program_id": "none"}, auth)] * concurrency
    burst(warm, concurrency)

    wall, results = burst(
        [functools.partial(http, "GET", "/v1/programs")] * max(50, orders // 5), concurrency
    )
    baseline_p99 = report("baseline_get_programs", wall, results, None)

    keys = [f"bench-{uuid.uuid4().hex}" for _ in range(orders)]
    calls = [
        functools.partial(
            http, "POST", "/v1/orders", PROGRAM,
            {"Authorization": buyers[n // ORDERS_PER_TRADER], "Idempotency-Key": key},
        )
        for n, key in enumerate(keys)
    ]  # fmt: skip
    wall, placed = burst(calls, concurrency)
    report("post_orders", wall, placed, baseline_p99)
    answers, repeats = retry_failed(calls, placed, ok={200, 201})
    print(f"purchases.post_orders.client_retries_same_key: {repeats}")
    order_ids = [answer.body["order"]["order_id"] for answer in answers if answer.status in (200, 201)]
    print(f"purchases.post_orders.distinct_orders: {len(set(order_ids))} of {orders} requests")

    sessions = {s["metadata"]["order_id"]: s["id"] for s in shop.stripe.sessions.values()}
    events = [shop.stripe.pay(sessions[order_id]) for order_id in set(order_ids)]
    deliveries = events * 2
    random.Random(7).shuffle(deliveries)
    calls = [functools.partial(shop.deliver_stripe, event) for event in deliveries]
    provisioning_started = time.perf_counter()
    wall, delivered = burst(calls, concurrency)
    report("stripe_webhooks", wall, delivered, baseline_p99)
    answers, repeats = retry_failed(calls, delivered, ok={200})
    print(f"purchases.stripe_webhooks.provider_redeliveries: {repeats}")
    outcomes = Counter(answer.body.get("result") for answer in answers if isinstance(answer.body, dict))
    print(f"purchases.stripe_webhooks.results: {dict(sorted(outcomes.items(), key=str))}")

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(shop.match_trader.prop_accounts) < len(set(order_ids)):
        time.sleep(2)
    print(f"purchases.provisioning.all_accounts_after: {time.perf_counter() - provisioning_started:.0f} s")
    time.sleep(10)  # let any duplicate (there should be none) show up
    print(f"purchases.provisioning.platform_429s: {shop.match_trader.rate_limited}")
    return verify(shop, sorted(set(order_ids)), orders)


def verify(shop: PurchaseCloud, order_ids: list[str], wanted: int) -> int:
    from propdesk.data.account_status import PurchaseAccountBook
    from propdesk.data.orders import OrderRepository
    from propdesk.purchases.fulfilment import account_id_for

    bind_data_layer(shop.stack)
    repository, book = OrderRepository(), PurchaseAccountBook()
    stored = {order_id: repository.get(order_id) for order_id in order_ids}
    statuses = Counter(order.status if order else "missing" for order in stored.values())
    names = Counter(account["name"] for account in shop.match_trader.prop_accounts.values())
    in_table = sum(1 for order_id in order_ids if book.get(account_id_for(order_id)) is not None)
    lost_orders = wanted - len(order_ids) + statuses.get("missing", 0)
    duplicated_accounts = sum(count - 1 for count in names.values() if count > 1)
    missing_accounts = sum(1 for order_id in order_ids if names.get(f"propdesk:{order_id}", 0) == 0)
    print(f"purchases.orders.statuses: {dict(sorted(statuses.items()))}")
    print(f"purchases.accounts.on_platform: {len(shop.match_trader.prop_accounts)}")
    print(f"purchases.accounts.in_table: {in_table}")
    print(f"purchases.lost_orders: {lost_orders}")
    print(f"purchases.orders_without_account: {missing_accounts}")
    print(f"purchases.duplicated_accounts: {duplicated_accounts}")
    failed = lost_orders or missing_accounts or duplicated_accounts or in_table != len(order_ids)
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--platform-rpm", type=int, default=500, help="the fake platform's limit (Match-Trader: 500)"
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for provisioning")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="purchases-bench-") as scratch:
        context: dict[str, Any] = {"platform_requests_per_minute": str(args.platform_rpm)}
        with purchase_cloud(
            Path(scratch), requests_per_minute=args.platform_rpm, extra_context=context
        ) as shop:
            code = run(shop, args.orders, args.concurrency, args.timeout)
    sys.exit(code)


if __name__ == "__main__":
    main()
