"""What the functions did in the local cloud since a moment: invocations and billed time per function, read
from the `REPORT` line every invocation writes to its log group (every path: API Gateway, streams, rules,
Step Functions)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from tests.e2e.harness import DeployedStack

REPORT_LINE = re.compile(
    r"REPORT RequestId: .*Billed Duration: (?P<billed>\d+) ms\s+Memory Size: (?P<memory>\d+) MB"
)


def lambda_reports(
    stack: DeployedStack, since: datetime, until: datetime | None = None
) -> dict[str, dict[str, float]]:
    """Function name -> {"invocations", "seconds" (billed), "gb_seconds"} from `since` to `until` (or now),
    for the functions that ran."""
    lambda_, logs = stack.client("lambda"), stack.client("logs")
    since_ms = int(since.timestamp() * 1000)
    until_ms = int(until.timestamp() * 1000) if until is not None else None
    found: dict[str, dict[str, float]] = {}
    for page in lambda_.get_paginator("list_functions").paginate():
        for function in page["Functions"]:
            name = function["FunctionName"]
            invocations, seconds, gb_seconds = 0, 0.0, 0.0
            for message in log_messages(logs, f"/aws/lambda/{name}", since_ms, until_ms):
                report = REPORT_LINE.search(message)
                if report:
                    invocations += 1
                    seconds += int(report["billed"]) / 1000
                    gb_seconds += int(report["billed"]) / 1000 * int(report["memory"]) / 1024
            if invocations:
                found[name] = {"invocations": invocations, "seconds": seconds, "gb_seconds": gb_seconds}
    return found


def log_messages(logs: Any, group: str, since_ms: int, until_ms: int | None = None) -> Iterator[str]:
    token: str | None = None
    window = {"startTime": since_ms, **({"endTime": until_ms} if until_ms is not None else {})}
    while True:
        try:
            page = logs.filter_log_events(
                logGroupName=group, **window, **({"nextToken": token} if token else {})
            )
        except logs.exceptions.ResourceNotFoundException:  # a function that never ran has no group
            return
        for event in page.get("events", []):
            yield str(event.get("message", ""))
        token = page.get("nextToken")
        if not token:
            return
