"""DynamoDB requests per trading event on the risk path (deterministic, counted, not timed).

The `risk_recalc` handler runs in-process against AWS's DynamoDB Local (started by this script, as the
integration tests start it) on real stream records; every request the data layer sends (pynamodb's
`Connection._make_api_call`) is counted by operation. Three deliveries of the same calm trading (positions
opened and closed, equity readings inside the limits, one warm execution environment per delivery):

- one by one: each event stored, then its stream record delivered alone (a batch of 1);
- a batch of 10 records of one account;
- a mixed batch: 4 accounts, 5 events each, interleaved (20 records);
- a batch of 10 accounts' one event each (what a busy stream carries when every account trades now and then).

Each is measured three times, side by side: `per record` is the path before batching (the handler's old
record handler: `RiskService.on_event_recorded` for each record), `batched, each account read alone` the
batched handler before the batch's reads were made together, `batched` the handler as deployed (the
accounts and snapshots of the batch in two BatchGetItem requests: `propdesk.data.risk_batch_reads`). Printed
per trading event, excluding and including the event's own ingestion write (one conditional PutItem).

    .venv/bin/python benchmarks/risk_requests.py [--json]
"""

from __future__ import annotations

import json
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "shared")]

from propdesk.batches import stream_batch  # noqa: E402
from propdesk.data.binding import TableBinding, bind_tables  # noqa: E402
from pynamodb.connection.base import Connection  # noqa: E402

from functions.risk_recalc import handler as risk_recalc  # noqa: E402
from tests.integration.dynamodb_local import REGION, DynamoDBLocal, TableNames  # noqa: E402
from tests.integration.risk_world import CONTEXT, RiskWorld, core  # noqa: E402

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

BATCH = 10
MIXED_ACCOUNTS, MIXED_EVENTS = 4, 5


class RequestCounter:
    """Counts the DynamoDB requests the data layer sends while `counting()` is active."""

    def __init__(self) -> None:
        self.operations: Counter[str] = Counter()
        self._active = False
        original = Connection._make_api_call
        counter = self

        def counted(connection: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> Any:
            if counter._active:
                counter.operations[operation_name] += 1
            return original(connection, operation_name, operation_kwargs)

        setattr(Connection, "_make_api_call", counted)  # noqa: B010  # the class attribute: every connection

    @contextmanager
    def counting(self) -> Iterator[Counter[str]]:
        self.operations = Counter()
        self._active = True
        try:
            yield self.operations
        finally:
            self._active = False


def calm_day(count: int, start: datetime, tag: str) -> list[dict[str, str]]:
    """`count` events inside every limit: a position opened, equity readings, the position closed, again."""
    events: list[dict[str, str]] = []
    for number in range(count):
        event_id, time = f"{tag}-{number:03d}", (start + timedelta(minutes=5 * number)).isoformat()
        phase = number % 5
        position = f"{tag}-p{number // 5}"
        if phase == 0:
            events.append(
                {
                    "event_id": event_id,
                    "time": time,
                    "type": "position_opened",
                    "position_id": position,
                    "symbol": "EURUSD",
                    "side": "buy",
                    "volume": "1.0",
                }
            )
        elif phase == 4:
            events.append(
                {
                    "event_id": event_id,
                    "time": time,
                    "type": "position_closed",
                    "position_id": position,
                    "profit": "120.00",
                }
            )
        else:
            events.append(
                {
                    "event_id": event_id,
                    "time": time,
                    "type": "equity",
                    "equity": f"{100_000 + 40 * number + 10 * phase:.2f}",
                }
            )
    return events


Deliver = Callable[[risk_recalc.Dependencies, list[dict[str, Any]]], dict[str, Any]]
LAMBDA_CONTEXT = cast("LambdaContext", CONTEXT)


def per_record(deps: risk_recalc.Dependencies, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The handler before batching: each record recalculated on its own (`on_event_recorded`)."""

    def recalculate(record: Any) -> None:
        deps.service.on_event_recorded(deps.read_image(record.raw_event["dynamodb"]["NewImage"]))

    return stream_batch({"Records": records}, LAMBDA_CONTEXT, recalculate)


def batched(deps: risk_recalc.Dependencies, records: list[dict[str, Any]]) -> dict[str, Any]:
    """The handler as deployed."""
    return risk_recalc.process({"Records": records}, LAMBDA_CONTEXT, deps)


@dataclass
class Figures:
    events: int
    ingestion: Counter[str]
    risk: Counter[str]

    @property
    def risk_per_event(self) -> float:
        return sum(self.risk.values()) / self.events

    @property
    def total_per_event(self) -> float:
        return (sum(self.risk.values()) + sum(self.ingestion.values())) / self.events


class Bench:
    def __init__(
        self, server: DynamoDBLocal, tables: TableNames, counter: RequestCounter, preload: bool = True
    ) -> None:
        self.server, self.tables, self.counter = server, tables, counter
        self.preload = preload

    def world(self) -> RiskWorld:
        return RiskWorld.open(self.server, self.tables, f"bench-{uuid.uuid4().hex[:10]}")

    def new_records(self, worlds: list[RiskWorld], seen: set[str]) -> list[dict[str, Any]]:
        records = [
            r for world in worlds for r in world.stream() if r["dynamodb"]["SequenceNumber"] not in seen
        ]
        records.sort(key=lambda r: int(r["dynamodb"]["SequenceNumber"]))
        seen.update(r["dynamodb"]["SequenceNumber"] for r in records)
        return records

    def one_by_one(self, deliver: Deliver) -> Figures:
        world, seen = self.world(), set[str]()
        deps = world.dependencies(preload=self.preload)  # one warm execution environment
        ingestion, risk = Counter[str](), Counter[str]()
        events = calm_day(BATCH, world.account.opened_at + timedelta(hours=1), "o")
        for raw in events:
            with self.counter.counting() as stored:
                world.store(raw)
            ingestion += stored
            records = self.new_records([world], seen)
            with self.counter.counting() as used:
                assert deliver(deps, records) == {"batchItemFailures": []}
            risk += used
        assert core(world.evaluation()) == world.in_order_verdict()
        return Figures(len(events), ingestion, risk)

    def one_batch(self, deliver: Deliver, accounts: int, per_account: int) -> Figures:
        worlds, seen = [self.world() for _ in range(accounts)], set[str]()
        days = [
            calm_day(per_account, w.account.opened_at + timedelta(hours=1), f"a{i}")
            for i, w in enumerate(worlds)
        ]
        with self.counter.counting() as ingestion:
            for number in range(per_account):  # interleaved: the accounts trade at once
                for world, day in zip(worlds, days, strict=True):
                    world.store(day[number])
        records = self.new_records(worlds, seen)
        deps = worlds[0].dependencies(preload=self.preload)  # one execution environment for the batch
        with self.counter.counting() as risk:
            assert deliver(deps, records) == {"batchItemFailures": []}
        for world in worlds:
            assert core(world.evaluation()) == world.in_order_verdict()
        return Figures(accounts * per_account, Counter(ingestion), Counter(risk))


def run() -> dict[str, dict[str, Figures]]:
    counter = RequestCounter()
    server = DynamoDBLocal()
    server.start()
    try:
        tables = server.create_tables(f"bench-{uuid.uuid4().hex[:8]}")
        bind_tables(
            TableBinding(tables.main, tables.connections, REGION, server.endpoint_url, tables.realtime)
        )
        results: dict[str, dict[str, Figures]] = {}
        for name, deliver, preload in (
            ("per record", per_record, False),
            ("batched, each account read alone", batched, False),
            ("batched", batched, True),  # as deployed: the batch's accounts and snapshots read together
        ):
            bench = Bench(server, tables, counter, preload)
            results[name] = {
                "one by one": bench.one_by_one(deliver),
                f"batch of {BATCH}, one account": bench.one_batch(deliver, 1, BATCH),
                f"mixed batch, {MIXED_ACCOUNTS} accounts x {MIXED_EVENTS}": bench.one_batch(
                    deliver, MIXED_ACCOUNTS, MIXED_EVENTS
                ),
                f"{BATCH} accounts x 1": bench.one_batch(deliver, BATCH, 1),
            }
        return results
    finally:
        server.stop()


def main() -> int:
    import os

    for name, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_METRICS_NAMESPACE": "propdesk",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }.items():
        os.environ.setdefault(name, value)
    results = run()
    if "--json" in sys.argv:
        print(
            json.dumps(
                {
                    path: {
                        delivery: {
                            "events": f.events,
                            "risk": dict(f.risk),
                            "ingestion": dict(f.ingestion),
                            "risk_per_event": f.risk_per_event,
                            "total_per_event": f.total_per_event,
                        }
                        for delivery, f in figures.items()
                    }
                    for path, figures in results.items()
                },
                indent=2,
            )
        )
        return 0
    for path, figures in results.items():
        for delivery, f in figures.items():
            slug = (
                f"{path} / {delivery}".replace(" ", "_").replace(",", "").replace("/", "").replace("__", "_")
            )
            print(f"# {path}, {delivery}: risk {dict(sorted(f.risk.items()))}, ingestion "
                  f"{dict(f.ingestion)}, {f.events} events")  # fmt: skip
            print(f"risk_dynamodb_requests_per_event[{slug}]: {f.risk_per_event:.2f} requests")
            print(f"all_dynamodb_requests_per_event[{slug}]: {f.total_per_event:.2f} requests")
    return 0


if __name__ == "__main__":
    sys.exit(main())
