"""Every handler wires its production dependencies from the environment the stack gives it (no AWS call made),
and refuses to start when a variable it needs is missing."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from propdesk.config import ConfigError

FUNCTIONS_DIR = Path(__file__).parents[3] / "functions"
FUNCTIONS = sorted(path.parent.name for path in FUNCTIONS_DIR.glob("*/handler.py"))
ENVIRONMENT = {
    "AWS_REGION": "us-east-1",
    "STAGE": "dev",
    "TABLE_NAME": "PropdeskTable",
    "CONNECTIONS_TABLE_NAME": "ConnectionsTable",
    "REALTIME_TABLE_NAME": "RealtimeTable",
    "AUDIT_TABLE_NAME": "AuditTable",
    "USER_POOL_ID": "us-east-1_pool",
    "USER_POOL_CLIENT_IDS": "app-client-1",
    "EVENT_BUS_NAME": "propdesk-dev",
    "WEBSOCKET_API_ID": "abc123",
    "WEBSOCKET_STAGE": "dev",
    "KYC_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:veriff",
    "MATCH_TRADER_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:match-trader",
    "STRIPE_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:stripe",
    "COINBASE_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:000000000000:secret:coinbase-commerce",
    "WARNING_SHARE": "0.8",
    "USER_POOL_CLIENT_ID": "app-client-1",
    "ABUSE_STATE_TABLE_NAME": "AbuseStateTable",
    "PLATFORM_SIGNING_SECRET_ARNS": '{"mt5": "arn:aws:secretsmanager:us-east-1:000000000000:secret:mt5"}',
    "MAIL_FROM": "Acme Funding <no-reply@acme.example>",
    "FIRM_NAME": "Acme Funding",
}


@pytest.fixture(params=FUNCTIONS)
def handler_module(request: pytest.FixtureRequest) -> Iterator[ModuleType]:
    module = importlib.import_module(f"functions.{request.param}.handler")
    module.production_dependencies.cache_clear()
    yield module
    module.production_dependencies.cache_clear()


def test_every_function_of_the_stack_has_a_handler() -> None:
    assert len(FUNCTIONS) >= 15


def test_dependencies_are_wired_from_the_environment(
    handler_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    assert handler_module.production_dependencies() is not None
    assert callable(handler_module.handler)


def test_a_missing_variable_stops_the_function_at_entry(
    handler_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError):
        handler_module.production_dependencies()
