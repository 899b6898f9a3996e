"""Abuse detection on DynamoDB Local: the state table's sessions (all or nothing, once per event, never over
another writer), the flag store's queue and decisions, and abuse_detect fed with real stream records, counting
the DynamoDB requests each trading event costs."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from propdesk.abuse.codec import flag_from_dict
from propdesk.abuse.detection import AbuseDetection
from propdesk.abuse.firm_settings import AbuseSettings, build_monitor
from propdesk.abuse.flags import Evidence, Flag, TradeRef
from propdesk.abuse.review import FlagReview
from propdesk.abuse.store import CachedTraders, FlagQuery, StateConflictError
from propdesk.data import keys
from propdesk.data.abuse_flags import AbuseFlagRepository
from propdesk.data.abuse_state import DynamoAbuseState
from propdesk.data.accounts import AccountRepository
from propdesk.data.audit import AuditLog
from propdesk.data.events import TradingEventRepository
from propdesk.data.payout_holds import PayoutHoldRepository
from propdesk.data.schema import ABUSE_STATE_TABLE, create_table_request
from propdesk.payouts.holds import PayoutHold
from propdesk.records import AuditEntry, StoredEvent

from functions.abuse_detect import handler as abuse_detect
from tests.doubles.ports import InMemoryAccountControl, ManualClock
from tests.integration.abuse_world import dynamo_enforcer
from tests.integration.dynamodb_local import DynamoDBLocal, TableNames, stream_records
from tests.integration.factories import account
from tests.integration.invoke import LambdaContextStub

pytestmark = pytest.mark.integration
MONDAY = datetime(2026, 3, 2, 10, tzinfo=UTC)


@pytest.fixture(scope="session")
def abuse_table(dynamodb_local: DynamoDBLocal) -> str:
    name = f"abuse-state-{uuid.uuid4().hex[:8]}"
    client = dynamodb_local.client()
    client.create_table(**create_table_request(ABUSE_STATE_TABLE, name))  # type: ignore[arg-type]
    client.get_waiter("table_exists").wait(TableName=name)
    return name


@pytest.fixture()
def state(abuse_table: str, dynamodb_local: DynamoDBLocal, tables: TableNames) -> DynamoAbuseState:
    return DynamoAbuseState(abuse_table, dynamodb_local.client)


def test_a_session_commits_its_writes_with_the_event_mark_and_a_redelivery_finds_the_mark(
    state: DynamoAbuseState,
) -> None:
    key = f"book#{uuid.uuid4().hex}"
    session = state.session()
    assert session.get(key, MONDAY) is None
    session.put(key, {"p": {"x": 1}}, MONDAY + timedelta(days=1))
    event = uuid.uuid4().hex

    assert state.commit(session, event, MONDAY)
    assert state.applied(event)
    again = state.session()
    assert again.get(key, MONDAY) == {"p": {"x": 1}}
    again.put(key, {"p": {}}, MONDAY + timedelta(days=1))
    assert state.commit(again, event, MONDAY) is False, "the event was applied: nothing written"
    assert state.session().get(key, MONDAY) == {"p": {"x": 1}}


def test_two_sessions_that_read_the_same_item_cannot_both_write_it(state: DynamoAbuseState) -> None:
    key = f"copy#pair#{uuid.uuid4().hex}"
    first, second = state.session(), state.session()
    for session, value in ((first, 1), (second, 2)):
        session.get(key, MONDAY)
        session.put(key, {"n": value}, MONDAY + timedelta(days=1))

    assert state.commit(first, uuid.uuid4().hex, MONDAY)
    with pytest.raises(StateConflictError):
        state.commit(second, uuid.uuid4().hex, MONDAY)
    assert state.session().get(key, MONDAY) == {"n": 1}


def test_an_expired_item_reads_as_absent_before_ttl_deletes_it(state: DynamoAbuseState) -> None:
    key = f"scalp#{uuid.uuid4().hex}"
    session = state.session()
    session.put(key, {"d": []}, MONDAY + timedelta(seconds=45))
    assert state.commit(session, uuid.uuid4().hex, MONDAY)
    assert state.session().get(key, MONDAY + timedelta(seconds=46)) is None


def flag(account_a: str, account_b: str, trader_a: str, trader_b: str, at: datetime, detector: Any) -> Flag:
    trade = TradeRef(account_a, "p1", "EURUSD", "buy", Decimal("1"), at, Decimal("1.08"), event_id="mt:1")
    evidence = Evidence(
        "repeats 5", Decimal("5.00"), "Σ 1 / max(1, λ)", (("repeats", "5"),), (("min_repeats", "5"),),
        ((trade, trade),),
    )  # fmt: skip
    return Flag(
        f"{detector}:{account_a}+{account_b}", detector, "medium", (account_a, account_b),
        (trader_a, trader_b), evidence, at,
    )  # fmt: skip


def test_flags_are_stored_with_their_evidence_queued_by_status_detector_account_and_trader(
    tables: TableNames, unique_id: str
) -> None:
    store = AbuseFlagRepository()
    a, b, t1, t2 = f"a{unique_id}", f"b{unique_id}", f"t1{unique_id}", f"t2{unique_id}"
    copied = flag(a, b, t1, t2, MONDAY, "copy_trading")
    hedged = flag(a, b, t1, t2, MONDAY + timedelta(hours=1), "hedging")
    store.save(copied, copied)
    store.save(hedged, hedged)

    assert store.get(copied.flag_id) == copied
    assert flag_from_dict(copied.to_dict()) == copied
    assert [f.flag_id for f in store.page(FlagQuery(account_id=a)).items] == [hedged.flag_id, copied.flag_id]
    assert [f.flag_id for f in store.page(FlagQuery(trader_id=t2, detector="hedging")).items] == [
        hedged.flag_id
    ]
    newest = store.page(FlagQuery(status="open", detector="copy_trading"), limit=100).items
    assert copied.flag_id in [f.flag_id for f in newest]
    assert store.detections(copied.flag_id)[0].evidence == copied.evidence


def test_a_decision_is_stored_with_its_audit_entry_once(tables: TableNames, unique_id: str) -> None:
    store = AbuseFlagRepository()
    found = flag(f"a{unique_id}", f"b{unique_id}", "t1", "t2", MONDAY, "copy_trading")
    store.save(found, found)
    entry = AuditEntry(uuid.uuid4().hex, MONDAY, "staff-1", "abuse_flag_decided", f"FLAG#{found.flag_id}")
    decided = Flag(**{**{s: getattr(found, s) for s in Flag.__slots__}, "status": "dismissed"})  # type: ignore[arg-type]

    assert store.decide(decided, entry)
    assert store.decide(decided, AuditEntry(uuid.uuid4().hex, MONDAY, "staff-2", "x", entry.subject)) is False
    assert store.get(found.flag_id).status == "dismissed"  # type: ignore[union-attr]
    assert [e.actor for e in AuditLog().for_subject(entry.subject).items] == ["staff-1"]
    assert (
        store.page(FlagQuery(status="dismissed", account_id=found.accounts[0])).items[0].status == "dismissed"
    )


class CopyRing:
    """Two traders' accounts on the real table; their openings stored as ingestion stores them."""

    def __init__(
        self, server: DynamoDBLocal, tables: TableNames, state: DynamoAbuseState, unique: str
    ) -> None:
        self.server, self.tables, self.state = server, tables, state
        self.accounts = {f"cp-a{unique}": f"cp-t1{unique}", f"cp-b{unique}": f"cp-t2{unique}"}
        for account_id, trader in self.accounts.items():
            AccountRepository().open(account(account_id, trader))
        self.events = TradingEventRepository()
        self.clock = ManualClock(MONDAY)
        self.control = InMemoryAccountControl()
        self.numbers = itertools.count(1)

    def dependencies(self) -> abuse_detect.Dependencies:
        traders = CachedTraders(AccountRepository())
        settings = AbuseSettings()
        detection = AbuseDetection(
            self.state,
            AbuseFlagRepository(),
            dynamo_enforcer(self.control, traders, self.clock.now),
            lambda session: build_monitor(session, settings),
            traders,
            self.clock,
            lambda: uuid.uuid4().hex,
        )
        return abuse_detect.Dependencies(detection, TradingEventRepository.from_stream_image)

    def open(self, account_id: str, at: datetime) -> None:
        number = next(self.numbers)
        event_id = f"mt:{account_id}-{number}"
        payload = {
            "type": "position_opened", "time": at.isoformat(), "event_id": event_id,
            "position_id": f"{number}", "symbol": "EURUSD", "side": "buy", "volume": "1",
            "price": "1.0850", "open_price": "1.0850",
        }  # fmt: skip
        stored = StoredEvent(
            account_id, event_id, at, "position_opened", payload, keys.event_sk(at, event_id)
        )
        self.events.record(stored, received_at=at)

    def records(self) -> list[dict[str, Any]]:
        partitions = {keys.account_pk(account_id) for account_id in self.accounts}
        arn = self.server.stream_arn(self.tables.main)
        return [
            record
            for record in stream_records(self.server.streams_client(), arn)
            if record["dynamodb"]["Keys"]["pk"]["S"] in partitions
        ]


@pytest.fixture()
def ring(dynamodb_local: DynamoDBLocal, fresh_tables: TableNames, abuse_table: str) -> Iterator[CopyRing]:
    state = DynamoAbuseState(abuse_table, dynamodb_local.client)
    yield CopyRing(dynamodb_local, fresh_tables, state, uuid.uuid4().hex[:8])


def test_a_copy_pair_on_the_real_stream_raises_a_flag_holds_payouts_and_costs_a_few_requests_per_event(
    ring: CopyRing,
) -> None:
    first, second = ring.accounts
    for day in range(5):
        ring.open(first, MONDAY + timedelta(days=day))
        ring.open(second, MONDAY + timedelta(days=day, seconds=3))
    records = ring.records()  # the accounts' META items too: skipped without a request
    trading = [r for r in records if r["dynamodb"]["Keys"]["sk"]["S"].startswith(keys.EVENT_PREFIX)]
    assert len(trading) == 10

    answer = abuse_detect.process({"Records": records}, LambdaContextStub(), ring.dependencies())

    assert answer == {"batchItemFailures": []}
    stored = AbuseFlagRepository().get(f"copy_trading:{'+'.join(sorted(ring.accounts))}")
    assert stored is not None and stored.is_open and stored.evidence.trades
    assert [h.source for h in PayoutHoldRepository().holds_on(first)] == ["abuse"]
    per_event = ring.state.requests / len(trading)
    print(f"abuse state requests per trading event: {per_event:.1f}")
    assert per_event <= 4, "the mark and the first reads in one batch, a few reads by key, one transaction"

    before = ring.state.requests
    again = abuse_detect.process({"Records": records}, LambdaContextStub(), ring.dependencies())
    assert again == {"batchItemFailures": []}
    assert ring.state.requests - before == len(trading), "a redelivery costs one batch (the mark in it)"


def test_a_record_of_an_unknown_account_fails_alone(ring: CopyRing) -> None:
    first, _ = ring.accounts
    ring.open(first, MONDAY)
    records = ring.records()
    records = [r for r in records if r["dynamodb"]["Keys"]["sk"]["S"].startswith(keys.EVENT_PREFIX)]
    ghost = {**records[0], "dynamodb": {**records[0]["dynamodb"]}}
    image = dict(ghost["dynamodb"]["NewImage"])
    image["account_id"] = {"S": "ghost-account"}
    ghost["dynamodb"]["NewImage"] = image
    ghost["dynamodb"]["SequenceNumber"] = "999"

    answer = abuse_detect.process({"Records": [ghost, *records]}, LambdaContextStub(), ring.dependencies())

    assert answer == {"batchItemFailures": [{"itemIdentifier": "999"}]}


def test_the_review_routes_list_show_and_decide_a_flag_for_risk_only(
    tables: TableNames, unique_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from functions.abuse_api import handler as abuse_api
    from tests.doubles.ports import InMemoryAccountControl as Control
    from tests.integration.api.api_world import claims, request

    monkeypatch.setenv("EVENT_BUS_NAME", "propdesk-test")
    abuse_api.production_dependencies.cache_clear()
    a, b = f"rv-a{unique_id}", f"rv-b{unique_id}"
    found = flag(a, b, "t1", "t2", MONDAY, "copy_trading")
    AbuseFlagRepository().save(found, found)
    PayoutHoldRepository().place(PayoutHold(a, "abuse", found.flag_id, "review", MONDAY))
    deps = abuse_api.production_dependencies()
    holds = PayoutHoldRepository()
    enforcer = dynamo_enforcer(Control(), CachedTraders(AccountRepository()), lambda: MONDAY)
    review = FlagReview(AbuseFlagRepository(), enforcer, lambda: uuid.uuid4().hex)
    deps = dataclasses.replace(deps, review=review, clock=ManualClock(MONDAY))
    risk, trader = claims("risk-1", "risk"), claims("t1", "trader")

    def call(operation: str, who: dict[str, str], **given: Any) -> tuple[int, Any]:
        answer = abuse_api.process(request(operation, identity=who, **given), LambdaContextStub(), deps)
        return answer["statusCode"], json.loads(answer["body"])

    status, page = call("listAbuseFlags", risk, query={"account_id": a})
    assert status == 200 and [f["flag_id"] for f in page["flags"]] == [found.flag_id]
    assert call("listAbuseFlags", trader, query={"account_id": a})[0] == 403
    encoded = {"flag_id": found.flag_id.replace("+", "%2B")}
    status, detail = call("getAbuseFlag", risk, path=encoded)
    assert status == 200 and detail["evidence"]["trades"]
    status, decided = call(
        "decideAbuseFlag", risk, path=encoded, body={"decision": "dismiss", "reason": "known pair, checked"}
    )
    assert status == 200 and decided["status"] == "dismissed"
    assert holds.holds_on(a) == []
    again = {"decision": "warn", "reason": "again, twice"}
    assert call("decideAbuseFlag", risk, path=encoded, body=again)[0] == 422


def test_denying_rejects_the_waiting_payout_and_failing_fails_the_accounts_on_the_real_table(
    tables: TableNames, unique_id: str
) -> None:
    from propdesk.abuse.decisions import Decision
    from propdesk.abuse.review import DecideFlag
    from propdesk.data.payouts import PayoutRepository
    from propdesk.domain_events import AbuseFlagDecided
    from propdesk.payouts.model import Payout

    from tests.doubles.ports import InMemoryEventPublisher

    a, b, t1, t2 = f"dn-a{unique_id}", f"dn-b{unique_id}", f"dn-t1{unique_id}", f"dn-t2{unique_id}"
    for account_id, trader in ((a, t1), (b, t2)):
        AccountRepository().open(account(account_id, trader))
    waiting = Payout(
        f"po-{unique_id}", a, t1, "requested", "USD", Decimal(1000), Decimal(800), Decimal(200), MONDAY
    )
    PayoutRepository().create(waiting)
    hedged, copied = flag(a, b, t1, t2, MONDAY, "hedging"), flag(a, b, t1, t2, MONDAY, "copy_trading")
    for found in (hedged, copied):
        AbuseFlagRepository().save(found, found)
    bus, control = InMemoryEventPublisher(), InMemoryAccountControl()
    enforcer = dynamo_enforcer(control, CachedTraders(AccountRepository()), lambda: MONDAY, bus)
    review = FlagReview(AbuseFlagRepository(), enforcer, lambda: uuid.uuid4().hex)

    def decide(found: Flag, decision: Decision) -> None:
        review.decide(DecideFlag(found.flag_id, decision, "checked", "risk-1", ("risk",), MONDAY))

    decide(hedged, Decision.DENY_PAYOUT)
    decide(copied, Decision.FAIL_ACCOUNTS)

    denied = PayoutRepository().get(waiting.payout_id)
    assert denied is not None and denied.status == "rejected" and denied.decided_by == "system:abuse"
    assert PayoutRepository().create(replace_id(waiting, f"po2-{unique_id}")).status == "requested", (
        "the rejection released the account's open-payout lock"
    )
    for account_id in (a, b):
        stored = AccountRepository().get(account_id, consistent=True)
        assert stored is not None and stored.status == "failed" and stored.status_reason == "abuse_review"
    actions = [e.action for e in AuditLog().for_subject(f"ACCOUNT#{a}").items]
    assert "payout.rejected" in actions and "account.failed" in actions
    assert sorted(account_id for account_id, _ in control.disabled) == sorted((a, b))
    told = [e for e in bus.published if isinstance(e, AbuseFlagDecided)]
    assert sorted((e.trader_id, e.decision) for e in told) == sorted(
        [(t1, "deny_payout"), (t2, "deny_payout"), (t1, "fail_accounts"), (t2, "fail_accounts")]
    )


def replace_id(payout: Any, payout_id: str) -> Any:
    import dataclasses

    return dataclasses.replace(payout, payout_id=payout_id)
