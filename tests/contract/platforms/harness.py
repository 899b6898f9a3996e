"""What the platform contract suite needs from each platform under test: the port itself, the book behind it
(`fakes.market.Market`), and the levers a test pulls on the fake (ambiguous failures, outages, rate limits).

Adding a platform: write `harness_<platform>.py` with a context manager yielding a `PlatformHarness` (start
the fake, build the real adapter against it with `CONTRACT_RESILIENCE`'s settings, stop the fake after), and
add it to `HARNESSES` in `conftest.py`. `HttpHarness` does most of the work for a fake built on
`fakes.server.FakeService`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from propdesk.platforms.port import AccountRef, TradingAccess, TradingPlatform
from propdesk.resilience.retry import RetryPolicy

from fakes.market import FakeAccount, ManualClock, Market
from fakes.server import FakeService
from tests.doubles.timing import FakeTime


@dataclass(frozen=True)
class ContractResilience:
    """How every adapter under contract is built: a fake clock for sleeps and the breaker, short timeouts."""

    failure_threshold: int = 3
    reset_timeout: float = 30.0
    retry: RetryPolicy = field(
        default_factory=lambda: RetryPolicy(max_attempts=3, base_delay=0.1, max_delay=120.0)
    )
    timeout: float = 2.0  # seconds of real time the client waits for an answer (generous: a busy machine)
    slow_answer: float = 3.0  # the fake's "timeout" outcome answers this late


CONTRACT_RESILIENCE = ContractResilience()


class PlatformHarness(Protocol):
    name: str
    platform: TradingPlatform
    market: Market
    time: FakeTime  # the adapter's sleeps, rate limiter and breaker clock
    wall: ManualClock  # the platform's clock (deal times)
    group: str  # a product or group valid on the platform
    currency: str
    over_http: bool  # False: transport tests (429, breaker, status classification) do not apply

    def book(self, account: AccountRef) -> FakeAccount:
        """The market's account behind a port reference."""
        ...

    def access(self, account: AccountRef) -> TradingAccess:
        """The access the platform holds for the account, read from the fake's own state."""
        ...

    def fail_after_next_create(self, outcome: int | str) -> None:
        """The next account creation is carried out, then answered with `outcome` (503, "timeout", "drop")."""
        ...

    def fail_after_next_balance_operation(self, outcome: int | str) -> None: ...

    def fail_next(self, count: int, status: int) -> None:
        """The next `count` requests are answered `status` without doing anything."""
        ...

    def set_down(self, down: bool) -> None: ...

    def limit_requests(self, per_minute: int) -> None:
        """From now on the fake answers 429 with Retry-After beyond `per_minute` requests a minute."""
        ...

    def answered_429(self) -> int: ...

    def requests_sent(self) -> int: ...


class HttpHarness:
    """The common part of a harness over a `FakeService` whose book is `market` and whose account ids are the
    market's; subclasses set the paths and the levers that differ."""

    over_http = True
    create_pattern: str = ""  # (method, path regex) of the request that creates the account
    create_method: str = "POST"
    balance_pattern: str = ""
    balance_method: str = "POST"

    def __init__(
        self,
        name: str,
        platform: TradingPlatform,
        fake: FakeService,
        market: Market,
        time: FakeTime,
        wall: ManualClock,
        group: str,
        currency: str = "USD",
    ) -> None:
        self.name = name
        self.platform = platform
        self.fake = fake
        self.market = market
        self.time = time
        self.wall = wall
        self.group = group
        self.currency = currency

    def book(self, account: AccountRef) -> FakeAccount:
        found = self.market.account(account.login) or self.market.account(account.platform_account_id)
        assert found is not None, f"no account {account} in the fake's book"
        return found

    def access(self, account: AccountRef) -> TradingAccess:
        return TradingAccess(self.book(account).access)

    def fail_after_next_create(self, outcome: int | str) -> None:
        self.fake.fail_after_next(
            self.create_method, self.create_pattern, outcome, CONTRACT_RESILIENCE.slow_answer
        )

    def fail_after_next_balance_operation(self, outcome: int | str) -> None:
        self.fake.fail_after_next(
            self.balance_method, self.balance_pattern, outcome, CONTRACT_RESILIENCE.slow_answer
        )

    def fail_next(self, count: int, status: int) -> None:
        self.fake.fail_next(count, status)

    def set_down(self, down: bool) -> None:
        self.fake.down = down  # type: ignore[attr-defined]

    def limit_requests(self, per_minute: int) -> None:
        self.fake.requests_per_minute = per_minute  # type: ignore[attr-defined]

    def answered_429(self) -> int:
        return int(self.fake.rate_limited)  # type: ignore[attr-defined]

    def requests_sent(self) -> int:
        return len(self.fake.requests)
