"""The connector service: holds a platform's long-lived connection (cTrader's Open API socket; DXtrade's push
socket) and pushes what the platform books, normalized and signed, into ingestion (`POST /v1/platform/events`,
docs/platforms.md "Pushing events"): exactly the path an outside connector takes, with the platform's own
signing secret, so a leaked connector can only push for its platform's accounts.

Guarantees:
- Each deal becomes the engine's events (`propdesk.platforms.normalize`: the platform's deal id is the event
  id), pushed for the propdesk account the platform account belongs to (deals of accounts not watched are
  dropped). A push the system answers 5xx or cannot be reached is retried with backoff and jitter until it
  is accepted or the service stops; a 4xx (a refusal naming the field) is logged and not repeated.
- The connection dropping or the platform failing ends the source; the service starts it again from its
  checkpoint (the latest deal pushed, less a margin), which backfills through the platform's history:
  a deal seen twice is stored once downstream.
- No clock reads nor sleeps of its own: both are injected (the tests drive them).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from propdesk.platforms.normalize import deals_to_events
from propdesk.platforms.port import (
    AccountRef,
    Deal,
    PlatformName,
    PlatformRejectedError,
    PlatformUnavailableError,
)
from propdesk.platforms.push_auth import PLATFORM_HEADER
from propdesk.platforms.signing import SIGNATURE_HEADER, sign
from propdesk.ports import Clock

log = logging.getLogger("propdesk.connector")
EVENTS_PATH = "/v1/platform/events"
CHECKPOINT_MARGIN = timedelta(minutes=2)


class Booked(Protocol):
    """A deal as a stream yields it (`ctrader_stream.PushedDeal` is one)."""

    @property
    def account(self) -> AccountRef: ...

    @property
    def deal(self) -> Deal: ...


# A platform's deals from now on (and from the checkpoint, when given), until `stop` is set.
Source = Callable[[datetime | None, threading.Event], Iterator[Booked]]


class Transport(Protocol):
    def __call__(self, url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]: ...


def http_post(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
    """POST with the standard library; the status (0: not reached) and the raw answer."""
    request = urllib.request.Request(url, data=body, method="POST", headers=dict(headers))  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - the configured API
            return int(answer.status), bytes(answer.read())
    except urllib.error.HTTPError as error:
        return int(error.code), bytes(error.read())
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        return 0, b""


@dataclass
class EventsEndpoint:
    """Signed pushes of one platform to the events route."""

    url: str
    platform: PlatformName
    secret: Callable[[], str]  # read each time: a rotated secret is used at once
    epoch: Callable[[], float]
    sleep: Callable[[float], None]
    transport: Transport = http_post
    max_delay: float = 30.0
    rng: random.Random = field(default_factory=random.Random)

    def push(self, account_id: str, events: list[Mapping[str, Any]], stop: threading.Event) -> bool:
        """True when accepted (202, duplicates included); False when refused (4xx) or stopped."""
        body = json.dumps({"account_id": account_id, "events": events}, separators=(",", ":")).encode()
        delay = 0.5
        while not stop.is_set():
            headers = {
                "Content-Type": "application/json",
                PLATFORM_HEADER: self.platform,
                SIGNATURE_HEADER: sign(self.secret(), body, int(self.epoch())),
            }
            status, answer = self.transport(self.url, body, headers)
            if 200 <= status < 300:
                return True
            if 400 <= status < 500 and status != 429:
                log.error("push refused: %s %s", status, answer[:300].decode(errors="replace"))
                return False
            self.sleep(self.rng.uniform(0, delay))  # full jitter
            delay = min(delay * 2, self.max_delay)
        return False


@dataclass
class ConnectorReport:
    pushed: int = 0  # deals accepted
    refused: int = 0
    skipped: int = 0  # deals of accounts not watched
    restarts: int = 0


class Connector:
    def __init__(
        self,
        platform: PlatformName,
        source: Source,
        accounts: Callable[[], Mapping[str, str]],  # platform account id -> propdesk account id
        endpoint: EventsEndpoint,
        clock: Clock,
        sleep: Callable[[float], None],
        restart_delay: float = 5.0,
    ) -> None:
        self._platform = platform
        self._source = source
        self._accounts = accounts
        self._endpoint = endpoint
        self._clock = clock
        self._sleep = sleep
        self._restart_delay = restart_delay
        self.checkpoint: datetime | None = None
        self.report = ConnectorReport()

    def run(self, stop: threading.Event) -> ConnectorReport:
        """Push every deal the source yields until `stop` is set, restarting the source from the checkpoint
        after a failure or a drop."""
        while not stop.is_set():
            since = None if self.checkpoint is None else self.checkpoint - CHECKPOINT_MARGIN
            try:
                for booked in self._source(since, stop):
                    self._push(booked, stop)
                    if stop.is_set():
                        break
            except (PlatformUnavailableError, PlatformRejectedError, OSError) as error:
                log.warning(
                    "the platform connection failed; restarting", extra={"error": type(error).__name__}
                )
            if stop.is_set():
                break
            self.report.restarts += 1
            self._sleep(self._restart_delay)
        return self.report

    def _push(self, booked: Booked, stop: threading.Event) -> None:
        account_id = self._accounts().get(booked.account.platform_account_id)
        if account_id is None:
            self.report.skipped += 1
            return
        events = deals_to_events(self._platform, [booked.deal])
        if self._endpoint.push(account_id, list(events), stop):
            self.report.pushed += 1
            if self.checkpoint is None or booked.deal.time > self.checkpoint:
                self.checkpoint = booked.deal.time
        else:
            self.report.refused += 1
