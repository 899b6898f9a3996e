"""platform_commands against DynamoDB Local and the fake Match-Trader, with the queue's real message shapes:
the access state's optimistic writes, the liquidation and disable through the real adapter, out-of-order
delivery, and an outage leaving the command pending in the table."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from propdesk.adapters.clock import SystemClock
from propdesk.config import PlatformConnection
from propdesk.data.accounts import AccountRepository
from propdesk.data.audit import AuditLog
from propdesk.data.breakers import DynamoDBBreakerStore
from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.platform_access import PlatformAccessRepository
from propdesk.errors import VersionConflictError
from propdesk.platforms.commands import PlatformCommands
from propdesk.platforms.drift import DriftCheck
from propdesk.platforms.enforcement import PlatformAccessState
from propdesk.platforms.port import NewAccount, TradingAccess
from propdesk.platforms.references import reference_of
from propdesk.records import Account
from propdesk.wiring.platforms import PlatformRegistry

from events import load_event
from fakes.match_trader import FakeMatchTrader
from functions.platform_commands import handler as platform_commands
from tests.doubles.ports import InMemoryEventPublisher, StaticSecrets
from tests.integration.consistency import eventually
from tests.integration.dynamodb_local import TableNames
from tests.integration.factories import account as account_record
from tests.integration.invoke import LambdaContextStub

pytestmark = pytest.mark.integration

CONTEXT: Any = LambdaContextStub()
ASKED = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)


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


def deps(fake: FakeMatchTrader, publisher: InMemoryEventPublisher) -> platform_commands.Dependencies:
    commands = PlatformCommands(
        PlatformAccessRepository(),
        AccountRepository(),
        CatalogueRepository(),
        AuditLog(),
        registry(fake),
        publisher,
        SystemClock(),
    )
    return platform_commands.Dependencies(commands)


def placed_account(fake: FakeMatchTrader, unique_id: str) -> Account:
    """An account opened on the fake platform (as provisioning does) and stored with its reference."""
    opened = registry(fake).platform("match-trader").create_account(
        NewAccount(f"propdesk:{unique_id}", f"{unique_id}@example.com", "Ada", "L", "USD", Decimal(100000),
                   "challenge-100k")
    )  # fmt: skip
    account = replace(account_record(unique_id), platform=reference_of(opened))
    assert AccountRepository().open(account)
    return account


def delivery(*commands: tuple[str, Account, datetime, dict[str, Any]]) -> dict[str, Any]:
    """The platform-commands queue's delivery of these commands (the sample message's shape)."""
    template = load_event("sqs/platform_commands_disable_requested")["Records"][0]
    records = []
    for number, (kind, account, asked_at, extra) in enumerate(commands, start=1):
        event = json.loads(template["body"])
        event["detail-type"] = f"platform.{kind}_requested"
        event["detail"] = {
            "event_id": f"{kind}-{account.account_id}-{number}",
            "occurred_at": asked_at.isoformat(),
            "account_id": account.account_id,
            "trader_id": account.trader_id,
            **extra,
        }
        record = copy.deepcopy(template)
        record["messageId"] = f"message-{number}"
        record["body"] = json.dumps(event)
        records.append(record)
    return {"Records": records}


def access_at(fake: FakeMatchTrader, account: Account) -> str:
    assert account.platform is not None
    return fake.access[account.platform.login]


def test_the_sample_message_shape_liquidates_and_disables_the_account_on_match_trader(
    tables: TableNames, fake: FakeMatchTrader, unique_id: str
) -> None:
    account = placed_account(fake, unique_id)
    assert account.platform is not None
    login = account.platform.login
    fake.market.open_position(login, "EURUSD", "buy", Decimal(1))
    fake.market.open_position(login, "XAUUSD", "sell", Decimal("0.5"))
    publisher = InMemoryEventPublisher()

    response = platform_commands.process(
        delivery(("disable", account, ASKED, {"reason": "daily_loss"})), CONTEXT, deps(fake, publisher)
    )

    assert response == {"batchItemFailures": []}
    assert access_at(fake, account) == "TRADING_DISABLED"
    assert fake.market.account(login).positions == {}  # type: ignore[union-attr]
    state = PlatformAccessRepository().get(account.account_id)
    assert state is not None and state.confirmed is TradingAccess.DISABLED and state.confirmed_at is not None
    assert state.pending == () and state.lease_holder == ""
    (entry,) = AuditLog().for_subject(f"ACCOUNT#{account.account_id}").items
    after = entry.after or {}
    assert entry.action == "platform.disable" and after["asked_at"] == ASKED.isoformat()
    assert len(after["liquidation"]["closing_deals"]) == 2
    assert not publisher.published


def test_a_stale_resume_delivered_after_a_later_disable_leaves_the_account_disabled(
    tables: TableNames, fake: FakeMatchTrader, unique_id: str
) -> None:
    account = placed_account(fake, unique_id)
    until = ASKED + timedelta(hours=1)
    handler_deps = deps(fake, InMemoryEventPublisher())
    platform_commands.process(
        delivery(("pause", account, ASKED, {"reason": "daily_loss", "paused_until": until.isoformat()})),
        CONTEXT, handler_deps,
    )  # fmt: skip
    assert access_at(fake, account) == "CLOSE_ONLY"

    late = delivery(
        ("disable", account, until + timedelta(minutes=1), {"reason": "max_loss"}),
        ("resume", account, until, {"paused_until": until.isoformat()}),
    )
    AccountRepository().change_status(account.account_id, "failed", "max_loss", until)
    response = platform_commands.process(late, CONTEXT, handler_deps)

    assert response == {"batchItemFailures": []}
    assert access_at(fake, account) == "TRADING_DISABLED"
    entries = AuditLog().for_subject(f"ACCOUNT#{account.account_id}").items
    outcomes = [entry.after["outcome"] for entry in entries if entry.after]
    assert sorted(outcomes) == ["applied", "applied", "superseded"]


def test_while_the_platform_is_down_the_command_waits_in_the_table_with_its_error(
    fresh_tables: TableNames, fake: FakeMatchTrader, unique_id: str
) -> None:
    account = placed_account(fake, unique_id)
    fake.down = True
    handler_deps = deps(fake, InMemoryEventPublisher())

    response = platform_commands.process(
        delivery(("disable", account, ASKED, {"reason": "daily_loss"})), CONTEXT, handler_deps
    )

    assert response == {"batchItemFailures": [{"itemIdentifier": "message-1"}]}
    state = PlatformAccessRepository().get(account.account_id)
    assert state is not None and state.lease_holder == ""
    (pending,) = state.pending
    assert (pending.kind, pending.attempts) == ("disable", 1) and "503" in pending.last_error
    fake.down = False
    assert platform_commands.process(
        delivery(("disable", account, ASKED, {"reason": "daily_loss"})), CONTEXT, handler_deps
    ) == {"batchItemFailures": []}
    assert access_at(fake, account) == "TRADING_DISABLED"


def test_access_state_writes_are_conditional_on_the_version_read(tables: TableNames, unique_id: str) -> None:
    states = PlatformAccessRepository()
    first = states.save(PlatformAccessState(unique_id))
    states.save(replace(first, lease_holder="a", lease_until=ASKED))

    with pytest.raises(VersionConflictError):
        states.save(replace(first, lease_holder="b", lease_until=ASKED))
    with pytest.raises(VersionConflictError):
        states.save(PlatformAccessState(unique_id))  # version 0: only when none is stored
    stored = states.get(unique_id)
    assert stored is not None and (stored.lease_holder, stored.version) == ("a", 2)


def test_every_account_with_an_access_state_is_found_through_the_index(fresh_tables: TableNames) -> None:
    states = PlatformAccessRepository()
    ids = [f"acc-{n}" for n in range(12)]
    for account_id in ids:
        states.save(PlatformAccessState(account_id))

    eventually(lambda: sorted(states.managed()) == sorted(ids))


def test_the_drift_check_reads_the_table_through_its_indexes_and_re_commands_a_drifted_account(
    fresh_tables: TableNames, fake: FakeMatchTrader
) -> None:
    in_step, drifted = placed_account(fake, "in-step"), placed_account(fake, "drifted")
    publisher = InMemoryEventPublisher()
    handler_deps = deps(fake, publisher)
    platform_commands.process(
        delivery(("disable", drifted, ASKED, {"reason": "max_loss"})), CONTEXT, handler_deps
    )
    AccountRepository().change_status(drifted.account_id, "failed", "max_loss", ASKED)
    assert drifted.platform is not None
    fake.access[drifted.platform.login] = "FULL"  # re-enabled by hand in the back office

    report = DriftCheck(
        PlatformAccessRepository(), AccountRepository(), registry(fake), publisher, SystemClock()
    ).run()

    assert (report.checked, report.in_step, report.corrected) == (2, 1, [drifted.account_id])
    (again,) = publisher.of_type("platform.disable_requested")
    assert again.model_dump()["account_id"] == drifted.account_id
    assert in_step.account_id not in json.dumps(publisher.published[0].model_dump(mode="json"))
