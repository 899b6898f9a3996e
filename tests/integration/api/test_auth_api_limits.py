"""auth_api wired from its environment against DynamoDB Local (the pool is an in-memory fake): the limits
are counted in the table with conditional updates, per hashed e-mail address and per source IP, and a refusal
is a 429 with Retry-After in the one error format."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from propdesk.data.models import RateWindowItem

from events import load_event
from functions.auth_api import handler as auth_api
from tests.doubles.ports import InMemoryIdentityProvider, ManualClock
from tests.integration.dynamodb_local import TableNames
from tests.integration.invoke import LambdaContextStub

pytestmark = pytest.mark.integration

CONTEXT: Any = LambdaContextStub()
WINDOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
PASSWORD = "Correct-Horse-9!"


@pytest.fixture()
def pool(tables: TableNames, monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemoryIdentityProvider]:
    monkeypatch.setenv("USER_POOL_ID", "us-east-1_test")
    monkeypatch.setenv("USER_POOL_CLIENT_ID", "server-client-test")
    auth_api.production_dependencies.cache_clear()
    yield InMemoryIdentityProvider()
    auth_api.production_dependencies.cache_clear()


def address_of(unique_id: str) -> str:
    """A source IP of the test's own (tests share the table and the window)."""
    return "10." + ".".join(str(int(unique_id[n : n + 2], 16)) for n in (0, 2, 4))


def sign_in(pool: InMemoryIdentityProvider, email: str, ip: str, at: datetime) -> dict[str, Any]:
    event = load_event("apigateway/post_sign_in")
    event["body"] = json.dumps({"email": email, "password": PASSWORD})
    event["requestContext"]["identity"]["sourceIp"] = ip
    deps = dataclasses.replace(auth_api.production_dependencies(), identity=pool, clock=ManualClock(at))
    response: dict[str, Any] = auth_api.process(event, CONTEXT, deps)
    return response


def test_the_sixth_sign_in_for_one_address_is_a_429_counted_in_the_table(
    pool: InMemoryIdentityProvider, unique_id: str
) -> None:
    email, ip = f"{unique_id}@example.com", address_of(unique_id)
    pool.add_user(email, PASSWORD)
    at = WINDOW + timedelta(seconds=20)

    statuses = [sign_in(pool, email, ip, at)["statusCode"] for _ in range(5)]
    refused = sign_in(pool, email.upper(), ip, at)
    later = sign_in(pool, email, ip, WINDOW + timedelta(minutes=5))

    assert statuses == [200] * 5
    assert refused["statusCode"] == 429
    assert refused["multiValueHeaders"]["Retry-After"] == ["280"]
    assert json.loads(refused["body"])["error"]["code"] == "rate_limited"
    assert later["statusCode"] == 200
    stored = [item.pk for item in RateWindowItem.scan(RateWindowItem.pk.startswith("RATE#signIn.email#"))]
    assert stored and not any(email in pk for pk in stored)  # the address is hashed in the key


def test_one_ip_is_stopped_after_thirty_sign_ins_over_many_addresses(
    pool: InMemoryIdentityProvider, unique_id: str
) -> None:
    ip = address_of(unique_id)
    at = WINDOW + timedelta(seconds=40)

    statuses = [sign_in(pool, f"{unique_id}-{n}@example.com", ip, at)["statusCode"] for n in range(31)]

    assert statuses == [401] * 30 + [429]
