"""Staff's inbox of the firm's alerts (`GET /v1/staff/alerts`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from propdesk.http.schemas.common import ResponseModel


class AlertOut(ResponseModel):
    alert_id: str = Field(description="The `firm.alert` event's id.")
    occurred_at: datetime
    severity: Literal["info", "warning", "critical"]
    subject: str = Field(examples=["Order ord_1 is paid but has no trading account"])
    message: str
    order_id: str | None
    trader_id: str | None


class AlertPage(ResponseModel):
    alerts: list[AlertOut] = Field(description="Newest first.")
    next_cursor: str | None
