"""Orders as the REST API answers them: money as decimal strings with their cents, times ISO-8601, no
client IP or internal lease fields."""

from __future__ import annotations

from typing import Any

from propdesk.money import money_str
from propdesk.purchases.orders import Order, Transition


def order_view(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.order_id,
        "status": order.status,
        "program_id": order.program_id,
        "program_version": order.program_version,
        "currency": order.currency,
        "total": money_str(order.total),
        "lines": [
            {"kind": line.kind, "reference": line.reference, "description": line.description,
             "amount": money_str(line.amount)}
            for line in order.lines
        ],
        "add_ons": [line.reference for line in order.lines if line.kind == "add_on"],
        "discount_code": order.discount_code,
        "payment_method": order.payment_method,
        "provider": order.provider,
        "payment_url": order.payment_url if order.status == "pending" else None,
        "account_id": order.account_id,
        "provisioning": "pending" if order.awaits_provisioning else None,
        "created_at": order.created_at.isoformat(),
        "updated_at": order.updated_at.isoformat(),
    }  # fmt: skip


def transition_view(transition: Transition) -> dict[str, Any]:
    return {
        "sequence": transition.sequence,
        "from_status": transition.from_status,
        "to_status": transition.to_status,
        "cause": transition.cause,
        "note": transition.note,
        "at": transition.at.isoformat(),
    }
