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

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import AccountsApiSettings
from propdesk.errors import ForbiddenError
from propdesk.http.app import build_rest_app, resolve
from propdesk.http.routing import Call, route
from propdesk.http.schemas import accounts as schema
from propdesk.http.schemas.common import TimeRangeQuery
from propdesk.http.time_zones import viewer_zone
from propdesk.http.views import (
    account_view,
    breach_view,
    fill_view,
    metrics_view,
    open_position_view,
    risk_view,
)
from propdesk.observability import observe
from propdesk.records import TraderProfile
from propdesk.services.account_reads import AccessReader, AccountReads, FiguresReader, TimeRange

if TYPE_CHECKING:
    from propdesk.data.accounts import AccountRepository, TraderRepository
    from propdesk.http.identity import Caller
    from propdesk.ports import Clock
    from propdesk.services.account_metrics import LiveMetrics
    from propdesk.services.rate_limits import RateLimiter

app = build_rest_app()


@dataclass(frozen=True)
class Dependencies:
    reads: AccountReads
    accounts: AccountRepository
    traders: TraderRepository
    rate_limiter: RateLimiter
    clock: Clock


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
    accounts = AccountRepository()
    reads = AccountReads(
        accounts,
        RiskStateRepository(),
        BreachRepository(),
        StaffActions(),
        TradingEventRepository(),
        CatalogueRepository(),
        AccountLoginRepository(),
        figures=_reconciliations,
        access=_platform_access,
    )
    return Dependencies(
        reads, accounts, TraderRepository(), RateLimiter(DynamoWindowCounter()), SystemClock()
    )


def _reconciliations() -> FiguresReader:
    from propdesk.data.reconciliations import ReconciliationRepository

    return ReconciliationRepository()


def _platform_access() -> AccessReader:
    from propdesk.data.platform_access import PlatformAccessRepository

    return PlatformAccessRepository()


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
    detail = _deps().reads.detail(call.caller, account_id, call.now)
    figures = detail.platform_figures
    return schema.AccountDetail(
        account=account_view(detail.account),
        metrics=_metrics_view(call, detail.live) if detail.live else None,
        risk=risk_view(detail.risk),
        breaches=[breach_view(b.evidence, override=b.override) for b in detail.latest_breaches],
        platform_data=schema.PlatformDataOut(
            stale=figures.stale, stale_since=figures.stale_since, checked_at=figures.checked_at
        )
        if figures
        else None,
    )


@route(app, "getAccountCredentials")
def get_account_credentials(call: Call, account_id: str) -> schema.AccountCredentials:
    login = _deps().reads.login(call.caller, account_id)
    return schema.AccountCredentials(
        account_id=login.account_id, platform=login.platform, server=login.server, login=login.login
    )


@route(app, "getAccountMetrics")
def get_account_metrics(call: Call, account_id: str) -> schema.Metrics:
    reads = _deps().reads
    return _metrics_view(call, reads.live_metrics(reads.account(call.caller, account_id), call.now))


@route(app, "listTrades")
def list_trades(call: Call, account_id: str) -> schema.TradeList:
    query = call.query_as(schema.TradesQuery)
    window = TimeRange(query.limit, query.cursor, query.from_, query.to, newest_first=query.order == "desc")
    page = _deps().reads.fills(call.caller, account_id, window)
    return schema.TradeList(trades=[fill_view(e) for e in page.items], next_cursor=page.next_cursor)


@route(app, "listOpenPositions")
def list_open_positions(call: Call, account_id: str) -> schema.PositionList:
    snapshot = _deps().reads.risk(call.caller, account_id)
    return schema.PositionList(
        positions=[open_position_view(p) for p in (snapshot.open_positions if snapshot else [])],
        as_of=snapshot.evaluated_until if snapshot else None,
    )


@route(app, "listBreaches")
def list_breaches(call: Call, account_id: str) -> schema.BreachList:
    query = call.query_as(TimeRangeQuery)
    window = TimeRange(query.limit, query.cursor, query.from_, query.to)
    page = _deps().reads.breach_reports(call.caller, account_id, window)
    reports = [breach_view(r.evidence, r.trigger, r.override) for r in page.items]
    return schema.BreachList(breaches=reports, next_cursor=page.next_cursor)


@route(app, "getAccountPlatform")
def get_account_platform(call: Call, account_id: str) -> schema.PlatformState:
    from propdesk.http.platform_views import platform_state_view

    account, state = _deps().reads.platform_access(call.caller, account_id)
    return platform_state_view(account, state, staff=call.caller.is_staff)


def _metrics_view(call: Call, live: LiveMetrics) -> schema.Metrics:
    requested = call.query_as(schema.MetricsQuery).tz
    return metrics_view(live, viewer_zone(requested, call.caller.zoneinfo, live.account.timezone))


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    app.context["now"] = deps.clock.now()
    app.context["rate_limiter"] = deps.rate_limiter
    return resolve(app, event, context)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
