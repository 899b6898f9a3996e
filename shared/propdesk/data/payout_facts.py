"""What a payout request is decided on, read from the main table (`propdesk.payouts.store.PayoutFacts`): the
program version's document, the trader's KYC status, the account's risk state, its closed trades (with
their stop losses, for the breach share), its payout holds, the fee paid for it (its chain's first order,
for the fee refund) and the account it continues (for the challenge-phase share)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.events import TradingEventRepository
from propdesk.data.kyc import KycRepository
from propdesk.data.orders import OrderRepository
from propdesk.data.payout_holds import PayoutHoldRepository
from propdesk.data.progression import ProgressionRepository
from propdesk.data.risk import RiskStateRepository
from propdesk.payouts.consistency import ClosedTrade
from propdesk.payouts.extras import TradeRisk
from propdesk.payouts.holds import PayoutHold
from propdesk.purchases.orders import MONEY_KEPT
from propdesk.records import KycStatus, RiskSnapshot

FILLS_PAGE = 100
ORDERS_PAGE = 50
MAX_CHAIN = 10  # phases before a funded account: a guard against a link loop, far above any program


class PayoutFactsReader:
    def __init__(
        self,
        catalogue: CatalogueRepository | None = None,
        kyc: KycRepository | None = None,
        risk: RiskStateRepository | None = None,
        events: TradingEventRepository | None = None,
        holds: PayoutHoldRepository | None = None,
        progression: ProgressionRepository | None = None,
        orders: OrderRepository | None = None,
    ) -> None:
        self._catalogue = catalogue or CatalogueRepository()
        self._kyc = kyc or KycRepository()
        self._risk = risk or RiskStateRepository()
        self._events = events or TradingEventRepository()
        self._holds = holds or PayoutHoldRepository()
        self._progression = progression or ProgressionRepository()
        self._orders = orders or OrderRepository()

    def program_document(self, program_id: str, version: int) -> dict[str, Any] | None:
        stored = self._catalogue.get_version(program_id, version)
        return stored.document if stored else None

    def kyc_status(self, trader_id: str) -> KycStatus | None:
        case = self._kyc.get(trader_id)
        return case.status if case else None

    def risk_snapshot(self, account_id: str) -> RiskSnapshot | None:
        return self._risk.get(account_id)

    def payout_holds(self, account_id: str) -> list[PayoutHold]:
        return self._holds.holds_on(account_id)

    def closed_trades(self, account_id: str, since: datetime) -> list[ClosedTrade]:
        """Every position closed at or after `since`, from the stored fills (each carries its net P&L)."""
        trades: list[ClosedTrade] = []
        cursor: str | None = None
        while True:
            page = self._events.list_fills(account_id, FILLS_PAGE, cursor, start=since, newest_first=False)
            trades += [
                ClosedTrade(fill.time, Decimal(str(fill.payload["profit"])))
                for fill in page.items
                if fill.type == "position_closed"
            ]
            if page.next_cursor is None:
                return trades
            cursor = page.next_cursor

    def previous_account(self, account_id: str) -> str | None:
        return self._progression.previous_of(account_id)

    def trade_risks(self, account_id: str) -> list[TradeRisk]:
        """Each closed position with the stop loss of its opening (none when the opening is not stored)."""
        stops: dict[str, bool] = {}
        trades: list[TradeRisk] = []
        cursor: str | None = None
        while True:
            page = self._events.list_fills(account_id, FILLS_PAGE, cursor, newest_first=False)
            for fill in page.items:
                position = str(fill.payload.get("position_id", ""))
                if fill.type == "position_opened":
                    stops[position] = fill.payload.get("stop_loss") is not None
                elif fill.type == "position_closed":
                    profit = Decimal(str(fill.payload["profit"]))
                    trades.append(TradeRisk(position, stops.get(position, False), profit))
            if page.next_cursor is None:
                return trades
            cursor = page.next_cursor

    def fee_paid(self, account_id: str, trader_id: str) -> Decimal | None:
        """The amount paid on the order that opened the chain's first account (the trader's orders, newest
        first, until one opened it); None when the chain or the order is not known."""
        first = account_id
        for _ in range(MAX_CHAIN):
            previous = self._progression.previous_of(first)
            if previous is None:
                break
            first = previous
        cursor: str | None = None
        while True:
            page = self._orders.list_for_trader(trader_id, ORDERS_PAGE, cursor)
            for order in page.items:
                if order.account_id == first and order.status in MONEY_KEPT:
                    return order.amount_paid if order.amount_paid is not None else order.total
            if page.next_cursor is None:
                return None
            cursor = page.next_cursor
