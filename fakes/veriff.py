"""A fake of the part of Veriff's Public API v1 propdesk uses, checking requests as Veriff does.

- `POST /v1/sessions` (`X-AUTH-CLIENT` must be the API key; an `X-HMAC-SIGNATURE`, when sent, must be the hex
  HMAC-SHA256 of the body with the shared secret) answers 201 `{"status": "success", "verification": {"id",
  "url", "vendorData", "host", "status": "created", "sessionToken"}}`.
- `GET /v1/sessions/{id}/decision` (`X-HMAC-SIGNATURE` over the session id, required) answers the decision's
  `verification` block, or null before a decision.
- The session URL (`/v/{token}`) is a tiny hosted page; opening it with `?outcome=approve|decline|resubmit|
  review|expire` plays the trader's part: Veriff's event webhooks (7001 started, 7002 submitted) and then its
  decision webhook (9001, 9102 with reason 102, 9103 with reason 201, 9121, 9104) are signed with the shared
  secret and POSTed to `webhook_url` (events to `event_webhook_url` when set), with redelivery after a failed
  delivery (`fakes.kyc_flow.WebhookSender`). After `review` a final outcome may still follow; a concluded
  session takes no other.

Test switches: `fail_next(n, status)` (the API answers 5xx), `webhooks.deliver_twice`, `webhooks.hold` and
`webhooks.release()` (out of order). `complete(session_id, outcome)` does what the page does.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from fakes.kyc_flow import WebhookSender, page_reply_headers, verification_page
from fakes.server import FakeService, HttpError, Reply, Request

API_KEY = "veriff-propdesk-fake-api-key"
SHARED_SECRET = "veriff-propdesk-fake-shared-secret"  # noqa: S105 - the fake's own secret
# Veriff retries a failed delivery for up to a week; its schedule is not published: this one is ours.
RETRY_DELAYS: tuple[float, ...] = (60.0, 600.0, 3600.0, 6 * 3600.0, 24 * 3600.0, 3 * 86400.0, 3 * 86400.0)

DECISIONS: dict[str, tuple[int, str, str | None, int | None]] = {
    # outcome -> (code, status, reason, reasonCode)
    "approve": (9001, "approved", None, None),
    "decline": (9102, "declined", "Suspected document tampering", 102),
    "resubmit": (9103, "resubmission_requested", "Video and/or photos missing", 201),
    "review": (9121, "review", None, None),
    "expire": (9104, "expired", None, None),
}
CONCLUDED = frozenset({"approved", "declined", "resubmission_requested", "expired"})


def veriff_signature(payload: bytes, secret: str) -> str:
    """`X-HMAC-SIGNATURE`: hex HMAC-SHA256 of the payload (a body, or a session id) with the shared secret."""
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def veriff_headers(body: bytes, secret: str = SHARED_SECRET, api_key: str = API_KEY) -> dict[str, str]:
    """The headers of Veriff's webhook POST."""
    return {
        "X-AUTH-CLIENT": api_key,
        "X-HMAC-SIGNATURE": veriff_signature(body, secret),
        "Content-Type": "application/json",
    }


class FakeVeriff(FakeService):
    def __init__(
        self,
        api_key: str = API_KEY,
        shared_secret: str = SHARED_SECRET,
        clock: Callable[[], float] = time.time,
        retry_delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.shared_secret = shared_secret
        self.clock = clock
        self.sessions: dict[str, dict[str, Any]] = {}
        self.webhook_url: str | None = None  # the decision webhook URL (the stack's /v1/webhooks/veriff)
        self.event_webhook_url: str | None = None  # the event webhook URL; None: the decision one
        self.webhooks = WebhookSender(retry_delays)
        self._numbers = itertools.count(1)
        self.route("POST", "/v1/sessions/?", self._create_session)
        self.route("GET", "/v1/sessions/([^/]+)/decision", self._decision)
        self.route("GET", "/v/([^/]+)", self._hosted_page)

    # ---- the API ----

    def _authorize(self, request: Request, signed: bytes | None) -> None:
        if request.header("x-auth-client") != self.api_key:
            raise HttpError(
                401, _failure(1801, "Mandatory X-AUTH-CLIENT header containing the API key is missing")
            )
        presented = request.header("x-hmac-signature")
        if signed is None and presented is None:
            return
        expected = veriff_signature(signed or b"", self.shared_secret).encode()
        if presented is None or not hmac.compare_digest(
            expected, presented.strip().lower().encode("utf-8", "replace")
        ):
            raise HttpError(
                401, _failure(1812, 'Signature "x-hmac-signature" does not match the HMAC-SHA256')
            )

    def _create_session(self, request: Request) -> Reply:
        self._authorize(request, request.body if request.header("x-hmac-signature") is not None else None)
        try:
            verification = request.json().get("verification")
        except (ValueError, AttributeError):
            verification = None
        if not isinstance(verification, dict):
            raise HttpError(
                400, _failure(1102, "Mandatory parameter verification is missing from the request")
            )
        vendor_data = verification.get("vendorData")
        if vendor_data is not None and (not isinstance(vendor_data, str) or len(vendor_data) > 1000):
            raise HttpError(400, _failure(1104, "vendorData must be a string of at most 1000 characters"))
        session_id = str(uuid.uuid4())
        token = secrets.token_urlsafe(24)
        session: dict[str, Any] = {
            "id": session_id,
            "token": token,
            "vendorData": vendor_data,
            "callback": verification.get("callback"),
            "status": "created",
            "created_at": self.clock(),
            "attemptId": str(uuid.uuid4()),
            "events": [],
            "decision": None,
            "number": next(self._numbers),
        }
        self.sessions[session_id] = session
        return Reply(
            201,
            {
                "status": "success",
                "verification": {
                    "id": session_id,
                    "url": f"{self.url}/v/{token}",
                    "vendorData": vendor_data,
                    "host": self.url,
                    "status": "created",
                    "sessionToken": token,
                },
            },
        )

    def _decision(self, request: Request, session_id: str) -> Reply:
        self._authorize(request, session_id.encode())
        session = self._session(session_id)
        return Reply(
            200,
            {
                "status": "success",
                "verification": session["decision"],
                "technicalData": {"ip": "203.0.113.7"},
            },
        )

    def _hosted_page(self, request: Request, token: str) -> Reply:
        session = next((s for s in self.sessions.values() if s["token"] == token), None)
        if session is None:
            return Reply(404, b"<!doctype html><p>No such verification session.</p>", page_reply_headers())
        outcome = request.query.get("outcome")
        if outcome:
            try:
                self.complete(session["id"], outcome)
            except HttpError as refused:
                message = str(refused.reply.body.get("message", "refused")).encode()
                return Reply(
                    refused.reply.status, b"<!doctype html><p>" + message + b"</p>", page_reply_headers()
                )
        page = verification_page("Veriff", session["id"], session["status"], (*DECISIONS,))
        return Reply(200, page, page_reply_headers())

    # ---- test controls ----

    def complete(self, session_id: str, outcome: str) -> dict[str, Any]:
        """The trader goes through the session and Veriff decides `outcome`: the webhooks are sent. Returns
        the decision webhook's body."""
        if outcome not in DECISIONS:
            raise HttpError(400, _failure(1102, f"unknown outcome {outcome!r}"))
        with self._lock:
            session = self._session(session_id)
            if session["status"] in CONCLUDED:
                raise HttpError(409, _failure(1104, f"the session is {session['status']} already"))
            if outcome != "expire":
                for code, action in ((7001, "started"), (7002, "submitted")):
                    if action not in session["events"]:
                        session["events"].append(action)
                        self._send_event(session, code, action)
            code, status, reason, reason_code = DECISIONS[outcome]
            session["status"] = status
            decision = self._verification(session, code, status, reason, reason_code)
            session["decision"] = decision
            body = {"status": "success", "verification": decision, "technicalData": {"ip": "203.0.113.7"}}
        if self.webhook_url:
            payload = json.dumps(body, separators=(",", ":")).encode()
            headers = veriff_headers(payload, self.shared_secret, self.api_key)
            self.webhooks.send(f"{code} {status}", self.webhook_url, payload, headers)
        return body

    def session_for(self, vendor_data: str) -> dict[str, Any]:
        """The latest session opened with this vendorData."""
        found = [s for s in self.sessions.values() if s["vendorData"] == vendor_data]
        if not found:
            raise KeyError(vendor_data)
        return max(found, key=lambda s: s["number"])

    def stop(self) -> None:
        self.webhooks.stop()
        super().stop()

    # ---- helpers ----

    def _send_event(self, session: dict[str, Any], code: int, action: str) -> None:
        url = self.event_webhook_url or self.webhook_url
        if not url:
            return
        event = {
            "id": session["id"],
            "attemptId": session["attemptId"],
            "feature": "selfid",
            "code": code,
            "action": action,
            "vendorData": session["vendorData"],
            "endUserId": None,
        }
        payload = json.dumps(event, separators=(",", ":")).encode()
        self.webhooks.send(
            f"{code} {action}", url, payload, veriff_headers(payload, self.shared_secret, self.api_key)
        )

    def _verification(
        self, session: dict[str, Any], code: int, status: str, reason: str | None, reason_code: int | None
    ) -> dict[str, Any]:
        approved = status == "approved"
        return {
            "id": session["id"],
            "attemptId": session["attemptId"],
            "code": code,
            "person": {  # Veriff sends what it read on the document; propdesk must not keep it
                "firstName": "JANE" if approved else None,
                "lastName": "TRADER" if approved else None,
                "dateOfBirth": "1990-01-01" if approved else None,
                "idNumber": None,
                "nationality": "CZ" if approved else None,
            },
            "reason": reason,
            "status": status,
            "comments": [],
            "document": {
                "number": "AB1234567" if approved else None,
                "type": "PASSPORT" if approved else None,
                "country": "CZ" if approved else None,
                "validUntil": "2031-01-01" if approved else None,
            },
            "reasonCode": reason_code,
            "vendorData": session["vendorData"],
            "decisionTime": _iso(self.clock()),
            "acceptanceTime": _iso(session["created_at"]),
            "additionalVerifiedData": {},
            "riskLabels": [],
            "endUserId": None,
        }

    def _session(self, session_id: str) -> dict[str, Any]:
        session = self.sessions.get(session_id)
        if session is None:
            raise HttpError(404, _failure(1404, "Session not found"))
        return session


def _failure(code: int, message: str) -> dict[str, Any]:
    return {"status": "fail", "code": str(code), "message": message}


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
