"""The deep pass's window (`propdesk.abuse.deep_pass.TradingWindow`): the fills of every active account in a
time range, read from each account's own partition (GSI1 `FILLS#{account}`, ticks skipped), the accounts
found through the reset groups (GSI2 holds active accounts only). Queries by key: no scan, once a day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from propdesk.data.accounts import AccountRepository
from propdesk.data.events import TradingEventRepository
from propdesk.records import StoredEvent

PAGE = 100


class ActiveAccountsWindow:
    def __init__(self, accounts: AccountRepository, events: TradingEventRepository) -> None:
        self._accounts = accounts
        self._events = events

    def events_between(self, start: datetime, end: datetime) -> Iterator[tuple[StoredEvent, str]]:
        for timezone, day_starts_at in self._accounts.reset_groups():
            for account in self._accounts.active_in_reset_group(timezone, day_starts_at):
                cursor: str | None = None
                while True:
                    page = self._events.list_fills(
                        account.account_id, PAGE, cursor, start=start, end=end, newest_first=False
                    )
                    for event in page.items:
                        yield event, account.trader_id
                    cursor = page.next_cursor
                    if cursor is None:
                        break
