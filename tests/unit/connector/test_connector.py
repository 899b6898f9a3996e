"""The connector service: each deal a platform stream books reaches ingestion signed with the platform's own
secret, for the propdesk account it belongs to; a push the system cannot take now is retried, a refusal is
not; a dropped stream restarts from its checkpoint, so the gap is read again (stored once downstream)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from propdesk.platforms.port import AccountRef, Deal, PlatformUnavailableError
from propdesk.platforms.push_auth import PLATFORM_HEADER
from propdesk.platforms.signing import SIGNATURE_HEADER, verify

from connector.service import CHECKPOINT_MARGIN, Connector, EventsEndpoint
from tests.doubles.ports import ManualClock

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
SECRET = "ctrader-signing-secret"
WATCHED = AccountRef("ctrader", "4711", "100200")
STRANGER = AccountRef("ctrader", "4712", "100201")


@dataclass(frozen=True)
class Pushed:
    account: AccountRef
    deal: Deal


def deal(deal_id: str, minutes: int) -> Deal:
    return Deal(deal_id, "balance", NOW + timedelta(minutes=minutes), profit=Decimal("100"))


class Ingestion:
    """The events route: verifies each push as the real one does; answers from `statuses` first."""

    def __init__(self, *statuses: int) -> None:
        self.statuses = list(statuses)
        self.accepted: list[dict[str, object]] = []
        self.attempts = 0

    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
        self.attempts += 1
        assert headers[PLATFORM_HEADER] == "ctrader"
        assert verify(headers[SIGNATURE_HEADER], body, [SECRET], NOW)
        status = self.statuses.pop(0) if self.statuses else 202
        if status == 202:
            self.accepted.append(json.loads(body))
        return status, b'{"error": "events[0].time"}' if status == 422 else b"{}"


def connector(source: object, ingestion: Ingestion) -> tuple[Connector, threading.Event, list[float]]:
    slept: list[float] = []
    stop = threading.Event()
    endpoint = EventsEndpoint(
        "http://api/v1/platform/events", "ctrader", lambda: SECRET, lambda: NOW.timestamp(), slept.append,
        transport=ingestion,
    )  # fmt: skip
    accounts = {WATCHED.platform_account_id: "acc-1"}
    return (
        Connector("ctrader", source, lambda: accounts, endpoint, ManualClock(NOW), slept.append),  # type: ignore[arg-type]
        stop,
        slept,
    )


def test_each_deal_of_a_watched_account_is_pushed_signed_for_its_propdesk_account() -> None:
    ingestion = Ingestion()
    holder: dict[str, threading.Event] = {}

    def source(since: datetime | None, stop: threading.Event) -> Iterator[Pushed]:
        yield Pushed(WATCHED, deal("d1", 1))
        yield Pushed(STRANGER, deal("d2", 2))
        holder["stop"].set()

    service, stop, _ = connector(source, ingestion)
    holder["stop"] = stop
    report = service.run(stop)

    assert (report.pushed, report.skipped) == (1, 1)
    [body] = ingestion.accepted
    assert body["account_id"] == "acc-1"
    assert [event["event_id"] for event in body["events"]] == ["ctrader:d1"]  # type: ignore[index, union-attr]


def test_a_push_the_system_cannot_take_now_is_retried_and_a_refusal_is_not() -> None:
    ingestion = Ingestion(503, 0, 202, 422)
    holder: dict[str, threading.Event] = {}

    def source(since: datetime | None, stop: threading.Event) -> Iterator[Pushed]:
        yield Pushed(WATCHED, deal("d1", 1))
        yield Pushed(WATCHED, deal("d2", 2))
        holder["stop"].set()

    service, stop, slept = connector(source, ingestion)
    holder["stop"] = stop
    report = service.run(stop)

    assert (report.pushed, report.refused, ingestion.attempts) == (1, 1, 4)
    assert len(slept) == 2  # backoff before each retry, none after the refusal


def test_a_dropped_stream_restarts_from_its_checkpoint_less_a_margin() -> None:
    ingestion = Ingestion()
    calls: list[datetime | None] = []
    holder: dict[str, threading.Event] = {}

    def source(since: datetime | None, stop: threading.Event) -> Iterator[Pushed]:
        calls.append(since)
        if len(calls) == 1:
            yield Pushed(WATCHED, deal("d1", 5))
            raise PlatformUnavailableError("the socket dropped")
        yield Pushed(WATCHED, deal("d1", 5))  # the gap read again: d1 once more (stored once downstream)
        holder["stop"].set()

    service, stop, _ = connector(source, ingestion)
    holder["stop"] = stop
    report = service.run(stop)

    assert calls == [None, NOW + timedelta(minutes=5) - CHECKPOINT_MARGIN]
    assert report.restarts == 1 and report.pushed == 2
