"""Webhook delivery as payment providers do it: each event is POSTed to the configured URL, signed afresh at
every attempt; a delivery that fails (no answer, or not a 2xx) is tried again after a growing delay, up to a
number of attempts; deliveries may repeat and need not arrive in order.

Time is the fake's clock (seconds), so tests move it instead of sleeping: `flush()` sends every delivery that
is due now. A running fake delivers by itself instead: `start_worker()` runs a delivery thread that sends each
event as soon as it is due (woken by every new event), always outside the fake's own lock, so a receiver may
call the fake back while it handles the delivery (Stripe's webhook handler retrieves the session it was told
about). This is the one webhook sender of the fakes: the Stripe fake and the payout-rail fakes use it. Test
switches: `duplicate_next()` (the next event is delivered twice, same event id),
`hold()` / `release(reverse=True)` (events wait, then go out in reverse order), and the receiver's own answers
(a 500 makes the outbox retry later).
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# (event, attempt instant in seconds) -> (raw body, headers), signed for that attempt
Render = Callable[[dict[str, Any], float], tuple[bytes, dict[str, str]]]
Post = Callable[[str, bytes, dict[str, str]], int]


# How long a delivery waits for the receiver's answer: longer than API Gateway's 29 s integration timeout and
# the webhook functions' own, so the gateway answers (a 2xx, or a 5xx that is retried) before the sender gives
# up. A shorter wait gave up on a slow cold start that was still working and redelivered while it ran: each
# redelivery started one more cold function on a busy machine, all slower, all timing out, the order pending.
DELIVERY_TIMEOUT = 35.0


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST and answer the status code (0 when the receiver could not be reached or did not answer within
    `DELIVERY_TIMEOUT`)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT) as answer:  # noqa: S310 - a local receiver
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def doubling(first: float, ceiling: float) -> Callable[[int], float]:
    """Delay before retry n (1-based): first, 2 x first, 4 x first, ... at most `ceiling`."""
    return lambda retry: min(ceiling, first * 2 ** (retry - 1))


@dataclass
class Delivery:
    event: dict[str, Any]
    due_at: float
    attempts: int = 0
    statuses: list[int] = field(default_factory=list)


class WebhookOutbox:
    def __init__(
        self,
        render: Render,
        clock: Callable[[], float],
        backoff: Callable[[int], float],
        max_attempts: int,
        post: Post = http_post,
    ) -> None:
        self.url: str | None = None
        self.render = render  # public: a test renders an event as of another instant (a stale delivery)
        self._clock = clock
        self._backoff = backoff
        self._max_attempts = max_attempts
        self._post = post
        self._lock = threading.RLock()
        self._sending = threading.Lock()  # one flush at a time (the worker and a test's own flush)
        self._wake = threading.Event()
        self._worker: threading.Thread | None = None
        self._stopping = threading.Event()
        self.queue: list[Delivery] = []
        self.held: list[dict[str, Any]] = []
        self.delivered: list[Delivery] = []  # answered with a 2xx
        self.abandoned: list[Delivery] = []  # out of attempts
        self._duplicate = 0
        self._holding = False

    # ---- switches
    def duplicate_next(self, count: int = 1) -> None:
        with self._lock:
            self._duplicate += count

    def hold(self) -> None:
        with self._lock:
            self._holding = True

    def release(self, reverse: bool = False) -> None:
        with self._lock:
            self._holding = False
            events = list(reversed(self.held)) if reverse else list(self.held)
            self.held.clear()
        for event in events:
            self.enqueue(event)

    # ---- sending
    def enqueue(self, event: dict[str, Any]) -> None:
        with self._lock:
            if self._holding:
                self.held.append(event)
                return
            copies = 2 if self._duplicate else 1
            self._duplicate = max(0, self._duplicate - 1)
            for _ in range(copies):
                self.queue.append(Delivery(event, self._clock()))
        self._wake.set()

    def flush(self) -> int:
        """Attempt every delivery due now, in the order they were queued; answer how many succeeded."""
        with self._sending:
            return self._flush()

    def _flush(self) -> int:
        url = self.url
        if url is None:
            return 0
        with self._lock:
            now = self._clock()
            due = [delivery for delivery in self.queue if delivery.due_at <= now]
        succeeded = 0
        for delivery in due:
            body, headers = self.render(delivery.event, self._clock())
            status = self._post(url, body, headers)  # never under a lock: the receiver may call back
            with self._lock:
                delivery.attempts += 1
                delivery.statuses.append(status)
                if 200 <= status < 300:
                    self.queue.remove(delivery)
                    self.delivered.append(delivery)
                    succeeded += 1
                elif delivery.attempts >= self._max_attempts:
                    self.queue.remove(delivery)
                    self.abandoned.append(delivery)
                else:
                    delivery.due_at = self._clock() + self._backoff(delivery.attempts)
        return succeeded

    def next_due_at(self) -> float | None:
        with self._lock:
            return min((delivery.due_at for delivery in self.queue), default=None)

    def idle(self) -> bool:
        """Nothing waits to be delivered (every event delivered or given up)."""
        with self._lock:
            return not self.queue and not self.held

    # ---- the delivery worker (a running fake)
    def start_worker(self, poll: float = 0.5) -> None:
        """Deliver in the background: each event when it is due, retries after their backoff. `poll` bounds
        the wait, so a due time computed from a clock that tests move is noticed too."""
        if self._worker is not None and self._worker.is_alive():
            return
        self._stopping.clear()
        self._worker = threading.Thread(target=self._deliver, args=(poll,), name="webhooks", daemon=True)
        self._worker.start()

    def stop_worker(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._worker is not None:
            self._worker.join(timeout)
            self._worker = None

    def _deliver(self, poll: float) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            self.flush()
            due_at = self.next_due_at()
            if due_at is None or self.url is None:
                wait = poll
            else:
                wait = min(poll, max(0.01, due_at - self._clock()))
            self._wake.wait(wait)
