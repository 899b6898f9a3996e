"""What the fake KYC providers (Veriff, Sumsub) share: the hosted verification page a trader (or a test)
opens, and delivering the provider's signed webhooks the way providers do.

Each event is POSTed to its URL; an answer other than 2xx (or none) fails the attempt, and the provider tries
again after each delay of its schedule in turn, then gives up (the delivery is recorded as failed). Other
events keep flowing meanwhile, so a retried event can arrive after later ones, as in real life.

Switches for tests: `deliver_twice` (every event is delivered twice, as providers sometimes do) and `hold`
(events wait until `release()`, which sends them newest first: out of order). Tests give short retry delays.
`wait()` blocks until nothing is pending.
"""

from __future__ import annotations

import heapq
import html
import itertools
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Delivery:
    event: str  # what the provider calls it (e.g. "9001 approved", "applicantReviewed")
    url: str
    body: bytes
    headers: dict[str, str]
    statuses: list[int | None] = field(default_factory=list)  # one per attempt; None: no answer
    state: str = "pending"  # pending | delivered | failed

    @property
    def attempts(self) -> int:
        return len(self.statuses)


class WebhookSender:
    def __init__(self, retry_delays: Sequence[float], timeout: float = 10.0) -> None:
        self.retry_delays = tuple(retry_delays)
        self.timeout = timeout
        self.deliver_twice = False
        self.hold = False
        self.log: list[Delivery] = []
        self._held: list[Delivery] = []
        self._queue: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()
        self._pending = 0
        self._changed = threading.Condition()
        self._worker: threading.Thread | None = None
        self._stopped = False

    def send(self, event: str, url: str, body: bytes, headers: dict[str, str]) -> None:
        copies = 2 if self.deliver_twice else 1
        with self._changed:
            for _ in range(copies):
                delivery = Delivery(event, url, body, dict(headers))
                self.log.append(delivery)
                self._pending += 1
                if self.hold:
                    self._held.append(delivery)
                else:
                    self._schedule(delivery, time.monotonic())
            self._ensure_worker()

    def release(self, newest_first: bool = True) -> None:
        """Send the held events (newest first by default: the order is reversed)."""
        with self._changed:
            held = list(reversed(self._held)) if newest_first else list(self._held)
            self._held.clear()
            self.hold = False
            start = time.monotonic()
            for offset, delivery in enumerate(held):
                self._schedule(delivery, start + offset * 1e-6)
            self._changed.notify_all()

    def wait(self, timeout: float = 10.0) -> bool:
        """Until every delivery is delivered or given up (held ones count as pending); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()

    # ---- the worker ----

    def _schedule(self, delivery: Delivery, due: float) -> None:
        heapq.heappush(self._queue, (due, next(self._order), delivery))
        self._changed.notify_all()

    def _ensure_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._stopped = False
            self._worker = threading.Thread(target=self._run, name="fake-webhooks", daemon=True)
            self._worker.start()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._stopped and (not self._queue or self._queue[0][0] > time.monotonic()):
                    wait = self._queue[0][0] - time.monotonic() if self._queue else None
                    self._changed.wait(wait)
                if self._stopped:
                    return
                _, _, delivery = heapq.heappop(self._queue)
            status = self._post(delivery)
            with self._changed:
                delivery.statuses.append(status)
                if status is not None and 200 <= status < 300:
                    delivery.state = "delivered"
                elif delivery.attempts <= len(self.retry_delays):
                    self._schedule(delivery, time.monotonic() + self.retry_delays[delivery.attempts - 1])
                    continue
                else:
                    delivery.state = "failed"
                self._pending -= 1
                self._changed.notify_all()

    def _post(self, delivery: Delivery) -> int | None:
        request = urllib.request.Request(  # noqa: S310 - the configured local endpoint
            delivery.url, data=delivery.body, headers=delivery.headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except (urllib.error.URLError, OSError):
            return None


OUTCOMES = ("approve", "decline", "resubmit", "review")


def verification_page(
    provider: str, session_id: str, status: str, outcomes: Sequence[str] = OUTCOMES
) -> bytes:
    """The provider's hosted page for one session: its status and a link per outcome (`?outcome=...`)."""
    links = "\n".join(
        f'    <li><a href="?outcome={html.escape(outcome)}" data-outcome="{html.escape(outcome)}">'
        f"{html.escape(outcome.capitalize())}</a></li>"
        for outcome in outcomes
    )
    page = f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{html.escape(provider)} verification (fake)</title></head>
<body>
  <h1>{html.escape(provider)} verification</h1>
  <p>Session <code>{html.escape(session_id)}</code>: <strong id="status">{html.escape(status)}</strong></p>
  <p>This is a local fake: choose how the verification ends.</p>
  <ul>
{links}
  </ul>
</body>
</html>
"""
    return page.encode()


def page_reply_headers() -> dict[str, str]:
    return {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
