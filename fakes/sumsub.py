"""A fake of the part of Sumsub's API propdesk uses, checking App Token signatures as Sumsub does.

Every request must carry `X-App-Token`, `X-App-Access-Ts` (Unix seconds, within `max_skew` of the fake's
clock) and `X-App-Access-Sig` = hex HMAC-SHA256 with the secret key of `ts + METHOD + path_with_query + body`
(the request target exactly as sent); otherwise 401 `{"description": "...", "code": 401, "correlationId"}`.

- `POST /resources/applicants?levelName=...` `{"externalUserId"}` creates an applicant (an unknown level is
  400; a second applicant with the same `externalUserId` is 409 "... already exists: <applicantId>").
- `GET /resources/applicants/-;externalUserId=<id>/one` and `GET /resources/applicants/{id}/one` find it
  (with `info`: what its documents said, set by `identify`); `GET /resources/applicants/{id}/status`
  answers `reviewStatus` (init, pending, onHold, completed) and `reviewResult`.
- `POST /resources/sdkIntegrations/levels/-/websdkLink` `{"levelName", "userId", "ttlInSecs"}` answers
  `{"url"}`: the WebSDK permalink, a tiny hosted page here (`/websdk/p/{token}`, gone after its TTL). Opening
  it with `?outcome=approve|decline|resubmit|review` plays the applicant's part: `applicantPending`, then
  `applicantReviewed` (GREEN; RED FINAL `FORGERY`; RED RETRY `DOCUMENT_PAGE_MISSING`) or `applicantOnHold`,
  each signed (`X-Payload-Digest`, `X-Payload-Digest-Alg` = `digest_algorithm`) with the webhook secret and
  POSTed to `webhook_url`, resent after a failure at Sumsub's intervals (5 min, 1 h, 5 h, 18 h; tests pass
  short ones). After a RETRY rejection or on hold another outcome may follow; GREEN and FINAL are final.

Test switches: `fail_next(n, status)` (the API answers 5xx), `webhooks.deliver_twice`, `webhooks.hold` and
`webhooks.release()` (out of order). `complete(applicant_id, outcome)` does what the page does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from fakes.kyc_flow import WebhookSender, page_reply_headers, verification_page
from fakes.server import FakeService, HttpError, Reply, Request

APP_TOKEN = "sbx:propdesk-fake-app-token"  # noqa: S105 - the fake's own token
SECRET_KEY = "sumsub-propdesk-fake-secret-key"  # noqa: S105
WEBHOOK_SECRET = "sumsub-propdesk-fake-webhook-secret"  # noqa: S105
LEVEL_NAME = "propdesk-kyc"
RETRY_DELAYS: tuple[float, ...] = (300.0, 3600.0, 5 * 3600.0, 18 * 3600.0)
DIGESTS = {
    "HMAC_SHA1_HEX": hashlib.sha1,
    "HMAC_SHA256_HEX": hashlib.sha256,
    "HMAC_SHA512_HEX": hashlib.sha512,
}

REVIEWS: dict[str, dict[str, Any] | None] = {
    "approve": {"reviewAnswer": "GREEN"},
    "decline": {
        "moderationComment": "We could not verify your profile.",
        "clientComment": "Suspected forgery.",
        "reviewAnswer": "RED",
        "rejectLabels": ["FORGERY"],
        "reviewRejectType": "FINAL",
    },
    "resubmit": {
        "moderationComment": "The uploaded document is double-sided and only one side was uploaded.",
        "clientComment": "Back side missing.",
        "reviewAnswer": "RED",
        "rejectLabels": ["DOCUMENT_PAGE_MISSING"],
        "reviewRejectType": "RETRY",
        "buttonIds": ["additionalPages_anotherSide"],
    },
    "review": None,  # applicantOnHold
}


def request_signature(secret_key: str, ts: str, method: str, target: str, body: bytes) -> str:
    """`X-App-Access-Sig`: hex HMAC-SHA256 of ts + METHOD + path with query + body."""
    message = ts.encode() + method.upper().encode() + target.encode() + body
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()


def payload_digest(body: bytes, secret: str, algorithm: str = "HMAC_SHA256_HEX") -> str:
    """`X-Payload-Digest`: hex HMAC of the raw body with the webhook secret, by `X-Payload-Digest-Alg`."""
    return hmac.new(secret.encode(), body, DIGESTS[algorithm]).hexdigest()


def sumsub_headers(
    body: bytes, secret: str = WEBHOOK_SECRET, algorithm: str = "HMAC_SHA256_HEX"
) -> dict[str, str]:
    """The headers of Sumsub's webhook POST."""
    return {
        "X-Payload-Digest": payload_digest(body, secret, algorithm),
        "X-Payload-Digest-Alg": algorithm,
        "Content-Type": "application/json",
    }


class FakeSumsub(FakeService):
    def __init__(
        self,
        app_token: str = APP_TOKEN,
        secret_key: str = SECRET_KEY,
        webhook_secret: str = WEBHOOK_SECRET,
        levels: Sequence[str] = (LEVEL_NAME,),
        digest_algorithm: str = "HMAC_SHA256_HEX",
        clock: Callable[[], float] = time.time,
        max_skew: float = 60.0,
        retry_delays: Sequence[float] = RETRY_DELAYS,
    ) -> None:
        super().__init__()
        self.app_token = app_token
        self.secret_key = secret_key
        self.webhook_secret = webhook_secret
        self.levels = set(levels)
        self.digest_algorithm = digest_algorithm
        self.clock = clock
        self.max_skew = max_skew
        self.applicants: dict[str, dict[str, Any]] = {}  # by applicant id
        self.links: dict[str, dict[str, Any]] = {}  # by token: {"applicant_id", "expires_at"}
        self.webhook_url: str | None = None
        self.webhooks = WebhookSender(retry_delays)
        self.route("POST", "/resources/applicants", self._create_applicant)
        self.route(
            "GET", "/resources/applicants/-;externalUserId=([^/]+)/one", self._applicant_by_external_id
        )
        self.route("GET", "/resources/applicants/([^/]+)/status", self._status)
        self.route("GET", "/resources/applicants/([^/;]+)/one", self._applicant_by_id)
        self.route("POST", "/resources/sdkIntegrations/levels/-/websdkLink", self._websdk_link)
        self.route("GET", "/websdk/p/([^/]+)", self._hosted_page)

    # ---- the API ----

    def _authorize(self, request: Request) -> None:
        if request.header("x-app-token") != self.app_token:
            raise HttpError(401, _error(401, "App token is missing or invalid"))
        ts = request.header("x-app-access-ts") or ""
        if not ts.isdigit() or abs(self.clock() - int(ts)) > self.max_skew:
            raise HttpError(
                401, _error(401, "Request timestamp is missing or too far from the server's time")
            )
        expected = request_signature(
            self.secret_key, ts, request.method, request.target, request.body
        ).encode()
        presented = (request.header("x-app-access-sig") or "").encode("utf-8", "replace")
        if not hmac.compare_digest(expected, presented):
            raise HttpError(401, _error(401, "Invalid signature"))

    def _create_applicant(self, request: Request) -> Reply:
        self._authorize(request)
        level = request.query.get("levelName", "")
        if level not in self.levels:
            raise HttpError(400, _error(400, f"Level '{level}' not found"))
        try:
            external_user_id = request.json().get("externalUserId")
        except (ValueError, AttributeError):
            external_user_id = None
        if not isinstance(external_user_id, str) or not external_user_id:
            raise HttpError(400, _error(400, "externalUserId is required"))
        existing = self._by_external_id(external_user_id)
        if existing is not None:
            message = f"Applicant with external user id '{external_user_id}' already exists: {existing['id']}"
            raise HttpError(409, _error(409, message))
        return Reply(201, self._public(self._new_applicant(external_user_id, level)))

    def _applicant_by_external_id(self, request: Request, external_user_id: str) -> Reply:
        self._authorize(request)
        applicant = self._by_external_id(unquote(external_user_id))
        if applicant is None:
            raise HttpError(404, _error(404, "Applicant not found"))
        return Reply(200, self._public(applicant))

    def _applicant_by_id(self, request: Request, applicant_id: str) -> Reply:
        self._authorize(request)
        return Reply(200, self._public(self._applicant(applicant_id)))

    def _status(self, request: Request, applicant_id: str) -> Reply:
        self._authorize(request)
        applicant = self._applicant(applicant_id)
        review = applicant["review"]
        status = {
            "reviewId": review["reviewId"],
            "attemptId": review["attemptId"],
            "attemptCnt": review["attemptCnt"],
            "levelName": applicant["levelName"],
            "createDate": review["createDate"],
            "reviewStatus": review["reviewStatus"],
            "priority": 0,
        }
        if review.get("reviewDate"):
            status["reviewDate"] = review["reviewDate"]
        if review.get("reviewResult"):
            status["reviewResult"] = review["reviewResult"]
        return Reply(200, status)

    def _websdk_link(self, request: Request) -> Reply:
        self._authorize(request)
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body.get("userId") or body.get("levelName") not in self.levels:
            raise HttpError(400, _error(400, "levelName (an existing level) and userId are required"))
        applicant = self._by_external_id(body["userId"]) or self._new_applicant(
            body["userId"], body["levelName"]
        )
        ttl = int(body.get("ttlInSecs") or 1800)
        token = f"sbx_{secrets.token_urlsafe(18)}"
        self.links[token] = {"applicant_id": applicant["id"], "expires_at": self.clock() + ttl}
        return Reply(200, {"url": f"{self.url}/websdk/p/{token}"})

    def _hosted_page(self, request: Request, token: str) -> Reply:
        link = self.links.get(token)
        if link is None or self.clock() > link["expires_at"]:
            return Reply(
                410, b"<!doctype html><p>This verification link has expired.</p>", page_reply_headers()
            )
        applicant = self.applicants[link["applicant_id"]]
        outcome = request.query.get("outcome")
        if outcome:
            try:
                self.complete(applicant["id"], outcome)
            except HttpError as refused:
                message = str(refused.reply.body.get("description", "refused")).encode()
                return Reply(
                    refused.reply.status, b"<!doctype html><p>" + message + b"</p>", page_reply_headers()
                )
        page = verification_page("Sumsub", applicant["id"], applicant["review"]["reviewStatus"], (*REVIEWS,))
        return Reply(200, page, page_reply_headers())

    # ---- test controls ----

    def complete(self, applicant_id: str, outcome: str) -> list[dict[str, Any]]:
        """The applicant submits and Sumsub reviews with `outcome`: the webhooks are sent (and returned)."""
        if outcome not in REVIEWS:
            raise HttpError(400, _error(400, f"unknown outcome {outcome!r}"))
        with self._lock:
            applicant = self._applicant(applicant_id)
            review = applicant["review"]
            result = review.get("reviewResult") or {}
            if review["reviewStatus"] == "completed" and result.get("reviewRejectType") != "RETRY":
                raise HttpError(409, _error(409, "The applicant's review is final"))
            events = []
            if review["reviewStatus"] in ("init", "completed"):  # a first submission, or a resubmission
                review.update(reviewStatus="pending", attemptCnt=review["attemptCnt"] + 1)
                review.pop("reviewResult", None)
                events.append(self._event(applicant, "applicantPending"))
            reviewed = REVIEWS[outcome]
            if reviewed is None:
                review["reviewStatus"] = "onHold"
                events.append(self._event(applicant, "applicantOnHold"))
            else:
                review.update(
                    reviewStatus="completed", reviewResult=dict(reviewed), reviewDate=self._sumsub_time()
                )
                events.append(self._event(applicant, "applicantReviewed", reviewResult=dict(reviewed)))
        for event in events:
            self.deliver(event)
        return events

    def identify(self, applicant_id: str, first: str, last: str, dob: str, country: str, number: str) -> None:
        """What the applicant's documents say (Sumsub's `info`), as its document check would fill it in."""
        with self._lock:
            self._applicant(applicant_id)["info"] = {
                "firstName": first, "lastName": last, "dob": dob, "country": country,
                "idDocs": [{"idDocType": "PASSPORT", "country": country, "number": number}],
            }  # fmt: skip

    def applicant_for(self, external_user_id: str) -> dict[str, Any]:
        applicant = self._by_external_id(external_user_id)
        if applicant is None:
            raise KeyError(external_user_id)
        return applicant

    def deliver(self, event: dict[str, Any]) -> None:
        if not self.webhook_url:
            return
        body = json.dumps(event, separators=(",", ":")).encode()
        headers = sumsub_headers(body, self.webhook_secret, self.digest_algorithm)
        self.webhooks.send(str(event["type"]), self.webhook_url, body, headers)

    def stop(self) -> None:
        self.webhooks.stop()
        super().stop()

    # ---- helpers ----

    def _new_applicant(self, external_user_id: str, level: str) -> dict[str, Any]:
        applicant_id = uuid.uuid4().hex[:24]
        applicant = {
            "id": applicant_id,
            "createdAt": self._sumsub_time(with_zone=False),
            "key": secrets.token_hex(7).upper(),
            "clientId": "propdesk-fake",
            "inspectionId": uuid.uuid4().hex[:24],
            "externalUserId": external_user_id,
            "levelName": level,
            "fixedInfo": {},
            "info": {},
            "applicantPlatform": "API",
            "review": {
                "reviewId": secrets.token_hex(3),
                "attemptId": secrets.token_hex(3),
                "attemptCnt": 0,
                "levelName": level,
                "createDate": self._sumsub_time(),
                "reviewStatus": "init",
                "priority": 0,
            },
            "type": "individual",
        }
        self.applicants[applicant_id] = applicant
        return applicant

    def _event(self, applicant: dict[str, Any], event_type: str, **more: Any) -> dict[str, Any]:
        now = self.clock()
        return {
            "applicantId": applicant["id"],
            "inspectionId": applicant["inspectionId"],
            "applicantType": "individual",
            "correlationId": f"req-{uuid.uuid4()}",
            "levelName": applicant["levelName"],
            "sandboxMode": True,
            "externalUserId": applicant["externalUserId"],
            "type": event_type,
            **more,
            "reviewStatus": applicant["review"]["reviewStatus"],
            "createdAt": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M:%S+0000"),
            "createdAtMs": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
            "clientId": "propdesk-fake",
        }

    def _by_external_id(self, external_user_id: str) -> dict[str, Any] | None:
        return next((a for a in self.applicants.values() if a["externalUserId"] == external_user_id), None)

    def _applicant(self, applicant_id: str) -> dict[str, Any]:
        applicant = self.applicants.get(applicant_id)
        if applicant is None:
            raise HttpError(404, _error(404, "Applicant not found"))
        return applicant

    def _public(self, applicant: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in applicant.items() if key != "levelName"}

    def _sumsub_time(self, with_zone: bool = True) -> str:
        moment = datetime.fromtimestamp(self.clock(), UTC).strftime("%Y-%m-%d %H:%M:%S")
        return f"{moment}+0000" if with_zone else moment


def _error(code: int, description: str) -> dict[str, Any]:
    return {"description": description, "code": code, "correlationId": f"req-{uuid.uuid4()}"}
