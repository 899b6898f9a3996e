"""Payout REST routes (Cognito; routes, access and models in propdesk.http.contract):

- `GET /v1/accounts/{id}/payouts/eligibility` (its trader, or staff `read_accounts`): every payout rule's
  verdict now with its figures, from the same evaluation a request meets (`propdesk.payouts.assess`);
- `POST /v1/accounts/{id}/payouts` (the account's trader): request a payout of closed profit (`{}` asks for
  all that is withdrawable); 201, or 200 + `Idempotent-Replayed: true` for a repeat with the same
  `Idempotency-Key`; a refusal answers 409 (the account, KYC, schedule, an open payout) or 422 (the
  amount) with the rule's reason code; 3 requests an hour per trader, replays free (429 + Retry-After);
  publishes `payout.requested`;
- `GET /v1/accounts/{id}/payouts`: the account's payouts, newest first (its trader, or staff `read_accounts`);
- `GET /v1/staff/payouts?status=` (finance, admin): the queue, oldest first;
- `POST /v1/staff/payouts/{id}/decision` (finance): approve or reject once, with a reason, audited in the same
  transaction; publishes `payout.approved` (the payout workflow's start) or `payout.rejected`.

Events are published after the write and marked as sent; a repeat of the same request (or decision) re-sends
one that a failure left unsent.
"""

from __future__ import annotations

import functools
import os
import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.access import STAFF_ROLES
from propdesk.config import PayoutsApiSettings
from propdesk.domain_events import PayoutApproved, PayoutEvent, PayoutRejected, PayoutRequested, stable_id
from propdesk.errors import ConflictError, ForbiddenError, InvalidInputError, NotFoundError
from propdesk.http.app import build_rest_app, resolve
from propdesk.http.routing import Call, count_rate_limit, route
from propdesk.http.schemas import payouts as schema
from propdesk.http.schemas.common import PageQuery
from propdesk.observability import metrics, observe
from propdesk.payouts import (
    Assessment,
    ClosedTrade,
    Payout,
    PayoutPolicy,
    PayoutSituation,
    SplitTier,
    TradingDay,
    assess,
    decide,
    is_funded,
    policy_for,
)
from propdesk.payouts.eligibility import Refusal, format_money
from propdesk.payouts.model import STATUS_AFTER, AlreadyDecidedError
from propdesk.records import Account, AuditEntry

if TYPE_CHECKING:
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.catalogue import CatalogueRepository
    from propdesk.data.events import TradingEventRepository
    from propdesk.data.kyc import KycRepository
    from propdesk.data.payouts import PayoutRepository
    from propdesk.data.risk import RiskStateRepository
    from propdesk.ports import Clock, EventPublisher
    from propdesk.services.rate_limits import RateLimiter

IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,255}$")
app = build_rest_app()


@dataclass(frozen=True)
class Dependencies:
    accounts: AccountRepository
    catalogue: CatalogueRepository
    kyc: KycRepository
    risk: RiskStateRepository
    payouts: PayoutRepository
    events: TradingEventRepository
    publisher: EventPublisher
    rate_limiter: RateLimiter
    firm_policy: PayoutPolicy
    clock: Clock


@functools.cache
def production_dependencies() -> Dependencies:
    settings = PayoutsApiSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.eventbridge import EventBridgePublisher
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.catalogue import CatalogueRepository
    from propdesk.data.events import TradingEventRepository
    from propdesk.data.kyc import KycRepository
    from propdesk.data.payouts import PayoutRepository
    from propdesk.data.rate_limits import DynamoWindowCounter
    from propdesk.data.risk import RiskStateRepository
    from propdesk.services.rate_limits import RateLimiter

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    return Dependencies(
        AccountRepository(),
        CatalogueRepository(),
        KycRepository(),
        RiskStateRepository(),
        PayoutRepository(),
        TradingEventRepository(),
        EventBridgePublisher(settings.event_bus_name),
        RateLimiter(DynamoWindowCounter()),
        firm_policy(settings),
        SystemClock(),
    )


def firm_policy(settings: PayoutsApiSettings) -> PayoutPolicy:
    return PayoutPolicy(
        split=(SplitTier(settings.payout_profit_split_percent),),
        minimum_amount=settings.payout_minimum_amount,
        first_payout_after_days=settings.payout_first_after_days,
        days_between_payouts=settings.payout_days_between,
        require_kyc=settings.payout_require_kyc,
    )


def _deps() -> Dependencies:
    deps: Dependencies = app.context["deps"]
    return deps


class PayoutRefusedError(ConflictError):
    """The account may not be paid out now (409), with the rule's reason code."""

    def __init__(self, refusals: tuple[Refusal, ...]) -> None:
        super().__init__("; ".join(refusal.message for refusal in refusals), refusals[0].field)
        self.code = refusals[0].code


class PayoutAmountRefusedError(InvalidInputError):
    """The amount asked for cannot be paid (422), with the rule's reason code."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message, refusal.field)
        self.code = refusal.code


@route(app, "requestPayout")
def request_payout(call: Call, account_id: str) -> Response[Any]:
    request = call.body_as(schema.PayoutRequest)
    deps = _deps()
    key = _idempotency_key()
    account = _own_account(call, account_id)
    requested = Decimal(request.amount) if request.amount is not None else None
    fingerprint = f"{account_id}|{request.amount or 'all'}"
    payout_id = f"pay_{stable_id(call.caller.subject, account_id, key)[:24]}" if key else _new_payout_id()
    existing = deps.payouts.get(payout_id) if key else None
    if existing is not None:
        return _replayed(existing, fingerprint)  # a replay is free: it neither requests nor counts
    count_rate_limit(app, call.operation, call.caller, call.now)
    assessment = _assess(account, call.now, requested)
    state = tuple(r for r in assessment.refusals if r.kind == "state")
    if state:
        raise PayoutRefusedError(state)
    if assessment.refusals:
        raise PayoutAmountRefusedError(assessment.refusals[0])
    quote = assessment.quote
    payout = Payout(
        payout_id=payout_id,
        account_id=account_id,
        trader_id=account.trader_id,
        status="requested",
        currency=account.currency,
        amount=quote.amount,
        trader_share=quote.trader_share,
        firm_share=quote.firm_share,
        requested_at=call.now,
        request_fingerprint=fingerprint,
    )
    from propdesk.data.payouts import DuplicatePayoutError, OpenPayoutError

    try:
        deps.payouts.create(payout)
    except DuplicatePayoutError as duplicate:  # the same key, concurrently
        return _replayed(duplicate.existing, fingerprint)
    except OpenPayoutError as blocked:
        refusal = Refusal("payout_pending", f"payout {blocked.open_payout_id} is open and not paid yet")
        raise PayoutRefusedError((refusal,)) from None
    _publish(payout)
    metrics.add_metric(name="PayoutsRequested", unit="Count", value=1)
    return _answer(payout, call.operation.status)


@route(app, "getPayoutEligibility")
def get_payout_eligibility(call: Call, account_id: str) -> schema.Eligibility:
    query = call.query_as(schema.EligibilityQuery)
    account = _deps().accounts.get(account_id)
    if account is None or not call.caller.may_read_trader(account.trader_id):
        raise NotFoundError(f"no account {account_id!r}", "account_id")
    requested = Decimal(query.amount) if query.amount is not None else None
    return eligibility_view(account, _assess(account, call.now, requested), call.now)


@route(app, "listPayouts")
def list_payouts(call: Call, account_id: str) -> schema.PayoutList:
    query = call.query_as(PageQuery)
    account = _deps().accounts.get(account_id)
    if account is None or not call.caller.may_read_trader(account.trader_id):
        raise NotFoundError(f"no account {account_id!r}", "account_id")
    page = _deps().payouts.history(account_id, limit=query.limit, cursor=query.cursor)
    return schema.PayoutList(payouts=[payout_view(p) for p in page.items], next_cursor=page.next_cursor)


@route(app, "listPayoutQueue")
def list_payout_queue(call: Call) -> schema.PayoutList:
    query = call.query_as(schema.PayoutQueueQuery)
    page = _deps().payouts.in_status(query.status, limit=query.limit, cursor=query.cursor)
    return schema.PayoutList(payouts=[payout_view(p) for p in page.items], next_cursor=page.next_cursor)


@route(app, "decidePayout")
def decide_payout(call: Call, payout_id: str) -> Response[Any]:
    request = call.body_as(schema.PayoutDecisionRequest)
    deps = _deps()
    payout = deps.payouts.get(payout_id) if len(payout_id) <= 128 else None
    if payout is None:
        raise NotFoundError(f"no payout {payout_id!r}", "payout_id")
    actor = call.caller.actor
    try:
        decided = decide(payout, request.decision, actor, request.reason, call.now)
    except AlreadyDecidedError:
        same = payout.status == STATUS_AFTER[request.decision] and payout.decided_by == actor
        if same and payout.event_pending:  # this decision went through, its event did not: send it now
            _publish(payout)
            return _answer(payout, 200, replayed=True)
        raise ConflictError(f"payout {payout_id} is {payout.status} already", "payout_id") from None
    from propdesk.data.payouts import PayoutDecidedError

    try:
        deps.payouts.decide(decided, _audit_entry(call, payout, decided))
    except PayoutDecidedError:
        raise ConflictError(f"payout {payout_id} was decided meanwhile", "payout_id") from None
    _publish(decided)
    return _answer(decided, call.operation.status)


# ---- helpers


def eligibility_view(account: Account, assessment: Assessment, now: datetime) -> schema.Eligibility:
    quote = assessment.quote
    return schema.Eligibility(
        account_id=account.account_id,
        currency=account.currency,
        evaluated_at=now,
        eligible=assessment.eligible,
        max_amount=format_money(quote.withdrawable),
        amount=format_money(quote.amount),
        trader_share=format_money(quote.trader_share),
        earliest_at=assessment.earliest_at,
        rules=[
            schema.RuleVerdict(
                rule=check.rule,
                met=check.met,
                reason_code=check.refusal.code if check.refusal and not check.met else None,
                explanation=check.explanation,
                figures=dict(check.figures),
            )
            for check in assessment.checks
        ],
    )


def payout_view(payout: Payout) -> schema.PayoutOut:
    return schema.PayoutOut(
        payout_id=payout.payout_id,
        account_id=payout.account_id,
        status=payout.status,
        currency=payout.currency,
        amount=_money(payout.amount),
        trader_share=_money(payout.trader_share),
        firm_share=_money(payout.firm_share),
        requested_at=payout.requested_at,
        decided_at=payout.decided_at,
        decision_reason=payout.decision_reason,
    )


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _answer(payout: Payout, status: int, replayed: bool = False) -> Response[Any]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=payout_view(payout).model_dump(mode="json"),
        headers={"Idempotent-Replayed": "true"} if replayed else None,
    )


def _replayed(existing: Payout, fingerprint: str) -> Response[Any]:
    if existing.request_fingerprint != fingerprint:
        raise InvalidInputError(
            "this Idempotency-Key was used for a different payout request", "Idempotency-Key"
        )
    if existing.event_pending:
        _publish(existing)
    return _answer(existing, 200, replayed=True)


def _idempotency_key() -> str | None:
    headers = app.current_event.headers
    key = headers.get("Idempotency-Key") or headers.get("idempotency-key")
    if key is not None and not IDEMPOTENCY_KEY.match(key):
        raise InvalidInputError("Idempotency-Key must be 1-255 letters, digits or _.:-", "Idempotency-Key")
    return key


def _new_payout_id() -> str:
    return f"pay_{uuid.uuid4().hex[:24]}"


def _own_account(call: Call, account_id: str) -> Account:
    """The caller's own account: 404 for a missing or another trader's, 403 for staff (who may read it)."""
    account = _deps().accounts.get(account_id, consistent=True)
    if account is None or not call.caller.may_read_trader(account.trader_id):
        raise NotFoundError(f"no account {account_id!r}", "account_id")
    if account.trader_id != call.caller.subject:
        raise ForbiddenError("only the account's trader may request its payouts", "account_id")
    return account


def _assess(account: Account, now: datetime, requested: Decimal | None) -> Assessment:
    """The one evaluation behind both the eligibility preview and the payout request."""
    policy = _policy(account)
    return assess(_situation(account, policy), policy, now, requested)


def _situation(account: Account, policy: PayoutPolicy) -> PayoutSituation:
    deps = _deps()
    kyc = deps.kyc.get(account.trader_id)
    snapshot = deps.risk.get(account.account_id)
    state: dict[str, Any] = snapshot.state if snapshot else {}
    situation = PayoutSituation(
        account_status=account.status,
        funded=is_funded(_program_document(account)),
        kyc_status=kyc.status if kyc else None,
        opened_at=account.opened_at,
        initial_balance=account.initial_balance,
        closed_balance=Decimal(str(state.get("balance", account.initial_balance))),
        excluded_profit=Decimal(str(state.get("excluded_profit", "0"))),
        open_positions=len(state.get("positions", [])),
        history=deps.payouts.all_for_account(account.account_id),
        trading_day=TradingDay(time.fromisoformat(account.day_starts_at), ZoneInfo(account.timezone)),
    )
    if policy.consistency_percent is None:
        return situation
    return replace(situation, closed_trades=_closed_trades(account.account_id, situation.consistency_since))


def _closed_trades(account_id: str, since: datetime) -> list[ClosedTrade]:
    """Every position closed at or after `since`, from the stored fills (each carries its net P&L)."""
    trades: list[ClosedTrade] = []
    cursor: str | None = None
    while True:
        page = _deps().events.list_fills(account_id, 100, cursor, start=since, newest_first=False)
        trades += [
            ClosedTrade(fill.time, Decimal(str(fill.payload["profit"])))
            for fill in page.items
            if fill.type == "position_closed"
        ]
        if page.next_cursor is None:
            return trades
        cursor = page.next_cursor


def _policy(account: Account) -> PayoutPolicy:
    return policy_for(_program_document(account), _deps().firm_policy)


def _program_document(account: Account) -> dict[str, Any]:
    version = _deps().catalogue.get_version(account.program_id, account.program_version)
    return version.document if version else {}


def _audit_entry(call: Call, before: Payout, after: Payout) -> AuditEntry:
    figures = {"payout_id": before.payout_id, "amount": _money(before.amount),
               "trader_share": _money(before.trader_share)}  # fmt: skip
    return AuditEntry(
        entry_id=uuid.uuid4().hex,
        at=call.now,
        actor=call.caller.actor,
        actor_roles=tuple(sorted(call.caller.groups & STAFF_ROLES)),
        action=f"payout.{after.status}",
        subject=f"ACCOUNT#{before.account_id}",
        reason=after.decision_reason,
        before={**figures, "status": before.status},
        after={**figures, "status": after.status},
    )


def _publish(payout: Payout) -> None:
    _deps().publisher.publish([payout_event(payout)])
    _deps().payouts.mark_published(payout.payout_id, payout.status)


def payout_event(payout: Payout) -> PayoutEvent:
    common: dict[str, Any] = {
        "event_id": stable_id(f"payout.{payout.status}", payout.payout_id),
        "account_id": payout.account_id,
        "trader_id": payout.trader_id,
        "payout_id": payout.payout_id,
        "amount": payout.amount,
        "trader_share": payout.trader_share,
        "currency": payout.currency,
    }
    if payout.status == "requested":
        return PayoutRequested(occurred_at=payout.requested_at, requested_at=payout.requested_at, **common)
    decided_at, reason = payout.decided_at, payout.decision_reason or ""
    if decided_at is None:
        raise ValueError(f"payout {payout.payout_id} is {payout.status} without a decision time")
    kind = PayoutApproved if payout.status == "approved" else PayoutRejected
    return kind(occurred_at=decided_at, decided_at=decided_at, reason=reason, **common)


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    app.context["now"] = deps.clock.now()
    app.context["rate_limiter"] = deps.rate_limiter
    return resolve(app, event, context)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
