"""REST `POST /v1/webhooks/veriff` and `POST /v1/webhooks/sumsub`, no authorizer: the firm's KYC provider
(`KYC_PROVIDER`) verifies the signature over the raw body before anything is read (Veriff `X-HMAC-SIGNATURE`,
Sumsub `X-Payload-Digest`, keyed from Secrets Manager through a TTL cache: a rotated secret works without a
cold start), then the case holding the provider session judges the event (`propdesk.kyc.verification`).

- 200 `{status, reason}`: `applied` (the case moved: approved, declined, a new attempt after a resubmission
  with its new link announced, a review waiting for staff), `ignored` (a redelivery, an older attempt's, a
  concluded case's) or `acknowledged` (progress);
- 401 unsigned, tampered, wrongly keyed or replayed; 400 a signed body that is not JSON; 422 signed JSON of
  the wrong shape; 404 a session no case holds (the provider redelivers) or a provider the firm does not
  use; 503 with Retry-After when a resubmission's new session could not be created (the decision is kept;
  the redelivery creates the session). Nothing changes on a refusal. Bodies are never logged (Veriff's
  decision carries the person's data; only its identity digests are read, never kept).

A decision's identity digests (document, name and date of birth: `ProviderDecision.identity_digests`; for
Sumsub, whose webhooks carry no personal data, read from the applicant once a review concluded and was
applied: `propdesk.kyc.identity`) are the case's trader's `kyc_identity` signals for the abuse detectors
(keyed hashes; `propdesk.abuse.signals`), stored in the trader's partition (`TRADER#`).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.abuse.signals import NoSignals, SignalSink
from propdesk.config import KycWebhookSettings
from propdesk.errors import NotFoundError
from propdesk.http.app import build_rest_app, raw_body, resolve
from propdesk.http.error_format import error_body
from propdesk.http.routing import Call, route
from propdesk.http.schemas.kyc import KycWebhookReceived
from propdesk.kyc.identity import decision_identity
from propdesk.kyc.port import KycProviderUnavailableError, ProviderDecision
from propdesk.observability import logger, metrics, observe

if TYPE_CHECKING:
    from propdesk.kyc.port import KycProvider
    from propdesk.kyc.verification import KycVerification
    from propdesk.ports import Clock

MAX_BODY_BYTES = 256 * 1024
app = build_rest_app()


@dataclass(frozen=True)
class Dependencies:
    kyc: KycVerification
    provider: KycProvider
    clock: Clock
    signals: SignalSink = field(default_factory=NoSignals)


@functools.cache
def production_dependencies() -> Dependencies:
    settings = KycWebhookSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.wiring import kyc

    provider = kyc.provider(settings)
    from propdesk.wiring.abuse import signal_sink

    return Dependencies(kyc.verification(settings, provider), provider, SystemClock(), signal_sink(settings))


@route(app, "postVeriffWebhook")
def veriff_webhook(call: Call) -> KycWebhookReceived:
    return _receive("veriff")


@route(app, "postSumsubWebhook")
def sumsub_webhook(call: Call) -> KycWebhookReceived:
    return _receive("sumsub")


def _receive(provider_name: str) -> KycWebhookReceived:
    deps: Dependencies = app.context["deps"]
    if deps.provider.name != provider_name:
        raise NotFoundError(f"{provider_name} is not this firm's KYC provider", "provider")
    event = app.current_event.raw_event
    headers = {str(name): str(value) for name, value in (event.get("headers") or {}).items()}
    verified = deps.provider.verify_webhook(raw_body(event), headers)
    transition = deps.kyc.receive(verified)
    if isinstance(verified, ProviderDecision):
        applied = transition.verdict == "applied"
        for digest in decision_identity(deps.provider, verified, applied):
            deps.signals.capture(transition.case.trader_id, "kyc_identity", digest, deps.clock.now())
    logger.info(
        "KYC webhook",
        extra={
            "provider": provider_name,
            "provider_code": verified.provider_code,
            "verdict": transition.verdict,
            "reason": transition.reason,
            "case_status": transition.case.status,
        },
    )
    metrics.add_metric(name=f"KycWebhooks{transition.verdict.capitalize()}", unit="Count", value=1)
    return KycWebhookReceived(status=transition.verdict, reason=transition.reason)


def _provider_unavailable(error: KycProviderUnavailableError) -> Response[Any]:
    logger.warning("KYC provider unavailable for a new session", extra={"error": str(error)[:200]})
    return Response(
        status_code=503,
        content_type=content_types.APPLICATION_JSON,
        body=error_body("kyc_provider_unavailable", "the new verification session could not be created yet"),
        headers={"Retry-After": "60"},
    )


app.exception_handler(KycProviderUnavailableError)(_provider_unavailable)


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    app.context["now"] = deps.clock.now()
    return resolve(app, event, context, max_body_bytes=MAX_BODY_BYTES)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
