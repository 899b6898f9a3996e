"""Veriff as a KYC provider (Public API v1).

- Sessions: `POST /v1/sessions` with `X-AUTH-CLIENT` (the integration's API key) and a JSON body
  `{"verification": {"vendorData": <our attempt reference>, "callback": <return URL>}}`; we also sign it
  (`X-HMAC-SIGNATURE`). The answer's `verification.id` is the session id, `verification.url` the page the
  trader opens. No personal data is sent: the trader gives it to Veriff on that page.
- Signatures: `X-HMAC-SIGNATURE` = hex HMAC-SHA256 with the integration's shared secret of the raw body (POST,
  and every webhook), or of the session id (GET).
- Decision webhook: `{"status": "success", "verification": {"id", "code", "status", "reasonCode",
  "vendorData", "decisionTime", ...}}`; codes 9001 approved, 9102 declined, 9103 resubmission requested,
  9104 expired or abandoned, 9121 review. Only those fields are read, and of the `person` (`firstName`,
  `lastName`, `dateOfBirth`) and `document` (`number`, `country`) blocks only what makes the identity digests
  (`identity_digest`: SHA-256 of the normalized values, for the abuse detectors' shared-identity graph); the
  blocks themselves are never kept or logged.
- Event webhook: `{"id", "attemptId", "feature", "code": 7001 | 7002, "action": "started" | "submitted",
  "vendorData"}`.
- Polling: `GET /v1/sessions/{id}/decision` (signed over the session id) answers the same `verification`
  block, or null while there is no decision.

Veriff keeps no index by `vendorData`, so a session cannot be found again by our reference: creation is
idempotent through the `SessionLedger` (the case itself in production: it records each attempt's session), and
the POST is retried only when Veriff cannot have acted on it (connection refused, 429, 502-504). An orphan
session left by a lost answer is never shown to the trader; a webhook for it is refused as unknown.

Webhooks redeliver for days; one whose decision time is older than `max_age` is refused as stale (a replay).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import quote

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from propdesk.adapters.kyc.calls import ProviderCalls
from propdesk.adapters.kyc.credentials import RotatingSecrets, secret_fields
from propdesk.adapters.kyc.payloads import json_object, validated
from propdesk.adapters.kyc.signing import delivery_id, header, hex_hmac, signature_matches
from propdesk.errors import InvalidInputError
from propdesk.kyc.identity import identity_digests
from propdesk.kyc.port import (
    Applicant,
    KycProviderName,
    KycProviderRejectedError,
    KycSession,
    Outcome,
    ProgressStage,
    ProviderDecision,
    ProviderProgress,
    WebhookRefusedError,
)
from propdesk.ports import Clock

PROVIDER: KycProviderName = "veriff"
DEFAULT_API_BASE = "https://stationapi.veriff.com"
SIGNATURE_HEADER = "X-HMAC-SIGNATURE"
DEFAULT_MAX_AGE = timedelta(days=8)  # Veriff retries a failed delivery for up to a week

DECISION_CODES: dict[int, Outcome] = {
    9001: "approved",
    9102: "declined",
    9103: "resubmission_requested",
    9104: "expired",
    9121: "review",
}
EVENT_CODES: dict[int, ProgressStage] = {7001: "started", 7002: "submitted"}


class SessionLedger(Protocol):
    """Where the session opened for each attempt reference is remembered."""

    def find(self, reference: str) -> KycSession | None: ...

    def remember(self, session: KycSession) -> None: ...


class InMemorySessionLedger:
    """Remembers sessions for the life of the process (a warm Lambda's retries)."""

    def __init__(self) -> None:
        self._sessions: dict[str, KycSession] = {}
        self._lock = threading.Lock()

    def find(self, reference: str) -> KycSession | None:
        with self._lock:
            return self._sessions.get(reference)

    def remember(self, session: KycSession) -> None:
        with self._lock:
            self._sessions.setdefault(session.reference, session)


class _Verification(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True, populate_by_name=True)

    id: str = Field(min_length=1, max_length=128)
    code: int | None = None
    status: str | None = None
    reason_code: int | str | None = Field(default=None, alias="reasonCode")
    vendor_data: str | None = Field(default=None, alias="vendorData")
    decision_time: AwareDatetime | None = Field(default=None, alias="decisionTime")
    acceptance_time: AwareDatetime | None = Field(default=None, alias="acceptanceTime")
    person: dict[str, Any] | None = Field(default=None, repr=False)
    document: dict[str, Any] | None = Field(default=None, repr=False)


class _DecisionBody(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    status: str
    verification: _Verification


class _EventBody(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True, populate_by_name=True)

    id: str = Field(min_length=1, max_length=128)
    code: int
    action: str
    vendor_data: str | None = Field(default=None, alias="vendorData")


class _SessionAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    class Created(BaseModel):
        model_config = ConfigDict(extra="ignore")
        id: str = Field(min_length=1)
        url: str = Field(min_length=1)

    status: str
    verification: Created


class _PollAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    verification: _Verification | None = None


class VeriffProvider:
    name: KycProviderName = PROVIDER

    def __init__(
        self,
        secrets: RotatingSecrets,
        secret_id: str,
        calls: ProviderCalls,
        clock: Clock,
        max_age: timedelta | None = DEFAULT_MAX_AGE,
        ledger: SessionLedger | None = None,
    ) -> None:
        self._secrets = secrets
        self._secret_id = secret_id
        self._calls = calls
        self._clock = clock
        self._max_age = max_age
        self._ledger: SessionLedger = ledger if ledger is not None else InMemorySessionLedger()

    # ---- sessions ----

    def create_session(self, applicant: Applicant) -> KycSession:
        known = self._ledger.find(applicant.reference)
        if known is not None:
            return known
        verification: dict[str, Any] = {"vendorData": applicant.reference}
        if applicant.return_url:
            verification["callback"] = applicant.return_url
        body = json.dumps({"verification": verification}, separators=(",", ":")).encode()
        answer = self._calls.send("POST", "/v1/sessions", self._sign_body, body, idempotent=False)
        try:
            created = _SessionAnswer.model_validate(answer.body).verification
        except ValidationError as error:
            message = "Veriff's session answer has no verification id and url"
            raise KycProviderRejectedError(message) from error
        session = KycSession(PROVIDER, applicant.reference, created.id, created.url)
        self._ledger.remember(session)
        return session

    def decision(self, session_id: str) -> ProviderDecision | None:
        path = f"/v1/sessions/{quote(session_id, safe='')}/decision"
        answer = self._calls.send("GET", path, lambda *_: self._auth(session_id.encode()))
        try:
            verification = _PollAnswer.model_validate(answer.body).verification
        except ValidationError as error:
            raise KycProviderRejectedError("Veriff's decision answer has an unexpected shape") from error
        if verification is None or verification.code not in DECISION_CODES:
            return None
        key = f"{verification.id}|{verification.code}|{verification.decision_time}".encode()
        return _decision(verification, delivery_id(f"{PROVIDER}-poll", key))

    # ---- webhooks ----

    def verify_webhook(
        self, raw_body: bytes, headers: Mapping[str, str]
    ) -> ProviderDecision | ProviderProgress:
        presented = header(headers, SIGNATURE_HEADER)
        if not presented:
            message = "the X-HMAC-SIGNATURE header is missing"
            raise WebhookRefusedError(message, "missing_signature", SIGNATURE_HEADER)
        if not self._verifies(raw_body, presented):
            raise WebhookRefusedError(
                "the X-HMAC-SIGNATURE header does not match the body", "bad_signature", SIGNATURE_HEADER
            )
        document = json_object(raw_body)
        delivery = delivery_id(PROVIDER, raw_body)
        if "verification" in document:
            body = validated(_DecisionBody, document, "Veriff")
            if body.verification.code not in DECISION_CODES:
                message = f"Veriff decision code {body.verification.code} is not one propdesk knows"
                raise InvalidInputError(message, "verification.code")
            self._refuse_if_stale(body.verification.decision_time or body.verification.acceptance_time)
            return _decision(body.verification, delivery)
        event = validated(_EventBody, document, "Veriff")
        return ProviderProgress(
            provider=PROVIDER,
            session_id=event.id,
            reference=event.vendor_data,
            stage=EVENT_CODES.get(event.code, "other"),
            provider_code=str(event.code),
            occurred_at=None,
            delivery_id=delivery,
        )

    # ---- helpers ----

    def _verifies(self, raw_body: bytes, presented: str) -> bool:
        if signature_matches(raw_body, presented, _webhook_secrets(self._secrets.get(self._secret_id))):
            return True
        # The secret may have been rotated since we cached it: read it again (rate-limited) and retry once.
        fresh = _webhook_secrets(self._secrets.refresh(self._secret_id))
        return signature_matches(raw_body, presented, fresh)

    def _refuse_if_stale(self, moment: datetime | None) -> None:
        if self._max_age is not None and moment is not None and self._clock.now() - moment > self._max_age:
            raise WebhookRefusedError("the webhook is older than any Veriff redelivery: a replay", "stale")

    def _sign_body(self, method: str, path: str, body: bytes) -> Mapping[str, str]:
        return self._auth(body)

    def _auth(self, signed: bytes) -> dict[str, str]:
        fields = secret_fields(self._secrets.get(self._secret_id))
        api_key, shared_secret = fields.get("api_key"), fields.get("shared_secret")
        if not api_key or not shared_secret:
            raise KycProviderRejectedError("the Veriff secret needs api_key and shared_secret")
        return {"X-AUTH-CLIENT": api_key, SIGNATURE_HEADER: hex_hmac(shared_secret, signed)}


def _decision(verification: _Verification, delivery: str) -> ProviderDecision:
    code = verification.code
    assert code is not None
    provider_code = f"{code}:{verification.status}" if verification.status else str(code)
    return ProviderDecision(
        provider=PROVIDER,
        session_id=verification.id,
        reference=verification.vendor_data,
        outcome=DECISION_CODES[code],
        provider_code=provider_code,
        reason_codes=(str(verification.reason_code),) if verification.reason_code is not None else (),
        decided_at=verification.decision_time,
        delivery_id=delivery,
        identity_digests=identity_digests(verification.person or {}, verification.document or {}),
    )


def _webhook_secrets(secret_string: str) -> tuple[str, ...]:
    fields = secret_fields(secret_string)
    return tuple(s for s in (fields.get("shared_secret"), fields.get("previous_shared_secret")) if s)
