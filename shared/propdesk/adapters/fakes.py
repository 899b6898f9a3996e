"""In-memory fakes of every port, for tests and local runs; they keep what they were asked to do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from propdesk.domain_events import DomainEvent


@dataclass
class ManualClock:
    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


@dataclass
class InMemoryEventPublisher:
    published: list[DomainEvent] = field(default_factory=list)
    fail_next: int = 0

    def publish(self, events: Sequence[DomainEvent]) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise RuntimeError("event bus unavailable (fake)")
        self.published.extend(events)

    def of_type(self, detail_type: str) -> list[DomainEvent]:
        return [event for event in self.published if event.detail_type == detail_type]


@dataclass
class InMemoryAccountControl:
    disabled: list[tuple[str, str]] = field(default_factory=list)
    enabled: list[tuple[str, str]] = field(default_factory=list)
    paused: list[tuple[str, str, datetime]] = field(default_factory=list)
    resumed: list[tuple[str, datetime]] = field(default_factory=list)

    def disable(self, account_id: str, trader_id: str, reason: str, cause: str = "") -> None:
        self.disabled.append((account_id, reason))

    def enable(self, account_id: str, trader_id: str, reason: str, cause: str = "") -> None:
        self.enabled.append((account_id, reason))

    def pause(self, account_id: str, trader_id: str, reason: str, until: datetime) -> None:
        self.paused.append((account_id, reason, until))

    def resume(self, account_id: str, trader_id: str, paused_until: datetime) -> None:
        self.resumed.append((account_id, paused_until))


@dataclass
class InMemoryPusher:
    gone: set[str] = field(default_factory=set)
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def push(self, connection_id: str, message: Mapping[str, Any]) -> bool:
        if connection_id in self.gone:
            return False
        self.sent.append((connection_id, dict(message)))
        return True


@dataclass
class InMemoryWorkflowCallback:
    valid_tokens: set[str] = field(default_factory=set)
    succeeded: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def succeed(self, task_token: str, output: Mapping[str, Any]) -> bool:
        if task_token not in self.valid_tokens:
            return False
        self.valid_tokens.discard(task_token)
        self.succeeded.append((task_token, dict(output)))
        return True

    def fail(self, task_token: str, error: str, cause: str) -> bool:
        if task_token not in self.valid_tokens:
            return False
        self.valid_tokens.discard(task_token)
        self.failed.append((task_token, error))
        return True


@dataclass
class StaticSecrets:
    values: dict[str, str] = field(default_factory=dict)

    def get(self, secret_id: str) -> str:
        return self.values[secret_id]
