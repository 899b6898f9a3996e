"""The daily deep pass on DynamoDB Local: the identity links the stream recorded from stored signals (two
traders who paid with one card a month ago) reach hedging's deep pass over this week's fills; a copy ring it
finds is written back to the state table for the stream, once (a second run writes nothing)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from propdesk.abuse.deep_pass import DeepPass
from propdesk.abuse.detection import AbuseDetection, FlagRecorder
from propdesk.abuse.firm_settings import AbuseSettings, build_monitor
from propdesk.abuse.monitor import AbuseMonitor
from propdesk.abuse.signals import SignalCapture, SignalHasher
from propdesk.abuse.state import KeyedState
from propdesk.abuse.store import CachedTraders
from propdesk.data import keys
from propdesk.data.abuse_flags import AbuseFlagRepository
from propdesk.data.abuse_signals import SignalRepository
from propdesk.data.abuse_state import DynamoAbuseState
from propdesk.data.abuse_window import ActiveAccountsWindow
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
OPENED = datetime(2026, 2, 1, tzinfo=UTC)
END = datetime(2026, 3, 9, 1, tzinfo=UTC)


def monitor_of(state: KeyedState) -> AbuseMonitor:
    return build_monitor(state, AbuseSettings())


@pytest.fixture()
def state(dynamodb_local: DynamoDBLocal, fresh_tables: TableNames) -> DynamoAbuseState:
    name = f"abuse-state-{uuid.uuid4().hex[:8]}"
    client = dynamodb_local.client()
    client.create_table(**create_table_request(ABUSE_STATE_TABLE, name))  # type: ignore[arg-type]
    client.get_waiter("table_exists").wait(TableName=name)
    return DynamoAbuseState(name, dynamodb_local.client)


def deep_pass(state: DynamoAbuseState) -> DeepPass:
    accounts = AccountRepository()
    traders = CachedTraders(accounts)
    clock = ManualClock(END)
    enforcer = dynamo_enforcer(InMemoryAccountControl(), traders, clock.now)
    recorder = FlagRecorder(AbuseFlagRepository(), enforcer, clock, lambda: uuid.uuid4().hex)
    window = ActiveAccountsWindow(accounts, TradingEventRepository())
    return DeepPass(window, recorder, monitor_of, 7, state)


def opened(account_id: str, number: int, at: datetime, side: str, volume: str, symbol: str) -> None:
    event_id = f"{account_id}-o{number}"
    payload = {
        "type": "position_opened", "time": at.isoformat(), "event_id": event_id, "position_id": f"p{number}",
        "symbol": symbol, "side": side, "volume": volume, "price": "2000",
    }  # fmt: skip
    stored = StoredEvent(account_id, event_id, at, "position_opened", payload, keys.event_sk(at, event_id))
    TradingEventRepository().record(stored, received_at=at)


def test_a_hedging_pair_linked_by_a_card_paid_a_month_ago_is_found_by_the_deep_pass(
    dynamodb_local: DynamoDBLocal, fresh_tables: TableNames, state: DynamoAbuseState
) -> None:
    first, second = f"t1-{uuid.uuid4().hex[:6]}", f"t2-{uuid.uuid4().hex[:6]}"
    buyer, seller = f"a-{uuid.uuid4().hex[:6]}", f"b-{uuid.uuid4().hex[:6]}"
    AccountRepository().open(account(buyer, first, opened_at=OPENED))
    AccountRepository().open(account(seller, second, opened_at=OPENED))
    capture = SignalCapture(SignalHasher(b"the-firm-signal-key"), SignalRepository())
    assert capture.capture(first, "card", "fp_shared", OPENED + timedelta(days=1), buyer)
    assert capture.capture(second, "card", "fp_shared", OPENED + timedelta(days=2), seller)
    signals = [
        record
        for record in stream_records(
            dynamodb_local.streams_client(), dynamodb_local.stream_arn(fresh_tables.main)
        )
        if record["dynamodb"]["Keys"]["sk"]["S"].startswith("SIGNAL#")
    ]
    traders = CachedTraders(AccountRepository())
    clock = ManualClock(OPENED + timedelta(days=2))
    detection = AbuseDetection(
        state,
        AbuseFlagRepository(),
        dynamo_enforcer(InMemoryAccountControl(), traders, clock.now),
        monitor_of,
        traders,
        clock,
        lambda: uuid.uuid4().hex,
    )
    answer = abuse_detect.process(
        {"Records": signals},
        LambdaContextStub(),
        abuse_detect.Dependencies(detection, TradingEventRepository.from_stream_image),
    )
    assert answer == {"batchItemFailures": []}
    for day in (3, 4):  # this week; the stream never saw these fills
        at = END - timedelta(days=day)
        opened(buyer, day, at, "buy", "1", "XAUUSD")
        opened(seller, day, at + timedelta(seconds=45), "sell", "1", "XAUUSD")

    before = state.requests
    report = deep_pass(state).run(END)

    assert state.requests - before == 1, "the window's traders' links in one BatchGetItem; nothing written"
    flag = AbuseFlagRepository().get(f"hedging:{'+'.join(sorted((buyer, seller)))}")
    assert flag is not None and flag.found_by == "deep"
    assert report.linked_traders == 2
    assert [s.kind for s in flag.evidence.signals] == ["card"]


def test_a_ring_the_deep_pass_finds_is_written_back_for_the_stream_once(
    fresh_tables: TableNames, state: DynamoAbuseState
) -> None:
    lead, copier = f"l-{uuid.uuid4().hex[:6]}", f"c-{uuid.uuid4().hex[:6]}"
    AccountRepository().open(account(lead, f"t-{lead}", opened_at=OPENED))
    AccountRepository().open(account(copier, f"t-{copier}", opened_at=OPENED))
    for day in range(1, 7):  # the copier trades twice the size: only the deep pass sees it
        at = END - timedelta(days=day)
        opened(lead, day, at, "sell", "1", "GBPUSD")
        opened(copier, day, at + timedelta(seconds=4), "sell", "2", "GBPUSD")

    report = deep_pass(state).run(END)
    cost = state.requests
    again = deep_pass(state).run(END)

    assert report.rings_written == 1 and again.rings_written == 0 and again.conflicts == 0
    # the links' batch, each member's ring-of by key, then the transaction; again: the batch, the ring-ofs
    # and the ring they name, and nothing to write
    assert (cost, state.requests - cost) == (4, 4)
    session = state.session()
    ring_of = [session.get(f"copy#ring-of#{a}", END) for a in (lead, copier)]
    assert ring_of[0] is not None and ring_of[0] == ring_of[1]
    ring = session.get(f"copy#ring#{ring_of[0]['r']}", END)
    assert ring is not None and set(ring["m"]) == {lead, copier}
    assert AbuseFlagRepository().get(f"copy_trading:{ring_of[0]['r']}") is not None
