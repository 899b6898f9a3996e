"""REST routes of the program chain (Cognito; routes and models in propdesk.http.contract):

- `GET /v1/accounts/{id}/chain` (the account's trader; staff with `read_accounts`): the account's stage and
  phase, the programs still ahead, the accounts before it and, once it passed, what it continues in;
- `POST /v1/staff/accounts/{id}/progression-review` (risk, admin): approve or reject the passed account's
  next account, with a reason; audited; resumes the waiting progression workflow. When the resume fails
  the decision stays stored and the answer is 503 (Retry-After): the same decision sent again resumes the
  workflow (nothing is decided or audited twice); a different decision is 409.

Another trader's account answers 404, exactly like a missing one. Reviews are rate limited per staff member.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.access import readable_account
from propdesk.config import ProgressionApiSettings
from propdesk.http.app import build_rest_app, resolve
from propdesk.http.errors import answer_unavailable
from propdesk.http.routing import Call, route
from propdesk.http.schemas import progression as schema
from propdesk.http.views import account_view
from propdesk.life.ports import ResumePendingError
from propdesk.observability import observe

if TYPE_CHECKING:
    from propdesk.life.ports import Accounts
    from propdesk.life.workflow import Progressions
    from propdesk.ports import Clock
    from propdesk.services.rate_limits import RateLimiter

app = build_rest_app()
answer_unavailable(app, ResumePendingError)


@dataclass(frozen=True)
class Dependencies:
    progressions: Progressions
    accounts: Accounts
    rate_limiter: RateLimiter
    clock: Clock


@functools.cache
def production_dependencies() -> Dependencies:
    settings = ProgressionApiSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.rate_limits import DynamoWindowCounter
    from propdesk.services.rate_limits import RateLimiter
    from propdesk.wiring.life import progressions

    service = progressions(settings, event_bus_name=settings.event_bus_name, callback=True, audit=True)
    return Dependencies(service, AccountRepository(), RateLimiter(DynamoWindowCounter()), SystemClock())


def _deps() -> Dependencies:
    deps: Dependencies = app.context["deps"]
    return deps


@route(app, "getAccountChain")
def get_account_chain(call: Call, account_id: str) -> schema.AccountChain:
    account = readable_account(_deps().accounts, call.caller, account_id)
    chain = _deps().progressions.chain_of(account)
    found = chain.progression
    return schema.AccountChain(
        account_id=account.account_id,
        stage=chain.stage,
        phase=chain.phase,
        history=[account_view(before) for before in chain.history],
        upcoming=[
            schema.ChainStepOut(
                program_id=step.program_id, name=step.name, stage=step.stage, staff_review=step.staff_review
            )
            for step in chain.upcoming
        ],
        progression=schema.ProgressionOut(
            next_account_id=found.next_account_id,
            next_program_id=found.next_program_id,
            next_program_version=found.next_program_version,
            stage=found.stage,
            phase=found.phase,
            status=found.status,
            review=found.review,
            passed_at=found.passed_at,
        )
        if found
        else None,
    )


@route(app, "reviewProgression")
def review_progression(call: Call, account_id: str) -> schema.ProgressionReviewed:
    from propdesk.life.workflow import ReviewProgression

    request = call.body_as(schema.ProgressionReviewRequest)
    command = ReviewProgression(account_id, request.decision, request.reason, call.caller, call.now)
    decided = _deps().progressions.review(command)
    return schema.ProgressionReviewed(
        account_id=account_id,
        next_account_id=decided.next_account_id,
        decision=request.decision,
        actor=decided.reviewed_by or call.caller.actor,  # a repeated decision names who made it
        at=call.now,
    )


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    app.context["now"] = deps.clock.now()
    app.context["rate_limiter"] = deps.rate_limiter
    return resolve(app, event, context)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
