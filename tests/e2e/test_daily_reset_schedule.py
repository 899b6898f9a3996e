"""The daily-reset schedule fires by itself in the local cloud and advances the reset watermark."""

from __future__ import annotations

import pytest

from tests.e2e.harness import DeployedStack, bind_data_layer, eventually

pytestmark = pytest.mark.e2e


def test_the_every_minute_schedule_runs_the_daily_reset(stack: DeployedStack) -> None:
    from propdesk.data.watermark import ResetWatermarkRepository

    bind_data_layer(stack)
    # Only the schedule runs daily_reset here, so any run since the stack was ready counts: the earlier tests
    # have usually let a minute pass already (waiting from this test's own start would add up to a minute).
    started = stack.ready_at

    watermark = eventually(
        lambda: (w := ResetWatermarkRepository().get()) and w.checked_until >= started and w,
        timeout=150,
        interval=1,
    )

    assert watermark.checked_until >= started
