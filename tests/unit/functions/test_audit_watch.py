"""The audit table's watcher: every changed or removed entry is reported by its keys (and counted for the
alarm), a new entry never is, and the function answers a partial batch without raising."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from events import load_event
from functions.audit_watch import handler as audit_watch

CONTEXT: Any = None


def watch(event: dict[str, Any]) -> tuple[list[audit_watch.AuditChange], dict[str, Any]]:
    seen: list[audit_watch.AuditChange] = []
    answer = audit_watch.process(event, CONTEXT, audit_watch.Dependencies(seen.append))
    return seen, answer


def test_a_changed_entry_and_a_removed_one_are_each_reported_by_their_keys() -> None:
    seen, answer = watch(load_event("dynamodb/audit_entry_modified"))

    assert [(change.event_name, change.pk) for change in seen] == [
        ("MODIFY", "AUDIT#ACCOUNT#acc-1001"),
        ("REMOVE", "AUDIT#PROGRAM#two-step-100k"),
    ]
    assert seen[0].sk == "ENTRY#2026-03-02T08:20:00.000000Z#aud-1"
    assert answer == {"batchItemFailures": []}


def test_a_new_entry_is_no_alarm() -> None:
    event = load_event("dynamodb/audit_entry_modified")
    event["Records"][0]["eventName"] = "INSERT"

    seen, _ = watch(event)

    assert [change.event_name for change in seen] == ["REMOVE"]


def test_the_production_alert_counts_the_metric_the_alarm_watches(monkeypatch: pytest.MonkeyPatch) -> None:
    counted: list[tuple[str, float]] = []
    monkeypatch.setattr(
        audit_watch.metrics, "add_metric", lambda name, unit, value: counted.append((name, value))
    )
    event = copy.deepcopy(load_event("dynamodb/audit_entry_modified"))

    audit_watch.process(event, CONTEXT, audit_watch.Dependencies(audit_watch.alert_operators))

    assert counted == [("AuditEntriesModified", 1), ("AuditEntriesModified", 1)]
