"""REST `POST /v1/webhooks/payouts/bridge` and `POST /v1/webhooks/payouts/wise`, no authorizer: the payout
rails' signed status webhooks. Each delivery is verified over the raw body by its rail's adapter before
anything is read (Bridge: `X-Webhook-Signature`, RSA over SHA-256 of `t.body`, 10-minute tolerance; Wise:
`X-Signature-SHA256`, RSA-SHA256 of the body, tolerance on `sent_at`); a final status (paid, failed, returned)
resumes the payout's waiting workflow (`propdesk.payouts.workflow.PayoutWorkflow.receive_webhook`).

401 for a delivery that is not the rail's; 409 `payment_not_known` for a payment not matched to a payout yet
and 409 `payment_settling` for a return that overtook the settling of `paid` (the rail delivers either
again); 200 `resumed`, `returned` (a return after `paid`, put back), or `ignored` for a repeat, a late or an
intermediate status.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.http.app import build_rest_app, raw_body, resolve
from propdesk.observability import logger, observe

if TYPE_CHECKING:
    from propdesk.payouts.workflow import PayoutWorkflow

MAX_BODY_BYTES = 64 * 1024
app = build_rest_app()


@functools.cache
def production_dependencies() -> PayoutWorkflow:
    from propdesk.wiring.payouts import workflow_from_env

    return workflow_from_env(os.environ)


@app.post("/v1/webhooks/payouts/bridge")
def bridge_webhook() -> dict[str, Any]:
    return _receive("bridge")


@app.post("/v1/webhooks/payouts/wise")
def wise_webhook() -> dict[str, Any]:
    return _receive("wise")


def _receive(rail: str) -> dict[str, Any]:
    workflow: PayoutWorkflow = app.context["deps"]
    body = raw_body(app.current_event.raw_event)
    outcome = workflow.receive_webhook(rail, body, dict(app.current_event.headers or {}))
    logger.info("payout rail webhook", extra={"rail": rail, "outcome": outcome})
    return {"status": outcome}


def process(event: dict[str, Any], context: LambdaContext, workflow: PayoutWorkflow) -> dict[str, Any]:
    app.context["deps"] = workflow
    return resolve(app, event, context, max_body_bytes=MAX_BODY_BYTES)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
