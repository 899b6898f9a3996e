"""The KYC functions with the sample Step Functions inputs and the sample signed Veriff webhook."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from propdesk.data.kyc import KycRepository
from propdesk.services.kyc import KycService

from events import SAMPLE_VERIFF_SECRET, load_event
from functions.kyc_decision import handler as kyc_decision
from functions.kyc_request import handler as kyc_request
from functions.kyc_webhook import handler as kyc_webhook
from tests.doubles.ports import (
    InMemoryEventPublisher,
    InMemoryWorkflowCallback,
    ManualClock,
    StaticSecrets,
)
from tests.integration.dynamodb_local import TableNames
from tests.integration.invoke import LambdaContextStub, json_of

pytestmark = pytest.mark.integration

CONTEXT = LambdaContextStub()
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:propdesk/dev/veriff-AbCdEf"
SAMPLE_TRADER = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


class Kyc:
    def __init__(self) -> None:
        self.clock = ManualClock(datetime(2026, 11, 25, 13, 0, tzinfo=UTC))
        self.callback = InMemoryWorkflowCallback()
        self.publisher = InMemoryEventPublisher()
        secret = json.dumps({"api_key": "set-me", "shared_secret": SAMPLE_VERIFF_SECRET})
        self.secrets = StaticSecrets({SECRET_ARN: secret})

    def service(self) -> KycService:
        return KycService(KycRepository(), self.clock, callback=self.callback, publisher=self.publisher)

    def request(self, trader_id: str = SAMPLE_TRADER) -> str:
        task = load_event("stepfunctions/kyc_request_input") | {"trader_id": trader_id}
        self.callback.valid_tokens.add(task["task_token"])
        answer = kyc_request.process(task, CONTEXT, self.service())
        assert answer == {"status": "waiting", "trader_id": trader_id, "account_id": task["account_id"]}
        return str(task["task_token"])

    def webhook(self, event: dict[str, object]) -> dict[str, object]:
        deps = kyc_webhook.Dependencies(kyc=self.service(), secrets=self.secrets, secret_id=SECRET_ARN)
        return kyc_webhook.process(event, CONTEXT, deps)


def signed(body: str, secret: str = SAMPLE_VERIFF_SECRET) -> dict[str, object]:
    event = load_event("apigateway/post_veriff_webhook")
    event["body"] = body
    signature = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
    event["headers"]["X-HMAC-SIGNATURE"] = signature
    event["multiValueHeaders"]["X-HMAC-SIGNATURE"] = [signature]
    return event


@pytest.fixture()
def kyc(fresh_tables: TableNames) -> Kyc:
    return Kyc()


def test_the_signed_sample_webhook_resumes_the_waiting_workflow(kyc: Kyc) -> None:
    token = kyc.request()

    response = kyc.webhook(load_event("apigateway/post_veriff_webhook"))

    assert response["statusCode"] == 200
    assert json_of(response) == {"status": "resumed"}
    assert kyc.callback.succeeded == [
        (token, {"decision": "approved", "verification_id": "12df6045-3846-3e45-946a-14fa6136d78b"})
    ]
    case = KycRepository().get(SAMPLE_TRADER)
    assert case is not None and case.status == "approved"


def test_a_redelivered_webhook_changes_nothing(kyc: Kyc) -> None:
    kyc.request()
    kyc.webhook(load_event("apigateway/post_veriff_webhook"))
    again = kyc.webhook(load_event("apigateway/post_veriff_webhook"))
    assert json_of(again) == {"status": "ignored"}
    assert len(kyc.callback.succeeded) == 1


def tampered() -> dict[str, object]:
    event = load_event("apigateway/post_veriff_webhook")
    event["body"] = (
        str(event["body"]).replace('"code":9001', '"code":9102').replace('"approved"', '"declined"')
    )
    return event


def wrong_secret() -> dict[str, object]:
    return signed(str(load_event("apigateway/post_veriff_webhook")["body"]), secret="someone-elses-secret")


def unsigned() -> dict[str, object]:
    event = load_event("apigateway/post_veriff_webhook")
    del event["headers"]["X-HMAC-SIGNATURE"]
    del event["multiValueHeaders"]["X-HMAC-SIGNATURE"]
    return event


@pytest.mark.parametrize(
    ("make_event", "status"),
    [
        (tampered, 401),
        (wrong_secret, 401),
        (unsigned, 401),
        (lambda: signed('{"status": "success", "verification": '), 400),
        (lambda: signed('{"status": "success"}'), 422),
        (
            lambda: signed('{"status": "success", "verification": {"id": "v", "code": "x", "status": "s"}}'),
            422,
        ),
    ],
)
def test_bad_webhooks_are_refused_and_nothing_changes(kyc: Kyc, make_event: object, status: int) -> None:
    kyc.request()

    response = kyc.webhook(make_event())  # type: ignore[operator]

    assert response["statusCode"] == status
    assert set(json_of(response)["error"]) >= {"code", "message"}
    case = KycRepository().get(SAMPLE_TRADER)
    assert case is not None and case.status == "pending"
    assert kyc.callback.succeeded == []


def test_a_review_code_is_acknowledged_without_resuming(kyc: Kyc) -> None:
    kyc.request()
    body = str(load_event("apigateway/post_veriff_webhook")["body"]).replace('"code":9001', '"code":9121')
    response = kyc.webhook(signed(body))
    assert json_of(response) == {"status": "acknowledged"}
    assert kyc.callback.succeeded == []


def test_the_decision_step_records_and_announces(kyc: Kyc) -> None:
    kyc.request()
    kyc.webhook(load_event("apigateway/post_veriff_webhook"))

    answer = kyc_decision.process(load_event("stepfunctions/kyc_decision_input"), CONTEXT, kyc.service())

    assert answer == {
        "trader_id": SAMPLE_TRADER,
        "decision": "approved",
        "recorded": True,
        "event": "kyc.approved",
    }
    (announced,) = kyc.publisher.published
    assert announced.detail_type == "kyc.approved"
    assert announced.model_dump()["verification_id"] == "12df6045-3846-3e45-946a-14fa6136d78b"


def test_a_decision_without_a_webhook_is_recorded_by_the_workflow_step(kyc: Kyc) -> None:
    kyc.request()
    kyc_decision.process({"trader_id": SAMPLE_TRADER, "decision": "declined"}, CONTEXT, kyc.service())
    case = KycRepository().get(SAMPLE_TRADER)
    assert case is not None and case.status == "declined"


def test_the_decision_step_refuses_an_unknown_decision(kyc: Kyc) -> None:
    with pytest.raises(ValueError, match="decision"):
        kyc_decision.process({"trader_id": SAMPLE_TRADER, "decision": "maybe"}, CONTEXT, kyc.service())


def test_the_request_step_refuses_input_without_a_token(kyc: Kyc) -> None:
    with pytest.raises(ValueError, match="task_token"):
        kyc_request.process({"trader_id": "t", "account_id": "a"}, CONTEXT, kyc.service())
