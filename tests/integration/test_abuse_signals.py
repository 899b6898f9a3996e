"""Identity signals and account outcomes on DynamoDB Local, through the real table stream into abuse_detect:
two traders whose purchases were paid with one card are a shared-identity cluster; an account that fails
after hedging against a linked trader's account reaches the hedging detector (its tell-tale term)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from propdesk.abuse.detection import AbuseDetection
from propdesk.abuse.firm_settings import AbuseSettings, build_monitor
from propdesk.abuse.signals import SignalCapture, SignalHasher
from propdesk.abuse.store import CachedTraders, FlagQuery
from propdesk.data import keys
from propdesk.data.abuse_flags import AbuseFlagRepository
from propdesk.data.abuse_signals import SignalRepository
from propdesk.data.abuse_state import DynamoAbuseState
from propdesk.data.account_status import PurchaseAccountBook
from propdesk.data.accounts import AccountRepository
from propdesk.data.events import TradingEventRepository
from propdesk.data.schema import ABUSE_STATE_TABLE, create_table_request
from propdesk.records import StoredEvent

from functions.abuse_detect import handler as abuse_detect
from tests.doubles.ports import InMemoryAccountControl, ManualClock
from tests.integration.abuse_world import dynamo_enforcer
from tests.integration.dynamodb_local import DynamoDBLocal, TableNames, stream_records
from tests.integration.factories import account
from tests.integration.invoke import LambdaContextStub

pytestmark = pytest.mark.integration
MONDAY = datetime(2026, 3, 2, 10, tzinfo=UTC)


@pytest.fixture()
def state(dynamodb_local: DynamoDBLocal, fresh_tables: TableNames) -> DynamoAbuseState:
    name = f"abuse-state-{uuid.uuid4().hex[:8]}"
    client = dynamodb_local.client()
    client.create_table(**create_table_request(ABUSE_STATE_TABLE, name))  # type: ignore[arg-type]
    client.get_waiter("table_exists").wait(TableName=name)
    return DynamoAbuseState(name, dynamodb_local.client)


def dependencies(state: DynamoAbuseState) -> abuse_detect.Dependencies:
    traders = CachedTraders(AccountRepository())
    clock = ManualClock(MONDAY + timedelta(days=1))
    detection = AbuseDetection(
        state,
        AbuseFlagRepository(),
        dynamo_enforcer(InMemoryAccountControl(), traders, clock.now),
        lambda session: build_monitor(session, AbuseSettings()),
        traders,
        clock,
        lambda: uuid.uuid4().hex,
    )
    return abuse_detect.Dependencies(detection, TradingEventRepository.from_stream_image)


def records(server: DynamoDBLocal, tables: TableNames) -> list[dict[str, Any]]:
    return stream_records(server.streams_client(), server.stream_arn(tables.main))


def test_two_traders_paying_with_one_card_are_linked_from_their_stored_signals(
    dynamodb_local: DynamoDBLocal, fresh_tables: TableNames, state: DynamoAbuseState
) -> None:
    capture = SignalCapture(SignalHasher(b"the-firm-signal-key"), SignalRepository())
    first, second = f"t1-{uuid.uuid4().hex[:6]}", f"t2-{uuid.uuid4().hex[:6]}"
    assert capture.capture(first, "card", "fp_shared", MONDAY)
    assert not capture.capture(first, "card", "fp_shared", MONDAY + timedelta(hours=1)), "once a day"
    assert capture.capture(second, "card", "fp_shared", MONDAY + timedelta(hours=2))
    assert capture.capture(second, "ip", "198.51.100.4", MONDAY + timedelta(hours=2))
    signals = [
        r
        for r in records(dynamodb_local, fresh_tables)
        if r["dynamodb"]["Keys"]["sk"]["S"].startswith("SIGNAL#")
    ]
    assert len(signals) == 3
    assert all("fp_shared" not in str(r) and "198.51.100.4" not in str(r) for r in signals), "hashes only"

    answer = abuse_detect.process({"Records": signals}, LambdaContextStub(), dependencies(state))

    assert answer == {"batchItemFailures": []}
    found = AbuseFlagRepository().page(FlagQuery(trader_id=first, detector="shared_identity")).items
    assert len(found) == 1
    assert set(found[0].traders) == {first, second}
    assert [s.kind for s in found[0].evidence.signals] == ["card"]


def test_an_account_failing_after_hedging_a_linked_account_tells_the_hedging_detector(
    dynamodb_local: DynamoDBLocal, fresh_tables: TableNames, state: DynamoAbuseState
) -> None:
    trader = f"t-{uuid.uuid4().hex[:6]}"
    losing, winning = f"a-{uuid.uuid4().hex[:6]}", f"b-{uuid.uuid4().hex[:6]}"
    for account_id in (losing, winning):
        AccountRepository().open(account(account_id, trader))
    events = TradingEventRepository()
    for number in range(2):
        at = MONDAY + timedelta(hours=number)
        for account_id, side, profit in ((losing, "buy", "-900"), (winning, "sell", "880")):
            later = at + timedelta(minutes=30)
            opened = {
                "type": "position_opened", "time": at.isoformat(), "event_id": f"{account_id}-o{number}",
                "position_id": f"p{number}", "symbol": "XAUUSD", "side": side, "volume": "1",
            }  # fmt: skip
            closed = {
                "type": "position_closed", "time": later.isoformat(), "event_id": f"{account_id}-c{number}",
                "position_id": f"p{number}", "profit": profit,
            }  # fmt: skip
            for payload, moment in ((opened, at), (closed, at + timedelta(minutes=30))):
                stored = StoredEvent(account_id, payload["event_id"], moment, payload["type"], payload,
                                     keys.event_sk(moment, payload["event_id"]))  # fmt: skip
                events.record(stored, received_at=moment)
    failed_at = MONDAY + timedelta(hours=3)
    assert PurchaseAccountBook().set_status(losing, "failed", "max_loss", failed_at, ["active"])
    PurchaseAccountBook().set_status(losing, "failed", "again", failed_at, ["failed"])  # the same status

    answer = abuse_detect.process(
        {"Records": records(dynamodb_local, fresh_tables)}, LambdaContextStub(), dependencies(state)
    )

    assert answer == {"batchItemFailures": []}
    flag = AbuseFlagRepository().get(f"hedging:{'+'.join(sorted((losing, winning)))}")
    assert flag is not None and flag.severity == "high", "one failed while the other profited"
    assert f"{losing} failed" in dict(flag.evidence.inputs)["tell_tale"]
