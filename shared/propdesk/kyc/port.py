"""The KYC provider port: what propdesk asks of an identity-verification provider (Veriff, Sumsub).

A provider verifies one *attempt* of a trader's case in one provider session: `create_session` opens it
server-side and returns the URL the trader opens; the provider reports progress and its decision by signed
webhooks (`verify_webhook`), and `decision` polls it for reconciliation. Each attempt is named by our
`reference` (sent as Veriff's `vendorData`, Sumsub's `externalUserId`), which comes back in every webhook.

Decisions are normalized to five outcomes; the provider's own codes are kept beside them
(`provider_code`, `reason_codes`) so staff and audits can see exactly what the provider said.

Refusals: `WebhookRefusedError` (unsigned, wrongly signed, stale: 401), `MalformedRequestError` (not JSON:
400) and `InvalidInputError` (signed JSON of the wrong shape: 422) for webhooks;
`KycProviderUnavailableError` (down, rate limited, 5xx, circuit open: try again later) and
`KycProviderRejectedError` (a 4xx: a person must look) for outbound calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from propdesk.errors import UnauthorizedError

KycProviderName = Literal["veriff", "sumsub"]
KYC_PROVIDERS: tuple[KycProviderName, ...] = ("veriff", "sumsub")

Outcome = Literal["approved", "declined", "resubmission_requested", "review", "expired"]
OUTCOMES: tuple[Outcome, ...] = ("approved", "declined", "resubmission_requested", "review", "expired")

ProgressStage = Literal["created", "started", "submitted", "other"]


@dataclass(frozen=True, slots=True)
class Applicant:
    """What a provider is told when a session opens: our attempt reference only (no name, no e-mail: the
    trader gives the provider their data directly). `return_url` is where the provider's page sends the
    trader when done; `language` an ISO 639-1 code for the provider's page."""

    reference: str
    return_url: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class KycSession:
    """An open provider session: `session_id` is what the provider's webhooks name (Veriff's session id,
    Sumsub's applicant id); `url` is the page the trader opens (a bearer link: show it only to the trader).
    `expires_at` when the provider says the link stops working, if it says."""

    provider: KycProviderName
    reference: str
    session_id: str
    url: str
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ProviderDecision:
    """A provider's decision on one session, normalized.

    `delivery_id` is stable across redeliveries of the same webhook (the same body), so a consumer can
    dedupe by it. `reference` is our attempt reference as the provider echoed it (None when it did not).
    `provider_code` is the provider's own verdict (Veriff `9102`; Sumsub `applicantReviewed:RED:RETRY`),
    `reason_codes` its reasons (Veriff's `reasonCode`; Sumsub's `rejectLabels`)."""

    provider: KycProviderName
    session_id: str
    reference: str | None
    outcome: Outcome
    provider_code: str
    reason_codes: tuple[str, ...]
    decided_at: datetime | None
    delivery_id: str
    # SHA-256 digests of the verified identity (document number and country; name and date of birth), for
    # the abuse detectors' shared-identity graph, which keys them again with the firm's secret: never the
    # data itself, never kept here, never shown (empty when the provider's decision does not carry it)
    identity_digests: tuple[str, ...] = field(default=(), repr=False)


@dataclass(frozen=True, slots=True)
class ProviderProgress:
    """The trader got somewhere in the provider's flow (no decision): Veriff 7001 started / 7002 submitted,
    Sumsub `applicantCreated`, `applicantPending` (documents submitted) and the other notifications."""

    provider: KycProviderName
    session_id: str
    reference: str | None
    stage: ProgressStage
    provider_code: str
    occurred_at: datetime | None
    delivery_id: str


class WebhookRefusedError(UnauthorizedError):
    """A webhook that must not be believed: no signature, a signature that does not match the raw body under
    any current secret, an unknown digest algorithm, or an event older than the provider ever redelivers
    (`reason` says which). Nothing may change because of it."""

    code = "webhook_refused"

    def __init__(self, message: str, reason: str, field: str | None = None) -> None:
        super().__init__(message, field)
        self.reason = reason


class KycProviderUnavailableError(Exception):
    """The provider could not be reached, rate-limited us, answered 5xx or its circuit is open: retry."""


class KycProviderRejectedError(Exception):
    """The provider refused the request (a 4xx other than 429): retrying will not help, a person must look."""


class KycProvider(Protocol):
    name: KycProviderName

    def create_session(self, applicant: Applicant) -> KycSession:
        """Open (server-side) the provider session for this attempt and return the trader's URL. Idempotent
        per `applicant.reference` as far as the provider allows (see each adapter)."""
        ...

    def verify_webhook(
        self, raw_body: bytes, headers: Mapping[str, str]
    ) -> ProviderDecision | ProviderProgress:
        """Check the signature over the raw body, then read the event; raise the refusals above."""
        ...

    def decision(self, session_id: str) -> ProviderDecision | None:
        """The provider's current decision on the session (None while it has none): for reconciliation."""
        ...
