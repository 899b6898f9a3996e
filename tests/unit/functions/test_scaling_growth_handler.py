"""scaling_growth as its queue drives it: the sample `account.scaled` delivery grows the account; a platform
outage reports the message for redelivery (partial batch) and the redelivery completes it once."""

from __future__ import annotations

import json
from typing import Any

from events import load_event
from functions.scaling_growth import handler as scaling_growth
from tests.integration.invoke import LambdaContextStub
from tests.unit.payouts.test_scaling_growth import Desk

CONTEXT: Any = LambdaContextStub()


def delivery() -> dict[str, Any]:
    return load_event("sqs/scaling_growth_account_scaled")


def test_the_sample_delivery_grows_the_account_named_in_it() -> None:
    desk = Desk()
    detail = json.loads(delivery()["Records"][0]["body"])["detail"]
    account = desk.account(detail["account_id"], scaled_to=detail["balance_after"])

    assert scaling_growth.process(delivery(), CONTEXT, desk.growth()) == {"batchItemFailures": []}
    assert desk.balance_on_platform(account) == desk.sizes.accounts[account.account_id].initial_balance
    assert len(desk.log.of_type(account.account_id, "scale")) == 1


def test_an_outage_reports_the_message_and_the_redelivery_books_it_once() -> None:
    desk = Desk()
    detail = json.loads(delivery()["Records"][0]["body"])["detail"]
    account = desk.account(detail["account_id"], scaled_to=detail["balance_after"])
    desk.platform.down = True

    failed = scaling_growth.process(delivery(), CONTEXT, desk.growth())
    desk.platform.down = False
    again = scaling_growth.process(delivery(), CONTEXT, desk.growth())
    twice = scaling_growth.process(delivery(), CONTEXT, desk.growth())

    message_id = delivery()["Records"][0]["messageId"]
    assert failed == {"batchItemFailures": [{"itemIdentifier": message_id}]}
    assert again == twice == {"batchItemFailures": []}
    assert desk.top_ups(account) == [desk.sizes.accounts[account.account_id].initial_balance - 100000]


def test_another_detail_type_is_ignored() -> None:
    event = delivery()
    body = json.loads(event["Records"][0]["body"])
    body["detail-type"] = "account.funded"
    event["Records"][0]["body"] = json.dumps(body)
    desk = Desk()
    assert scaling_growth.process(event, CONTEXT, desk.growth()) == {"batchItemFailures": []}
    assert desk.log.events == {}
