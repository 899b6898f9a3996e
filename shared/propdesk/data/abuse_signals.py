"""Identity signals in the main table (`propdesk.abuse.signals.SignalStore`): `TRADER#{trader}` /
`SIGNAL#{day}#{kind}#{value}` (the value a keyed hash), put only if absent, so one trader, kind, value and
UTC day is one item and one stream record (the table's stream carries it to `abuse_detect`). Kept
`RETENTION` (the link index's memory), then TTL deletes it.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any, cast

from propdesk.abuse.inputs import Network, SignalKind
from propdesk.abuse.signals import CapturedSignal
from propdesk.data import keys
from propdesk.data._conditions import saved_if_new
from propdesk.data.models import IdentitySignalItem

RETENTION = timedelta(days=180)


class SignalRepository:
    def add(self, signal: CapturedSignal) -> bool:
        day = signal.at.astimezone(UTC).strftime("%Y-%m-%d")
        item = IdentitySignalItem(
            keys.trader_pk(signal.trader_id),
            keys.signal_sk(day, signal.kind, signal.value),
            entity="identity_signal",
            trader_id=signal.trader_id,
            kind=signal.kind,
            value=signal.value,
            network=signal.network,
            account_id=signal.account_id,
            at=signal.at,
            expires_at=signal.at + RETENTION,
        )
        return saved_if_new(item, IdentitySignalItem.sk.does_not_exist())

    @staticmethod
    def from_stream_image(image: dict[str, Any]) -> CapturedSignal:
        """A stream record's NewImage (DynamoDB JSON) read as the signal; raises on a malformed image."""
        item = IdentitySignalItem.from_raw_data(image)
        if not item.sk.startswith(keys.SIGNAL_PREFIX):
            raise ValueError(f"not an identity signal: {item.sk!r}")
        return CapturedSignal(
            trader_id=item.trader_id,
            kind=cast(SignalKind, item.kind),
            value=item.value,
            at=item.at if item.at.tzinfo else item.at.replace(tzinfo=UTC),
            account_id=item.account_id,
            network=cast(Network, item.network),
        )
