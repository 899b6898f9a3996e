"""Purchases: placing an order for a program, reading orders, and the payment providers' webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from propdesk.http.schemas.common import Money, RequestModel, ResponseModel

OrderStatus = Literal["pending", "paid", "provisioned", "failed", "refunded", "disputed"]


class OrderRequest(RequestModel):
    program_id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.-]+$")
    currency: str = Field(
        min_length=3,
        max_length=3,
        pattern=r"^[A-Za-z]{3}$",
        description="One of the program's price currencies.",
    )
    payment_method: Literal["card", "crypto"] = Field(
        default="card", description="`card`: a Stripe Checkout page; `crypto`: a Coinbase Commerce charge."
    )
    add_ons: list[str] = Field(
        default_factory=list, max_length=10, description="Add-on ids, e.g. `split-90`."
    )
    discount_code: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    billing_country: str | None = Field(
        default=None, pattern=r"^[A-Za-z]{2}$", description="ISO 3166 alpha-2, for the fraud pre-checks."
    )


class OrderLine(ResponseModel):
    kind: Literal["program", "add_on", "discount"]
    reference: str
    description: str
    amount: Money


class OrderOut(ResponseModel):
    order_id: str
    status: OrderStatus
    program_id: str
    program_version: int = Field(description="The program version the account will be pinned to.")
    currency: str
    total: Money
    lines: list[OrderLine]
    add_ons: list[str]
    discount_code: str | None
    payment_method: Literal["card", "crypto"]
    provider: str
    payment_url: str | None = Field(description="Where to pay, while the order is pending.")
    account_id: str | None = Field(description="The trading account, once provisioned.")
    provisioning: Literal["pending"] | None = Field(
        description="`pending` while paid and not provisioned yet."
    )
    created_at: datetime
    updated_at: datetime


class OrderPlaced(ResponseModel):
    order: OrderOut
    payment_url: str | None


class OrderList(ResponseModel):
    orders: list[OrderOut]
    next_cursor: str | None


class OrderStep(ResponseModel):
    sequence: int
    from_status: OrderStatus
    to_status: OrderStatus
    cause: str = Field(description="The provider event (or worker) that caused the step.")
    note: str
    at: datetime


class OrderDetail(ResponseModel):
    order: OrderOut
    history: list[OrderStep]


class WebhookReceived(ResponseModel):
    received: bool
    result: Literal["applied", "duplicate", "ignored", "unmatched"]
    event_id: str | None
    order_id: str | None
    order_status: OrderStatus | None
