"""Server-to-server routes: trading-platform bridges (API key) and provider webhooks (signed)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from propdesk.http.schemas.common import RequestModel, ResponseModel


class PlatformEventsRequest(RequestModel):
    account_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")
    events: list[dict[str, Any]] = Field(
        min_length=1, max_length=100, description="Engine events (docs/rules.md), amounts as strings."
    )


class PlatformEventsAccepted(ResponseModel):
    account_id: str
    accepted: list[str] = Field(description="Event ids stored now.")
    duplicates: list[str] = Field(description="Event ids already stored (a redelivery is harmless).")


class WebhookAcknowledged(ResponseModel):
    status: str


class Health(ResponseModel):
    status: Literal["ok"] = "ok"
