"""The payout workflow in the local cloud (`payouts_workflow_bench.py --local-cloud`): the real stack deployed
into a throwaway ministack with the providers' fakes (Match-Trader, Bridge and its RSA-signed webhooks, as
the e2e tests run them), then:

1. `accounts` funded accounts, each its own verified trader (KYC approved, a verified USDC wallet) with closed
   profit the engine has seen: 1,000 (an 800 share, approved by the workflow) or, for `finance_share` of
   them, 2,000 (a 1,600 share: one finance member approves through the API);
2. `requests` payout requests sent at once through the API (`POST /v1/accounts/{id}/payouts`, each with its
   own Idempotency-Key, `concurrency` in flight), spread evenly over the accounts: an account has one open
   payout at a time and a trader 3 requests an hour, so the rest are refused (409 `payout_pending`, 429);
3. the workflows run on Step Functions; the fake rail settles each payment as soon as it is asked (or fails
   `fail_share` of them: the workflow puts the amount back) and its signed webhooks are delivered at once
   (a refused delivery is due again at the next round, not in Bridge's minute);
4. counted at the end, from the platform's books, the rail's transfers and the payouts:
   - `paid`, `failed` (compensated), `refused` (by code), `unfinished` (not final by the deadline);
   - `lost`: accounts whose platform balance is not initial + profit - the payouts whose withdrawal stands
     (money gone nowhere, or a failed payout not put back), plus payouts paid without a rail payment;
   - `double_paid`: payouts with more than one rail payment, payouts put back although the rail paid, and
     accounts paid more than their profit's share;
   - approval → paid: from the payout's timeline (`approved` to `paid`, the functions' clocks), p50 and p99.
"""

from __future__ import annotations

import random
import statistics
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from benchmarks.lambda_reports import lambda_reports
from benchmarks.local_stack import UNTHROTTLED, throwaway_stack
from scripts.local_cloud.fake_providers import FakeProviders
from tests.e2e.harness import DeployedStack, HttpAnswer, bind_data_layer
from tests.e2e.payout_cloud_world import (
    answered,
    decide,
    deliver_webhooks,
    funded_account,
    platform_balance,
    platform_secret,
    signed_in,
    verified_trader_with_a_wallet,
    with_profit,
)

AUTO_PROFIT = Decimal("1000.00")  # an 800 share: under the firm's 1,000, approved by the workflow
FINANCE_PROFIT = Decimal("2000.00")  # a 1,600 share: one finance member approves
INITIAL = Decimal("100000.00")
FINAL = frozenset({"paid", "failed", "rejected"})
ROUND = 1.0  # seconds between the driver's rounds (settle, deliver, decide, read)


@dataclass
class Desk:
    """One account, its trader and what the run does to its payout."""

    account: Any
    trader: dict[str, str]
    profit: Decimal
    needs_finance: bool
    rail_fails: bool
    payout_id: str | None = None  # the account's payout, as stored (an answer may have been lost)
    answered: list[str] = field(default_factory=list)  # the payout id, or the refusal's code, per request


@dataclass
class Result:
    requests: int
    accounts: int
    counts: Counter[str]
    refused: Counter[str]
    approval_to_paid: list[float]
    phases: dict[str, float]
    # phase -> function -> invocations and billed seconds: where the local cloud's time goes
    lambdas: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)


@contextmanager
def deployed_with_fakes() -> Iterator[DeployedStack]:
    providers = FakeProviders()
    providers.start()
    try:
        with throwaway_stack({**UNTHROTTLED, **providers.cdk_context()}) as stack:
            stack.providers = providers
            providers.point_webhooks(stack.endpoints)
            providers.write_secrets(stack.client("secretsmanager"))
            bind_data_layer(stack)
            platform_secret(stack)
            yield stack
    finally:
        providers.stop()


def run(
    requests: int, accounts: int, concurrency: int, finance_share: float, fail_share: float, timeout: float
) -> Result:
    rng = random.Random(7)
    phases: dict[str, float] = {}
    with deployed_with_fakes() as stack:
        moments = {"prepare": datetime.now(UTC)}
        started = time.monotonic()
        desks = prepare(stack, accounts, finance_share, fail_share, concurrency, rng)
        phases["prepare"] = time.monotonic() - started
        finance = signed_in(stack, "finance", "bench-finance")[2]

        moments["requests"] = datetime.now(UTC)
        started = time.monotonic()
        request_all(stack, desks, requests, concurrency, rng)
        phases["requests"] = time.monotonic() - started

        moments["to_final"] = datetime.now(UTC)
        started = time.monotonic()
        payouts = drive(stack, desks, finance, timeout)
        phases["to_final"] = time.monotonic() - started
        moments["end"] = datetime.now(UTC)
        counts, latencies = audit(stack, desks, payouts)
        names = list(moments)
        lambdas = {
            phase: lambda_reports(stack, moments[phase], moments[after]) for phase, after in pairwise(names)
        }
    refused = Counter(a for desk in desks for a in desk.answered if a != desk.payout_id and a != "no_answer")
    counts["refused"] = sum(refused.values())
    counts["accepted"] = sum(1 for desk in desks if desk.payout_id)
    counts["no_answer"] = sum(desk.answered.count("no_answer") for desk in desks)
    return Result(requests, accounts, counts, refused, latencies, phases, lambdas)


def prepare(
    stack: DeployedStack,
    count: int,
    finance_share: float,
    fail_share: float,
    concurrency: int,
    rng: random.Random,
) -> list[Desk]:
    """`count` funded accounts with their profit seen by the engine, each its own trader."""
    now = datetime.now(UTC)
    plans = [(rng.random() < finance_share, rng.random() < fail_share) for _ in range(count)]

    def one(plan: tuple[bool, bool]) -> Desk:
        needs_finance, rail_fails = plan
        trader_id, _, trader = signed_in(stack, "trader", "bench-payout")
        verified_trader_with_a_wallet(trader_id, now)
        account = funded_account(stack, trader_id, now - timedelta(days=20))
        profit = FINANCE_PROFIT if needs_finance else AUTO_PROFIT
        with_profit(stack, account, f"{profit:.2f}")
        return Desk(account, trader, profit, needs_finance, rail_fails)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return list(pool.map(one, plans))


def request_all(
    stack: DeployedStack, desks: list[Desk], requests: int, concurrency: int, rng: random.Random
) -> None:
    """Every request at once (shuffled, `concurrency` in flight); a 5xx or a timeout is asked again with
    the same Idempotency-Key (a repeat answers the payout it created, if it did)."""
    asks = [desks[n % len(desks)] for n in range(requests)]
    rng.shuffle(asks)

    def ask(desk: Desk) -> None:
        key = f"bench-{uuid.uuid4().hex}"
        path = f"/v1/accounts/{desk.account.account_id}/payouts"
        try:
            answer = answered(stack, "POST", path, body={}, headers={**desk.trader, "Idempotency-Key": key})
        except AssertionError:  # no answer but 5xx and timeouts for minutes
            desk.answered.append("no_answer")
            return
        accepted = answer.status in (200, 201)
        desk.answered.append(str(answer.body["payout_id"]) if accepted else _code(answer))

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(ask, asks))
    _stored_payouts(desks)


def _stored_payouts(desks: list[Desk]) -> None:
    """Each account's payout as stored: the truth when an answer was lost (a request the client asked again
    after a timeout may be refused `payout_pending` by the payout its first attempt created)."""
    from propdesk.data.payouts import PayoutRepository

    repository = PayoutRepository()
    for desk in desks:
        stored = repository.all_for_account(desk.account.account_id)
        assert len(stored) <= 1, f"{desk.account.account_id}: {len(stored)} payouts from one burst"
        desk.payout_id = stored[0].payout_id if stored else None


def drive(stack: DeployedStack, desks: list[Desk], finance: dict[str, str], timeout: float) -> dict[str, Any]:
    """Round after round until every accepted payout is final (or `timeout`): finance approves the payouts
    that wait for it, the rail settles (or fails) every payment asked, its webhooks are delivered."""
    from propdesk.data.payouts import PayoutRepository

    repository = PayoutRepository()
    bridge = stack.providers.bridge  # type: ignore[union-attr]
    by_payout = {desk.payout_id: desk for desk in desks if desk.payout_id}
    final: dict[str, Any] = {}
    decided: set[str] = set()
    handled: set[str] = set()
    deadline = time.monotonic() + timeout
    while len(final) < len(by_payout) and time.monotonic() < deadline:
        for payout_id, desk in by_payout.items():
            if desk.needs_finance and payout_id not in decided and repository.token(payout_id, "approval"):
                try:
                    answer = decide(stack, payout_id, finance, "approve", "benchmark: figures checked")
                except OSError:  # no answer under the burst: asked again next round (a repeat answers 409)
                    continue
                if answer.status in (200, 201, 409):  # 409: decided already (a repeat of a lost answer)
                    decided.add(payout_id)
        for transfer in list(bridge.transfers.values()):
            paying = by_payout.get(transfer["client_reference_id"])
            if paying is None or transfer["id"] in handled:
                continue
            handled.add(transfer["id"])
            if paying.rail_fails:
                bridge.fail(transfer["id"])
            else:
                bridge.settle(transfer["id"])
        deliver_webhooks(stack)
        for payout_id in by_payout.keys() - final.keys():
            payout = repository.get(payout_id)
            if payout is not None and payout.status in FINAL:
                final[payout_id] = payout
        time.sleep(ROUND)
    for payout_id in by_payout.keys() - final.keys():  # unfinished: as they stand
        final[payout_id] = repository.get(payout_id)
    return final


def audit(
    stack: DeployedStack, desks: list[Desk], payouts: dict[str, Any]
) -> tuple[Counter[str], list[float]]:
    bridge = stack.providers.bridge  # type: ignore[union-attr]
    transfers: dict[str, list[dict[str, Any]]] = {}
    for transfer in list(bridge.transfers.values()):
        transfers.setdefault(str(transfer["client_reference_id"]), []).append(transfer)
    counts: Counter[str] = Counter(paid=0, failed=0, unfinished=0, lost=0, double_paid=0)
    latencies: list[float] = []
    for desk in desks:
        payout = payouts.get(desk.payout_id) if desk.payout_id else None
        standing = payout.amount if payout is not None and payout.booked else Decimal(0)
        if platform_balance(stack, desk.account) != INITIAL + desk.profit - standing:
            counts["lost"] += 1
        if payout is None:
            continue
        status = payout.status if payout.status in FINAL else "unfinished"
        counts[status] += 1
        if status == "unfinished":
            counts[f"unfinished_{payout.status}"] += 1  # where it stands (requested: never started?)
        payments = transfers.get(payout.payout_id, [])
        processed = [t for t in payments if t["state"] == "payment_processed"]
        if status == "paid" and not processed:
            counts["lost"] += 1
        if len(payments) > 1 or (status == "failed" and processed) or payout.amount > desk.profit:
            counts["double_paid"] += 1
        at = {step.status: step.at for step in payout.timeline}
        if status == "paid":
            latencies.append((at["paid"] - at["approved"]).total_seconds())
    return counts, latencies


def report(result: Result) -> int:
    counts = result.counts
    print("payouts_cloud (the stack in the local cloud: API, EventBridge, Step Functions, Lambda, DynamoDB)")
    print(f"payouts_cloud_requests: {result.requests} count over {result.accounts} accounts")
    keys = ("accepted", "paid", "failed", "refused", "no_answer", "unfinished", "lost", "double_paid")
    for key in keys:
        print(f"payouts_cloud_{key}: {counts[key]} count")
    for key in sorted(k for k in counts if k.startswith("unfinished_")):
        print(f"payouts_cloud_{key}: {counts[key]} count")
    for code, number in sorted(result.refused.items()):
        print(f"payouts_cloud_refused_{code}: {number} count")
    ordered = sorted(result.approval_to_paid)
    if ordered:
        p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)]
        print(f"payouts_cloud_approval_to_paid_p50: {statistics.median(ordered):.2f} s")
        print(f"payouts_cloud_approval_to_paid_p99: {p99:.2f} s")
    for phase, seconds in result.phases.items():
        print(f"payouts_cloud_{phase}_elapsed: {seconds:.1f} s")
    for phase, functions in result.lambdas.items():
        busiest = sorted(functions.items(), key=lambda item: -item[1]["seconds"])
        total = sum(figures["seconds"] for figures in functions.values())
        print(f"payouts_cloud_{phase}_lambda_seconds: {total:.1f} s (billed, all functions)")
        for name, figures in busiest[:8]:
            short = name.removeprefix("propdesk-dev-")
            print(
                f"payouts_cloud_{phase}_lambda.{short}: {figures['invocations']:.0f} invocations, "
                f"{figures['seconds']:.1f} s"
            )
    return 1 if counts["lost"] or counts["double_paid"] else 0


def _code(answer: HttpAnswer) -> str:
    error = answer.body.get("error") if isinstance(answer.body, dict) else None
    return str(error.get("code") or answer.status) if isinstance(error, dict) else str(answer.status)
