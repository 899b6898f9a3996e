"""Sumsub as a KYC provider.

- Requests are signed: `X-App-Token` (the app token), `X-App-Access-Ts` (Unix seconds) and
  `X-App-Access-Sig` = hex HMAC-SHA256 with the app's secret key of `ts + METHOD + path_with_query + body`
  (the exact bytes sent; a fresh timestamp on every retry).
- A session is an applicant: `POST /resources/applicants?levelName=<level>` with
  `{"externalUserId": <our attempt reference>}` (no personal data: the trader gives it to Sumsub on its page).
  Sumsub refuses a second applicant with the same `externalUserId` (409, naming the existing applicant), so
  creation is idempotent by our reference and always safe to retry; the existing applicant is also found with
  `GET /resources/applicants/-;externalUserId=<reference>/one`.
- The trader's URL is a WebSDK permalink: `POST /resources/sdkIntegrations/levels/-/websdkLink` with
  `{"levelName", "userId": <reference>, "ttlInSecs", "redirect"}` answers `{"url"}`. Asking again gives a
  fresh link to the same applicant (a way to resend an expired link).
- Webhooks carry `X-Payload-Digest` = hex HMAC of the raw body with the webhook secret (not the app's secret
  key), algorithm in `X-Payload-Digest-Alg`: `HMAC_SHA1_HEX`, `HMAC_SHA256_HEX` (the default) or
  `HMAC_SHA512_HEX`. `applicantReviewed` with `reviewResult.reviewAnswer` GREEN is approved; RED with
  `reviewRejectType` RETRY asks for a resubmission, RED with FINAL (or none) declines, `rejectLabels` kept;
  `applicantOnHold` asks for review; `applicantPending` (documents submitted), `applicantCreated` and the
  other notifications are progress. Sumsub webhooks hold no personal data.
- Polling: `GET /resources/applicants/{applicantId}/status` (`reviewStatus`, `reviewResult`, `reviewDate`).
- The verified identity (for the abuse detectors' shared-identity graph, as digests only):
  `GET /resources/applicants/{applicantId}/one`, its `info` (what the documents said), after a review.

Sumsub resends a failed webhook after 5 minutes, 1 hour, 5 and 18 hours; one older than `max_age` (by its
`createdAtMs`) is refused as stale.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from pydantic import BaseModel, ConfigDict, Field

from propdesk.adapters.kyc.calls import ProviderCalls
from propdesk.adapters.kyc.credentials import RotatingSecrets, secret_fields
from propdesk.adapters.kyc.payloads import json_object, utc_time, validated
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

PROVIDER: KycProviderName = "sumsub"
DEFAULT_API_BASE = "https://api.sumsub.com"
DIGEST_HEADER = "X-Payload-Digest"
ALGORITHM_HEADER = "X-Payload-Digest-Alg"
DIGEST_ALGORITHMS = {"HMAC_SHA1_HEX": "sha1", "HMAC_SHA256_HEX": "sha256", "HMAC_SHA512_HEX": "sha512"}
DEFAULT_MAX_AGE = timedelta(days=3)  # the last automatic resend comes about 24 hours after the first try
DEFAULT_LINK_TTL = timedelta(days=7)
PROGRESS_TYPES: dict[str, ProgressStage] = {"applicantCreated": "created", "applicantPending": "submitted"}
_EXISTING_APPLICANT = re.compile(r"already exists:\s*([0-9a-zA-Z]+)")


class _ReviewResult(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True, populate_by_name=True)

    review_answer: str | None = Field(default=None, alias="reviewAnswer")
    review_reject_type: str | None = Field(default=None, alias="reviewRejectType")
    reject_labels: list[str] = Field(default_factory=list, alias="rejectLabels")


class _Webhook(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True, populate_by_name=True)

    type: str = Field(min_length=1)
    applicant_id: str = Field(alias="applicantId", min_length=1, max_length=64)
    external_user_id: str | None = Field(default=None, alias="externalUserId")
    review_status: str | None = Field(default=None, alias="reviewStatus")
    review_result: _ReviewResult | None = Field(default=None, alias="reviewResult")
    created_at_ms: str | None = Field(default=None, alias="createdAtMs")
    created_at: str | None = Field(default=None, alias="createdAt")


class _Status(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True, populate_by_name=True)

    review_status: str | None = Field(default=None, alias="reviewStatus")
    review_result: _ReviewResult | None = Field(default=None, alias="reviewResult")
    review_date: str | None = Field(default=None, alias="reviewDate")


class _Applicant(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    id: str = Field(min_length=1)


class _Link(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)

    url: str = Field(min_length=1)


class SumsubProvider:
    name: KycProviderName = PROVIDER

    def __init__(
        self,
        secrets: RotatingSecrets,
        secret_id: str,
        calls: ProviderCalls,
        clock: Clock,
        level_name: str,
        link_ttl: timedelta = DEFAULT_LINK_TTL,
        max_age: timedelta | None = DEFAULT_MAX_AGE,
    ) -> None:
        if not level_name:
            raise ValueError("Sumsub needs the verification level's name")
        self._secrets = secrets
        self._secret_id = secret_id
        self._calls = calls
        self._clock = clock
        self._level_name = level_name
        self._link_ttl = link_ttl
        self._max_age = max_age

    # ---- sessions ----

    def create_session(self, applicant: Applicant) -> KycSession:
        applicant_id = self._applicant_for(applicant.reference)
        link: dict[str, Any] = {
            "levelName": self._level_name,
            "userId": applicant.reference,
            "ttlInSecs": int(self._link_ttl.total_seconds()),
        }
        if applicant.return_url:
            link["redirect"] = {"successUrl": applicant.return_url, "rejectUrl": applicant.return_url}
        query = f"?{urlencode({'lang': applicant.language})}" if applicant.language else ""
        answer = self._calls.send(
            "POST", f"/resources/sdkIntegrations/levels/-/websdkLink{query}", self._sign, _compact(link)
        )
        url = validated(_Link, answer.body, "Sumsub").url
        expires_at = self._clock.now() + self._link_ttl
        return KycSession(PROVIDER, applicant.reference, applicant_id, url, expires_at)

    def _applicant_for(self, reference: str) -> str:
        path = f"/resources/applicants?{urlencode({'levelName': self._level_name})}"
        answer = self._calls.send(
            "POST", path, self._sign, _compact({"externalUserId": reference}), accept=(409,)
        )
        if answer.status != 409:
            return validated(_Applicant, answer.body, "Sumsub").id
        described = answer.body.get("description", "") if isinstance(answer.body, dict) else ""
        if match := _EXISTING_APPLICANT.search(str(described)):
            return match.group(1)
        existing = self._calls.send(
            "GET", f"/resources/applicants/-;externalUserId={quote(reference, safe='')}/one", self._sign
        )
        return validated(_Applicant, existing.body, "Sumsub").id

    def decision(self, session_id: str) -> ProviderDecision | None:
        path = f"/resources/applicants/{quote(session_id, safe='')}/status"
        status = validated(_Status, self._calls.send("GET", path, self._sign).body, "Sumsub")
        if status.review_status == "onHold":
            outcome: Outcome = "review"
            code = "applicantOnHold"
        elif status.review_status == "completed" and status.review_result is not None:
            reviewed = _reviewed(status.review_result)
            if reviewed is None:
                raise KycProviderRejectedError("Sumsub's completed review answer is not GREEN or RED")
            outcome, code = reviewed
        else:
            return None
        labels = tuple(status.review_result.reject_labels) if status.review_result else ()
        key = f"{session_id}|{code}|{status.review_date}".encode()
        return ProviderDecision(
            provider=PROVIDER,
            session_id=session_id,
            reference=None,
            outcome=outcome,
            provider_code=code,
            reason_codes=labels,
            decided_at=utc_time(status.review_date),
            delivery_id=delivery_id(f"{PROVIDER}-poll", key),
        )

    def verified_identity(self, session_id: str) -> tuple[str, ...]:
        """The digests of the identity Sumsub read from the applicant's documents (`info`: names, `dob`,
        `idDocs`; `GET /resources/applicants/{applicantId}/one`): its webhooks carry none. The first
        document with a number stands for the document; nothing of the applicant is kept."""
        path = f"/resources/applicants/{quote(session_id, safe='')}/one"
        body = self._calls.send("GET", path, self._sign).body
        info = body.get("info") if isinstance(body, dict) else None
        if not isinstance(info, dict):
            return ()
        person = {"firstName": info.get("firstName"), "lastName": info.get("lastName"),
                  "dateOfBirth": info.get("dob")}  # fmt: skip
        documents = [d for d in info.get("idDocs") or () if isinstance(d, dict) and d.get("number")]
        return identity_digests(person, documents[0] if documents else {})

    # ---- webhooks ----

    def verify_webhook(
        self, raw_body: bytes, headers: Mapping[str, str]
    ) -> ProviderDecision | ProviderProgress:
        presented = header(headers, DIGEST_HEADER)
        if not presented:
            message = "the X-Payload-Digest header is missing"
            raise WebhookRefusedError(message, "missing_signature", DIGEST_HEADER)
        named = header(headers, ALGORITHM_HEADER) or "HMAC_SHA256_HEX"
        algorithm = DIGEST_ALGORITHMS.get(named.strip())
        if algorithm is None:
            raise WebhookRefusedError(
                "the X-Payload-Digest-Alg header names no algorithm Sumsub uses",
                "unknown_algorithm",
                ALGORITHM_HEADER,
            )
        if not self._verifies(raw_body, presented, algorithm):
            raise WebhookRefusedError(
                "the X-Payload-Digest header does not match the body", "bad_signature", DIGEST_HEADER
            )
        event = validated(_Webhook, json_object(raw_body), "Sumsub")
        occurred_at = utc_time(event.created_at_ms) or utc_time(event.created_at)
        self._refuse_if_stale(occurred_at)
        delivery = delivery_id(PROVIDER, raw_body)
        if event.type == "applicantReviewed":
            reviewed = _reviewed(event.review_result) if event.review_result else None
            if reviewed is None:
                message = "applicantReviewed needs reviewResult.reviewAnswer GREEN or RED"
                raise InvalidInputError(message, "reviewResult.reviewAnswer")
            outcome, code = reviewed
            labels = tuple(event.review_result.reject_labels) if event.review_result else ()
        elif event.type == "applicantOnHold":
            outcome, code, labels = "review", "applicantOnHold", ()
        else:
            return ProviderProgress(
                provider=PROVIDER,
                session_id=event.applicant_id,
                reference=event.external_user_id,
                stage=PROGRESS_TYPES.get(event.type, "other"),
                provider_code=event.type,
                occurred_at=occurred_at,
                delivery_id=delivery,
            )
        return ProviderDecision(
            provider=PROVIDER,
            session_id=event.applicant_id,
            reference=event.external_user_id,
            outcome=outcome,
            provider_code=code,
            reason_codes=labels,
            decided_at=occurred_at,
            delivery_id=delivery,
        )

    # ---- helpers ----

    def _refuse_if_stale(self, moment: datetime | None) -> None:
        if self._max_age is not None and moment is not None and self._clock.now() - moment > self._max_age:
            raise WebhookRefusedError("the webhook is older than any Sumsub resend: a replay", "stale")

    def _verifies(self, raw_body: bytes, presented: str, algorithm: str) -> bool:
        cached = _webhook_secrets(self._secrets.get(self._secret_id))
        if signature_matches(raw_body, presented, cached, algorithm):
            return True
        # The webhook secret may have been rotated since we cached it: read it again (rate-limited), once.
        fresh = _webhook_secrets(self._secrets.refresh(self._secret_id))
        return signature_matches(raw_body, presented, fresh, algorithm)

    def _sign(self, method: str, path: str, body: bytes) -> Mapping[str, str]:
        fields = secret_fields(self._secrets.get(self._secret_id))
        token, key = fields.get("app_token"), fields.get("secret_key")
        if not token or not key:
            raise KycProviderRejectedError("the Sumsub secret needs app_token and secret_key")
        timestamp = str(int(self._clock.now().timestamp()))
        signature = hex_hmac(key, timestamp.encode() + method.upper().encode() + path.encode() + body)
        return {"X-App-Token": token, "X-App-Access-Ts": timestamp, "X-App-Access-Sig": signature}


def _reviewed(result: _ReviewResult) -> tuple[Outcome, str] | None:
    answer = (result.review_answer or "").upper()
    if answer == "GREEN":
        return "approved", "applicantReviewed:GREEN"
    if answer == "RED":
        reject_type = (result.review_reject_type or "FINAL").upper()
        outcome: Outcome = "resubmission_requested" if reject_type == "RETRY" else "declined"
        return outcome, f"applicantReviewed:RED:{reject_type}"
    return None


def _webhook_secrets(secret_string: str) -> tuple[str, ...]:
    fields = secret_fields(secret_string)
    return tuple(s for s in (fields.get("webhook_secret"), fields.get("previous_webhook_secret")) if s)


def _compact(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()
