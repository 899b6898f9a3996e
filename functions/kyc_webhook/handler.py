"""REST `POST /v1/webhooks/veriff`, no authorizer: the body's HMAC (`X-HMAC-SIGNATURE`, keyed with the shared
secret from Secrets Manager) is checked before anything is read. A valid decision resumes the trader's waiting
KYC workflow (SendTaskSuccess with `{"decision": ...}`) and marks the case decided.

401 for a missing, tampered or wrongly keyed signature; 400 for a signed body that is not JSON; 422 for a
signed JSON body of the wrong shape. Nothing is changed in any of these cases. Redeliveries answer 200 with
`ignored` (the case is no longer pending). Review (9121) and other non-decision codes are acknowledged only.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.adapters.veriff import DecisionWebhook, shared_secret_of, signature_matches
from propdesk.config import KycWebhookSettings
from propdesk.errors import UnauthorizedError
from propdesk.http.app import build_rest_app, parse_json, raw_body, resolve
from propdesk.observability import logger, observe

if TYPE_CHECKING:
    from propdesk.ports import SecretSource
    from propdesk.services.kyc import KycService

MAX_BODY_BYTES = 64 * 1024
app = build_rest_app()


@dataclass(frozen=True)
class Dependencies:
    kyc: KycService
    secrets: SecretSource
    secret_id: str


@functools.cache
def production_dependencies() -> Dependencies:
    settings = KycWebhookSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.secrets import SecretsManagerSource
    from propdesk.adapters.stepfunctions import StepFunctionsCallback
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.kyc import KycRepository
    from propdesk.services.kyc import KycService

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    kyc = KycService(KycRepository(), SystemClock(), callback=StepFunctionsCallback())
    return Dependencies(kyc=kyc, secrets=SecretsManagerSource(), secret_id=settings.veriff_secret_arn)


@app.post("/v1/webhooks/veriff")
def veriff_decision() -> dict[str, Any]:
    deps: Dependencies = app.context["deps"]
    body = raw_body(app.current_event.raw_event)
    signature = app.current_event.headers.get("x-hmac-signature") or app.current_event.headers.get(
        "X-HMAC-SIGNATURE"
    )
    if not signature_matches(body, signature, shared_secret_of(deps.secrets.get(deps.secret_id))):
        raise UnauthorizedError("the X-HMAC-SIGNATURE header does not match the body", "X-HMAC-SIGNATURE")
    webhook = DecisionWebhook.model_validate(parse_json(body))
    decision = webhook.decision
    if decision is None:
        return {"status": "acknowledged"}
    outcome = deps.kyc.receive_decision(webhook.verification.vendor_data, decision, webhook.verification.id)
    logger.info("Veriff decision", extra={"decision": decision, "outcome": outcome})
    return {"status": outcome}


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    return resolve(app, event, context, max_body_bytes=MAX_BODY_BYTES)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
