"""Circuit breaker state shared by every worker (the `BreakerStore` of propdesk.resilience): one item per
platform at `SYSTEM` / `BREAKER#{name}`, changed only by single conditional updates, so that concurrent
workers count every failure and exactly one of them holds the half-open probe lease. No TTL: one small item
per platform, overwritten in place."""

from __future__ import annotations

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from propdesk.data import keys
from propdesk.data._conditions import condition_failed
from propdesk.data.models import CircuitBreakerItem
from propdesk.resilience.breaker_state import BreakerState
from propdesk.resilience.units import Seconds


class DynamoDBBreakerStore:
    def read(self, name: str) -> BreakerState:
        try:
            item = CircuitBreakerItem.get(keys.SYSTEM_PK, keys.breaker_sk(name), consistent_read=True)
        except CircuitBreakerItem.DoesNotExist:
            return BreakerState()
        return BreakerState(
            failures=int(item.failures or 0),
            opened_at=_seconds(item.opened_at),
            probe_until=_seconds(item.probe_until),
        )

    def add_failure(self, name: str, threshold: int, now: Seconds) -> None:
        item = _item(name)
        item.update(
            actions=[CircuitBreakerItem.failures.add(1), CircuitBreakerItem.entity.set("circuit_breaker")]
        )  # returns the item as updated: its failure count includes every other worker's
        if item.opened_at is not None or int(item.failures) < threshold:
            return
        # A close (some call succeeded) may land between the two updates: then the count is below again.
        self._conditionally(
            name,
            [CircuitBreakerItem.opened_at.set(now)],
            CircuitBreakerItem.opened_at.does_not_exist() & (CircuitBreakerItem.failures >= threshold),
        )

    def take_probe(self, name: str, opened_at: Seconds, now: Seconds, until: Seconds) -> bool:
        lease_free = CircuitBreakerItem.probe_until.does_not_exist() | (CircuitBreakerItem.probe_until <= now)
        return self._conditionally(
            name,
            [CircuitBreakerItem.probe_until.set(until)],
            (CircuitBreakerItem.opened_at == opened_at) & lease_free,
        )

    def reopen(self, name: str, now: Seconds) -> None:
        _item(name).update(
            actions=[
                CircuitBreakerItem.opened_at.set(now),
                CircuitBreakerItem.probe_until.remove(),
                CircuitBreakerItem.entity.set("circuit_breaker"),
            ]
        )

    def close(self, name: str) -> None:
        _item(name).update(
            actions=[
                CircuitBreakerItem.failures.set(0),
                CircuitBreakerItem.opened_at.remove(),
                CircuitBreakerItem.probe_until.remove(),
                CircuitBreakerItem.entity.set("circuit_breaker"),
            ]
        )

    def _conditionally(self, name: str, actions: list[Action], condition: Condition) -> bool:
        try:
            _item(name).update(actions=actions, condition=condition)
        except UpdateError as error:
            if condition_failed(error):
                return False
            raise
        return True


def _item(name: str) -> CircuitBreakerItem:
    return CircuitBreakerItem(keys.SYSTEM_PK, keys.breaker_sk(name))


def _seconds(value: float | None) -> Seconds | None:
    return None if value is None else Seconds(value)
