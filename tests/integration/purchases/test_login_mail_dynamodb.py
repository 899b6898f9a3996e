"""Provisioning mails the platform login, against DynamoDB Local and the fake Match-Trader, through the SES
adapter (its client recording the requests): the one-time password the platform got reaches the trader's
e-mail and nowhere else (not an item of the table, not an event, not a log line); a redelivery mails nothing
more; the server and login are kept for the API."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import boto3
import pytest
from propdesk.data.account_logins import AccountLoginRepository
from propdesk.purchases.fulfilment import account_id_for

from tests.integration.dynamodb_local import TableNames
from tests.integration.purchases.purchase_stack_world import PurchaseStack, json_of, start_stack, stop_stack

pytestmark = pytest.mark.integration


@pytest.fixture()
def stack(fresh_tables: TableNames, monkeypatch: pytest.MonkeyPatch) -> Iterator[PurchaseStack]:
    started = start_stack(monkeypatch)
    yield started
    stop_stack(started)


def paid_order(stack: PurchaseStack, trader: str = "trader-1") -> str:
    placed = stack.order(trader)
    assert placed["statusCode"] == 201, placed["body"]
    order_id = str(json_of(placed)["order"]["order_id"])
    session = next(s["id"] for s in stack.stripe.sessions.values() if s["metadata"]["order_id"] == order_id)
    assert stack.deliver_stripe(stack.stripe.pay(session))["statusCode"] == 200
    return order_id


def one_time_password(stack: PurchaseStack) -> str:
    (created,) = [r for r in stack.match_trader.requests if (r.method, r.path) == ("POST", "/v1/accounts")]
    return str(created.json()["password"])


def every_item(tables: TableNames) -> str:
    client = boto3.client("dynamodb")  # DynamoDB Local (aws_env); a test may scan, no request path does
    items = []
    for name in (tables.main, tables.connections, tables.realtime):
        for page in client.get_paginator("scan").paginate(TableName=name):
            items += page["Items"]
    return json.dumps(items)


def test_the_password_reaches_the_traders_email_and_no_table_event_or_log_line(
    stack: PurchaseStack, fresh_tables: TableNames, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    order_id = paid_order(stack)

    assert stack.run_provisioning() == {"batchItemFailures": []}

    password = one_time_password(stack)
    (request,) = stack.ses.requests
    assert request["Destination"] == {"ToAddresses": ["trader-1@example.com"]}
    assert request["FromEmailAddress"] == "Acme Funding <no-reply@acme.example>"
    assert f"One-time password: {password}" in stack.ses.texts()[0]
    assert password not in every_item(fresh_tables)
    assert password not in json.dumps([event.model_dump(mode="json") for event in stack.bus.published])
    assert password not in caplog.text
    assert password not in json.dumps([record.__dict__ for record in caplog.records], default=str)
    assert stack.get_order("trader-1", order_id)["statusCode"] == 200


def test_a_redelivered_completion_mails_nothing_more_and_the_login_is_kept(stack: PurchaseStack) -> None:
    order_id = paid_order(stack)
    stack.run_provisioning()
    stack.bus.taken = 0  # the queue delivers every purchase event again
    stack.run_provisioning()

    assert len(stack.ses.requests) == 1
    login = AccountLoginRepository().get(account_id_for(order_id))
    assert login is not None
    assert (login.platform, login.server) == ("match-trader", "MatchTrader-Demo")
    assert f"Login: {login.login}" in stack.ses.texts()[0]


def test_a_second_purchase_by_the_same_trader_explains_the_platforms_password_reset(
    stack: PurchaseStack,
) -> None:
    paid_order(stack)
    stack.run_provisioning()
    paid_order(stack)
    stack.run_provisioning()

    first, second = stack.ses.texts()
    assert "One-time password" in first
    assert "One-time password" not in second
    assert 'set one with "Forgot password" at https://mtr.acme.example' in second
