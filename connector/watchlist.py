"""The accounts a connector watches, kept current while it runs.

The connector starts with the platform's active accounts and re-reads them every `interval` seconds (the same
read as at start: the table's active accounts by reset group, no Scan), so that a challenge bought after the
start is streamed within a minute and a closed one is let go. The streams ask `accounts()` as they listen
(cheap: a re-read happens only when one is due) and subscribe or unsubscribe the difference on the live
connection (`connector/streams.py`, `ctrader_stream`).

- A re-read that fails (the table unreachable) keeps the last list and is tried again at the next interval:
  the stream never stops for it.
- `account_id(platform_account_id)` remembers every account ever watched, so that a deal read for an
  account while it is let go (its last read) is still pushed for its propdesk account.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from propdesk.platforms.port import AccountRef

log = logging.getLogger("propdesk.connector")

REFRESH_SECONDS = 60.0

Load = Callable[[], Mapping[str, AccountRef]]  # propdesk account id -> its platform reference


class Watchlist:
    def __init__(
        self,
        load: Load,
        interval: float = REFRESH_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self._interval = interval
        self._monotonic = monotonic
        self._current: dict[str, AccountRef] = {}
        self._known: dict[str, str] = {}  # platform account id -> propdesk account id, never forgotten
        self.refreshes = 0
        self.failures = 0
        self._take(load())
        self._read_at = monotonic()

    def accounts(self) -> list[AccountRef]:
        """The accounts to watch now (re-read first when a re-read is due)."""
        if self._monotonic() - self._read_at >= self._interval:
            self.refresh()
        return list(self._current.values())

    def refresh(self) -> None:
        self._read_at = self._monotonic()
        try:
            loaded = self._load()
        except Exception as error:  # the table unreachable, throttled: keep watching what is known
            self.failures += 1
            log.warning("the watched accounts could not be re-read", extra={"error": type(error).__name__})
            return
        self.refreshes += 1
        before = set(self._current)
        self._take(loaded)
        added, removed = set(self._current) - before, before - set(self._current)
        if added or removed:
            log.info("watched accounts changed", extra={"added": len(added), "removed": len(removed)})

    def account_id(self, platform_account_id: str) -> str | None:
        return self._known.get(platform_account_id)

    def ids(self) -> Mapping[str, str]:
        """Platform account id -> propdesk account id, of every account watched so far."""
        return self._known

    def _take(self, loaded: Mapping[str, AccountRef]) -> None:
        self._current = dict(loaded)
        for account_id, ref in loaded.items():
            self._known[ref.platform_account_id] = account_id
