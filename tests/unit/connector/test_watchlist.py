"""The connector's watchlist: the accounts to watch are read at start and again once a re-read is due (never
more often); a failed re-read keeps the last list; every account ever watched keeps its propdesk id, so a
deal read for an account while it is let go is still pushed for it."""

from __future__ import annotations

from collections.abc import Mapping

from propdesk.platforms.port import AccountRef

from connector.watchlist import Watchlist

FIRST = AccountRef("dxtrade", "default:acc-1", "acc-1")
SECOND = AccountRef("dxtrade", "default:acc-2", "acc-2")


class Table:
    def __init__(self, *rows: tuple[str, AccountRef]) -> None:
        self.rows = dict(rows)
        self.reads = 0
        self.down = False

    def __call__(self) -> Mapping[str, AccountRef]:
        self.reads += 1
        if self.down:
            raise ConnectionError("the table is unreachable")
        return dict(self.rows)


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_accounts_are_re_read_only_once_the_interval_has_passed() -> None:
    table, ticks = Table(("a1", FIRST)), Ticks()
    watchlist = Watchlist(table, interval=60, monotonic=ticks)
    table.rows["a2"] = SECOND  # bought after the start
    ticks.now = 59
    assert watchlist.accounts() == [FIRST] and table.reads == 1
    ticks.now = 60
    assert watchlist.accounts() == [FIRST, SECOND] and table.reads == 2
    del table.rows["a1"]  # closed
    ticks.now = 119
    assert watchlist.accounts() == [FIRST, SECOND]
    ticks.now = 120
    assert watchlist.accounts() == [SECOND]


def test_a_failed_re_read_keeps_the_last_list_and_is_tried_again_at_the_next_interval() -> None:
    table, ticks = Table(("a1", FIRST)), Ticks()
    watchlist = Watchlist(table, interval=60, monotonic=ticks)
    table.down, ticks.now = True, 60
    assert watchlist.accounts() == [FIRST] and watchlist.failures == 1
    table.down, table.rows["a2"] = False, SECOND
    ticks.now = 90
    assert watchlist.accounts() == [FIRST]
    ticks.now = 120
    assert watchlist.accounts() == [FIRST, SECOND]


def test_an_account_let_go_keeps_its_propdesk_id_for_its_last_deals() -> None:
    table, ticks = Table(("a1", FIRST), ("a2", SECOND)), Ticks()
    watchlist = Watchlist(table, interval=60, monotonic=ticks)
    del table.rows["a1"]
    ticks.now = 60
    assert watchlist.accounts() == [SECOND]
    assert watchlist.account_id(FIRST.platform_account_id) == "a1"
    assert watchlist.ids() == {FIRST.platform_account_id: "a1", SECOND.platform_account_id: "a2"}
