"""payouts_api reads its settings from the environment: the integration tables plus an event bus name (the
tests replace the publisher with an in-memory one)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from functions.payouts_api import handler as payouts_api


@pytest.fixture(autouse=True)
def payouts_wiring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("EVENT_BUS_NAME", "propdesk-test")
    payouts_api.production_dependencies.cache_clear()
    yield
    payouts_api.production_dependencies.cache_clear()
