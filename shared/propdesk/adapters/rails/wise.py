"""Bank payouts through Wise's transfers API (the Wise Platform / Payouts API, api.wise.com).

Modelled on Wise's public API docs (docs.wise.com: "Create a transfer", "Fund a transfer" from balance,
"Tracking transfers" statuses, "Webhooks & Notifications": event handling, retry policy, event types):
1. a recipient account, `POST /v1/accounts` (`type` iban | aba | sort_code with its `details`);
2. a quote, `POST /v3/profiles/{profileId}/quotes` for the `targetAmount` the trader must receive, paid from
   the firm's balance in `source_currency` (Wise's fee is paid on top by the firm: the trader gets it all);
3. the transfer, `POST /v1/transfers` with `targetAccount`, `quoteUuid` and `customerTransactionId` (a UUID:
   derived from our payout id, so "retry the call using the same customerTransactionId" never duplicates);
4. funding from the balance, `POST /v3/profiles/{profileId}/transfers/{transferId}/payments {"type":
   "BALANCE"}` (answer `status: COMPLETED`, or an `errorCode` such as insufficient funds).
`pay` first looks for a transfer already made for the payout (`GET /v1/transfers?profile=..`, matching
`customerTransactionId`), so a repeat or a retry after an ambiguous failure reuses it (funding it if that step
was lost) and never creates a second one.

Statuses: incoming_payment_waiting, incoming_payment_initiated → pending; processing, funds_converted →
processing; outgoing_payment_sent → paid; bounced_back, charged_back → returned; cancelled, funds_refunded →
failed. A bounce runs outgoing_payment_sent → bounced_back → processing → cancelled → funds_refunded, possibly
weeks later: the webhook stream (`advance`) ends `returned`; a single `status()` read of a refunded transfer
cannot tell a bounce from a cancellation and answers `failed` (both final: the money did not arrive).

Webhooks (`transfers#state-change`, schema 2.0.0): `X-Signature-SHA256` is the base64 RSA-SHA256 signature of
the raw body with Wise's public key; the body has `data.resource.id`, `data.current_state`,
`data.previous_state`, `data.occurred_at`, `event_type` and `sent_at`. Wise puts no timestamp in a header:
the tolerance applies to the signed `sent_at`, read as the instant of this delivery attempt (if Wise keeps
the first attempt's, raise `tolerance` past its two-week retry window). Events are not ordered (use
`occurred_at`) and repeat; the event id is "<transfer>:<state>:<occurred_at>", the same on every redelivery.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from propdesk.adapters.rails.common import (
    RailHttp,
    RsaVerifier,
    header,
    parse_time,
    strict_base64,
    utc_now,
)
from propdesk.money import json_number
from propdesk.rails.destinations import IbanAccount, UkBankAccount, UsBankAccount
from propdesk.rails.port import (
    PaymentOrder,
    RailPayment,
    RailRejectedError,
    RailStatus,
    RailStatusUpdate,
    RailUnavailableError,
    RailWebhookRejectedError,
)
from propdesk.resilience.timing import Sleeper

RAIL = "wise"
DEFAULT_API_BASE = "https://api.wise.com"
SIGNATURE_HEADER = "X-Signature-SHA256"
TOLERANCE = timedelta(minutes=10)
PAGE_SIZE = 100
LOOKUP_MARGIN = timedelta(days=1)
# customerTransactionId = uuid5(this namespace, payout id): stable, a UUID as Wise requires.
TRANSACTION_NAMESPACE = uuid.UUID("6f1f5a0e-2f4b-4f39-9a52-5e0b2f4d8c11")
STATES: dict[str, RailStatus] = {
    "incoming_payment_waiting": "pending",
    "incoming_payment_initiated": "pending",
    "processing": "processing",
    "funds_converted": "processing",
    "outgoing_payment_sent": "paid",
    "bounced_back": "returned",
    "charged_back": "returned",
    "cancelled": "failed",
    "funds_refunded": "failed",
}
REASONS = {
    "bounced_back": "the recipient's bank sent the payment back",
    "charged_back": "the payment was charged back",
    "cancelled": "Wise cancelled the transfer",
    "funds_refunded": "the transfer's funds went back to the firm's balance",
}
UNFUNDED = frozenset({"incoming_payment_waiting"})


@dataclass(frozen=True, slots=True)
class WiseCredentials:
    api_token: str
    webhook_public_key: str  # PEM: Wise's published key for the environment


def transaction_id(payout_id: str) -> str:
    return str(uuid.uuid5(TRANSACTION_NAMESPACE, payout_id))


class WiseBankRail:
    name = RAIL

    def __init__(
        self,
        credentials: Callable[[], WiseCredentials],
        profile_id: int,
        source_currency: str,
        sleep: Sleeper,
        api_base: str = DEFAULT_API_BASE,
        clock: Callable[[], datetime] = utc_now,
        tolerance: timedelta = TOLERANCE,
    ) -> None:
        self._profile = profile_id
        self._source_currency = source_currency
        self._clock = clock
        self._tolerance = tolerance
        self._http = RailHttp(
            "Wise",
            api_base,
            lambda: {"Authorization": f"Bearer {credentials().api_token}", "Accept": "application/json"},
            sleep,
        )
        self._verifier = RsaVerifier(lambda: credentials().webhook_public_key)

    def pay(self, order: PaymentOrder) -> RailPayment:
        recipient = _recipient(order, self._profile)
        existing = self._find_transfer(order.payout_id, order.created_at)
        if existing is None:
            existing = self._create_transfer(order, recipient)
        if existing.get("status") in UNFUNDED:
            existing = self._fund(existing)
        return _payment(existing, order.payout_id)

    def find(self, payout_id: str, since: datetime) -> RailPayment | None:
        transfer = self._find_transfer(payout_id, since)
        return None if transfer is None else _payment(transfer, payout_id)

    def status(self, reference: str) -> RailPayment:
        transfer = self._http.read(f"/v1/transfers/{reference}", missing_ok=True)
        if transfer is None:
            raise RailRejectedError(f"Wise has no transfer {reference}")
        return _payment(transfer, None)

    def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> RailStatusUpdate | None:
        value = header(headers, SIGNATURE_HEADER)
        if not value:
            raise RailWebhookRejectedError(f"the {SIGNATURE_HEADER} header is missing")
        if not self._verifier.verifies(strict_base64(value, "signature"), raw_body):
            raise RailWebhookRejectedError("the Wise signature does not verify")
        try:
            event = json.loads(raw_body)
        except ValueError:
            raise RailWebhookRejectedError("the body is not JSON") from None
        sent_at = parse_time(event.get("sent_at")) if isinstance(event, dict) else None
        if sent_at is None or abs(self._clock() - sent_at) > self._tolerance:
            raise RailWebhookRejectedError("the delivery's sent_at is missing or outside the tolerance")
        if event.get("event_type") != "transfers#state-change":
            return None
        data = event.get("data") or {}
        resource = data.get("resource") or {}
        state = str(data.get("current_state", ""))
        occurred = parse_time(data.get("occurred_at")) or sent_at
        reference = str(resource.get("id", ""))
        status = STATES.get(state, "processing")
        return RailStatusUpdate(
            rail=RAIL,
            event_id=f"{reference}:{state}:{data.get('occurred_at', '')}",
            reference=reference,
            status=status,
            occurred_at=occurred,
            failure_reason=REASONS.get(state) if status in ("failed", "returned") else None,
        )

    # ---- the steps

    def _find_transfer(self, payout_id: str, since: datetime) -> dict[str, Any] | None:
        wanted = transaction_id(payout_id)
        start = (since - LOOKUP_MARGIN).date().isoformat()
        offset = 0
        while True:
            params = {
                "profile": self._profile,
                "limit": PAGE_SIZE,
                "offset": offset,
                "createdDateStart": start,
            }
            page = self._http.read("/v1/transfers", params) or []
            for transfer in page:
                if str(transfer.get("customerTransactionId", "")).lower() == wanted:
                    return dict(transfer)
            if len(page) < PAGE_SIZE:
                return None
            offset += PAGE_SIZE

    def _create_transfer(self, order: PaymentOrder, recipient: dict[str, Any]) -> dict[str, Any]:
        account = self._http.write("/v1/accounts", recipient)
        quote = self._http.write(
            f"/v3/profiles/{self._profile}/quotes",
            {
                "sourceCurrency": self._source_currency,
                "targetCurrency": order.currency.upper(),
                "targetAmount": wire_number(order.amount),
                "targetAccount": account["id"],
                "payOut": "BANK_TRANSFER",
            },
        )
        body = {
            "targetAccount": account["id"],
            "quoteUuid": quote["id"],
            "customerTransactionId": transaction_id(order.payout_id),
            "details": {"reference": (order.description or order.payout_id)[:18]},
        }
        try:
            return dict(self._http.write("/v1/transfers", body))
        except RailUnavailableError:
            found = self._find_transfer(order.payout_id, order.created_at)
            if found is None:
                raise
            return found

    def _fund(self, transfer: dict[str, Any]) -> dict[str, Any]:
        reference = transfer["id"]
        path = f"/v3/profiles/{self._profile}/transfers/{reference}/payments"
        try:
            funding = self._http.write(path, {"type": "BALANCE"})
        except RailUnavailableError:
            funding = None  # ambiguous: the transfer's state says whether it was funded
        if funding is not None and funding.get("status") != "COMPLETED":
            raise RailRejectedError(f"Wise did not fund transfer {reference}: {funding.get('errorCode')}")
        current = self._http.read(f"/v1/transfers/{reference}")
        if funding is None and current.get("status") in UNFUNDED:
            raise RailUnavailableError(f"Wise transfer {reference} is not funded yet")
        return dict(current)


def wire_number(amount: Decimal) -> float:  # float ok: Wise takes amounts as JSON numbers, checked exact
    """Wise takes amounts as JSON numbers (`propdesk.money.json_number`: exactness checked)."""
    try:
        return json_number(amount)
    except ValueError as error:
        raise RailRejectedError(f"{amount} cannot be sent to Wise exactly") from error


def _recipient(order: PaymentOrder, profile: int) -> dict[str, Any]:
    account = order.destination
    base = {"profile": profile, "currency": order.currency.upper()}
    if isinstance(account, IbanAccount):
        details = {
            "legalType": "PRIVATE",
            "IBAN": account.iban,
            **({"BIC": account.bic} if account.bic else {}),
        }
        return {**base, "type": "iban", "accountHolderName": account.holder_name, "details": details}
    if isinstance(account, UsBankAccount):
        details = {
            "legalType": "PRIVATE",
            "abartn": account.routing_number,
            "accountNumber": account.account_number,
            "accountType": account.account_type.upper(),
        }
        return {**base, "type": "aba", "accountHolderName": account.holder_name, "details": details}
    if isinstance(account, UkBankAccount):
        details = {
            "legalType": "PRIVATE",
            "sortCode": account.sort_code,
            "accountNumber": account.account_number,
        }
        return {**base, "type": "sort_code", "accountHolderName": account.holder_name, "details": details}
    raise RailRejectedError("Wise pays bank accounts only")


def _payment(transfer: Mapping[str, Any], payout_id: str | None) -> RailPayment:
    state = str(transfer.get("status", ""))
    status = STATES.get(state, "processing")
    return RailPayment(
        rail=RAIL,
        reference=str(transfer.get("id", "")),
        payout_id=payout_id or "",
        status=status,
        amount=_decimal(transfer.get("targetValue")),
        currency=str(transfer.get("targetCurrency", "")),
        fee=Decimal(0),  # quoted on the target amount: Wise's fee is paid by the firm on top
        failure_reason=REASONS.get(state) if status in ("failed", "returned") else None,
        updated_at=parse_time(transfer.get("created")),
    )


def _decimal(value: object) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01")) if value is not None else Decimal(0)
    except InvalidOperation:
        return Decimal(0)
