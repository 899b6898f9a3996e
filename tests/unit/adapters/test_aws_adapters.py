"""Production adapters against botocore's Stubber: the exact AWS calls they make and how they read answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from propdesk.adapters.eventbridge import EventBridgePublisher, PublishError
from propdesk.adapters.platform import EventBusAccountControl
from propdesk.adapters.secrets import SecretsManagerSource
from propdesk.adapters.stepfunctions import StepFunctionsCallback
from propdesk.adapters.websocket import ApiGatewayPusher
from propdesk.domain_events import (
    AccountEnableRequested,
    AccountPauseRequested,
    AccountResumeRequested,
    AccountWarning,
)

from tests.doubles.ports import InMemoryEventPublisher, ManualClock

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def client(service: str, **kwargs: Any) -> Any:
    return boto3.session.Session().client(
        service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x", **kwargs
    )


def warning(event_id: str) -> AccountWarning:
    return AccountWarning(
        event_id=event_id,
        occurred_at=NOW,
        account_id="a1",
        trader_id="t1",
        rule="daily_loss",
        used_share=Decimal("0.8123"),
        limit=Decimal("95000.00"),
        value=Decimal("95937.00"),
        trading_day="2026-03-02",
    )


def test_events_are_put_on_the_bus_ten_at_a_time_with_decimal_strings() -> None:
    events_client = client("events")
    events = [warning(f"w{n}") for n in range(12)]
    with Stubber(events_client) as stub:
        for batch in (events[:10], events[10:]):
            stub.add_response(
                "put_events",
                {"FailedEntryCount": 0, "Entries": [{"EventId": e.event_id} for e in batch]},
                {
                    "Entries": [
                        {
                            "Source": "propdesk",
                            "DetailType": "account.warning",
                            "Detail": e.model_dump_json(),
                            "EventBusName": "propdesk-dev",
                            "Time": NOW,
                        }
                        for e in batch
                    ]
                },
            )
        EventBridgePublisher("propdesk-dev", lambda: events_client).publish(events)
        stub.assert_no_pending_responses()
    detail = json.loads(events[0].model_dump_json())
    assert detail["used_share"] == "0.8123" and detail["limit"] == "95000.00"


def test_a_partly_refused_put_raises_so_the_caller_retries() -> None:
    events_client = client("events")
    with Stubber(events_client) as stub:
        stub.add_response(
            "put_events",
            {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "InternalFailure", "ErrorMessage": "x"}]},
        )
        with pytest.raises(PublishError, match="InternalFailure"):
            EventBridgePublisher("propdesk-dev", lambda: events_client).publish([warning("w1")])


def test_account_control_asks_the_platform_bridge_over_the_bus() -> None:
    events_client = client("events")
    with Stubber(events_client) as stub:
        stub.add_response("put_events", {"FailedEntryCount": 0, "Entries": [{"EventId": "1"}]})
        publisher = EventBridgePublisher("propdesk-dev", lambda: events_client)
        EventBusAccountControl(publisher, ManualClock(NOW)).disable("a1", "t1", "daily_loss")
        stub.assert_no_pending_responses()


def test_pause_and_resume_are_requested_over_the_bus_with_stable_ids() -> None:
    publisher = InMemoryEventPublisher()
    control = EventBusAccountControl(publisher, ManualClock(NOW))
    until = datetime.fromisoformat("2026-03-02T17:00:00-06:00")
    control.pause("a1", "t1", "daily_loss", until)
    control.pause("a1", "t1", "daily_loss", until)
    control.resume("a1", "t1", until)
    pause, again, resume = publisher.published
    assert [e.detail_type for e in publisher.published] == [
        "platform.pause_requested", "platform.pause_requested", "platform.resume_requested"
    ]  # fmt: skip
    assert pause.event_id == again.event_id != resume.event_id
    assert isinstance(pause, AccountPauseRequested) and pause.paused_until == until
    assert isinstance(resume, AccountResumeRequested) and resume.account_id == "a1"


def test_disable_and_enable_are_requested_with_ids_that_name_their_cause() -> None:
    publisher = InMemoryEventPublisher()
    control = EventBusAccountControl(publisher, ManualClock(NOW))
    control.disable("a1", "t1", "daily_loss", cause="2026-03-02T10:00:00.000000Z#0-e2")
    control.enable("a1", "t1", "breach overridden", cause="2026-03-02T10:00:00.000000Z#daily_loss")
    control.disable("a1", "t1", "daily_loss", cause="2026-03-03T10:00:00.000000Z#0-e4")  # a later breach
    first, enable, second = publisher.published
    assert [e.detail_type for e in publisher.published] == [
        "platform.disable_requested", "platform.enable_requested", "platform.disable_requested"
    ]  # fmt: skip
    assert isinstance(enable, AccountEnableRequested) and enable.reason == "breach overridden"
    assert len({first.event_id, enable.event_id, second.event_id}) == 3


def test_a_task_token_resumes_the_workflow_and_a_used_one_is_reported_stale() -> None:
    sfn = client("stepfunctions")
    with Stubber(sfn) as stub:
        stub.add_response("send_task_success", {}, {"taskToken": "tok", "output": '{"decision": "approved"}'})
        stub.add_client_error("send_task_success", service_error_code="TaskTimedOut", http_status_code=400)
        stub.add_client_error(
            "send_task_failure", service_error_code="ThrottlingException", http_status_code=400
        )
        callback = StepFunctionsCallback(lambda: sfn)
        assert callback.succeed("tok", {"decision": "approved"}) is True
        assert callback.succeed("tok", {"decision": "approved"}) is False
        with pytest.raises(Exception, match="ThrottlingException"):
            callback.fail("tok", "KycFailed", "boom")


def test_a_push_to_a_gone_connection_is_false() -> None:
    management = client(
        "apigatewaymanagementapi", endpoint_url="http://127.0.0.1:4566/_aws/execute-api/a/dev"
    )
    with Stubber(management) as stub:
        stub.add_response("post_to_connection", {}, {"ConnectionId": "c1", "Data": b'{"type": "pong"}'})
        stub.add_client_error("post_to_connection", service_error_code="GoneException", http_status_code=410)
        pusher = ApiGatewayPusher("http://local", lambda _endpoint: management)
        assert pusher.push("c1", {"type": "pong"}) is True
        assert pusher.push("c1", {"type": "pong"}) is False


def test_secrets_are_cached_for_their_ttl_then_read_again_so_a_rotation_needs_no_cold_start() -> None:
    secrets = client("secretsmanager")
    now = [1000.0]
    with Stubber(secrets) as stub:
        for value in ('{"shared_secret": "s"}', '{"shared_secret": "rotated"}'):
            stub.add_response("get_secret_value", {"SecretString": value}, {"SecretId": "arn:veriff"})
        source = SecretsManagerSource(lambda: secrets, ttl=300, clock=lambda: now[0])
        assert source.get("arn:veriff") == source.get("arn:veriff") == '{"shared_secret": "s"}'
        now[0] += 299
        assert source.get("arn:veriff") == '{"shared_secret": "s"}'
        now[0] += 1
        assert source.get("arn:veriff") == '{"shared_secret": "rotated"}'
        stub.assert_no_pending_responses()
