"""What the end-to-end tests use to drive the deployed stack: HTTP, AWS clients, and polling."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import boto3

from scripts.local_cloud.cloud import REGION
from scripts.local_cloud.endpoints import LocalEndpoints
from scripts.local_cloud.fake_providers import FakeProviders

T = TypeVar("T")


@dataclass
class HttpAnswer:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class DeployedStack:
    endpoints: LocalEndpoints
    demo: dict[str, str]
    providers: FakeProviders | None = None  # the fakes the stack is pointed at, as `make dev` runs them
    ready_at: datetime = field(default_factory=lambda: datetime.now(UTC))  # deployed and seeded by then

    @property
    def outputs(self) -> dict[str, str]:
        return self.endpoints.outputs

    def id_token(self, email: str, password: str) -> str:
        """A user's ID token, signed in as auth_api does (AdminInitiateAuth on the server-side client)."""
        from scripts.local_cloud.tokens import admin_id_token

        return admin_id_token(self.client("cognito-idp"), self.outputs, email, password)

    def client(self, service: str) -> Any:
        return self.client_with(service, None)

    def client_with(self, service: str, config: Any) -> Any:
        """A client of the local cloud with a botocore `Config` (e.g. a longer read timeout)."""
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoints.cloud,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=config,
        )

    def push_events(
        self, account_id: str, events: list[dict[str, Any]], raw_body: bytes | None = None
    ) -> HttpAnswer:
        """`POST /v1/platform/events` as the demo account's platform pushes: signed with its own secret (the
        one place the e2e tests sign; `raw_body` replaces the body built from `account_id` and `events`)."""
        from fakes.platform_push import EVENTS_PATH, events_body, push_headers

        body = events_body(account_id, events) if raw_body is None else raw_body
        headers = push_headers(self.demo["platform"], self.demo["platform_signing_secret"], body)
        return self.http("POST", EVENTS_PATH, body=body, headers=headers)

    def http(
        self,
        method: str,
        path: str,
        body: bytes | str | dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpAnswer:
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        data = data.encode() if isinstance(data, str) else data
        request = urllib.request.Request(  # noqa: S310 - the local cloud on loopback
            self.endpoints.rest_url(path),
            data=data,
            method=method,
            headers={"content-type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw, status, answer_headers = response.read(), response.status, dict(response.headers)
        except urllib.error.HTTPError as error:
            raw, status, answer_headers = error.read(), error.code, dict(error.headers)
        try:
            parsed: Any = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            parsed = raw.decode(errors="replace")
        return HttpAnswer(status=status, body=parsed, headers=answer_headers)


def eventually(probe: Callable[[], T | None], timeout: float = 30.0, interval: float = 0.5) -> T:
    """Poll until `probe` returns something truthy (asynchronous paths: streams, rules, schedules)."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"nothing happened within {timeout:.0f} s")
        time.sleep(interval)


def open_demo_account(stack: DeployedStack, account_id: str, opened_at: datetime) -> None:
    """Open a fresh account for the demo trader, through the project's data layer, as provisioning would."""
    from propdesk.catalogue import demo_programs
    from propdesk.data.accounts import AccountRepository
    from propdesk.records import Account, PlatformReference

    bind_data_layer(stack)
    program = next(p for p in demo_programs() if p.summary.program_id == stack.demo["program_id"])
    opened = AccountRepository().open(
        Account(
            account_id=account_id,
            trader_id=stack.demo["trader_id"],
            program_id=program.summary.program_id,
            program_version=1,
            status="active",
            currency=program.summary.currency,
            initial_balance=program.summary.initial_balance,
            timezone=str(program.document["timezone"]),
            day_starts_at=str(program.document["day_starts_at"]),
            opened_at=opened_at,
            platform=PlatformReference(stack.demo["platform"], f"p-{account_id}", "700001"),
        )
    )
    assert opened, f"account {account_id} exists already"


def bind_data_layer(stack: DeployedStack) -> None:
    """Point the project's data layer at the deployed tables (tests read what the functions wrote)."""
    from propdesk.data.binding import TableBinding, bind_tables

    outputs, cloud = stack.outputs, stack.endpoints.cloud
    bind_tables(
        TableBinding(
            outputs["TableName"],
            outputs["ConnectionsTableName"],
            REGION,
            cloud,
            realtime_table_name=outputs.get("RealtimeTableName"),
            audit_table_name=outputs.get("AuditTableName"),
        )
    )


def publish(stack: DeployedStack, event: Any) -> None:
    """Put a domain event on the stack's bus, as the project's own publisher does."""
    from propdesk.adapters.eventbridge import EventBridgePublisher

    publisher = EventBridgePublisher(stack.outputs["EventBusName"], client=lambda: stack.client("events"))
    publisher.publish([event])
