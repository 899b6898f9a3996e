"""A fault-injecting HTTP proxy in front of an AWS endpoint (the local cloud, DynamoDB Local): what the
deployed functions see when AWS throttles or half-fails, without changing a line of theirs.

Point the functions' `AWS_ENDPOINT_URL` at the proxy (`LocalCloud(handler_endpoint=proxy.url)` starts the
emulator so that every Lambda worker it runs inherits it) and leave tools and tests on the emulator's own
port. The proxy forwards every request as it is, except, by one seeded `random.Random`:
- **DynamoDB throttling** (`dynamodb_throttle`: the share of DynamoDB calls, any operation named in
  `dynamodb_operations`): answered at once with HTTP 400 `ProvisionedThroughputExceededException`, as DynamoDB
  answers; nothing reaches the table. The SDK retries these itself; a burst (`throttle_burst`) outlasts its
  retries, so the function sees the error in the middle of a batch or a request.
- **EventBridge partial failures** (`put_events_partial`: the share of `PutEvents` calls): some entries (one
  at least, all at most) are refused with `InternalFailure` and never forwarded; the others are forwarded and
  the answer merges both in the request's order with `FailedEntryCount` counting the refused ones, as
  EventBridge answers a partial failure.
A modified `PutEvents` body no longer matches its SigV4 signature: the local cloud does not check signatures
(IAM is not enforced there); the real AWS would refuse it, which is why this is a local tool only.

`enabled` switches injection off and on at run time (a fault-free phase and a faulty one against one
deployment); `injected` counts what was injected, by kind. `dynamodb_calls` counts every DynamoDB request the
functions sent (injected faults included), by operation and table (`TableName`, or each table a batch or a
transaction names): with no faults the proxy is a request counter (benchmarks/trading_events.py).
"""

from __future__ import annotations

import http.client
import json
import random
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

DYNAMODB_TARGET_PREFIX = "DynamoDB_20120810."
PUT_EVENTS_TARGET = "AWSEvents.PutEvents"
WRITES = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem", "ConditionCheckItem"}
)
HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


@dataclass
class FaultPlan:
    seed: int = 7
    dynamodb_throttle: float = 0.0
    dynamodb_operations: frozenset[str] = WRITES
    throttle_burst: int = 1  # consecutive throttles once one is drawn (the SDK retries each call a few times)
    put_events_partial: float = 0.0


@dataclass
class _State:
    rng: random.Random
    burst_left: int = 0
    injected: Counter[str] = field(default_factory=Counter)
    forwarded: Counter[str] = field(default_factory=Counter)
    dynamodb_calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    dynamodb_calls_by_caller: Counter[tuple[str, str, str]] = field(default_factory=Counter)


class FaultProxy:
    def __init__(self, upstream: str, plan: FaultPlan) -> None:
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.plan = plan
        self.enabled = True
        self._state = _State(random.Random(plan.seed))
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def retarget(self, upstream: str) -> None:
        """Forward to `upstream` from now on (a proxy made before the emulator's port was chosen)."""
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)

    @property
    def injected(self) -> Counter[str]:
        with self._lock:
            return Counter(self._state.injected)

    @property
    def forwarded(self) -> Counter[str]:
        with self._lock:
            return Counter(self._state.forwarded)

    @property
    def dynamodb_calls(self) -> Counter[tuple[str, str]]:
        """(operation, table) -> requests; a batch or a transaction naming several tables counts once for
        each table it names."""
        with self._lock:
            return Counter(self._state.dynamodb_calls)

    @property
    def dynamodb_calls_by_caller(self) -> Counter[tuple[str, str, str]]:
        """(caller, operation, table) -> requests; the caller is the SDK's app id from the User-Agent (each
        function's `AWS_SDK_UA_APP_ID`, e.g. `propdesk-risk_recalc`), or `unnamed`."""
        with self._lock:
            return Counter(self._state.dynamodb_calls_by_caller)

    @property
    def url(self) -> str:
        assert self._server is not None, "the proxy is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self, port: int = 0) -> str:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {name: value for name, value in self.headers.items()}
                status, reply_headers, payload = proxy.handle(self.command, self.path, headers, body)
                self.send_response(status)
                for name, value in reply_headers:
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # ---- one request ----
    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        target = next((value for name, value in headers.items() if name.lower() == "x-amz-target"), "")
        if target.startswith(DYNAMODB_TARGET_PREFIX):
            agent = next((value for name, value in headers.items() if name.lower() == "user-agent"), "")
            self._count_dynamodb(target.removeprefix(DYNAMODB_TARGET_PREFIX), body, _caller(agent))
        if target.startswith(DYNAMODB_TARGET_PREFIX) and self._throttle(
            target.removeprefix(DYNAMODB_TARGET_PREFIX)
        ):
            return _throttled()
        if target == PUT_EVENTS_TARGET:
            refused = self._refused_entries(body)
            if refused:
                return self._partial_put_events(method, path, headers, body, refused)
        return self._forward(
            method, path, headers, body, "dynamodb" if target.startswith("DynamoDB") else "other"
        )

    def _count_dynamodb(self, operation: str, body: bytes, caller: str) -> None:
        tables = _tables_named(operation, body)
        with self._lock:
            for table in tables:
                self._state.dynamodb_calls[(operation, table)] += 1
                self._state.dynamodb_calls_by_caller[(caller, operation, table)] += 1

    def _throttle(self, operation: str) -> bool:
        if not self.enabled or operation not in self.plan.dynamodb_operations:
            return False
        with self._lock:
            state = self._state
            if state.burst_left > 0:
                state.burst_left -= 1
            elif state.rng.random() < self.plan.dynamodb_throttle:
                state.burst_left = self.plan.throttle_burst - 1
            else:
                return False
            state.injected[f"dynamodb_throttle:{operation}"] += 1
            return True

    def _refused_entries(self, body: bytes) -> set[int]:
        if not self.enabled or self.plan.put_events_partial <= 0:
            return set()
        entries = json.loads(body or b"{}").get("Entries") or []
        with self._lock:
            state = self._state
            if not entries or state.rng.random() >= self.plan.put_events_partial:
                return set()
            count = state.rng.randint(1, len(entries))
            refused = set(state.rng.sample(range(len(entries)), count))
            state.injected["put_events_partial"] += 1
            state.injected["put_events_entries_refused"] += len(refused)
            return refused

    def _partial_put_events(
        self, method: str, path: str, headers: dict[str, str], body: bytes, refused: set[int]
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        request = json.loads(body)
        entries: list[Any] = request["Entries"]
        kept = [entry for index, entry in enumerate(entries) if index not in refused]
        answered: list[dict[str, Any]] = []
        failed = 0
        if kept:
            status, reply_headers, payload = self._forward(
                method, path, headers, json.dumps({**request, "Entries": kept}).encode(), "events"
            )
            if status != 200:  # the upstream failed the whole call: pass that on
                return status, reply_headers, payload
            upstream = json.loads(payload)
            answered, failed = list(upstream.get("Entries") or []), int(upstream.get("FailedEntryCount") or 0)
        refusal = {"ErrorCode": "InternalFailure", "ErrorMessage": "injected by the fault proxy"}
        merged = [refusal if index in refused else answered.pop(0) for index in range(len(entries))]
        reply = {"FailedEntryCount": failed + len(refused), "Entries": merged}
        return 200, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(reply).encode()

    def _forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes, kind: str
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        with self._lock:
            self._state.forwarded[kind] += 1
        connection = http.client.HTTPConnection(*self._upstream, timeout=120)
        try:
            # the Host stays the client's: the emulator builds URLs in its answers from it
            outgoing = {name: value for name, value in headers.items() if name.lower() not in HOP_BY_HOP}
            if body or method in ("POST", "PUT", "PATCH"):
                outgoing["Content-Length"] = str(len(body))
            connection.request(method, path, body=body or None, headers=outgoing)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()


def _caller(user_agent: str) -> str:
    found = re.search(r"(?:^|\s)app/(\S+)", user_agent)
    return found.group(1) if found else "unnamed"


def _tables_named(operation: str, body: bytes) -> list[str]:
    """The tables one DynamoDB request names (sorted, each once); `?` when the body names none."""
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return ["?"]
    if not isinstance(request, dict):
        return ["?"]
    tables: set[str] = set()
    if isinstance(request.get("TableName"), str):
        tables.add(request["TableName"])
    if isinstance(request.get("RequestItems"), dict):  # BatchGetItem, BatchWriteItem
        tables.update(request["RequestItems"])
    for item in request.get("TransactItems") or []:  # TransactWriteItems, TransactGetItems
        for action in item.values() if isinstance(item, dict) else []:
            if isinstance(action, dict) and isinstance(action.get("TableName"), str):
                tables.add(action["TableName"])
    return sorted(tables) or ["?"]


def _throttled() -> tuple[int, list[tuple[str, str]], bytes]:
    body = {
        "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "message": "The level of configured provisioned throughput for the table was exceeded (fault proxy)",
    }
    return 400, [("Content-Type", "application/x-amz-json-1.0")], json.dumps(body).encode()
