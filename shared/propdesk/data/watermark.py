"""The daily reset's watermark: up to when day boundaries have been processed, and the accounts it could not
advance (retried by the next run, so that one account's failure never holds the watermark back)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError

from propdesk.data import keys
from propdesk.data._conditions import condition_failed
from propdesk.data.models import ResetWatermarkItem
from propdesk.errors import VersionConflictError
from propdesk.records import ResetRetry, ResetWatermark


class ResetWatermarkRepository:
    def get(self) -> ResetWatermark | None:
        try:
            item = ResetWatermarkItem.get(keys.SYSTEM_PK, keys.DAILY_RESET_SK, consistent_read=True)
        except ResetWatermarkItem.DoesNotExist:
            return None
        retry = tuple(_retry(entry) for entry in item.retry or ())
        return ResetWatermark(item.checked_until, int(item.version or 0), retry)

    def advance(
        self, checked_until: datetime, expected_version: int, retry: Sequence[ResetRetry] = ()
    ) -> None:
        """Move the watermark, with the accounts to retry; VersionConflictError if another run moved it since
        `expected_version`."""
        item = ResetWatermarkItem(
            keys.SYSTEM_PK,
            keys.DAILY_RESET_SK,
            entity="daily_reset_watermark",
            checked_until=checked_until,
            retry=[
                {"account_id": r.account_id, "boundary": r.boundary.isoformat(), "attempts": r.attempts}
                for r in retry
            ]
            or None,
        )
        if expected_version:
            item.version = expected_version
        try:
            item.save()
        except PutError as error:
            if condition_failed(error):
                raise VersionConflictError("the daily reset watermark moved meanwhile") from error
            raise


def _retry(entry: dict[str, Any]) -> ResetRetry:
    return ResetRetry(
        str(entry["account_id"]), datetime.fromisoformat(entry["boundary"]), int(entry.get("attempts", 1))
    )
