"""The payout workflow's two functions in-process over the in-memory desk: `payout_steps` runs the step its
input names and answers the outcome the state machine branches on; `payout_webhooks` verifies a rail's
signature before anything else and resumes the waiting payment once, however often the rail delivers."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from events import load_event
from functions.payout_steps import handler as payout_steps
from functions.payout_webhooks import handler as payout_webhooks
from tests.unit.payouts.payout_workflow_world import PayoutDesk

CONTEXT: Any = None  # process() does not read the Lambda context


def desk_with_bridge() -> PayoutDesk:
    desk = PayoutDesk()
    desk.rail.name = "bridge"  # the in-memory rail stands in for Bridge behind its route
    desk.trade(Decimal(1000))
    return desk


def step(desk: PayoutDesk, name: str, payout_id: str, **more: str) -> dict[str, str]:
    event = load_event("stepfunctions/payout_assess_input")
    event.update(step=name, payout_id=payout_id, **more)
    return payout_steps.process(event, CONTEXT, desk.workflow())


def rail_delivery(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    event = load_event("apigateway/post_veriff_webhook")
    path = "/v1/webhooks/payouts/bridge"
    event["path"] = event["resource"] = event["requestContext"]["resourcePath"] = path
    event["body"], event["isBase64Encoded"], event["headers"] = body.decode(), False, headers
    event["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
    return event


def test_the_steps_answer_the_outcomes_the_state_machine_branches_on() -> None:
    desk = desk_with_bridge()
    payout_id = desk.request()

    checks = ("assess", "kyc_check", "screen", "approve")
    answers = [step(desk, name, payout_id)["outcome"] for name in checks]
    withdrawn = step(desk, "withdraw", payout_id)

    assert answers == ["passed", "passed", "passed", "approved"]
    assert withdrawn == {"payout_id": payout_id, "outcome": "withdrawn", "status": "withdrawn", "reason": ""}


def test_a_waiting_step_without_its_task_token_or_an_unknown_step_is_refused() -> None:
    desk = desk_with_bridge()

    with pytest.raises(ValueError, match="task token"):
        step(desk, "pay", desk.request())
    with pytest.raises(ValidationError):
        step(desk, "pay_twice", "pay_1")


def test_a_signed_webhook_delivered_twice_resumes_the_payment_once_and_a_forged_one_is_refused() -> None:
    desk = desk_with_bridge()
    desk.rail.outbox.url = None  # deliveries are captured here, not sent
    payout_id = desk.request()
    for name in ("assess", "kyc_check", "screen", "approve", "withdraw"):
        step(desk, name, payout_id)
    desk.callback.valid_tokens.add("token-pay")
    step(desk, "pay", payout_id, task_token="token-pay")
    reference = next(iter(desk.rail.payments))
    desk.rail.settle(reference)
    paid_event = desk.rail.outbox.queue[-1].event
    body, headers = desk.rail.outbox.render(paid_event, desk.clock.now().timestamp())

    answers = [
        payout_webhooks.process(rail_delivery(body, headers), CONTEXT, desk.workflow()) for _ in range(2)
    ]
    forged = payout_webhooks.process(
        rail_delivery(body.replace(b"paid", b"pa1d"), headers), CONTEXT, desk.workflow()
    )

    assert [json.loads(a["body"])["status"] for a in answers] == ["resumed", "ignored"]
    assert [a["statusCode"] for a in answers] == [200, 200]
    assert forged["statusCode"] == 401
    resumed = {"outcome": "paid", "reason": "paid", "reference": reference}
    assert desk.callback.succeeded == [("token-pay", resumed)]
