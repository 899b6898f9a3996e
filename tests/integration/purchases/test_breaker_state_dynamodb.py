"""The circuit breaker's state in DynamoDB Local, shared by workers: worker A's failures against the fake
Match-Trader open worker B's circuit (B sends no request), and the trial call's success closes it for all.
The store contract (concurrent failures all counted, exactly one of many concurrent workers gets the
half-open probe lease) is checked on the DynamoDB store and on the in-memory one the unit tests use."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from propdesk.adapters.platforms.match_trader import MatchTraderPlatform
from propdesk.data.breakers import DynamoDBBreakerStore
from propdesk.platforms.port import NewAccount, PlatformUnavailableError
from propdesk.resilience.breaker_state import BreakerState, BreakerStore, InMemoryBreakerStore
from propdesk.resilience.circuit_breaker import CircuitBreaker
from propdesk.resilience.rate_limiter import TokenBucket
from propdesk.resilience.retry import RetryPolicy

from fakes.match_trader import FakeMatchTrader
from tests.doubles.timing import FakeTime
from tests.integration.dynamodb_local import TableNames

pytestmark = pytest.mark.integration

REQUEST = NewAccount(
    "propdesk:ord-1", "ada@example.com", "Ada", "Lovelace", "USD", Decimal(100000), "challenge-1"
)


def worker(fake: FakeMatchTrader, time: FakeTime, circuit: str) -> MatchTraderPlatform:
    """One provisioning worker's adapter: its own limiter and breaker object, the circuit in the table."""
    return MatchTraderPlatform(
        base_url=fake.url,
        token=lambda: fake.token,
        server="MatchTrader-Demo",
        limiter=TokenBucket.within(500, 60, clock=time.monotonic, sleep=time.sleep),
        breaker=CircuitBreaker(
            circuit,
            time.monotonic,  # the fake clock stands for the wall clock every worker shares
            failure_threshold=2,
            reset_timeout=30,
            counts_as_failure=lambda error: isinstance(error, PlatformUnavailableError),
            store=DynamoDBBreakerStore(),
            probe_lease=60,
        ),
        sleep=time.sleep,
        retry=RetryPolicy(max_attempts=1),
    )


def test_one_workers_failures_open_the_other_workers_circuit_until_a_trial_succeeds(
    tables: TableNames, unique_id: str, fake_match_trader: FakeMatchTrader, platform_time: FakeTime
) -> None:
    circuit = f"match-trader-{unique_id}"
    a, b = (
        worker(fake_match_trader, platform_time, circuit),
        worker(fake_match_trader, platform_time, circuit),
    )
    fake_match_trader.down = True
    for _ in range(2):
        with pytest.raises(PlatformUnavailableError, match="503"):
            a.find_account(REQUEST.reference, REQUEST.email)
    sent = len(fake_match_trader.requests)
    with pytest.raises(PlatformUnavailableError, match="not calling it"):
        b.find_account(REQUEST.reference, REQUEST.email)
    assert len(fake_match_trader.requests) == sent  # B failed fast on A's evidence

    fake_match_trader.down = False
    platform_time.now += 30
    assert b.find_account(REQUEST.reference, REQUEST.email) is None  # B's trial call succeeds
    assert DynamoDBBreakerStore().read(circuit) == BreakerState()
    assert a.find_account(REQUEST.reference, REQUEST.email) is None


def run_together(count: int, work: Callable[[], object]) -> list[object]:
    results: list[object] = []
    start = threading.Barrier(count)

    def run() -> None:
        start.wait()
        results.append(work())

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture(params=["dynamodb", "memory"])
def store(request: pytest.FixtureRequest, tables: TableNames) -> BreakerStore:
    return DynamoDBBreakerStore() if request.param == "dynamodb" else InMemoryBreakerStore()


def test_concurrent_failures_are_all_counted_and_open_the_circuit_once(
    store: BreakerStore, unique_id: str
) -> None:
    circuit = f"circuit-{unique_id}"
    run_together(8, lambda: store.add_failure(circuit, 5, 1000.0))
    state = store.read(circuit)
    assert (state.failures, state.opened_at) == (8, 1000.0)
    store.add_failure(circuit, 5, 2000.0)
    assert store.read(circuit).opened_at == 1000.0  # the first opener's instant stands


def test_exactly_one_of_many_concurrent_workers_takes_the_probe_lease(
    store: BreakerStore, unique_id: str
) -> None:
    circuit = f"circuit-{unique_id}"
    for _ in range(2):
        store.add_failure(circuit, 2, 1000.25)
    taken = run_together(8, lambda: store.take_probe(circuit, 1000.25, 1030.5, 1090.5))
    assert taken.count(True) == 1
    assert store.read(circuit).probe_until == 1090.5
    assert not store.take_probe(circuit, 1000.25, 1090.0, 1150.0)  # still held
    assert store.take_probe(circuit, 1000.25, 1090.5, 1150.5)  # expired: the next worker may probe
    store.reopen(circuit, 1100.0)
    assert not store.take_probe(circuit, 1000.25, 1130.0, 1190.0)  # a lease for an older opening
    assert store.read(circuit) == BreakerState(failures=2, opened_at=1100.0)
