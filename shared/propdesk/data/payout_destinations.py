"""Each trader's one payout destination, at `TRADER#{id}` / `PAYOUT_DESTINATION`
(`propdesk.payouts.ports.DestinationStore`). The details are stored as validated (`rails.destinations`) and
read back through the same validation; they never leave this module except as a `PayoutDestination`, whose
`repr` is masked."""

from __future__ import annotations

import dataclasses
from typing import Any

from propdesk.data import keys
from propdesk.data.models import PayoutDestinationItem
from propdesk.rails.destinations import Destination, PayoutDestination, parse_destination


class PayoutDestinationRepository:
    def get(self, trader_id: str) -> PayoutDestination | None:
        try:
            item = PayoutDestinationItem.get(
                keys.trader_pk(trader_id), keys.PAYOUT_DESTINATION_SK, consistent_read=True
            )
        except PayoutDestinationItem.DoesNotExist:
            return None
        return PayoutDestination(
            destination_id=item.destination_id,
            trader_id=item.trader_id,
            details=parse_destination(item.details),
            added_at=item.added_at,
            verified_at=item.verified_at,
        )

    def put(self, destination: PayoutDestination) -> None:
        PayoutDestinationItem(
            keys.trader_pk(destination.trader_id),
            keys.PAYOUT_DESTINATION_SK,
            entity="payout_destination",
            destination_id=destination.destination_id,
            trader_id=destination.trader_id,
            details=destination_json(destination.details),
            added_at=destination.added_at,
            verified_at=destination.verified_at,
        ).save()


def destination_json(details: Destination) -> dict[str, Any]:
    """The form `parse_destination` reads."""
    return {"type": details.kind, **dataclasses.asdict(details)}
