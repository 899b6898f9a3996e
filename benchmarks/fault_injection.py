"""Fault injection on DynamoDB Local: N trading events and M purchases through the real handlers, once without
faults and once with random faults injected (same seed), redelivered as the event sources do until quiescent;
the two final states compared.

Faults (see `tests/integration/faults/injector.py`): DynamoDB throttling (bursts the SDK absorbs and bursts
that reach the application) and version races in the middle of a batch, EventBridge `PutEvents` partial
failures, the function killed between a risk snapshot and its effects (or just after `PutEvents`), provider
5xx and lost answers (Stripe, Match-Trader).

    .venv/bin/python benchmarks/fault_injection.py [--seed 7] [--accounts 6] [--events-per-account 12]
                                                    [--purchases 6]

Prints `name: value unit` lines; exits 1 when the states differ (anything lost or doubled).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "STAGE": "test",
    "POWERTOOLS_METRICS_NAMESPACE": "propdesk",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "CRITICAL",  # before the handlers' logger is created: the figures only
    "POWERTOOLS_METRICS_DISABLED": "true",
}
os.environ.update(ENVIRONMENT)

import pytest  # noqa: E402

from tests.integration.conftest import _bind  # noqa: E402
from tests.integration.dynamodb_local import DynamoDBLocal  # noqa: E402
from tests.integration.faults.injector import FaultRates  # noqa: E402
from tests.integration.faults.scenario import RunResult, differences, run  # noqa: E402


def one_run(server: DynamoDBLocal, rates: FaultRates, args: argparse.Namespace) -> tuple[RunResult, float]:
    tables = server.create_tables(f"faults-{uuid.uuid4().hex[:10]}")
    started = time.perf_counter()
    with pytest.MonkeyPatch.context() as monkeypatch:
        for name, value in {**ENVIRONMENT, "AWS_ENDPOINT_URL": server.endpoint_url}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("AWS_PROFILE", raising=False)
        _bind(monkeypatch, server, tables)
        result = run(server, tables, monkeypatch, args.seed, rates, args.accounts,
                     args.events_per_account, args.purchases)  # fmt: skip
    return result, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--accounts", type=int, default=6)
    parser.add_argument("--events-per-account", type=int, default=12)
    parser.add_argument("--purchases", type=int, default=6)
    args = parser.parse_args()
    server = DynamoDBLocal()
    server.start()
    try:
        clean, clean_seconds = one_run(server, FaultRates.none(), args)
        # crashes more often than the tests' default: few snapshot writes carry effects
        faulty, faulty_seconds = one_run(server, replace(FaultRates.default(), crash=0.3), args)
    finally:
        server.stop()
    found = differences(clean.state, faulty.state)
    published = faulty.state["published"]
    print(f"fault_injection.seed: {args.seed}")
    print(f"fault_injection.trading_events: {faulty.trading_events} events")
    print(f"fault_injection.purchases: {faulty.purchases} purchases")
    for kind, count in sorted(faulty.faults.items()):
        print(f"fault_injection.faults_{kind}: {count} faults")
    print(f"fault_injection.faults_total: {sum(faulty.faults.values())} faults")
    print(f"fault_injection.redeliveries: {faulty.redeliveries} deliveries")
    print(f"fault_injection.events_published_distinct: {sum(published['distinct'].values())} events")
    print(f"fault_injection.max_receives_of_a_message: {faulty.max_receives} receives")
    print(f"fault_injection.republished_with_new_occurred_at: {faulty.restamped} events")
    print(f"fault_injection.doubled_effects: {published['doubled_effects']} effects")
    print(f"fault_injection.differences: {len(found)} differences")
    print(f"fault_injection.clean_run: {clean_seconds:.1f} s")
    print(f"fault_injection.faulty_run: {faulty_seconds:.1f} s")
    for difference in found[:20]:
        print(f"# difference {difference}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
