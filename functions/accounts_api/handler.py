"""REST routes of a signed-in trader (Cognito user-pool authorizer; staff with `read_accounts` read anyone's):

`GET /v1/me`, `GET /v1/accounts`, `GET /v1/accounts/{id}` (account, live metrics, stored verdict,
latest breaches), `.../credentials` (the platform's server and login, no password), `.../metrics`,
`.../trades` (executions by time range), `.../positions` (open now), `.../breaches` (reports with the
triggering event and any override) and `.../platform` (access at the trading platform: confirmed, wanted,
commands pending).
Routes and models: propdesk.http.contract.
Another trader's account answers 404, exactly like a missing one.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.access import readable_account
from propdesk.config import AccountsApiSettings
from propdesk.errors import ForbiddenError, InvalidInputError, NotFoundError, ProgramVersionMissingError
from propdesk.http.app import build_rest_app, resolve
from propdesk.http.routing import Call, route
from propdesk.http.schemas import accounts as schema
from propdesk.http.schemas.common import TimeRangeQuery
from propdesk.http.views import (
    account_view,
    breach_view,
    fill_view,
    metrics_view,
    open_position_view,
    risk_view,
)
from propdesk.observability import logger, observe
from propdesk.records import Account, TraderProfile

if TYPE_CHECKING:
    from propdesk.data.account_logins import AccountLoginRepository
    from propdesk.data.accounts import AccountRepository, TraderRepository
    from propdesk.data.catalogue import CatalogueRepository
    from propdesk.data.events import TradingEventRepository
    from propdesk.data.reconciliations import ReconciliationRepository
    from propdesk.data.risk import BreachRepository, RiskStateRepository
    from propdesk.data.staff_actions import StaffActions
    from propdesk.engine import Evaluator
    from propdesk.http.identity import Caller
    from propdesk.platforms.stores import AccessStates
    from propdesk.ports import Clock
    from propdesk.services.evaluators import Evaluators
    from propdesk.services.rate_limits import RateLimiter

app = build_rest_app()
LATEST_BREACHES = 20


@dataclass
class Dependencies:
    accounts: AccountRepository
    traders: TraderRepository
    risk: RiskStateRepository
    breaches: BreachRepository
    events: TradingEventRepository
    catalogue: CatalogueRepository
    staff_actions: StaffActions
    rate_limiter: RateLimiter
    clock: Clock
    evaluators: Evaluators | None = None  # built on first use: the engine costs ~25 ms of import
    reconciliations: ReconciliationRepository | None = None  # the table's, on first use
    platform_access: AccessStates | None = None  # the table's, on first use
    logins: AccountLoginRepository | None = None


@functools.cache
def production_dependencies() -> Dependencies:
    settings = AccountsApiSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.data.account_logins import AccountLoginRepository
    from propdesk.data.accounts import AccountRepository, TraderRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.catalogue import CatalogueRepository
    from propdesk.data.events import TradingEventRepository
    from propdesk.data.rate_limits import DynamoWindowCounter
    from propdesk.data.risk import BreachRepository, RiskStateRepository
    from propdesk.data.staff_actions import StaffActions
    from propdesk.services.rate_limits import RateLimiter

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    return Dependencies(
        AccountRepository(),
        TraderRepository(),
        RiskStateRepository(),
        BreachRepository(),
        TradingEventRepository(),
        CatalogueRepository(),
        StaffActions(),
        RateLimiter(DynamoWindowCounter()),
        SystemClock(),
        logins=AccountLoginRepository(),
    )


def _deps() -> Dependencies:
    deps: Dependencies = app.context["deps"]
    return deps


@route(app, "getProfile")
def get_profile(call: Call) -> schema.Profile:
    caller = call.caller
    return _profile_view(caller, _deps().traders.get(caller.subject))


@route(app, "updateProfile")
def update_profile(call: Call) -> schema.Profile:
    """Leaderboards show the new name from the account's next balance change on."""
    caller, update = call.caller, call.body_as(schema.ProfileUpdate)
    known = _deps().traders.get(caller.subject)
    profile = TraderProfile(
        trader_id=caller.subject,
        email=known.email if known else (caller.email or ""),
        display_name=update.display_name,
        created_at=known.created_at if known else call.now,
    )
    _deps().traders.put(profile)
    return _profile_view(caller, profile)


def _profile_view(caller: Caller, profile: TraderProfile | None) -> schema.Profile:
    return schema.Profile(
        trader_id=caller.subject,
        email=profile.email if profile else caller.email,
        display_name=profile.display_name if profile else None,
        roles=sorted(caller.groups),
        timezone=caller.zoneinfo,
    )


@route(app, "listAccounts")
def list_accounts(call: Call) -> schema.AccountList:
    query = call.query_as(schema.AccountsQuery)
    trader_id = query.trader_id or call.caller.subject
    if not call.caller.may_read_trader(trader_id):
        raise ForbiddenError("only staff may list another trader's accounts", "trader_id")
    page = _deps().accounts.list_for_trader(trader_id, limit=query.limit, cursor=query.cursor)
    return schema.AccountList(accounts=[account_view(a) for a in page.items], next_cursor=page.next_cursor)


@route(app, "getAccount")
def get_account(call: Call, account_id: str) -> schema.AccountDetail:
    deps = _deps()
    account = _readable_account(call, account_id)
    breaches = deps.breaches.list_for_account(account_id, limit=LATEST_BREACHES, newest_first=True)
    overrides = deps.staff_actions.overrides_for(account_id) if breaches.items else {}
    try:
        metrics: schema.Metrics | None = _metrics(call, account)
    except ProgramVersionMissingError:
        logger.error("program version missing", extra={"account_id": account_id})
        metrics = None
    return schema.AccountDetail(
        account=account_view(account),
        metrics=metrics,
        risk=risk_view(deps.risk.get(account_id)),
        breaches=[breach_view(b, override=overrides.get(b.breach_id)) for b in breaches.items],
        platform_data=_platform_data(deps, account_id),
    )


def _platform_data(deps: Dependencies, account_id: str) -> schema.PlatformDataOut | None:
    if deps.reconciliations is None:
        from propdesk.data.reconciliations import ReconciliationRepository

        deps.reconciliations = ReconciliationRepository()
    latest = deps.reconciliations.latest(account_id)
    if latest is None:
        return None
    return schema.PlatformDataOut(
        stale=latest.stale, stale_since=latest.stale_since, checked_at=latest.checked_at
    )


@route(app, "getAccountCredentials")
def get_account_credentials(call: Call, account_id: str) -> schema.AccountCredentials:
    account = _readable_account(call, account_id)
    logins = _deps().logins
    login = logins.get(account.account_id) if logins is not None else None
    if login is None:
        raise NotFoundError("the account has no platform login yet", "account_id")
    return schema.AccountCredentials(
        account_id=login.account_id, platform=login.platform, server=login.server, login=login.login
    )


@route(app, "getAccountMetrics")
def get_account_metrics(call: Call, account_id: str) -> schema.Metrics:
    return _metrics(call, _readable_account(call, account_id))


@route(app, "listTrades")
def list_trades(call: Call, account_id: str) -> schema.TradeList:
    query = call.query_as(schema.TradesQuery)
    _readable_account(call, account_id)
    page = _deps().events.list_fills(
        account_id,
        limit=query.limit,
        cursor=query.cursor,
        start=query.from_,
        end=query.to,
        newest_first=query.order == "desc",
    )
    return schema.TradeList(trades=[fill_view(e) for e in page.items], next_cursor=page.next_cursor)


@route(app, "listOpenPositions")
def list_open_positions(call: Call, account_id: str) -> schema.PositionList:
    _readable_account(call, account_id)
    snapshot = _deps().risk.get(account_id)
    positions = snapshot.open_positions if snapshot else []
    return schema.PositionList(
        positions=[open_position_view(p) for p in positions],
        as_of=snapshot.evaluated_until if snapshot else None,
    )


@route(app, "listBreaches")
def list_breaches(call: Call, account_id: str) -> schema.BreachList:
    query = call.query_as(TimeRangeQuery)
    deps = _deps()
    _readable_account(call, account_id)
    page = deps.breaches.list_for_account(
        account_id, limit=query.limit, cursor=query.cursor, start=query.from_, end=query.to, newest_first=True
    )
    overrides = deps.staff_actions.overrides_for(account_id) if page.items else {}
    reports = []
    for evidence in page.items:
        trigger = deps.events.get(account_id, evidence.time, evidence.event_id) if evidence.event_id else None
        reports.append(breach_view(evidence, trigger, overrides.get(evidence.breach_id)))
    return schema.BreachList(breaches=reports, next_cursor=page.next_cursor)


@route(app, "getAccountPlatform")
def get_account_platform(call: Call, account_id: str) -> schema.PlatformState:
    from propdesk.http.platform_views import platform_state_view

    deps = _deps()
    account = _readable_account(call, account_id)
    if deps.platform_access is None:
        from propdesk.data.platform_access import PlatformAccessRepository

        deps.platform_access = PlatformAccessRepository()
    state = deps.platform_access.get(account_id)
    return platform_state_view(account, state, staff=call.caller.is_staff)


# ---- helpers


def _readable_account(call: Call, account_id: str) -> Account:
    return readable_account(_deps().accounts, call.caller, account_id)


def _metrics(call: Call, account: Account) -> schema.Metrics:
    from propdesk.services.account_metrics import live_metrics  # the engine: ~25 ms, only when needed

    deps = _deps()
    live = live_metrics(account, _evaluator(account), deps.risk.get(account.account_id), call.now)
    return metrics_view(live, _viewer_zone(call, account))


def _evaluator(account: Account) -> Evaluator:
    from propdesk.services.evaluators import Evaluators

    deps = _deps()
    if deps.evaluators is None:
        deps.evaluators = Evaluators(deps.catalogue)
    return deps.evaluators(account)  # ProgramVersionMissingError: 404, like a missing account


def _viewer_zone(call: Call, account: Account) -> ZoneInfo:
    """`?tz=`, else the caller's Cognito `zoneinfo`, else the program's zone."""
    requested = call.query_as(schema.MetricsQuery).tz
    for name, from_query in ((requested, True), (call.caller.zoneinfo, False), (account.timezone, False)):
        if not name:
            continue
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            if from_query:
                raise InvalidInputError(f"{name!r} is not an IANA time zone", "tz") from None
    return ZoneInfo("UTC")


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    app.context["now"] = deps.clock.now()
    app.context["rate_limiter"] = deps.rate_limiter
    return resolve(app, event, context)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
