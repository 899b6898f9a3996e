"""Integration fixtures: one DynamoDB Local per session (per xdist worker), tables from the data layer."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from propdesk.data.binding import TableBinding, bind_tables

from tests.integration.dynamodb_local import REGION, DynamoDBLocal, TableNames


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    server = DynamoDBLocal()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def session_tables(dynamodb_local: DynamoDBLocal) -> TableNames:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return dynamodb_local.create_tables(f"propdesk-{worker}")


@pytest.fixture()
def aws_env(monkeypatch: pytest.MonkeyPatch, dynamodb_local: DynamoDBLocal) -> None:
    """What a handler sees in the local cloud, pointed at DynamoDB Local (restored after each test)."""
    for name, value in {
        "AWS_ENDPOINT_URL": dynamodb_local.endpoint_url,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "STAGE": "test",
        "POWERTOOLS_METRICS_NAMESPACE": "propdesk",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
        "WEBSOCKET_API_ID": "local-ws",  # no push reaches it: tests that push inject an in-memory pusher
        "WEBSOCKET_STAGE": "test",
        "USER_POOL_ID": "local-pool",  # staff_api's; the staff tests put an in-memory directory in its place
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture()
def tables(
    aws_env: None, monkeypatch: pytest.MonkeyPatch, dynamodb_local: DynamoDBLocal, session_tables: TableNames
) -> TableNames:
    """The worker's shared tables, bound; tests keep apart by using fresh ids (see `unique_id`)."""
    _bind(monkeypatch, dynamodb_local, session_tables)
    return session_tables


@pytest.fixture()
def fresh_tables(aws_env: None, monkeypatch: pytest.MonkeyPatch, dynamodb_local: DynamoDBLocal) -> TableNames:
    """Empty tables of its own, for tests that need to see a whole partition (catalogue, daily reset)."""
    names = dynamodb_local.create_tables(f"fresh-{uuid.uuid4().hex[:10]}")
    _bind(monkeypatch, dynamodb_local, names)
    return names


def _bind(monkeypatch: pytest.MonkeyPatch, server: DynamoDBLocal, names: TableNames) -> None:
    monkeypatch.setenv("TABLE_NAME", names.main)
    monkeypatch.setenv("CONNECTIONS_TABLE_NAME", names.connections)
    monkeypatch.setenv("REALTIME_TABLE_NAME", names.realtime)
    monkeypatch.setenv("AUDIT_TABLE_NAME", names.audit)
    bind_tables(
        TableBinding(
            table_name=names.main,
            connections_table_name=names.connections,
            region=REGION,
            endpoint_url=server.endpoint_url,
            realtime_table_name=names.realtime,
            audit_table_name=names.audit,
        )
    )


@pytest.fixture()
def unique_id() -> str:
    return uuid.uuid4().hex[:12]
