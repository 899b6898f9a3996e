"""WebSocket fan-out in the local cloud: the real stack deployed into ministack, the demo firm seeded, and
1,000 signed-in WebSocket connections subscribed to one account. A platform bridge posts a trade event; the
clock runs from the POST until every subscriber has the resulting `account.update` (time to last delivery).

Side by side in the same run, one more connection follows a second account alone: the same path (REST →
table → stream → risk engine → stream → fan-out) with one subscriber, so the ratio shows what the fan-out
itself costs.

    .venv/bin/python benchmarks/ws_fanout.py [--subscribers 1000] [--updates 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from benchmarks.api_latency import sign_in  # noqa: E402
from benchmarks.local_stack import UNTHROTTLED, throwaway_stack  # noqa: E402
from tests.e2e.harness import DeployedStack, open_demo_account  # noqa: E402

CONNECT_WAVE = 25  # connections opened at once (each runs the authorizer and $connect)


async def subscriber(address: str, topic: str) -> Any:
    for attempt in range(5):
        try:
            socket = await websockets.connect(address, open_timeout=120, ping_interval=None, max_queue=None)
            await socket.send(json.dumps({"action": "subscribe", "topics": [topic]}))
            while json.loads(await asyncio.wait_for(socket.recv(), 120))["type"] != "subscribed":
                pass
            return socket
        except (OSError, TimeoutError, websockets.exceptions.WebSocketException):
            await asyncio.sleep(1 + attempt)
    raise SystemExit(f"could not open a subscriber for {topic}")


async def open_subscribers(address: str, topic: str, count: int) -> list[Any]:
    sockets: list[Any] = []
    while len(sockets) < count:
        wave = min(CONNECT_WAVE, count - len(sockets))
        sockets += await asyncio.gather(*(subscriber(address, topic) for _ in range(wave)))
        print(f"# {len(sockets)}/{count} subscribed to {topic}", file=sys.stderr, flush=True)
    return sockets


async def arrival(socket: Any, seq_above: int) -> float:
    while True:
        message = json.loads(await socket.recv())
        if message["type"] == "account.update" and message["seq"] > seq_above:
            return time.monotonic()


def post_equity(stack: DeployedStack, account_id: str, event_id: str, at: datetime, amount: str) -> None:
    answer = stack.push_events(
        account_id, [{"event_id": event_id, "time": at.isoformat(), "type": "equity", "equity": amount}]
    )
    if answer.status != 202:
        raise SystemExit(f"could not post an event: {answer.status} {answer.body}")


async def one_update(
    stack: DeployedStack, account_id: str, sockets: list[Any], n: int, opened: datetime, seq: int
) -> tuple[float, float]:
    """Seconds from the POST to the first and to the last subscriber's delivery."""
    waiting = [asyncio.ensure_future(arrival(socket, seq)) for socket in sockets]
    posted = time.monotonic()
    await asyncio.to_thread(
        post_equity, stack, account_id, f"e{n}", opened + timedelta(seconds=n), f"{99000 - n}.00"
    )
    arrivals = await asyncio.wait_for(asyncio.gather(*waiting), timeout=300)
    return min(arrivals) - posted, max(arrivals) - posted


async def measure(stack: DeployedStack, token: str, subscribers: int, updates: int) -> dict[str, list[float]]:
    opened = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    crowd_account, alone_account = f"fanout-{int(time.time())}", f"alone-{int(time.time())}"
    for account_id in (crowd_account, alone_account):
        open_demo_account(stack, account_id, opened)
    address = f"{stack.endpoints.websocket_url}?token={token}"
    crowd = await open_subscribers(address, f"account:{crowd_account}", subscribers)
    alone = await open_subscribers(address, f"account:{alone_account}", 1)
    results: dict[str, list[float]] = {"crowd_first": [], "crowd_last": [], "alone": []}
    for n in range(1, updates + 2):  # the first round warms the functions and is not counted
        first, last = await one_update(stack, crowd_account, crowd, n, opened, n - 1)
        _, single = await one_update(stack, alone_account, alone, n, opened, n - 1)
        if n > 1:
            results["crowd_first"].append(first)
            results["crowd_last"].append(last)
            results["alone"].append(single)
    for socket in crowd + alone:
        await socket.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=5)
    args = parser.parse_args()

    with throwaway_stack(UNTHROTTLED) as stack:
        results = asyncio.run(measure(stack, sign_in(stack), args.subscribers, args.updates))

    last, alone = statistics.median(results["crowd_last"]), statistics.median(results["alone"])
    print(f"ws_fanout.subscribers: {args.subscribers}")
    print(f"ws_fanout.to_first_delivery.p50: {1000 * statistics.median(results['crowd_first']):.0f} ms")
    print(f"ws_fanout.to_last_delivery.p50: {1000 * last:.0f} ms")
    print(f"ws_fanout.to_last_delivery.max: {1000 * max(results['crowd_last']):.0f} ms")
    print(f"ws_fanout.one_subscriber.p50: {1000 * alone:.0f} ms")
    print(f"ws_fanout.last_vs_one_subscriber: {last / alone:.2f} x")
    print(f"ws_fanout.updates_measured: {len(results['alone'])}")


if __name__ == "__main__":
    main()
