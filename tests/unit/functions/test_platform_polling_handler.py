"""platform_polling's handler: the schedule names the platform; the tick's figures come back (and go to the
metrics); an event naming no platform of the port is refused."""

from __future__ import annotations

from typing import Any

import pytest
from propdesk.services.platform_polling import PollReport

from functions.platform_polling import handler
from tests.integration.invoke import LambdaContextStub


class Polling:
    def __init__(self) -> None:
        self.polled: list[str] = []

    def poll(self, platform: str) -> PollReport:
        self.polled.append(platform)
        return PollReport(platform, accounts=3, polled=2, near_limit=1, backfilled=["a"], stale=["b"])


def run(event: dict[str, Any], polling: Polling) -> dict[str, Any]:
    return handler.process(event, LambdaContextStub(), polling)  # type: ignore[arg-type]


def test_a_tick_polls_the_platform_its_schedule_names_and_reports_its_figures() -> None:
    polling = Polling()
    summary = run({"platform": "tradelocker"}, polling)
    assert polling.polled == ["tradelocker"]
    assert summary == {
        "platform": "tradelocker", "accounts": 3, "polled": 2, "near_limit": 1, "backfilled": 1, "stale": 1,
        "rejected": 0, "failed": 0,
    }  # fmt: skip


@pytest.mark.parametrize("event", [{}, {"platform": "metatrader4"}])
def test_an_event_naming_no_platform_of_the_port_is_refused(event: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="names no platform"):
        run(event, Polling())
