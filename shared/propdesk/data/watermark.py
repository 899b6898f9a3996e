"""The daily reset's watermark: up to when day boundaries have been processed."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import PutError

from propdesk.data import keys
from propdesk.data._conditions import condition_failed
from propdesk.data.models import ResetWatermarkItem
from propdesk.errors import VersionConflictError
from propdesk.records import ResetWatermark


class ResetWatermarkRepository:
    def get(self) -> ResetWatermark | None:
        try:
            item = ResetWatermarkItem.get(keys.SYSTEM_PK, keys.DAILY_RESET_SK, consistent_read=True)
        except ResetWatermarkItem.DoesNotExist:
            return None
        return ResetWatermark(checked_until=item.checked_until, version=int(item.version or 0))

    def advance(self, checked_until: datetime, expected_version: int) -> None:
        """Move the watermark; VersionConflictError if another run moved it since `expected_version`."""
        item = ResetWatermarkItem(
            keys.SYSTEM_PK, keys.DAILY_RESET_SK, entity="daily_reset_watermark", checked_until=checked_until
        )
        if expected_version:
            item.version = expected_version
        try:
            item.save()
        except PutError as error:
            if condition_failed(error):
                raise VersionConflictError("the daily reset watermark moved meanwhile") from error
            raise
