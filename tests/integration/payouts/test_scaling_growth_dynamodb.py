"""scaling_growth against DynamoDB Local and the fake Match-Trader, with the queue's real message shape (an
EventBridge `account.scaled` in an SQS record): the account's size moves in the table with its audit entry,
the platform's balance is topped up once under the decision's reference, the engine's `scale` event is stored
once, and the risk engine takes the account's limits on the new size. A redelivery changes nothing."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from propdesk.adapters.clock import SystemClock
from propdesk.config import PlatformConnection
from propdesk.data.accounts import AccountRepository
from propdesk.data.audit import AuditLog
from propdesk.data.breakers import DynamoDBBreakerStore
from propdesk.data.events import TradingEventRepository
from propdesk.data.scaling import AccountSizeRepository, ScalingRepository
from propdesk.payouts.scaling import AccountTerms
from propdesk.payouts.scaling_growth import ScalingGrowth
from propdesk.payouts.scaling_store import StoredDecision, scaling_id
from propdesk.platforms.port import NewAccount
from propdesk.platforms.references import reference_of
from propdesk.records import Account, AuditEntry
from propdesk.wiring.platforms import PlatformRegistry

from events import load_event
from fakes.match_trader import FakeMatchTrader
from functions.scaling_growth import handler as scaling_growth
from tests.doubles.ports import ManualClock, StaticSecrets
from tests.integration.dynamodb_local import DynamoDBLocal, TableNames
from tests.integration.factories import account as account_record
from tests.integration.invoke import LambdaContextStub
from tests.integration.risk_world import RiskWorld, publish_program

pytestmark = pytest.mark.integration

CONTEXT: Any = LambdaContextStub()
CYCLE = date(2026, 7, 1)
DECIDED = datetime(2026, 7, 3, 0, 5, tzinfo=UTC)
OPENED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture()
def fake() -> Iterator[FakeMatchTrader]:
    server = FakeMatchTrader()
    server.start()
    yield server
    server.stop()


def registry(fake: FakeMatchTrader) -> PlatformRegistry:
    secret = json.dumps({"base_url": fake.url, "api_token": fake.token, "system_uuid": "system-demo"})
    connection = PlatformConnection(secret_arn="arn:match-trader", server="MatchTrader-Demo")
    return PlatformRegistry(
        {"match-trader": connection}, StaticSecrets({"arn:match-trader": secret}), DynamoDBBreakerStore()
    )


def growth(fake: FakeMatchTrader) -> ScalingGrowth:
    ids = iter(range(100))
    return ScalingGrowth(
        AccountSizeRepository(),
        ScalingRepository(),
        registry(fake),
        TradingEventRepository(),
        SystemClock(),
        lambda: f"growth-{next(ids)}-{datetime.now(UTC).timestamp()}",
    )


def scaled_account(fake: FakeMatchTrader, unique_id: str) -> tuple[Account, dict[str, Any]]:
    """A 100k account on the demo program, opened on the fake platform, with a kept decision to 125k."""
    version, document = publish_program("two-step-100k-phase-1")
    opened = registry(fake).platform("match-trader").create_account(
        NewAccount(f"propdesk:{unique_id}", f"{unique_id}@example.com", "Ada", "L", "USD", Decimal(100000),
                   "challenge-100k")
    )  # fmt: skip
    record = replace(
        account_record(
            f"acc-{unique_id}", program_id="two-step-100k-phase-1", program_version=version,
            timezone=document["timezone"], day_starts_at=document["day_starts_at"], opened_at=OPENED,
        ),
        platform=reference_of(opened),
    )  # fmt: skip
    assert AccountRepository().open(record)
    terms = AccountTerms(Decimal("125000.00"), Decimal(100000), Decimal(5), Decimal(10), Decimal(90))
    decision = StoredDecision(record.account_id, CYCLE, True, terms, "every criterion was met", DECIDED)
    entry = AuditEntry(
        entry_id=f"decided-{unique_id}", at=DECIDED, actor="system:scaling-plan", action="account.scaled",
        subject=f"ACCOUNT#{record.account_id}", reason="every criterion was met",
    )  # fmt: skip
    assert ScalingRepository().record(decision, entry)
    return record, document


def delivery(account: Account) -> dict[str, Any]:
    """The scaling-growth queue's delivery of this account's `account.scaled` (the sample message's shape)."""
    message = load_event("sqs/scaling_growth_account_scaled")
    record = copy.deepcopy(message["Records"][0])
    event = json.loads(record["body"])
    event["detail"] |= {
        "event_id": scaling_id(account.account_id, CYCLE),
        "account_id": account.account_id,
        "trader_id": account.trader_id,
        "cycle_ends_on": CYCLE.isoformat(),
    }
    record["body"] = json.dumps(event)
    return {"Records": [record]}


def test_the_sample_message_grows_the_account_in_the_table_on_match_trader_and_in_the_engine(
    dynamodb_local: DynamoDBLocal, tables: TableNames, fake: FakeMatchTrader, unique_id: str
) -> None:
    account, document = scaled_account(fake, unique_id)
    assert account.platform is not None
    decision_id = scaling_id(account.account_id, CYCLE)

    first = scaling_growth.process(delivery(account), CONTEXT, growth(fake))
    again = scaling_growth.process(delivery(account), CONTEXT, growth(fake))

    assert first == again == {"batchItemFailures": []}
    stored = AccountRepository().get(account.account_id, consistent=True)
    assert stored is not None and stored.initial_balance == Decimal(125000)
    book = fake.market.account(account.platform.login)
    assert book is not None and book.balance == Decimal(125000)
    top_ups = [
        d for d in book.deals if d.kind == "balance" and f"[propdesk:{decision_id}:scaling]" in d.comment
    ]
    assert [d.profit for d in top_ups] == [Decimal(25000)]
    scales = [e for e in TradingEventRepository().replay(account.account_id) if e.type == "scale"]
    assert len(scales) == 1 and scales[0].payload["initial"] == "125000.00"
    kept = ScalingRepository().decision(account.account_id, CYCLE)
    assert kept is not None and kept.grown_at == scales[0].time
    resized = [e for e in AuditLog().for_subject(f"ACCOUNT#{account.account_id}").items
               if e.action == "account.resized"]  # fmt: skip
    assert len(resized) == 1 and resized[0].after is not None
    assert resized[0].after["platform_reference"] == f"{decision_id}:scaling"

    world = RiskWorld(dynamodb_local, tables, stored, document, ManualClock(scales[0].time))
    world.service().on_event_recorded(scales[0])
    metrics = world.evaluation()["metrics"]
    assert (metrics["balance"], metrics["equity"], metrics["profit"]) == ("125000.00", "125000.00", "0.00")
    assert metrics["max_loss_floor"] == "112500.00"  # 10% of the new size under it


def test_the_size_moves_only_from_the_size_before_and_the_growth_time_is_kept_once(
    tables: TableNames, fake: FakeMatchTrader, unique_id: str
) -> None:
    account, _ = scaled_account(fake, unique_id)
    sizes, decisions = AccountSizeRepository(), ScalingRepository()
    entry = AuditEntry(
        entry_id=f"resized-{unique_id}", at=DECIDED, actor="system:scaling-plan", action="account.resized",
        subject=f"ACCOUNT#{account.account_id}",
    )  # fmt: skip

    wrong = sizes.resize(account.account_id, Decimal(90000), Decimal(125000), entry)
    right = sizes.resize(account.account_id, Decimal("100000.00"), Decimal("125000.00"), entry)
    first = decisions.stamp_growth(account.account_id, CYCLE, DECIDED)
    later = decisions.stamp_growth(account.account_id, CYCLE, datetime(2026, 7, 4, tzinfo=UTC))

    assert (wrong, right) == (False, True)  # the number compares as a number: 100000 is 100000.00
    stored = AccountRepository().get(account.account_id, consistent=True)
    assert stored is not None and stored.initial_balance == Decimal(125000)
    assert first == later == DECIDED
    audited = AuditLog().for_subject(f"ACCOUNT#{account.account_id}").items
    assert [e.entry_id for e in audited if e.action == "account.resized"] == [f"resized-{unique_id}"]
