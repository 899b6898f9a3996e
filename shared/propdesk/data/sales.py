"""What is on sale beyond the programs (add-ons, discount codes), purchase velocity counters and review
flags: the purchase path's `SalesCatalogue`, `VelocityCounter` and `ReviewFlags`."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from decimal import Decimal

from pynamodb.exceptions import PutError

from propdesk.data import keys
from propdesk.data._conditions import condition_failed
from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.models import AddOnItem, DiscountCodeItem, ReviewFlagItem, VelocityItem
from propdesk.purchases.pricing import AddOn, DiscountCode, ProgramOnSale


class SalesCatalogueRepository:
    def __init__(self, programs: CatalogueRepository | None = None) -> None:
        self._programs = programs or CatalogueRepository()

    def program_on_sale(self, program_id: str) -> tuple[ProgramOnSale, int] | None:
        summary = self._programs.get_program(program_id)
        if summary is None:
            return None
        return ProgramOnSale(summary.program_id, summary.name, dict(summary.prices)), summary.current_version

    def add_ons(self) -> dict[str, AddOn]:
        items = AddOnItem.query(keys.CATALOGUE_PK, AddOnItem.sk.startswith(keys.ADDON_PREFIX))
        return {item.add_on_id: _add_on(item) for item in items}

    def discount(self, code: str) -> DiscountCode | None:
        try:
            item = DiscountCodeItem.get(keys.CATALOGUE_PK, keys.discount_sk(code), consistent_read=True)
        except DiscountCodeItem.DoesNotExist:
            return None
        return DiscountCode(
            code=item.code,
            kind="fixed" if item.kind == "fixed" else "percent",
            percent=item.percent,
            amounts={currency: Decimal(amount) for currency, amount in (item.amounts or {}).items()},
            expires_at=item.expires_at,
            max_uses=int(item.max_uses) if item.max_uses is not None else None,
            uses=int(item.uses or 0),
            programs=frozenset(item.programs or []),
            active=bool(item.active),
        )

    def put_add_on(self, add_on: AddOn) -> None:
        AddOnItem(
            keys.CATALOGUE_PK,
            keys.add_on_sk(add_on.add_on_id),
            entity="add_on",
            add_on_id=add_on.add_on_id,
            name=add_on.name,
            prices={currency: str(price) for currency, price in add_on.prices.items()},
            percent_of_program=add_on.percent_of_program,
            programs=sorted(add_on.programs),
            effects=dict(add_on.effects),
        ).save()

    def put_discount(self, code: DiscountCode) -> None:
        """Create or replace a code (its usage count is kept as given)."""
        DiscountCodeItem(
            keys.CATALOGUE_PK,
            keys.discount_sk(code.code),
            entity="discount_code",
            code=code.code.upper(),
            kind=code.kind,
            percent=code.percent,
            amounts={currency: str(amount) for currency, amount in code.amounts.items()},
            expires_at=code.expires_at,
            max_uses=code.max_uses,
            uses=code.uses,
            programs=sorted(code.programs),
            active=code.active,
        ).save()


def _add_on(item: AddOnItem) -> AddOn:
    return AddOn(
        add_on_id=item.add_on_id,
        name=item.name,
        prices={currency: Decimal(price) for currency, price in (item.prices or {}).items()},
        percent_of_program=item.percent_of_program,
        programs=frozenset(item.programs or []),
        effects=dict(item.effects or {}),
    )


HOUR = timedelta(hours=1)


class VelocityRepository:
    """Purchases per e-mail/IP/card in hourly buckets (hashed values: no personal data in keys).

    Each bucket expires by the table's TTL (`expires_at`) an hour after the fraud window that can still count
    it has passed: the bucket's end + `window` + one hour of slack for callers' clocks. `window` must be the
    fraud policy's window (or longer); a shorter one would undercount."""

    def __init__(self, window: timedelta = timedelta(hours=24)) -> None:
        self._window = window

    def count(self, kind: str, value: str, since: datetime, now: datetime) -> int:
        items = VelocityItem.query(
            keys.velocity_pk(kind, _digest(value)),
            VelocityItem.sk.between(keys.velocity_sk(since), keys.velocity_sk(now)),
        )
        return sum(int(item.purchases or 0) for item in items)

    def record(self, kind: str, value: str, now: datetime) -> None:
        VelocityItem(keys.velocity_pk(kind, _digest(value)), keys.velocity_sk(now)).update(
            actions=[
                VelocityItem.purchases.add(1),
                VelocityItem.entity.set("velocity"),
                VelocityItem.expires_at.set(velocity_expiry(now, self._window)),
            ]
        )


def velocity_expiry(now: datetime, window: timedelta) -> datetime:
    """When the hourly bucket holding `now` can no longer be counted by any window, plus an hour of slack."""
    bucket_start = now.replace(minute=0, second=0, microsecond=0)
    return bucket_start + HOUR + window + HOUR


def _digest(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


class ReviewFlagRepository:
    def flag(self, trader_id: str, order_id: str, reason: str, at: datetime) -> None:
        """Flag the trader for review because of this order (the first reason per order is kept)."""
        try:
            ReviewFlagItem(
                keys.trader_pk(trader_id),
                keys.review_sk(order_id),
                entity="review_flag",
                trader_id=trader_id,
                order_id=order_id,
                reason=reason[:500],
                flagged_at=at,
            ).save(condition=ReviewFlagItem.pk.does_not_exist())
        except PutError as error:
            if not condition_failed(error):
                raise

    def flags_for(self, trader_id: str) -> list[tuple[str, str, datetime]]:
        items = ReviewFlagItem.query(
            keys.trader_pk(trader_id), ReviewFlagItem.sk.startswith(keys.REVIEW_PREFIX)
        )
        return [(item.order_id, item.reason, item.flagged_at) for item in items]
