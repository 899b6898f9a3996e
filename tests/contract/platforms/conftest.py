"""The platform contract suite runs once per platform: each adapter against its local fake (loopback only),
and the in-memory double. A helper adding a platform adds one line to `HARNESSES`."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

from tests.contract.platforms.harness import PlatformHarness
from tests.contract.platforms.harness_ctrader import ctrader_harness
from tests.contract.platforms.harness_dxtrade import dxtrade_harness
from tests.contract.platforms.harness_match_trader import match_trader_harness
from tests.contract.platforms.harness_memory import memory_harness
from tests.contract.platforms.harness_mt5_bridge import mt5_bridge_harness
from tests.contract.platforms.harness_tradelocker import tradelocker_harness

HARNESSES: dict[str, Callable[[], AbstractContextManager[Any]]] = {
    "in-memory": memory_harness,
    "ctrader": ctrader_harness,
    "match-trader": match_trader_harness,
    "mt5": mt5_bridge_harness,
    "tradelocker": tradelocker_harness,
    "dxtrade": dxtrade_harness,
}


@pytest.fixture(params=sorted(HARNESSES))
def harness(request: pytest.FixtureRequest) -> Iterator[PlatformHarness]:
    with HARNESSES[request.param]() as built:
        yield built


@pytest.fixture()
def http_harness(harness: PlatformHarness) -> PlatformHarness:
    if not harness.over_http:
        pytest.skip("no transport: the in-memory double has no HTTP to fail")
    return harness


_LOOPBACK = ("127.0.0.1", "::1", "localhost")


class _LoopbackOnly(socket.socket):
    def connect(self, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        if host not in _LOOPBACK:
            raise RuntimeError(f"network access beyond loopback in a contract test: {host}")
        super().connect(address)


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "socket", _LoopbackOnly)
