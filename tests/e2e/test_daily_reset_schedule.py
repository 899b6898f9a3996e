"""The daily-reset schedule fires by itself in the local cloud and advances the reset watermark."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.e2e.harness import DeployedStack, bind_data_layer, eventually

pytestmark = pytest.mark.e2e


def test_the_every_minute_schedule_runs_the_daily_reset(stack: DeployedStack) -> None:
    from propdesk.data.watermark import ResetWatermarkRepository

    bind_data_layer(stack)
    started = datetime.now(UTC)

    watermark = eventually(
        lambda: (w := ResetWatermarkRepository().get()) and w.checked_until >= started and w,
        timeout=150,
        interval=3,
    )

    assert watermark.checked_until >= started
