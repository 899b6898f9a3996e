"""REST, Cognito-authenticated (routes, access and models from `propdesk.http.contract`):

- `GET /v1/me/kyc` (the trader, about themselves only): the case's status, what it waits for, the current
  attempt's verification URL while it waits for the trader, attempts used and allowed, the firm's deadline. A
  case whose provider session could not be created earlier gets it now (if the provider answers).
- `GET /v1/staff/kyc` (risk, admin): cases waiting for a staff decision, longest waiting first;
  `GET /v1/staff/kyc/{trader_id}` (any staff): one case with the provider's verdict and codes, never the link.
- `POST /v1/staff/kyc/{trader_id}/decision` `{decision: approve|decline, reason}` (risk, admin): decide a case
  in review, or overturn a conclusion; `POST /v1/staff/kyc/{trader_id}/reopen` `{reason}`: a new attempt,
  window and budget for a declined or expired case. Both audited with the case's write (subject
  `TRADER#{id}`); the conclusion is announced (`kyc.approved` / `kyc.declined`) and waiting workflows resume.
  404 without a case, 409 when the case is not in a state for the act.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.access import STAFF_ROLES
from propdesk.config import KycApiSettings
from propdesk.http.app import build_rest_app, resolve
from propdesk.http.routing import Call, route
from propdesk.http.schemas import kyc as schema
from propdesk.kyc.verification import NoKycCaseError, attempt_in_budget, awaited
from propdesk.observability import metrics, observe

if TYPE_CHECKING:
    from propdesk.kyc.case import VerificationCase
    from propdesk.kyc.verification import KycVerification
    from propdesk.ports import Clock
    from propdesk.services.rate_limits import RateLimiter

app = build_rest_app()
MAX_TRADER_ID = 128


@dataclass(frozen=True)
class Dependencies:
    kyc: KycVerification
    clock: Clock
    rate_limiter: RateLimiter


@functools.cache
def production_dependencies() -> Dependencies:
    settings = KycApiSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.data.rate_limits import DynamoWindowCounter
    from propdesk.services.rate_limits import RateLimiter
    from propdesk.wiring import kyc

    verification = kyc.verification(settings, kyc.provider(settings))
    return Dependencies(verification, SystemClock(), RateLimiter(DynamoWindowCounter()))


def _kyc() -> KycVerification:
    deps: Dependencies = app.context["deps"]
    return deps.kyc


@route(app, "getMyKyc")
def get_my_kyc(call: Call) -> schema.MyKyc:
    case = _kyc().case_of(call.caller.subject)
    if case is None:
        return schema.MyKyc(
            status="not_started", awaiting=None, verification_url=None, provider=None, attempt=None,
            attempts_allowed=None, deadline=None, decided_at=None,
        )  # fmt: skip
    return schema.MyKyc(
        status=case.status,
        awaiting=awaited(case),
        verification_url=case.current.url if case.status == "awaiting_trader" else None,
        provider=case.current.provider,
        attempt=attempt_in_budget(case),
        attempts_allowed=case.max_attempts,
        deadline=case.deadline,
        decided_at=case.decided_at,
    )


@route(app, "listKycReviews")
def list_kyc_reviews(call: Call) -> schema.KycCaseList:
    query = call.query_as(schema.KycQueueQuery)
    page = _kyc().review_queue(query.limit, query.cursor)
    return schema.KycCaseList(cases=[staff_view(case) for case in page.items], next_cursor=page.next_cursor)


@route(app, "getKycCase")
def get_kyc_case(call: Call, trader_id: str) -> schema.KycCaseOut:
    case = _kyc().case_of(_known(trader_id))
    if case is None:
        raise NoKycCaseError(f"trader {trader_id!r} has no KYC case", "trader_id")
    return staff_view(case)


@route(app, "decideKyc")
def decide_kyc(call: Call, trader_id: str) -> schema.KycCaseOut:
    request = call.body_as(schema.KycDecisionRequest)
    kyc, actor = _kyc(), call.caller.actor
    transition = kyc.decide(_known(trader_id), request.decision, request.reason, actor, _roles(call))
    metrics.add_metric(name="KycStaffDecisions", unit="Count", value=1)
    return staff_view(transition.case)


@route(app, "reopenKyc")
def reopen_kyc(call: Call, trader_id: str) -> schema.KycCaseOut:
    request = call.body_as(schema.KycReopenRequest)
    case = _kyc().reopen(_known(trader_id), request.reason, call.caller.actor, _roles(call))
    metrics.add_metric(name="KycCasesReopened", unit="Count", value=1)
    return staff_view(case)


def staff_view(case: VerificationCase) -> schema.KycCaseOut:
    current = case.current
    return schema.KycCaseOut(
        trader_id=case.trader_id,
        status=case.status,
        awaiting=awaited(case),
        attempt=attempt_in_budget(case),
        attempts_allowed=case.max_attempts,
        provider=current.provider,
        session_id=current.session_id,
        provider_code=current.provider_code,
        reason_codes=list(current.reason_codes),
        opened_at=case.opened_at,
        deadline=case.deadline,
        decided_at=case.decided_at,
        decided_by=case.decided_by,
        decision_reason=case.decision_reason,
        waiting_workflows=sum(1 for need in case.needs if need.waiter),
    )


def _known(trader_id: str) -> str:
    """A trader id that can name a case (a Cognito `sub`); anything longer has none."""
    if len(trader_id) > MAX_TRADER_ID:
        raise NoKycCaseError(f"trader {trader_id[:40]!r}... has no KYC case", "trader_id")
    return trader_id


def _roles(call: Call) -> tuple[str, ...]:
    return tuple(sorted(call.caller.groups & STAFF_ROLES))


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    app.context["now"] = deps.clock.now()
    app.context["rate_limiter"] = deps.rate_limiter
    return resolve(app, event, context)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
