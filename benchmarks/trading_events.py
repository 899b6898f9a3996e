"""Trading events end to end in the local cloud, and what one costs on AWS.

The real stack deployed into a throwaway ministack (emulator logging every request by service), the demo firm
seeded, `--accounts` accounts each followed by one signed-in WebSocket subscriber. Each account's platform
pushes `--events` trading events (positions opened and closed, equity readings; calm: no breach), one signed
push per event as the connector sends a deal, each account's next event once its previous one's
`account.update` arrived (one event in flight per account, all accounts at once). Measured:

- trading events per second ingested and evaluated end to end (the last update's arrival ends the clock);
- p50 / p99 from the push to its WebSocket update;
- counted over the measured window (warm-up excluded, a settling pause after the last update): Lambda
  invocations and their billed duration per function (the `REPORT` line each writes to its log), DynamoDB,
  EventBridge and other requests the functions sent (the emulator's request log), REST requests, WebSocket
  messages delivered; and from those counts the AWS cost per million trading events (`PRICES`, us-east-1);
- the functions' DynamoDB requests by operation and table: the functions reach the emulator through a fault
  proxy that injects nothing and counts each request's `X-Amz-Target` and `TableName` (fakes/fault_proxy.py).

    .venv/bin/python benchmarks/trading_events.py [--accounts 8] [--events 12] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from benchmarks.api_latency import sign_in  # noqa: E402
from benchmarks.lambda_reports import lambda_reports  # noqa: E402
from benchmarks.local_stack import UNTHROTTLED, counting_proxy, throwaway_stack  # noqa: E402
from benchmarks.ws_fanout import subscriber  # noqa: E402
from fakes.fault_proxy import FaultProxy  # noqa: E402
from scripts.local_cloud.cloud import LOCAL  # noqa: E402
from tests.e2e.harness import DeployedStack, open_demo_account  # noqa: E402

SETTLE_SECONDS = 20  # after the last update: stream consumers that run after the fan-out (leaderboards)
# Public on-demand list prices, us-east-1 (USD), as of December 2026 (aws.amazon.com/<service>/pricing):
PRICES = {
    "lambda_request": 0.20 / 1e6,  # per invocation
    "lambda_gb_second_arm": 0.0000133334,  # ARM64, first 7.5 billion GB-s a month
    "dynamodb_write": 0.625 / 1e6,  # per write request unit (on-demand; an item up to 1 KB)
    "dynamodb_read": 0.125 / 1e6,  # per read request unit (strongly consistent, up to 4 KB)
    "rest_request": 3.50 / 1e6,  # API Gateway REST API, first 333 million a month
    "eventbridge_event": 1.00 / 1e6,  # custom events put on a bus (64 KB chunks)
    "websocket_message": 1.00 / 1e6,  # API Gateway WebSocket messages (32 KB chunks), first billion
}
REQUEST_LINE = re.compile(r"-> service=([a-z0-9-]+)")


def event_for(account_id: str, n: int, at: datetime) -> dict[str, Any]:
    """The n-th event of an account: open, equity reading, close, ... (small moves: no limit is touched)."""
    base = {"event_id": f"{account_id}-{n}", "time": at.isoformat()}
    step, position = n % 3, f"p{n // 3}"
    if step == 0:
        return base | {"type": "position_opened", "position_id": position, "symbol": "EURUSD",
                       "side": "buy", "volume": "1"}  # fmt: skip
    if step == 1:
        return base | {"type": "equity", "equity": f"{100000 + 5 * (n % 7)}.00"}
    return base | {"type": "position_closed", "position_id": position, "profit": "4.00"}


async def updates_after(socket: Any, seq: int, timeout: float = 300) -> int:
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), timeout))
        if message.get("type") == "account.update" and int(message["seq"]) > seq:
            return int(message["seq"])


class Counted:
    """What the measured window cost: requests by service from the emulator's log, Lambda metrics."""

    def __init__(self, stack: DeployedStack, proxy: FaultProxy) -> None:
        self.stack = stack
        self.proxy = proxy
        self.calls_before: Counter[tuple[str, str, str]] = Counter()
        port = stack.endpoints.cloud.rsplit(":", 1)[1]
        self.log_file = LOCAL / f"cloud-{port}.log"
        self.offset = 0
        self.started = datetime.now(UTC)

    def start(self) -> None:
        self.offset = self.log_file.stat().st_size
        self.started = datetime.now(UTC)
        self.calls_before = self.proxy.dynamodb_calls_by_caller

    def dynamodb_calls(self) -> dict[str, int]:
        """'<operation> <table> <function>' -> the DynamoDB requests since `start` (from the proxy; the
        function named by its SDK app id)."""
        calls = self.proxy.dynamodb_calls_by_caller - self.calls_before
        return {
            f"{operation} {short_table(table)} {caller.removeprefix('propdesk-')}": n
            for (caller, operation, table), n in calls.items()
        }

    def requests(self) -> Counter[str]:
        with self.log_file.open("rb") as log:
            log.seek(self.offset)
            text = log.read().decode(errors="replace")
        return Counter(REQUEST_LINE.findall(text))

    def lambdas(self) -> dict[str, dict[str, float]]:
        """Per function: invocations and billed GB-seconds since `start`."""
        return lambda_reports(self.stack, self.started)


def short_table(name: str) -> str:
    """`Propdesk-dev-DataPropdeskTable1005CA3D-0F66...` -> `DataPropdeskTable`: the CDK id, no hash."""
    for part in name.split("-"):
        match = re.fullmatch(r"(?P<id>[A-Za-z]+?)[0-9A-F]{8}", part)
        if match:
            return match["id"]
    return name


def push(stack: DeployedStack, account_id: str, event: dict[str, Any]) -> None:
    """Pushed again after a timeout or a 5xx (a cold start), as a connector does (stored once by its id)."""
    failure = ""
    for _ in range(8):
        try:
            answer = stack.push_events(account_id, [event])
        except OSError as error:  # the client's timeout, a reset: not answered
            failure = f"{type(error).__name__}: {error}"
        else:
            if answer.status == 202:
                return
            failure = f"{answer.status} {answer.body}"
        time.sleep(2)
    raise SystemExit(f"could not push: {failure}")


async def run_account(
    stack: DeployedStack, pool: ThreadPoolExecutor, socket: Any, account_id: str, opened: datetime,
    first: int, count: int, seq: int, latencies: list[float],
) -> int:  # fmt: skip
    loop = asyncio.get_running_loop()
    for n in range(first, first + count):
        event = event_for(account_id, n, opened + timedelta(seconds=n))
        waiting = asyncio.ensure_future(updates_after(socket, seq))
        posted = time.monotonic()
        await loop.run_in_executor(pool, push, stack, account_id, event)
        seq = await waiting
        latencies.append(time.monotonic() - posted)
    return seq


async def measure(stack: DeployedStack, proxy: FaultProxy, accounts: int, events: int) -> dict[str, Any]:
    opened = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    ids = [f"bench-{int(time.time())}-{n}" for n in range(accounts)]
    for account_id in ids:
        open_demo_account(stack, account_id, opened)
    address = f"{stack.endpoints.websocket_url}?token={sign_in(stack)}"
    sockets = [await subscriber(address, f"account:{account_id}") for account_id in ids]
    counted = Counted(stack, proxy)
    with ThreadPoolExecutor(max_workers=accounts) as pool:
        warm: list[float] = []  # one event per account: every function warm (the first alone), not counted
        seqs = [await run_account(stack, pool, sockets[0], ids[0], opened, 0, 1, 0, warm)]
        seqs += await asyncio.gather(*(run_account(stack, pool, s, a, opened, 0, 1, 0, warm)
                                       for s, a in zip(sockets[1:], ids[1:], strict=True)))  # fmt: skip
        await asyncio.sleep(SETTLE_SECONDS)
        counted.start()  # an idle window first: what the stack does with no trading (schedules)
        idle_began = time.monotonic()
        await asyncio.sleep(SETTLE_SECONDS)
        idle = {"seconds": time.monotonic() - idle_began, "requests": counted.requests(),
                "lambdas": counted.lambdas(), "dynamodb_calls": counted.dynamodb_calls()}  # fmt: skip
        counted.start()
        window_began = time.monotonic()
        latencies: list[float] = []
        began = time.monotonic()
        await asyncio.gather(*(run_account(stack, pool, s, a, opened, 1, events, q, latencies)
                               for s, a, q in zip(sockets, ids, seqs, strict=True)))  # fmt: skip
        elapsed = time.monotonic() - began
    await asyncio.sleep(SETTLE_SECONDS)
    window = time.monotonic() - window_began
    for socket in sockets:
        await socket.close()
    total = accounts * events
    return {
        "accounts": accounts,
        "events": total,
        "elapsed_seconds": elapsed,
        "latencies": sorted(latencies),
        "requests": counted.requests(),
        "lambdas": counted.lambdas(),
        "dynamodb_calls": counted.dynamodb_calls(),
        "window_seconds": window,
        "idle": idle,  # subtracted pro rata from the window's counts in the figures below
        "websocket_messages": total,  # one account.update per event, one subscriber per account
        "rest_requests": total,  # one push per event
    }


def percentile(values: list[float], share: float) -> float:
    return values[min(len(values) - 1, round(share * (len(values) - 1)))]


def net(result: dict[str, Any]) -> dict[str, Any]:
    """The window's counts less what the idle window's rate makes in as long (the schedules)."""
    idle, share = result["idle"], result["window_seconds"] / max(result["idle"]["seconds"], 1e-9)
    requests = {k: max(v - share * idle["requests"].get(k, 0), 0.0) for k, v in result["requests"].items()}
    lambdas = {}
    for name, figures in result["lambdas"].items():
        quiet = idle["lambdas"].get(name, {"invocations": 0, "gb_seconds": 0.0})
        lambdas[name] = {k: max(figures[k] - share * quiet[k], 0.0) for k in ("invocations", "gb_seconds")}
    calls = result.get("dynamodb_calls", {})
    quiet_calls = idle.get("dynamodb_calls", {})
    dynamodb_calls = {k: max(v - share * quiet_calls.get(k, 0), 0.0) for k, v in calls.items()}
    return {"requests": requests, "lambdas": lambdas, "dynamodb_calls": dynamodb_calls}


def cost_per_million(result: dict[str, Any]) -> dict[str, float]:
    """USD per million trading events, from the net counts. DynamoDB requests are priced as writes (an upper
    bound: the log does not say which are reads; docs/cost.md splits them from the counted benchmarks)."""
    counts, per_event = net(result), 1 / result["events"]
    invocations = sum(f["invocations"] for f in counts["lambdas"].values()) * per_event
    gb_seconds = sum(f["gb_seconds"] for f in counts["lambdas"].values()) * per_event
    dynamodb = counts["requests"].get("dynamodb", 0) * per_event
    eventbridge = counts["requests"].get("events", 0) * per_event
    million = 1e6
    return {
        "lambda_requests": invocations * PRICES["lambda_request"] * million,
        "lambda_duration": gb_seconds * PRICES["lambda_gb_second_arm"] * million,
        "dynamodb_upper": dynamodb * PRICES["dynamodb_write"] * million,
        "rest_api": result["rest_requests"] * per_event * PRICES["rest_request"] * million,
        "eventbridge": eventbridge * PRICES["eventbridge_event"] * million,
        "websocket_messages": result["websocket_messages"]
        * per_event
        * PRICES["websocket_message"]
        * million,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=8)
    parser.add_argument("--events", type=int, default=12, help="per account, after one warm-up event")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    proxy = counting_proxy()
    with throwaway_stack(UNTHROTTLED, log_level="DEBUG", proxy=proxy) as stack:
        result = asyncio.run(measure(stack, proxy, args.accounts, args.events))
    costs = cost_per_million(result)
    if args.json:
        print(json.dumps({**result, "costs_per_million": costs}, indent=2, default=str))
        return
    latencies, events, counts = result["latencies"], result["events"], net(result)
    print(f"trading_events.accounts: {result['accounts']}")
    print(f"trading_events.events: {events}")
    print(f"trading_events.per_second: {events / result['elapsed_seconds']:.2f} events/s")
    print(f"trading_events.to_websocket.p50: {1000 * statistics.median(latencies):.0f} ms")
    print(f"trading_events.to_websocket.p99: {1000 * percentile(latencies, 0.99):.0f} ms")
    invocations = sum(f["invocations"] for f in counts["lambdas"].values())
    print(f"trading_events.lambda_invocations_per_event: {invocations / events:.2f}")
    for name, figures in sorted(counts["lambdas"].items()):
        print(f"trading_events.lambda.{name}: {figures['invocations'] / events:.2f} per event, "
              f"{1000 * figures['gb_seconds'] / events:.2f} GB-ms per event")  # fmt: skip
    for service, count in sorted(counts["requests"].items()):
        print(f"trading_events.requests.{service}: {count / events:.2f} per event")
    calls = counts["dynamodb_calls"]
    print(f"trading_events.dynamodb_by_proxy: {sum(calls.values()) / events:.2f} per event")
    for label, parts in (("", (0,)), ("", (0, 1)), ("by_function.", (2,)), ("by_function.", (2, 0, 1))):
        summed: Counter[str] = Counter()
        for key, count in calls.items():
            fields = key.split(" ")
            summed[".".join(fields[n] for n in parts)] += count
        for name, count in summed.most_common():
            if count / events >= 0.005:
                print(f"trading_events.dynamodb.{label}{name}: {count / events:.2f} per event")
    for item, usd in costs.items():
        print(f"trading_events.cost_per_million.{item}: {usd:.2f} USD")
    print(f"trading_events.cost_per_million.total_upper: {sum(costs.values()):.2f} USD")


if __name__ == "__main__":
    main()
