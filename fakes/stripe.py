"""A fake of the part of Stripe's API propdesk uses: Checkout Sessions (create, retrieve, list), PaymentIntent
retrieval (with `expand[]=latest_charge`: the charge and its card's fingerprint and country), refunds,
`Idempotency-Key` replay, Bearer auth, Stripe's form encoding and list objects. Test controls (`pay`,
`refund`, `open_dispute`...) change the state and return the event Stripe would deliver;
`delivery` signs it as Stripe does.

Webhooks as Stripe sends them: the hosted payment page (`GET /pay/{session}`, what `make dev` prints) pays and
answers at once; the signed `checkout.session.completed` event goes out from the shared delivery worker
(`fakes.webhook_outbox`), outside the fake's lock, so the webhook handler can retrieve the session from this
fake while it handles the event. A delivery that fails (no answer, not a 2xx) is sent again, signed afresh,
after a growing delay. Stripe retries for up to three days with exponential backoff (live mode); here the
schedule is compressed for local use (`redelivery`, `max_delivery_attempts`): 1 s doubling to at most 60 s,
16 attempts, about 12 minutes in all. `emit(event)` queues any test control's event the same way."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from fakes.server import FakeService, HttpError, Reply, Request
from fakes.signing import body_of, stripe_signature_header
from fakes.webhook_outbox import Delivery, WebhookOutbox, doubling

API_KEY = "sk_test_propdesk_fake"
WEBHOOK_SECRET = "whsec_propdesk_fake"  # noqa: S105 - the fake's own secret
# Stripe's redelivery (up to 3 days, exponential backoff), compressed for a local run.
LOCAL_REDELIVERY = doubling(1.0, 60.0)
LOCAL_MAX_DELIVERY_ATTEMPTS = 16


def decode_form(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's `a[b][0][c]=v` form encoding → nested dicts, with all-digit keys turned into lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    decoded: dict[str, Any] = _listify(root)
    return decoded


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_listify(node[key]) for key in sorted(node, key=int)]
    return {key: _listify(value) for key, value in node.items()}


class FakeStripe(FakeService):
    def __init__(
        self,
        api_key: str = API_KEY,
        webhook_secret: str = WEBHOOK_SECRET,
        clock: Callable[[], float] = time.time,
        redelivery: Callable[[int], float] = LOCAL_REDELIVERY,
        max_delivery_attempts: int = LOCAL_MAX_DELIVERY_ATTEMPTS,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.clock = clock
        self.sessions: dict[str, dict[str, Any]] = {}
        self.payment_intents: dict[str, dict[str, Any]] = {}
        self.disputes: dict[str, dict[str, Any]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: list[dict[str, Any]] = []
        self._idempotent: dict[str, Reply] = {}
        self._ids = itertools.count(1)
        self.route("POST", "/v1/checkout/sessions", self._create_session)
        self.route("GET", "/v1/checkout/sessions", self._list_sessions)
        self.route("GET", "/v1/checkout/sessions/([^/]+)", self._get_session)
        self.route("GET", "/v1/payment_intents/([^/]+)", self._get_payment_intent)
        self.route("POST", "/v1/refunds", self._create_refund)
        self.route("GET", "/pay/([^/]+)", self._hosted_checkout)
        self.outbox = WebhookOutbox(self._render, clock, redelivery, max_delivery_attempts)

    @property
    def webhook_url(self) -> str | None:
        """Where Stripe POSTs its webhook events (the stack's /v1/webhooks/stripe); set by `make dev`."""
        return self.outbox.url

    @webhook_url.setter
    def webhook_url(self, url: str | None) -> None:
        self.outbox.url = url

    @property
    def deliveries(self) -> list[Delivery]:
        """Webhook deliveries that were answered with a 2xx, in the order they succeeded."""
        return list(self.outbox.delivered)

    def start(self, port: int = 0) -> str:
        url = super().start(port)
        self.outbox.start_worker()
        return url

    def stop(self) -> None:
        self.outbox.stop_worker()
        super().stop()

    def emit(self, event: dict[str, Any]) -> None:
        """Send the event to `webhook_url` from the delivery worker (redelivered until it is accepted)."""
        self.outbox.enqueue(event)

    def _render(self, event: dict[str, Any], at: float) -> tuple[bytes, dict[str, str]]:
        return self.delivery(event, timestamp=int(at))

    # ---- the API ----
    def _authorize(self, request: Request) -> None:
        if request.header("authorization") != f"Bearer {self.api_key}":
            raise HttpError(401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}})

    def _create_session(self, request: Request) -> Reply:
        self._authorize(request)
        key = request.header("idempotency-key")
        if key and key in self._idempotent:
            replay = self._idempotent[key]
            return Reply(replay.status, replay.body, {"Idempotent-Replayed": "true"})
        params = decode_form(parse_qsl(request.body.decode(), keep_blank_values=True))
        line_items = params.get("line_items") or []
        if not line_items:
            raise HttpError(400, _invalid("line_items", "Missing required param: line_items."))
        currencies = {item["price_data"]["currency"] for item in line_items}
        if len(currencies) != 1:
            raise HttpError(400, _invalid("line_items", "All line items must share one currency."))
        amount = sum(int(i["price_data"]["unit_amount"]) * int(i.get("quantity", 1)) for i in line_items)
        session_id = f"cs_test_{next(self._ids):024d}"
        now = int(self.clock())
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": amount,
            "amount_total": amount,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": now,
            "currency": currencies.pop(),
            "customer_email": params.get("customer_email"),
            "expires_at": int(params.get("expires_at") or now + 86400),
            "livemode": False,
            "metadata": params.get("metadata") or {},
            "mode": params.get("mode", "payment"),
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params.get("success_url"),
            "url": f"{self.url}/pay/{session_id}",
            "_payment_intent_metadata": (params.get("payment_intent_data") or {}).get("metadata") or {},
        }
        self.sessions[session_id] = session
        reply = Reply(200, _public(session))
        if key:
            self._idempotent[key] = reply
        return reply

    def _list_sessions(self, request: Request) -> Reply:
        self._authorize(request)
        params = decode_form(list(request.query.items()))
        created = params.get("created") or {}
        limit = int(params.get("limit") or 10)
        rows = sorted(self.sessions.values(), key=lambda s: (-s["created"], s["id"]))
        rows = [s for s in rows if _in_range(s["created"], created)]
        if params.get("starting_after"):
            ids = [s["id"] for s in rows]
            rows = rows[ids.index(params["starting_after"]) + 1 :]
        page = rows[:limit]
        return Reply(
            200,
            {
                "object": "list",
                "data": [_public(s) for s in page],
                "has_more": len(rows) > limit,
                "url": "/v1/checkout/sessions",
            },
        )

    def _get_session(self, request: Request, session_id: str) -> Reply:
        self._authorize(request)
        return Reply(200, _public(self._session(session_id)))

    def _get_payment_intent(self, request: Request, intent_id: str) -> Reply:
        self._authorize(request)
        intent = self.payment_intents.get(intent_id)
        if intent is None:
            raise HttpError(404, _invalid("intent", f"No such payment_intent: '{intent_id}'"))
        expand = {value for name, value in request.query.items() if name.startswith("expand")}
        if "latest_charge" in expand and intent["latest_charge"] in self.charges:
            return Reply(200, {**intent, "latest_charge": self.charges[intent["latest_charge"]]})
        return Reply(200, intent)

    def _create_refund(self, request: Request) -> Reply:
        self._authorize(request)
        key = request.header("idempotency-key")
        if key and key in self._idempotent:
            replay = self._idempotent[key]
            return Reply(replay.status, replay.body, {"Idempotent-Replayed": "true"})
        params = decode_form(parse_qsl(request.body.decode(), keep_blank_values=True))
        intent = self.payment_intents.get(str(params.get("payment_intent")))
        if intent is None:
            raise HttpError(400, _invalid("payment_intent", "No such payment_intent."))
        charge = self.charges[intent["latest_charge"]]
        if charge["refunded"]:
            body = _invalid("charge", f"Charge {charge['id']} has already been refunded.")
            body["error"]["code"] = "charge_already_refunded"
            raise HttpError(400, body)
        amount = int(params.get("amount") or charge["amount"] - charge["amount_refunded"])
        if amount <= 0 or charge["amount_refunded"] + amount > charge["amount"]:
            raise HttpError(400, _invalid("amount", "Refund amount is greater than the unrefunded amount."))
        refunded = charge["amount_refunded"] + amount
        charge.update(refunded=refunded >= charge["amount"], amount_refunded=refunded)
        refund = {
            "id": f"re_test_{next(self._ids):024d}",
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "currency": charge["currency"],
            "metadata": params.get("metadata") or {},
            "payment_intent": intent["id"],
            "status": "succeeded",
        }
        self.refunds.append(refund)
        reply = Reply(200, refund)
        if key:
            self._idempotent[key] = reply
        return reply

    def _hosted_checkout(self, request: Request, session_id: str) -> Reply:
        """The hosted payment page: opening it pays the session by card and answers at once; the signed
        `checkout.session.completed` event is then delivered to the webhook endpoint by the delivery worker,
        as Stripe does. Opening a paid session's page again pays nothing more."""
        session = self._session(session_id)
        if self.webhook_url is None:
            raise HttpError(409, _invalid("webhook_url", "no webhook endpoint is configured"))
        if session["status"] != "complete":
            self.emit(self.pay(session_id))
        return Reply(
            200,
            {
                "id": session_id,
                "object": "checkout.session",
                "status": session["status"],
                "payment_status": session["payment_status"],
                "webhook": "sent to your endpoint (retried until it answers 2xx)",
            },
        )

    # ---- test controls: each returns the event Stripe would deliver ----
    def pay(
        self,
        session_id: str,
        asynchronous: bool = False,
        card_fingerprint: str | None = None,
        card_country: str = "US",
    ) -> dict[str, Any]:
        """The customer pays (card: paid at once; `asynchronous`: e.g. a bank debit, paid later). Each
        payment is by a new card unless `card_fingerprint` names the card (the same card, the same one);
        the card was issued in `card_country` (Stripe's test card 4242 4242 4242 4242 is a US card)."""
        session = self._session(session_id)
        intent_id = f"pi_test_{next(self._ids):024d}"
        charge_id = f"ch_test_{intent_id[8:]}"
        self.charges[charge_id] = {
            "id": charge_id,
            "object": "charge",
            "amount": session["amount_total"],
            "amount_refunded": 0,
            "currency": session["currency"],
            "payment_intent": intent_id,
            "payment_method_details": {
                "type": "card",
                "card": {
                    "brand": "visa",
                    "country": card_country,
                    "last4": "4242",
                    "fingerprint": card_fingerprint or f"fp_{intent_id[8:]}",
                },
            },
            "refunded": False,
            "status": "pending" if asynchronous else "succeeded",
        }
        self.payment_intents[intent_id] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": session["amount_total"],
            "amount_received": 0 if asynchronous else session["amount_total"],
            "currency": session["currency"],
            "metadata": session["_payment_intent_metadata"],
            "status": "processing" if asynchronous else "succeeded",
            "latest_charge": charge_id,
        }
        session.update(
            payment_intent=intent_id, status="complete", payment_status="unpaid" if asynchronous else "paid"
        )
        return self.event("checkout.session.completed", _public(session))

    def settle_async(self, session_id: str, succeeded: bool) -> dict[str, Any]:
        session = self._session(session_id)
        session["payment_status"] = "paid" if succeeded else "unpaid"
        intent = self.payment_intents[session["payment_intent"]]
        intent.update(status="succeeded" if succeeded else "requires_payment_method")
        if succeeded:
            intent["amount_received"] = intent["amount"]
        suffix = "succeeded" if succeeded else "failed"
        return self.event(f"checkout.session.async_payment_{suffix}", _public(session))

    def charge_succeeded(self, session_id: str) -> dict[str, Any]:
        """`charge.succeeded` for the session's payment: the charge, with its card, as Stripe sends it."""
        intent = self.payment_intents[self._session(session_id)["payment_intent"]]
        charge = self.charges[intent["latest_charge"]]
        captured = charge["status"] == "succeeded"
        return self.event(
            "charge.succeeded",
            {
                **charge,
                "amount_captured": charge["amount"] if captured else 0,
                "captured": captured,
                "metadata": intent["metadata"],
                "paid": captured,
            },
        )

    def payment_intent_succeeded(self, session_id: str) -> dict[str, Any]:
        intent = self.payment_intents[self._session(session_id)["payment_intent"]]
        return self.event("payment_intent.succeeded", dict(intent))

    def expire(self, session_id: str) -> dict[str, Any]:
        session = self._session(session_id)
        session["status"] = "expired"
        return self.event("checkout.session.expired", _public(session))

    def refund(self, session_id: str, amount: int | None = None) -> dict[str, Any]:
        intent = self.payment_intents[self._session(session_id)["payment_intent"]]
        refunded = intent["amount"] if amount is None else amount
        charge = {
            "id": intent["latest_charge"],
            "object": "charge",
            "amount": intent["amount"],
            "amount_refunded": refunded,
            "currency": intent["currency"],
            "metadata": intent["metadata"],
            "payment_intent": intent["id"],
            "refunded": refunded >= intent["amount"],
            "status": "succeeded",
        }
        return self.event("charge.refunded", charge)

    def open_dispute(self, session_id: str, reason: str = "fraudulent") -> dict[str, Any]:
        intent = self.payment_intents[self._session(session_id)["payment_intent"]]
        dispute_id = f"dp_test_{next(self._ids):024d}"
        dispute = {
            "id": dispute_id,
            "object": "dispute",
            "amount": intent["amount"],
            "charge": intent["latest_charge"],
            "currency": intent["currency"],
            "metadata": {},
            "payment_intent": intent["id"],
            "reason": reason,
            "status": "needs_response",
        }
        self.disputes[dispute_id] = dispute
        return self.event("charge.dispute.created", dict(dispute))

    def close_dispute(self, dispute_id: str, status: str = "won") -> dict[str, Any]:
        self.disputes[dispute_id]["status"] = status
        return self.event("charge.dispute.closed", dict(self.disputes[dispute_id]))

    def event(self, event_type: str, obj: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": f"evt_test_{next(self._ids):024d}",
            "object": "event",
            "api_version": "2025-10-29.clover",
            "created": int(self.clock()),
            "livemode": False,
            "pending_webhooks": 1,
            "type": event_type,
            "data": {"object": obj},
        }

    def delivery(
        self, event: dict[str, Any], secret: str | None = None, timestamp: int | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The body and headers of Stripe's POST to the webhook endpoint."""
        body = body_of(event)
        moment = int(self.clock()) if timestamp is None else timestamp
        header = stripe_signature_header(body, secret or self.webhook_secret, moment)
        return body, {"Stripe-Signature": header, "Content-Type": "application/json; charset=utf-8"}

    def _session(self, session_id: str) -> dict[str, Any]:
        session = self.sessions.get(session_id)
        if session is None:
            raise HttpError(404, _invalid("session", f"No such checkout.session: '{session_id}'"))
        return session


def _public(session: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in session.items() if not key.startswith("_")}


def _in_range(created: int, bounds: dict[str, str]) -> bool:
    checks = {
        "gte": lambda bound: created >= bound,
        "gt": lambda bound: created > bound,
        "lte": lambda bound: created <= bound,
        "lt": lambda bound: created < bound,
    }
    return all(checks[op](int(value)) for op, value in bounds.items() if op in checks)


def _invalid(param: str, message: str) -> dict[str, Any]:
    return {"error": {"type": "invalid_request_error", "param": param, "message": message}}
