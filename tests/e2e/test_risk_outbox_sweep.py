"""The risk outbox sweep's schedule fires by itself in the local cloud: a risk snapshot left with pending
effects (as a step whose effects failed, its record gone to the on-failure queue, leaves it) has them
performed by `risk_outbox_sweep` within a few minutes, and leaves the outbox index."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.harness import DeployedStack, eventually, open_demo_account

pytestmark = pytest.mark.e2e


def test_the_every_minute_schedule_performs_effects_a_failed_step_left_pending(stack: DeployedStack) -> None:
    from dataclasses import replace

    from propdesk.data.accounts import AccountRepository
    from propdesk.data.risk import RiskStateRepository
    from propdesk.services import risk_outbox

    account_id = f"e2e-{uuid.uuid4().hex[:10]}"
    now = datetime.now(UTC).replace(microsecond=0)
    open_demo_account(stack, account_id, now - timedelta(minutes=30))
    calm = {"event_id": "calm", "time": (now - timedelta(minutes=1)).isoformat(), "type": "equity",
            "equity": "99000.00"}  # fmt: skip
    assert stack.push_events(account_id, [calm]).status == 202
    recalculated = eventually(lambda: RiskStateRepository().get(account_id), timeout=60)
    # A later step of the account committed to failing it and could not (its record then went to the
    # on-failure queue): written five minutes ago, past the sweep's grace.
    committed_at = now - timedelta(minutes=5)
    failed = risk_outbox.change_status(account_id, "failed", "daily_loss", committed_at)
    RiskStateRepository().save(replace(recalculated, pending=(failed,)), updated_at=committed_at)
    assert any(e.account_id == account_id for e in RiskStateRepository().pending_outboxes())

    account = eventually(
        lambda: (a := AccountRepository().get(account_id, consistent=True)) and a.status == "failed" and a,
        timeout=150,
        interval=2,
    )

    assert account.status_reason == "daily_loss"
    snapshot = eventually(lambda: (s := RiskStateRepository().get(account_id)) and not s.pending and s)
    assert snapshot.version == recalculated.version + 1  # the sweep's clear keeps the version
    assert all(e.account_id != account_id for e in RiskStateRepository().pending_outboxes())
