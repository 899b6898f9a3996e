"""The outbox sweeps' handlers (risk: account ids; abuse: flag ids): a run's figures come back and go to the
metrics the alarms watch."""

from __future__ import annotations

from datetime import timedelta
from types import ModuleType
from typing import Any

import pytest
from propdesk.observability import metrics
from propdesk.services.risk_outbox_sweep import SweepReport

from functions.abuse_outbox_sweep import handler as abuse_handler
from functions.risk_outbox_sweep import handler as risk_handler
from tests.integration.invoke import LambdaContextStub

HANDLERS = pytest.mark.parametrize(("handler", "prefix"), [(risk_handler, "Risk"), (abuse_handler, "Abuse")])


class Sweep:
    def __init__(self, report: SweepReport) -> None:
        self.report = report

    def run(self) -> SweepReport:
        return self.report


def run(handler: ModuleType, report: SweepReport) -> dict[str, Any]:
    summary: dict[str, Any] = handler.process({}, LambdaContextStub(), Sweep(report))
    return summary


@pytest.fixture()
def emitted(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    figures: dict[str, float] = {}
    monkeypatch.setattr(metrics, "add_metric", lambda name, unit, value: figures.__setitem__(name, value))
    return figures


@HANDLERS
def test_a_run_reports_what_it_settled_what_failed_and_what_is_overdue(
    handler: ModuleType, prefix: str, emitted: dict[str, float]
) -> None:
    report = SweepReport(
        found=4, waiting=1, settled=("a",), already_done=1, failed=("b",), overdue=("b",),
        oldest=timedelta(minutes=12), left=0,
    )  # fmt: skip

    summary = run(handler, report)

    assert summary == {
        "found": 4, "waiting": 1, "settled": ["a"], "already_done": 1, "failed": ["b"], "overdue": ["b"],
        "oldest_seconds": 720.0, "left": 0,
    }  # fmt: skip
    assert emitted == {
        f"{prefix}OutboxOldestPendingSeconds": 720.0,
        f"{prefix}OutboxSettled": 1,
        f"{prefix}OutboxSettleFailed": 1,
        f"{prefix}OutboxOverdue": 1,
    }


@HANDLERS
def test_a_run_that_finds_nothing_emits_only_the_age_of_nothing(
    handler: ModuleType, prefix: str, emitted: dict[str, float]
) -> None:
    assert run(handler, SweepReport(found=0, waiting=0))["found"] == 0
    assert emitted == {f"{prefix}OutboxOldestPendingSeconds": 0.0}
