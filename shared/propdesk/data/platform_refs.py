"""Where an account lives on its trading platform (`propdesk.payouts.ports.PlatformRefs`): the order that
bought it holds the platform's account id and login (provisioning wrote them). An account's id derives from
its order's, so the account's trader's orders are searched (a trader has a few)."""

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
