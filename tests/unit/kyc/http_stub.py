"""A scripted provider behind `httpx.MockTransport`: answers queued per route, every request recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from propdesk.adapters.kyc.calls import ProviderCalls, provider_breaker
from propdesk.resilience.retry import RetryPolicy

from tests.doubles.ports import ManualClock
from tests.doubles.timing import FakeTime

Answer = httpx.Response | Exception


@dataclass
class ScriptedProvider:
    routes: dict[tuple[str, str], list[Answer]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)

    def answer(self, method: str, path: str, *answers: Answer) -> None:
        self.routes.setdefault((method, path), []).extend(answers)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.routes.get((request.method, request.url.path), [])
        if not queue:
            return httpx.Response(404, json={"description": f"no scripted answer for {request.url.path}"})
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]


def ok(document: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=document, headers=headers)


def calls_for(
    stub: ScriptedProvider,
    provider: str,
    time: FakeTime,
    retry: RetryPolicy | None = None,
    threshold: int = 5,
) -> ProviderCalls:
    return ProviderCalls(
        provider,
        "https://provider.test",
        provider_breaker(provider, time.monotonic, failure_threshold=threshold, reset_timeout=30.0),
        time.sleep,
        retry=retry or RetryPolicy(max_attempts=3, base_delay=0.1, max_delay=1.0),
        transport=stub.transport(),
    )


def clock_at(moment: datetime = datetime(2026, 11, 25, 13, 10, tzinfo=UTC)) -> ManualClock:
    return ManualClock(moment)


Handler = Callable[[httpx.Request], httpx.Response]
