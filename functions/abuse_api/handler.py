"""Staff review of abuse flags (Cognito; permission `review_abuse`: risk and admin; use case
`propdesk.abuse.review`):

- `GET /v1/staff/flags?status=&detector=&account_id=|trader_id=&limit=&cursor=`: the queue, newest first;
- `GET /v1/staff/flags/{flag_id}`: the flag with its evidence and its detections;
- `POST /v1/staff/flags/{flag_id}/decision` `{decision, reason}`: dismiss or warn (the flag's payout holds
  are lifted), deny_payout (they stay; the payouts waiting are rejected), fail_accounts (the accounts fail
  and their disabling is requested, the holds stay); warn, deny and fail tell each trader named
  (`abuse.flag_decided`, mailed without the flag's details); audited (`FLAG#{flag_id}`), rate limited per
  staff member. A flag already decided otherwise is refused; the same decision again carries out what its
  effects' outbox still holds (effects that fail are left there for `abuse_outbox_sweep`: the decision
  stands); a flag absorbed by another (`superseded`) is refused with 409 naming the flag to decide.
"""

from __future__ import annotations

import functools
import os
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import AbuseApiSettings
from propdesk.http.abuse_views import flag_detail, flag_summary
from propdesk.http.app import build_rest_app, resolve
from propdesk.http.routing import Call, route
from propdesk.http.schemas import abuse as schema
from propdesk.observability import metrics, observe

if TYPE_CHECKING:
    from propdesk.abuse.review import FlagReview
    from propdesk.ports import Clock
    from propdesk.services.rate_limits import RateLimiter

app = build_rest_app()


@dataclass(frozen=True)
class Dependencies:
    review: FlagReview
    rate_limiter: RateLimiter
    clock: Clock


@functools.cache
def production_dependencies() -> Dependencies:
    settings = AbuseApiSettings.from_env(os.environ)
    from propdesk.abuse.review import FlagReview
    from propdesk.abuse.store import CachedTraders
    from propdesk.adapters.clock import SystemClock
    from propdesk.data.abuse_flags import AbuseFlagRepository
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.rate_limits import DynamoWindowCounter
    from propdesk.services.rate_limits import RateLimiter
    from propdesk.wiring.abuse_enforcement import enforcer

    bind_tables(
        TableBinding(
            settings.table_name,
            None,
            settings.aws_region,
            settings.aws_endpoint_url,
            audit_table_name=settings.audit_table_name,
        )
    )
    clock = SystemClock()
    effects = enforcer(settings.event_bus_name, CachedTraders(AccountRepository()), clock, settings)
    review = FlagReview(AbuseFlagRepository(), effects, lambda: uuid.uuid4().hex)
    return Dependencies(review, RateLimiter(DynamoWindowCounter()), clock)


def _deps() -> Dependencies:
    deps: Dependencies = app.context["deps"]
    return deps


@route(app, "listAbuseFlags")
def list_flags(call: Call) -> schema.FlagPage:
    from propdesk.abuse.store import FlagQuery

    query = call.query_as(schema.FlagQueueQuery)
    wanted = FlagQuery(query.status, query.detector, query.account_id, query.trader_id)
    page = _deps().review.queue(wanted, query.limit, query.cursor)
    return schema.FlagPage(flags=[flag_summary(flag) for flag in page.items], next_cursor=page.next_cursor)


@route(app, "getAbuseFlag")
def get_flag(call: Call, flag_id: str) -> schema.FlagDetail:
    return flag_detail(_deps().review.detail(_decoded(flag_id)))


@route(app, "decideAbuseFlag")
def decide_flag(call: Call, flag_id: str) -> schema.FlagDecided:
    from propdesk.abuse.decisions import Decision
    from propdesk.abuse.review import DecideFlag

    request = call.body_as(schema.FlagDecisionRequest)
    caller = call.caller
    flag_id = _decoded(flag_id)
    command = DecideFlag(
        flag_id, Decision(request.decision), request.reason, caller.actor, caller.staff_roles, call.now
    )
    outcome = _deps().review.decide(command)
    metrics.add_metric(name="AbuseFlagsDecided", unit="Count", value=1)
    return schema.FlagDecided(
        flag_id=flag_id,
        decision=request.decision,
        status=outcome.flag.status,
        actor=caller.actor,
        reason=outcome.reason,
        at=call.now,
        effects=[f"{effect.kind}:{effect.account_id or effect.trader_id}" for effect in outcome.effects],
    )


def _decoded(flag_id: str) -> str:
    """Flag ids hold `:` and `+` (`copy_trading:acc-1+acc-2`); clients may send them percent-encoded, and a
    flag id never holds `%` itself."""
    return unquote(flag_id)


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    app.context["now"] = deps.clock.now()
    app.context["rate_limiter"] = deps.rate_limiter
    return resolve(app, event, context)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
