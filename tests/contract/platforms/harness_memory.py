"""The in-memory double under the contract (no transport: the HTTP-only tests skip it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from propdesk.platforms.port import AccountRef, TradingAccess

from fakes.market import FakeAccount, ManualClock, Market
from tests.doubles.platforms import InMemoryPlatform
from tests.doubles.timing import FakeTime


class MemoryHarness:
    name = "in-memory"
    over_http = False
    group = "challenge-100k"
    currency = "USD"

    def __init__(self) -> None:
        self.time = FakeTime(1000.0)
        self.wall = ManualClock()
        self.market = Market(now=self.wall.now)
        self.double = InMemoryPlatform(self.market)
        self.platform = self.double

    def book(self, account: AccountRef) -> FakeAccount:
        found = self.market.account(account.platform_account_id)
        assert found is not None
        return found

    def access(self, account: AccountRef) -> TradingAccess:
        return TradingAccess(self.book(account).access)

    def fail_after_next_create(self, outcome: int | str) -> None:
        self.double.ambiguous_next.append("create_account")

    def fail_after_next_balance_operation(self, outcome: int | str) -> None:
        self.double.ambiguous_next.append("adjust_balance")

    def fail_next(self, count: int, status: int) -> None:
        if status >= 500 or status == 429:
            self.double.fail_next += count
        else:
            self.double.reject_next += count

    def set_down(self, down: bool) -> None:
        self.double.down = down

    def limit_requests(self, per_minute: int) -> None:
        raise NotImplementedError

    def answered_429(self) -> int:
        return 0

    def requests_sent(self) -> int:
        return self.double.calls


@contextmanager
def memory_harness() -> Iterator[MemoryHarness]:
    yield MemoryHarness()
