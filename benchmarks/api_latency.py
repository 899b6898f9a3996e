"""Trader API latency in the local cloud: the real stack deployed into ministack, the demo firm seeded, and an
account given a trading history; then 50 concurrent signed-in clients call, side by side in one run:

- `GET /v1/accounts/{id}/metrics` (authorizer, account read, risk state, program version, engine brought
  forward to now),
- `GET /v1/me` (the Cognito authorizer and one item read: the floor of any signed-in route),
- `GET /v1/health` (a no-op function behind the same gateway: the floor any route pays here),

and print p50/p99 of each and the metrics route's ratios to the no-op and to the signed-in floor. Rounds
alternate between the routes so that load drift affects them alike.

    .venv/bin/python benchmarks/api_latency.py [--clients 50] [--requests 400] [--rounds 4]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from benchmarks.local_stack import UNTHROTTLED, throwaway_stack  # noqa: E402
from tests.e2e.harness import DeployedStack, open_demo_account  # noqa: E402


def sign_in(stack: DeployedStack) -> str:
    return stack.id_token(stack.demo["trader_email"], stack.demo["password"])


def give_history(stack: DeployedStack, account_id: str) -> None:
    opened = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    open_demo_account(stack, account_id, opened)
    events = []
    for n in range(20):
        at = opened + timedelta(minutes=5 * n + 1)
        events += [
            {"event_id": f"o{n}", "time": at.isoformat(), "type": "position_opened", "position_id": f"p{n}",
             "symbol": "EURUSD", "side": "buy", "volume": "1"},
            {"event_id": f"c{n}", "time": (at + timedelta(minutes=2)).isoformat(), "type": "position_closed",
             "position_id": f"p{n}", "profit": "12.50"},
        ]  # fmt: skip
    answer = stack.push_events(account_id, events)
    if answer.status != 202:
        raise SystemExit(f"could not post the history: {answer.status} {answer.body}")
    time.sleep(5)  # the stream applies them to the risk state


def timed_get(url: str, token: str) -> float | None:
    """Seconds for one 200 answer; None for anything else (counted as an error)."""
    request = urllib.request.Request(url, headers={"Authorization": token})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=300) as response:
            response.read()
    except (urllib.error.URLError, TimeoutError):
        return None
    return time.perf_counter() - started


def burst(url: str, token: str, clients: int, requests: int) -> tuple[list[float], int]:
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(lambda _: timed_get(url, token), range(requests)))
    return [r for r in results if r is not None], sum(r is None for r in results)


def warm(url: str, token: str, clients: int) -> None:
    """Grow the function's pool of warm workers step by step: a cold burst of 50 on a small machine times
    out (every worker imports its code at once)."""
    width = 2
    while True:
        for _ in range(3):
            burst(url, token, width, width)
        if width >= clients:
            return
        width = min(clients, width * 2)


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=400, help="per route and round")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()

    with throwaway_stack(UNTHROTTLED) as stack:
        endpoints = stack.endpoints
        token = sign_in(stack)
        account_id = f"bench-{int(time.time())}"
        give_history(stack, account_id)
        routes = {
            "metrics": endpoints.rest_url(f"/v1/accounts/{account_id}/metrics"),
            "profile": endpoints.rest_url("/v1/me"),
            "noop": endpoints.rest_url("/v1/health"),
        }
        for url in routes.values():
            warm(url, token, args.clients)
        samples: dict[str, list[float]] = {name: [] for name in routes}
        errors = dict.fromkeys(routes, 0)
        for _ in range(args.rounds):
            for name, url in routes.items():
                times, failed = burst(url, token, args.clients, args.requests)
                samples[name] += times
                errors[name] += failed

    for name, values in samples.items():
        print(f"api_latency.{name}.p50: {1000 * statistics.median(values):.1f} ms")
        print(f"api_latency.{name}.p99: {1000 * percentile(values, 0.99):.1f} ms")
        print(f"api_latency.{name}.requests: {len(values)} ok, {errors[name]} failed")
    for baseline in ("noop", "profile"):
        for share, label in ((0.5, "p50"), (0.99, "p99")):
            ratio = percentile(samples["metrics"], share) / percentile(samples[baseline], share)
            print(f"api_latency.metrics_vs_{baseline}.{label}: {ratio:.2f} x")
    print(f"api_latency.clients: {args.clients}")


if __name__ == "__main__":
    main()
