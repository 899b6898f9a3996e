"""REST `GET /v1/accounts` (the caller's accounts, paginated; staff may ask for `?trader_id=`) and
`GET /v1/accounts/{account_id}` (the account, its current risk figures and its breaches).
Behind the Cognito user-pool authorizer: the caller is the token's `sub`; staff groups read any account."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.config import AccountsApiSettings
from propdesk.http.app import build_rest_app, query_int, query_str, resolve
from propdesk.http.identity import caller_from_event
from propdesk.http.views import account_view, breach_view, risk_view
from propdesk.observability import observe
from propdesk.services.errors import ForbiddenError, NotFoundError

if TYPE_CHECKING:
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.risk import BreachRepository, RiskStateRepository

app = build_rest_app()


@dataclass(frozen=True)
class Dependencies:
    accounts: AccountRepository
    risk: RiskStateRepository
    breaches: BreachRepository


@functools.cache
def production_dependencies() -> Dependencies:
    settings = AccountsApiSettings.from_env(os.environ)
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.risk import BreachRepository, RiskStateRepository

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    return Dependencies(AccountRepository(), RiskStateRepository(), BreachRepository())


def _deps() -> Dependencies:
    deps: Dependencies = app.context["deps"]
    return deps


@app.get("/v1/accounts")
def list_accounts() -> dict[str, Any]:
    caller = caller_from_event(app.current_event.raw_event)
    trader_id = query_str(app, "trader_id", max_length=128) or caller.subject
    if not caller.may_read_trader(trader_id):
        raise ForbiddenError("only staff may list another trader's accounts", "trader_id")
    limit = query_int(app, "limit", default=50, minimum=1, maximum=100)
    page = _deps().accounts.list_for_trader(trader_id, limit=limit, cursor=query_str(app, "cursor"))
    return {"accounts": [account_view(a) for a in page.items], "next_cursor": page.next_cursor}


@app.get("/v1/accounts/<account_id>")
def get_account(account_id: str) -> dict[str, Any]:
    caller = caller_from_event(app.current_event.raw_event)
    deps = _deps()
    account = deps.accounts.get(account_id)
    if account is None or not caller.may_read_trader(account.trader_id):
        raise NotFoundError(f"no account {account_id!r}", "account_id")
    breaches = deps.breaches.list_for_account(account_id, limit=100)
    return {
        "account": account_view(account),
        "risk": risk_view(deps.risk.get(account_id)),
        "breaches": [breach_view(b) for b in breaches.items],
    }


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    return resolve(app, event, context)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
