"""The platform registry: the firm's connections, and an account's adapter built on first use (only that one
imported), through the platform's shared circuit breaker."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from propdesk.config import PlatformConnection, PlatformConnectionsSettings
from propdesk.platforms.port import AccountRef, PlatformRejectedError
from propdesk.records import PlatformReference
from propdesk.resilience.breaker_state import InMemoryBreakerStore
from propdesk.wiring.platforms import PlatformNotConnectedError, PlatformRegistry

from tests.doubles.ports import StaticSecrets

ROOT = Path(__file__).resolve().parents[3]
SECRET = json.dumps({"base_url": "http://127.0.0.1:9", "api_token": "t", "system_uuid": "s"})


def registry() -> PlatformRegistry:
    connections = {"match-trader": PlatformConnection(secret_arn="arn:mt", server="MatchTrader-Demo")}
    return PlatformRegistry(connections, StaticSecrets({"arn:mt": SECRET}), InMemoryBreakerStore())


def test_an_accounts_platform_is_built_once_and_addressed_by_its_stored_reference() -> None:
    platforms = registry()
    reference = PlatformReference("match-trader", "prop-1", "700001", "challenge-100k", "MatchTrader-Demo")

    platform, ref = platforms.for_account(reference)

    assert platform is platforms.platform("match-trader")
    assert (platform.name, platform.server) == ("match-trader", "MatchTrader-Demo")
    assert ref == AccountRef("match-trader", "prop-1", "700001", "challenge-100k")
    assert platforms.connected == ("match-trader",)


def test_a_platform_the_firm_is_not_connected_to_is_a_refusal_not_a_retry() -> None:
    with pytest.raises(PlatformNotConnectedError) as refused:
        registry().platform("ctrader")
    assert isinstance(refused.value, PlatformRejectedError)


def test_an_unknown_stored_platform_is_a_refusal() -> None:
    with pytest.raises(PlatformRejectedError):
        registry().for_account(PlatformReference("metatrader-9", "1", "1"))


def test_connections_come_from_one_json_variable() -> None:
    settings = PlatformConnectionsSettings.from_env(
        {
            "TABLE_NAME": "t",
            "EVENT_BUS_NAME": "b",
            "PLATFORM_CONNECTIONS": json.dumps(
                {"mt5": {"secret_arn": "arn:mt5", "server": "Firm-MT5", "options": {"x": "y"}}}
            ),
        }
    )
    assert settings.platform_connections["mt5"].server == "Firm-MT5"


def test_only_the_adapter_an_account_uses_is_imported() -> None:
    script = f"""
import json, sys
from tests.doubles.ports import StaticSecrets
from propdesk.config import PlatformConnection
from propdesk.resilience.breaker_state import InMemoryBreakerStore
from propdesk.wiring.platforms import PlatformRegistry
connections = {{
    name: PlatformConnection(secret_arn="arn:" + name, server=name)
    for name in ("match-trader", "ctrader", "tradelocker", "mt5")
}}
secrets = StaticSecrets({{"arn:" + name: {SECRET!r} for name in connections}})
PlatformRegistry(connections, secrets, InMemoryBreakerStore()).platform("match-trader")
loaded = sorted(m for m in sys.modules if m.startswith("propdesk.adapters.platforms."))
print(json.dumps(loaded))
"""
    run = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": f"{ROOT / 'shared'}:{ROOT}", "PATH": "/usr/bin:/bin"},
    )
    loaded = json.loads(run.stdout)
    assert "propdesk.adapters.platforms.match_trader" in loaded
    assert not [m for m in loaded if m.rsplit(".", 1)[1].startswith(("ctrader", "tradelocker", "mt5"))]
