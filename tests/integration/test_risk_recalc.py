"""risk_recalc on DynamoDB Local's real stream records: partial batches, duplicates, late events, breaches."""

from __future__ import annotations

import copy
import json
import random
import threading
from decimal import Decimal

import pytest
from propdesk.data.accounts import AccountRepository
from propdesk.data.events import TradingEventRepository
from propdesk.data.risk import BreachRepository, RiskStateRepository
from propdesk.domain_events import AccountBreached, AccountPassed, AccountWarning

from events import load_event
from functions.risk_recalc import handler as risk_recalc
from tests.integration.dynamodb_local import DynamoDBLocal, TableNames
from tests.integration.invoke import stream_event
from tests.integration.risk_world import CONTEXT, RiskWorld, core

pytestmark = pytest.mark.integration
read_image = TradingEventRepository.from_stream_image


def equity(event_id: str, time: str, value: str) -> dict[str, str]:
    return {"event_id": event_id, "time": time, "type": "equity", "equity": value}


def opened(event_id: str, time: str, position: str) -> dict[str, str]:
    return {
        "event_id": event_id,
        "time": time,
        "type": "position_opened",
        "position_id": position,
        "symbol": "EURUSD",
        "side": "buy",
        "volume": "1.0",
    }


def closed(event_id: str, time: str, position: str, profit: str) -> dict[str, str]:
    return {
        "event_id": event_id,
        "time": time,
        "type": "position_closed",
        "position_id": position,
        "profit": profit,
    }


A_DAY_OF_TRADING = [
    opened("e1", "2026-03-02T10:00:00+01:00", "p1"),
    equity("e2", "2026-03-02T10:30:00+01:00", "98500.00"),
    equity("e3", "2026-03-02T11:00:00+01:00", "97900.00"),
    closed("e4", "2026-03-02T12:00:00+01:00", "p1", "-2100.00"),
    opened("e5", "2026-03-03T09:00:00+01:00", "p2"),
    equity("e6", "2026-03-03T09:30:00+01:00", "98400.00"),
]


@pytest.fixture()
def world(dynamodb_local: DynamoDBLocal, tables: TableNames, unique_id: str) -> RiskWorld:
    return RiskWorld.open(dynamodb_local, tables, unique_id)


def test_the_sample_stream_event_file_is_processed_as_delivered(
    dynamodb_local: DynamoDBLocal, fresh_tables: TableNames
) -> None:
    sample = load_event("dynamodb/trading_event_insert")
    world = RiskWorld.open(dynamodb_local, fresh_tables, "acc-1001")
    payload = json.loads(sample["Records"][0]["dynamodb"]["NewImage"]["payload"]["S"])
    world.store(payload)

    assert world.deliver(sample["Records"]) == {"batchItemFailures": []}
    assert world.evaluation()["metrics"]["equity"] == "99750.00"


def test_real_stream_records_update_the_risk_state(world: RiskWorld) -> None:
    world.store(A_DAY_OF_TRADING[0])
    (record,) = world.stream()

    response = world.deliver([record])

    assert response == {"batchItemFailures": []}
    assert core(world.evaluation()) == world.in_order_verdict()
    assert set(record) >= set(stream_event([record["dynamodb"]["NewImage"]])["Records"][0])


def test_a_poison_record_is_reported_alone_and_the_others_are_processed(world: RiskWorld) -> None:
    world.store(A_DAY_OF_TRADING[0], A_DAY_OF_TRADING[1])
    good_one, good_two = world.stream()
    poison = copy.deepcopy(good_two)
    poison["dynamodb"]["SequenceNumber"] = "999"
    poison["dynamodb"]["NewImage"]["payload"] = {"S": '{"type": "equity", "time": "not a time"}'}
    broken = copy.deepcopy(good_two)
    broken["dynamodb"]["SequenceNumber"] = "998"
    del broken["dynamodb"]["NewImage"]

    response = world.deliver([good_one, poison, broken, good_two])

    assert response == {"batchItemFailures": [{"itemIdentifier": "999"}, {"itemIdentifier": "998"}]}
    assert world.evaluation()["metrics"]["equity"] == "98500.00"


def test_a_whole_batch_of_poison_is_reported_not_raised(world: RiskWorld) -> None:
    world.store(A_DAY_OF_TRADING[0])
    (record,) = world.stream()
    record["dynamodb"]["NewImage"]["account_id"] = {"S": "no-such-account"}

    response = world.deliver([record])

    assert response == {"batchItemFailures": [{"itemIdentifier": record["dynamodb"]["SequenceNumber"]}]}


def test_records_the_mapping_filter_would_drop_are_skipped(world: RiskWorld) -> None:
    """The local cloud ignores the mapping's filter: other items' records and updates reach the handler."""
    world.store(A_DAY_OF_TRADING[0])
    (record,) = world.stream()
    other_item = copy.deepcopy(record)
    other_item["dynamodb"]["Keys"]["sk"] = {"S": "RISK"}
    other_item["dynamodb"]["NewImage"] = {"pk": record["dynamodb"]["Keys"]["pk"], "sk": {"S": "RISK"}}
    update = copy.deepcopy(record)
    update["eventName"] = "MODIFY"

    assert world.deliver([other_item, update]) == {"batchItemFailures": []}
    assert RiskStateRepository().get(world.account.account_id) is None


def test_an_empty_or_foreign_event_is_answered_without_raising(world: RiskWorld) -> None:
    assert world.deliver([]) == {"batchItemFailures": []}
    assert risk_recalc.process({"unexpected": True}, CONTEXT, world.dependencies()) == {
        "batchItemFailures": []
    }


def test_duplicates_and_shuffled_delivery_give_the_in_order_result(world: RiskWorld) -> None:
    world.store(*A_DAY_OF_TRADING)
    records = world.stream()
    shuffled = records + records[:3]
    random.Random(7).shuffle(shuffled)

    for start in range(0, len(shuffled), 4):
        assert world.deliver(shuffled[start : start + 4]) == {"batchItemFailures": []}

    assert core(world.evaluation()) == world.in_order_verdict()
    snapshot = RiskStateRepository().get(world.account.account_id)
    assert snapshot is not None and snapshot.applied_events == len(A_DAY_OF_TRADING)


def test_a_late_event_before_the_watermark_replays_the_history(world: RiskWorld) -> None:
    world.store(*A_DAY_OF_TRADING)
    world.deliver(world.stream())
    assert world.evaluation()["status"] == "active"

    # a dip to 94500 at 11:30 on day one, delivered after day two's events: a breach back then
    world.store(equity("late", "2026-03-02T11:30:00+01:00", "94500.00"))
    late = [r for r in world.stream() if r["dynamodb"]["Keys"]["sk"]["S"].endswith("#late")]
    assert world.deliver(late) == {"batchItemFailures": []}

    after = world.evaluation()
    assert core(after) == world.in_order_verdict()
    assert after["status"] == "failed"
    assert [b["time"] for b in after["breaches"]] == ["2026-03-02T11:30:00+01:00"]
    assert world.deliver(late) == {"batchItemFailures": []}  # the late record again: a duplicate now
    assert world.evaluation() == after


def test_a_daily_loss_breach_is_evidence_fails_and_disables_the_account(world: RiskWorld) -> None:
    world.store(
        opened("e1", "2026-03-02T10:00:00+01:00", "p1"),
        equity("e2", "2026-03-02T10:05:00+01:00", "94999.99"),
        equity("e3", "2026-03-02T10:06:00+01:00", "94000.00"),
    )

    world.deliver(world.stream())

    account_id = world.account.account_id
    evidence = BreachRepository().list_for_account(account_id).items
    assert [(b.rule, b.effect, b.limit, b.value, b.event_id) for b in evidence] == [
        ("daily_loss", "fail", Decimal("95000.00"), Decimal("94999.99"), "e2")
    ]
    assert evidence[0].program_id == "two-step-100k-phase-1" and evidence[0].figures
    failed = AccountRepository().get(account_id)
    assert failed is not None and (failed.status, failed.status_reason) == ("failed", "daily_loss")
    assert world.control.disabled == [(account_id, "daily_loss")]
    breached = world.publisher.of_type("account.breached")
    assert len(breached) == 1 and isinstance(breached[0], AccountBreached)
    assert breached[0].limit == evidence[0].limit
    assert world.evaluation()["status"] == "failed"


def test_a_redelivered_breach_publishes_nothing_new(world: RiskWorld) -> None:
    world.store(equity("e1", "2026-03-02T10:05:00+01:00", "94000.00"))
    records = world.stream()
    world.deliver(records)
    world.deliver(records)
    assert len(world.publisher.of_type("account.breached")) == 1
    assert len(world.control.disabled) == 1


def test_a_failed_publish_stays_pending_and_the_retry_publishes_once(world: RiskWorld) -> None:
    world.store(equity("e1", "2026-03-02T10:05:00+01:00", "94000.00"))
    records = world.stream()
    world.publisher.fail_next = 1

    first = world.deliver(records)
    assert first == {"batchItemFailures": [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]}
    written = RiskStateRepository().get(world.account.account_id)
    assert written is not None and [effect.kind for effect in written.pending] == ["publish"]

    assert world.deliver(records) == {"batchItemFailures": []}
    assert len(world.publisher.of_type("account.breached")) == 1
    settled = RiskStateRepository().get(world.account.account_id)
    assert settled is not None and settled.pending == () and settled.version == written.version


def test_a_limit_warning_is_sent_once_per_day(world: RiskWorld) -> None:
    world.store(
        opened("e1", "2026-03-02T10:00:00+01:00", "p1"),
        equity("e2", "2026-03-02T10:05:00+01:00", "95900.00"),
        equity("e3", "2026-03-02T10:06:00+01:00", "95800.00"),
    )
    world.deliver(world.stream())
    world.store(equity("e4", "2026-03-02T10:07:00+01:00", "95700.00"))
    world.deliver(world.stream())

    warnings = world.publisher.of_type("account.warning")
    assert [w.rule for w in warnings if isinstance(w, AccountWarning)] == ["daily_loss"]


def test_passing_is_announced_once_with_the_status_changed(world: RiskWorld) -> None:
    days = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]
    for number, day in enumerate(days, start=1):
        world.store(
            opened(f"o{number}", f"{day}T10:00:00+01:00", f"p{number}"),
            closed(f"c{number}", f"{day}T11:00:00+01:00", f"p{number}", "2600.00"),
        )
    world.deliver(world.stream())
    world.deliver(world.stream())

    passed = world.publisher.of_type("account.passed")
    assert len(passed) == 1 and isinstance(passed[0], AccountPassed)
    account = AccountRepository().get(world.account.account_id)
    assert account is not None and account.status == "passed"
    assert world.evaluation()["status"] == "passed"


def test_two_concurrent_recalculations_lose_no_event(world: RiskWorld) -> None:
    """Two writers race on one account's RISK item; optimistic locking retries the loser."""
    world.store(*A_DAY_OF_TRADING)
    records = world.stream()
    services = [world.service(), world.service()]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            for record in records[index::2]:
                services[index].on_event_recorded(read_image(record["dynamodb"]["NewImage"]))
        except BaseException as error:  # pragma: no cover - surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    snapshot = RiskStateRepository().get(world.account.account_id)
    assert snapshot is not None and snapshot.applied_events == len(A_DAY_OF_TRADING)
    assert core(snapshot.evaluation) == world.in_order_verdict()


def test_a_poisoned_amount_is_rejected_alone_and_a_later_breach_still_fails_the_account(
    world: RiskWorld,
) -> None:
    """Risk never fails open: an equity the engine cannot evaluate blocks none of the later events."""
    world.store(equity("poison", "2026-03-02T10:00:00+01:00", "1E+100"))
    assert world.deliver(world.stream()) == {"batchItemFailures": []}  # a failed record before
    world.store(equity("real", "2026-03-02T10:05:00+01:00", "88000.00"))
    fresh = [r for r in world.stream() if r["dynamodb"]["Keys"]["sk"]["S"].endswith("#real")]

    assert world.deliver(fresh) == {"batchItemFailures": []}

    after = world.evaluation()
    assert [(r["event_id"], r["field"]) for r in after["rejected_events"]] == [("poison", "equity")]
    assert after["status"] == "failed"
    account = AccountRepository().get(world.account.account_id)
    assert account is not None and account.status == "failed"
    assert world.control.disabled == [(world.account.account_id, "daily_loss")]
