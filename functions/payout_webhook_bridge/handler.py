"""REST `POST /v1/webhooks/payouts/bridge`, no authorizer: Bridge's signed transfer status webhooks. The
signature, `X-Webhook-Signature` (RSA over SHA-256 of `t.body`, 10-minute tolerance), is verified over the
raw body by the rail adapter before anything is read; a final status (paid, failed, returned) resumes the
payout's waiting workflow (`propdesk.payouts.workflow.PayoutWorkflow.confirm`).

401 for a delivery that is not Bridge's; 409 `payment_not_known` for a payment not matched to a payout yet
(Bridge delivers it again); 200 `resumed`, or `ignored` for a repeat, a late or an intermediate status."""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.http.app import build_rest_app, raw_body, resolve
from propdesk.observability import logger, observe

if TYPE_CHECKING:
    from propdesk.payouts.workflow import PayoutWorkflow

RAIL = "bridge"
MAX_BODY_BYTES = 64 * 1024
app = build_rest_app()


@functools.cache
def production_dependencies() -> PayoutWorkflow:
    from propdesk.wiring.payouts import workflow_from_env

    return workflow_from_env(os.environ)


@app.post(f"/v1/webhooks/payouts/{RAIL}")
def rail_webhook() -> dict[str, Any]:
    workflow: PayoutWorkflow = app.context["deps"]
    body = raw_body(app.current_event.raw_event)
    headers = dict(app.current_event.headers or {})
    outcome = workflow.receive_webhook(RAIL, body, headers)
    logger.info("payout rail webhook", extra={"rail": RAIL, "outcome": outcome})
    return {"status": outcome}


def process(event: dict[str, Any], context: LambdaContext, workflow: PayoutWorkflow) -> dict[str, Any]:
    app.context["deps"] = workflow
    return resolve(app, event, context, max_body_bytes=MAX_BODY_BYTES)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
