"""The payout workflow over its use cases with in-memory stores: 1,000 payout requests over 200 accounts, run
concurrently (threads), each request's workflow driven to its end as the state machine would drive it, with
payments that fail (compensated) and webhooks delivered twice. Reports paid, refused, failed (compensated),
lost and double-paid counts (the last two must be 0) and the use cases' time from approval to paid.

NOT the local cloud: no Lambda, Step Functions, DynamoDB nor EventBridge here; it measures the workflow's
logic and its promises under interleaving, not the deployed system's latency (a local-cloud run would).

    PYTHONPATH=shared:. .venv/bin/python benchmarks/payouts_workflow_bench.py

`--local-cloud` runs the issue's figure in the local cloud instead (`benchmarks/payouts_cloud_bench.py`: the
stack deployed into ministack, requests through the API, payments settled by the fake Bridge and its signed
webhooks; paid, refused, failed, lost and double-paid counts and approval → paid p50/p99):

    .venv/bin/python benchmarks/payouts_workflow_bench.py --local-cloud [--requests N] [--accounts M]
        [--concurrency 16] [--finance-share 0.05] [--fail-share 0.05] [--timeout 3600]

Its defaults are the issue's 1,000 requests over 200 accounts: about 25 minutes with the deploy on this 2-core
machine, and what `make bench` runs (`run_all.LOCAL_CLOUD_PAYOUTS`); `--requests 100 --accounts 20` takes
about 5 minutes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "shared")]

from propdesk.errors import DomainError  # noqa: E402
from propdesk.payouts.requests import DecidePayout  # noqa: E402

from tests.unit.payouts.payout_workflow_world import FINANCE, FINANCE_2, Execution, PayoutDesk  # noqa: E402

ACCOUNTS = 200
REQUESTS = 1000
FAIL_SHARE = 0.1  # payments the rail fails: compensated
CLOUD_REQUESTS, CLOUD_ACCOUNTS = 1000, 200  # the figure


def one_account(seed: int) -> dict[str, object]:
    """Five requests on one account (its own desk: accounts are independent), each run to its end."""
    rng = random.Random(seed)
    desk = PayoutDesk()
    desk.rail.outbox.duplicate_next(100)  # every webhook delivered twice
    counts = {"paid": 0, "refused": 0, "failed": 0}
    latencies: list[float] = []
    traded = Decimal(0)
    for _ in range(REQUESTS // ACCOUNTS):
        profit = Decimal(rng.randrange(-50_000, 300_000)) / 100
        desk.trade(profit)
        traded += profit
        try:
            payout_id = desk.request()
        except DomainError:
            counts["refused"] += 1
            continue
        execution = Execution(desk, payout_id)
        started = time.perf_counter()
        state = execution.run()
        for member in (
            FINANCE,
            FINANCE_2,
        ):  # finance approves (two members above)
            if state == "WaitForApproval":
                desk.service().decide(DecidePayout(payout_id, "approve", "checked", member, desk.clock.now()))
                state = execution.run()
        if state != "WaitForPayment":
            counts["refused"] += 1
            continue
        reference = next(r for r, p in desk.rail.payments.items() if p["payout_id"] == payout_id)
        if rng.random() < FAIL_SHARE:
            desk.rail.fail(reference)
        else:
            desk.rail.settle(reference)
        desk.deliver_webhooks()
        ended = execution.run()
        latencies.append(time.perf_counter() - started)
        counts["paid" if ended == "paid" else "failed"] += 1
        desk.engine_catches_up()
    payouts = list(desk.payouts.payouts.values())
    booked = sum((p.amount for p in payouts if p.booked), Decimal(0))
    lost = int(desk.platform_balance != Decimal(100000) + traded - booked)
    double_paid = sum(
        1 for p in payouts if sum(1 for x in desk.rail.payments.values() if x["payout_id"] == p.payout_id) > 1
    )
    return {**counts, "lost": lost, "double_paid": double_paid, "latencies": latencies}


def main(argv: list[str] | None = None) -> int:
    options = parse(argv)
    if options.local_cloud:
        from benchmarks.payouts_cloud_bench import report, run

        return report(
            run(options.requests, options.accounts, options.concurrency, options.finance_share,
                options.fail_share, options.timeout)
        )  # fmt: skip
    return in_memory()


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--local-cloud", action="store_true", help="deploy and run it in the local cloud")
    parser.add_argument("--requests", type=int, default=CLOUD_REQUESTS, help="local cloud: requests sent")
    parser.add_argument("--accounts", type=int, default=CLOUD_ACCOUNTS, help="local cloud: funded accounts")
    parser.add_argument("--concurrency", type=int, default=16, help="local cloud: requests in flight")
    parser.add_argument("--finance-share", type=float, default=0.05, help="accounts finance approves")
    parser.add_argument("--fail-share", type=float, default=0.05, help="payments the rail fails")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds for the workflows to end")
    return parser.parse_args(argv)


def in_memory() -> int:
    started = time.perf_counter()
    lock = threading.Lock()
    totals = {"paid": 0, "refused": 0, "failed": 0, "lost": 0, "double_paid": 0}
    latencies: list[float] = []
    with ThreadPoolExecutor(max_workers=32) as pool:
        for result in pool.map(one_account, range(ACCOUNTS)):
            with lock:
                for key in totals:
                    totals[key] += int(result[key])  # type: ignore[call-overload]
                latencies += result["latencies"]  # type: ignore[arg-type]
    elapsed = time.perf_counter() - started
    print("payouts_workflow (in-memory use cases, not the local cloud)")
    print(f"payouts_workflow_requests: {REQUESTS} count over {ACCOUNTS} accounts")
    for key, value in totals.items():
        print(f"payouts_workflow_{key}: {value} count")
    if latencies:
        ordered = sorted(latencies)
        print(f"payouts_workflow_approval_to_paid_p50: {statistics.median(ordered) * 1000:.2f} ms")
        print(f"payouts_workflow_approval_to_paid_p99: {ordered[int(len(ordered) * 0.99) - 1] * 1000:.2f} ms")
    print(f"payouts_workflow_elapsed: {elapsed:.2f} s")
    return 1 if totals["lost"] or totals["double_paid"] else 0


if __name__ == "__main__":
    sys.exit(main())
