"""An in-memory trading platform behind the port (`propdesk.platforms.port.TradingPlatform`), for tests of
code that talks to any platform. It keeps its book in `fakes.market.Market` (the same book the HTTP fakes
translate), and it passes the same contract suite as the real adapters (`tests/contract/platforms`).

Levers: `down` (every call raises `PlatformUnavailableError`), `fail_next` (that many calls do), `reject_next`
(that many raise `PlatformRejectedError`), `ambiguous_next` (the next calls of these operations do their work
and then "lose the answer": the double then behaves as an adapter must, looking the result up by reference).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from decimal import Decimal

from propdesk.platforms.normalize import closing_deal_id, opening_deal_id
from propdesk.platforms.port import (
    AccountFigures,
    AccountRef,
    Deal,
    NewAccount,
    OpenedAccount,
    OpenPosition,
    PendingOrder,
    PlatformName,
    PlatformRejectedError,
    PlatformUnavailableError,
    Side,
    TradingAccess,
)

from fakes.market import FakeAccount, FakeDeal, Market


class InMemoryPlatform:
    def __init__(
        self, market: Market | None = None, name: PlatformName = "match-trader", server: str = "Memory-Demo"
    ) -> None:
        self.name: PlatformName = name
        self.server = server
        self.market = market or Market()
        self.down = False
        self.fail_next = 0
        self.reject_next = 0
        self.ambiguous_next: list[str] = []  # operation names: "create_account", "adjust_balance"
        self.calls = 0
        self.lost_answers = 0

    # ---- the port ----
    def find_account(self, reference: str, email: str) -> OpenedAccount | None:
        self._call()
        for account in self.market.by_reference(reference):
            if account.email == email.lower():
                return self._opened(account)
        return None

    def create_account(self, request: NewAccount) -> OpenedAccount:
        self._call()
        password = secrets.token_urlsafe(12)
        account = self.market.open_account(
            request.email, request.currency, request.initial_balance, request.group, request.reference
        )
        if self._lose_answer("create_account"):
            found = self.find_account(request.reference, request.email)
            assert found is not None
            return found
        return self._opened(account, password)

    def set_access(self, account: AccountRef, access: TradingAccess) -> None:
        self._call()
        self._book(account).access = access.value

    def access(self, account: AccountRef) -> TradingAccess:
        self._call()
        return TradingAccess(self._book(account).access)

    def close_all_positions(self, account: AccountRef) -> list[Deal]:
        self._call()
        return [self._deal(d) for d in self.market.close_all(account.platform_account_id, reason="manual")]

    def figures(self, account: AccountRef) -> AccountFigures:
        self._call()
        book = self._book(account)
        return AccountFigures(
            book.balance, self.market.equity(book.account_id), book.currency, self.market.now()
        )

    def positions(self, account: AccountRef) -> list[OpenPosition]:
        self._call()
        return [
            OpenPosition(
                position_id=p.position_id,
                symbol=p.symbol,
                side=_side(p.side),
                volume=p.lots,
                open_price=p.open_price,
                opened_at=p.opened_at,
                floating_profit=self.market.floating(p),
                stop_loss=p.stop_loss,
                take_profit=p.take_profit,
            )
            for p in self._book(account).positions.values()
        ]

    def deals(self, account: AccountRef, since: datetime, until: datetime) -> list[Deal]:
        self._call()
        return [self._deal(d) for d in self.market.deals_between(account.platform_account_id, since, until)]

    def pending_orders(self, account: AccountRef) -> list[PendingOrder]:
        self._call()
        return [
            PendingOrder(
                o.order_id, o.symbol, _side(o.side), o.lots, "stop" if o.order_type == "stop" else "limit",
                o.placed_at, o.price,
            )
            for o in sorted(self._book(account).orders.values(), key=lambda o: o.placed_at)
        ]  # fmt: skip

    def adjust_balance(self, account: AccountRef, amount: Decimal, reference: str, comment: str) -> str:
        self._call()
        booked = self.market.balance_deal(account.platform_account_id, reference)
        if booked is not None:
            return booked.deal_id
        deal = self.market.balance_operation(account.platform_account_id, amount, comment, reference)
        if self._lose_answer("adjust_balance"):
            found = self.market.balance_deal(account.platform_account_id, reference)
            assert found is not None
            return found.deal_id
        return deal.deal_id

    # ---- internals ----
    def _call(self) -> None:
        self.calls += 1
        if self.down:
            raise PlatformUnavailableError(f"{self.name} is down")
        if self.fail_next:
            self.fail_next -= 1
            raise PlatformUnavailableError(f"{self.name} answered 503")
        if self.reject_next:
            self.reject_next -= 1
            raise PlatformRejectedError(f"{self.name} answered 400")

    def _lose_answer(self, operation: str) -> bool:
        if operation in self.ambiguous_next:
            self.ambiguous_next.remove(operation)
            self.lost_answers += 1
            return True
        return False

    def _book(self, account: AccountRef) -> FakeAccount:
        book = self.market.account(account.platform_account_id)
        if book is None:
            raise PlatformRejectedError(f"no account {account.platform_account_id}")
        return book

    def _opened(self, account: FakeAccount, password: str | None = None) -> OpenedAccount:
        ref = AccountRef(self.name, account.account_id, account.login, account.group)
        return OpenedAccount(ref, self.server, password)

    @staticmethod
    def _deal(deal: FakeDeal) -> Deal:
        if deal.kind == "balance":
            return Deal(
                deal.deal_id,
                "balance",
                deal.time,
                profit=deal.profit,
                reason=deal.comment or None,
                our_reference=deal.reference,  # booked through `adjust_balance`
            )
        opening = deal.kind == "open"
        return Deal(
            deal_id=opening_deal_id(deal.position_id) if opening else closing_deal_id(deal.position_id),
            kind="open" if opening else "close",
            time=deal.time,
            position_id=deal.position_id,
            symbol=deal.symbol,
            side=_side(deal.side),
            volume=deal.lots,
            price=deal.price,
            profit=deal.profit,
            reason=None if opening else deal.reason or None,
        )


def _side(value: str) -> Side:
    return "buy" if value == "buy" else "sell"


class InMemoryStaleMarks:
    """`propdesk.platforms.feed.StaleMarks` in memory: the first mark's `since` wins until cleared."""

    def __init__(self) -> None:
        self.marks: dict[str, tuple[str, datetime]] = {}

    def stale_since(self, account_id: str) -> datetime | None:
        found = self.marks.get(account_id)
        return None if found is None else found[1]

    def mark_stale(self, account_id: str, platform: str, since: datetime) -> None:
        found = self.marks.get(account_id)
        if found is None or found[1] > since:
            self.marks[account_id] = (platform, since)

    def mark_fresh(self, account_id: str) -> None:
        self.marks.pop(account_id, None)

    def stale_accounts(self, platform: str) -> list[str]:
        return sorted(account for account, (on, _) in self.marks.items() if on == platform)
