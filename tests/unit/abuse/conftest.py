"""Abuse detector unit tests are pure: any network access is a bug, so sockets are blocked."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest


class _NoNetwork(socket.socket):
    def connect(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("network access in a unit test")


@pytest.fixture(autouse=True)
def _block_sockets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket, "socket", _NoNetwork)
    monkeypatch.setattr(socket, "create_connection", _refuse)
    yield


def _refuse(*args: Any, **kwargs: Any) -> socket.socket:
    raise RuntimeError("network access in a unit test")
