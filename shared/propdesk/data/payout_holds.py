"""Payout holds in the main table (`propdesk.payouts.holds.PayoutHolds`): `ACCOUNT#{id}` /
`HOLD#{source}#{reference}`, so an account's holds are one query of its own partition."""

from __future__ import annotations

from typing import cast

from pynamodb.exceptions import DeleteError

from propdesk.data import keys
from propdesk.data._conditions import condition_failed, saved_if_new
from propdesk.data.models import PayoutHoldItem
from propdesk.payouts.holds import HoldSource, PayoutHold


class PayoutHoldRepository:
    def holds_on(self, account_id: str) -> list[PayoutHold]:
        items = PayoutHoldItem.query(
            keys.account_pk(account_id), PayoutHoldItem.sk.startswith(keys.HOLD_PREFIX), consistent_read=True
        )
        return sorted((_hold(item) for item in items), key=lambda hold: (hold.placed_at, hold.reference))

    def place(self, hold: PayoutHold) -> bool:
        item = PayoutHoldItem(
            keys.account_pk(hold.account_id),
            keys.hold_sk(hold.source, hold.reference),
            entity="payout_hold",
            account_id=hold.account_id,
            source=hold.source,
            reference=hold.reference,
            reason=hold.reason,
            placed_at=hold.placed_at,
        )
        return saved_if_new(item, PayoutHoldItem.pk.does_not_exist())

    def lift(self, account_id: str, source: HoldSource, reference: str) -> bool:
        item = PayoutHoldItem(keys.account_pk(account_id), keys.hold_sk(source, reference))
        try:
            item.delete(condition=PayoutHoldItem.pk.exists())
        except DeleteError as error:
            if condition_failed(error):
                return False
            raise
        return True


def _hold(item: PayoutHoldItem) -> PayoutHold:
    return PayoutHold(
        account_id=item.account_id,
        source=cast(HoldSource, item.source),
        reference=item.reference,
        reason=item.reason,
        placed_at=item.placed_at,
    )
