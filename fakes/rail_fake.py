"""What the payout-rail fakes share: a clock in seconds (tests move it), a webhook outbox (signed deliveries
to `webhook_url`, redelivered with backoff), and the failure switches a contract test needs:
`fail_next(n, status)` (the request fails before anything happens), `fail_next_reads(n)` (GETs only),
`lose_next_response(n)` (the request is carried out, then the answer is lost as a 504: the ambiguous
failure) and the outbox's `duplicate_next`, `hold`/`release(reverse=True)`. With `auto_deliver`, the outbox's
delivery worker sends due webhooks (for `make dev`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fakes.server import FakeService, Reply, Request
from fakes.webhook_outbox import Render, WebhookOutbox


class RailFake(FakeService):
    def __init__(
        self,
        clock: Callable[[], float],
        render: Render,
        backoff: Callable[[int], float],
        max_attempts: int,
        auto_deliver: bool = False,
    ) -> None:
        super().__init__()
        self.clock = clock
        self.outbox = WebhookOutbox(render, clock, backoff, max_attempts)
        self._lost: list[re.Pattern[str]] = []
        self._failing_reads = 0
        self._auto_deliver = auto_deliver

    @property
    def webhook_url(self) -> str | None:
        return self.outbox.url

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        self.outbox.url = url

    def lose_next_response(self, count: int = 1, path: str = ".*") -> None:
        """The next `count` successful POSTs to a path matching `path` are carried out, then answered 504."""
        with self._lock:
            self._lost.extend([re.compile(f"^{path}$")] * count)

    def fail_next_reads(self, count: int = 1) -> None:
        """The next `count` GETs answer 503 (a look-up that fails too)."""
        with self._lock:
            self._failing_reads += count

    def dispatch(self, request: Request) -> Reply:
        with self._lock:
            if self._failing_reads and request.method == "GET":
                self._failing_reads -= 1
                return Reply(503, {"error": "service unavailable (injected)"})
        reply = super().dispatch(request)
        with self._lock:
            lost = next((p for p in self._lost if p.match(request.path)), None)
            if lost is not None and request.method == "POST" and reply.status < 400:
                self._lost.remove(lost)
                return Reply(504, {"error": "gateway timeout (injected: the request was carried out)"})
        return reply

    def emit(self, event: dict[str, Any]) -> None:
        self.outbox.enqueue(event)

    def start(self, port: int = 0) -> str:
        url = super().start(port)
        if self._auto_deliver:
            self.outbox.start_worker()
        return url

    def stop(self) -> None:
        self.outbox.stop_worker()
        super().stop()
