"""Global secondary indexes are eventually consistent (in DynamoDB Local too): tests wait for them."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(probe: Callable[[], T], timeout: float = 5.0) -> T:
    """Poll `probe` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result or time.monotonic() > deadline:
            assert result, f"the index did not catch up within {timeout} s"
            return result
        time.sleep(0.05)
