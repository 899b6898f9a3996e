"""The Stripe fake's webhook delivery, over real HTTP on the loopback interface (no outside network): a
receiver on 127.0.0.1 answers each delivery as a test tells it."""

from __future__ import annotations

import socket
from typing import Any

import pytest

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
