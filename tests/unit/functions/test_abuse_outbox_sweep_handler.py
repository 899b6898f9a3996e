"""abuse_outbox_sweep's handler: a run's figures (flag ids) come back and go to the metrics alarmed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from propdesk.services.risk_outbox_sweep import SweepReport

from functions.abuse_outbox_sweep import handler
from tests.integration.invoke import LambdaContextStub


class Sweep:
    def __init__(self, report: SweepReport) -> None:
        self.report = report

    def run(self) -> SweepReport:
        return self.report


def run(report: SweepReport) -> dict[str, Any]:
    return handler.process({}, LambdaContextStub(), Sweep(report))  # type: ignore[arg-type]


def test_a_run_reports_what_it_settled_what_failed_and_what_is_overdue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emitted: dict[str, float] = {}
    monkeypatch.setattr(
        handler.metrics, "add_metric", lambda name, unit, value: emitted.__setitem__(name, value)
    )
    report = SweepReport(
        found=4, waiting=1, settled=("a",), already_done=1, failed=("b",), overdue=("b",),
        oldest=timedelta(minutes=12), left=0,
    )  # fmt: skip

    summary = run(report)

    assert summary == {
        "found": 4, "waiting": 1, "settled": ["a"], "already_done": 1, "failed": ["b"], "overdue": ["b"],
        "oldest_seconds": 720.0, "left": 0,
    }  # fmt: skip
    assert emitted == {
        "AbuseOutboxOldestPendingSeconds": 720.0,
        "AbuseOutboxSettled": 1,
        "AbuseOutboxSettleFailed": 1,
        "AbuseOutboxOverdue": 1,
    }


def test_a_run_that_finds_nothing_emits_only_the_age_of_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    emitted: dict[str, float] = {}
    monkeypatch.setattr(
        handler.metrics, "add_metric", lambda name, unit, value: emitted.__setitem__(name, value)
    )
    assert run(SweepReport(found=0, waiting=0))["found"] == 0
    assert emitted == {"AbuseOutboxOldestPendingSeconds": 0.0}
