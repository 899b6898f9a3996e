"""Contract tests of the KYC provider port: every test runs against both adapters, each talking to its fake
over real HTTP on the loopback interface (no outside network)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contract.kyc.harness import HARNESSES, Harness


@pytest.fixture(params=sorted(HARNESSES))
def provider(request: pytest.FixtureRequest) -> Iterator[Harness]:
    harness = HARNESSES[request.param]()
    yield harness
    harness.stop()
