"""Where an account lives on its trading platform (`propdesk.payouts.ports.PlatformRefs`).

The account's own stored platform reference comes first: provisioning stores it on the account, and it is the
only one an account has when the progression workflow opened it (a funded account has no order of its own).
An older account without one falls back on the order that bought it (provisioning wrote the platform's
account id and login there too): its id derives from its order's, so the trader's orders are searched (a
trader has a few). An account on another platform than the one this reader serves has no reference here."""

from __future__ import annotations

from propdesk.data.accounts import AccountRepository
from propdesk.data.orders import OrderRepository
from propdesk.platforms.port import AccountRef, PlatformName


class PlatformRefReader:
    def __init__(
        self,
        platform: PlatformName,
        accounts: AccountRepository | None = None,
        orders: OrderRepository | None = None,
    ) -> None:
        self._platform: PlatformName = platform
        self._accounts = accounts or AccountRepository()
        self._orders = orders or OrderRepository()

    def platform_ref(self, account_id: str) -> AccountRef | None:
        account = self._accounts.get(account_id, consistent=True)
        if account is None:
            return None
        stored = account.platform
        if stored is not None:
            if stored.platform != self._platform:
                return None
            return AccountRef(
                platform=self._platform,
                platform_account_id=stored.platform_account_id,
                login=stored.login,
                group=stored.group,
            )
        cursor: str | None = None
        while True:
            page = self._orders.list_for_trader(account.trader_id, limit=100, cursor=cursor)
            for order in page.items:
                if order.account_id == account_id and order.platform_account_id:
                    return AccountRef(
                        platform=self._platform,
                        platform_account_id=order.platform_account_id,
                        login=order.platform_login or "",
                        group=order.program_id,
                    )
            if page.next_cursor is None:
                return None
            cursor = page.next_cursor
