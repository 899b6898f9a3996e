"""What the API integration tests share: requests in API Gateway's REST proxy shape built from the route
table, in-process invocation with a fixed clock, and a seeded firm (a program, accounts, trades, breaches)."""

from __future__ import annotations

import dataclasses
import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

from propdesk.access import STAFF_ROLES
from propdesk.catalogue import demo_programs
from propdesk.config import PayoutsApiSettings
from propdesk.data.accounts import AccountRepository, TraderRepository
from propdesk.data.audit import AuditLog
from propdesk.data.catalogue import CatalogueRepository
from propdesk.data.events import TradingEventRepository
from propdesk.data.risk import BreachRepository, RiskStateRepository
from propdesk.http.routing import BY_ID
from propdesk.ports import SessionTokens
from propdesk.records import Account, StoredEvent, TraderProfile
from propdesk.services.rate_limits import RateLimiter
from propdesk.services.risk import RiskService, RiskStores
from propdesk.services.staff_roles import StaffRoles

from functions.accounts_api import handler as accounts_api
from functions.alerts_api import handler as alerts_api
from functions.api_docs import handler as api_docs
from functions.auth_api import handler as auth_api
from functions.catalogue_api import handler as catalogue_api
from functions.payouts_api import handler as payouts_api
from functions.staff_api import handler as staff_api
from tests.doubles.ports import (
    InMemoryAccountControl,
    InMemoryEventPublisher,
    InMemoryStaffDirectory,
    InMemoryStaffMfa,
    ManualClock,
)
from tests.doubles.rate_limits import InMemoryWindowCounter
from tests.integration.factories import account as account_record
from tests.integration.invoke import LambdaContextStub, rest_request

CONTEXT = LambdaContextStub()
# The user pool behind staff_api's staff routes: tests add the users they need (unique ids keep them apart).
STAFF_DIRECTORY = InMemoryStaffDirectory()
STAFF_MFA = InMemoryStaffMfa("finance-without-mfa", "admin-without-mfa")  # every other staff member has MFA
PROGRAM_ID = "two-step-100k-phase-1"
OPENED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MODULES: dict[str, ModuleType] = {
    "accounts_api": accounts_api,
    "catalogue_api": catalogue_api,
    "staff_api": staff_api,
    "alerts_api": alerts_api,
    "payouts_api": payouts_api,
    "api_docs": api_docs,
    "auth_api": auth_api,
}


class AcceptingPool:
    """An identity provider that accepts every sign-in, refresh, sign-up and code."""

    def sign_in(self, email: str, password: str, context: object = None) -> SessionTokens:
        return SessionTokens("id", "access", "refresh", 3600)

    def refresh(self, refresh_token: str) -> SessionTokens:
        return SessionTokens("id", "access", None, 3600)

    def sign_up(
        self, email: str, password: str, attributes: Mapping[str, str], context: object = None
    ) -> None:
        return None

    def confirm_sign_up(self, email: str, code: str, context: object = None) -> None:
        return None


def claims(
    subject: str, *groups: str, expires: datetime | None = None, signed_in: datetime | None = None
) -> dict[str, str]:
    """The claims API Gateway's Cognito authorizer passes on (groups and `exp` flattened to strings, the
    sign-in time `auth_time` in epoch seconds: a minute before NOW unless `signed_in` says when)."""
    exp = expires or NOW + timedelta(hours=1)
    return {
        "auth_time": str(int((signed_in or NOW - timedelta(minutes=1)).timestamp())),
        "sub": subject,
        "cognito:groups": f"[{' '.join(groups)}]" if len(groups) > 1 else "".join(groups),
        "token_use": "id",
        "email": f"{subject}@example.com",
        "email_verified": "true",
        "exp": exp.strftime("%a %b %d %H:%M:%S UTC %Y"),
    }


def request(
    operation_id: str,
    path: dict[str, str] | None = None,
    identity: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    body: Any = None,
) -> dict[str, Any]:
    """A REST proxy event for the operation, signed in as `identity` (None: no authorizer claims)."""
    operation = BY_ID[operation_id]
    event = rest_request(
        "get_account",
        path=operation.path.format(**(path or {})),
        method=operation.method,
        query=query,
        body=None if body is None else (body if isinstance(body, str) else json.dumps(body)),
        path_parameters=path or None,
        claims=identity,
    )
    event["resource"] = event["requestContext"]["resourcePath"] = operation.path
    if identity is None:
        del event["requestContext"]["authorizer"]
    return event


def invoke(operation_id: str, event: dict[str, Any], now: datetime = NOW) -> dict[str, Any]:
    """The operation's function, in-process, wired to DynamoDB Local, with the clock at `now`."""
    module = MODULES[BY_ID[operation_id].function]
    if module is api_docs:
        answer: dict[str, Any] = module.process(event, CONTEXT, module.production_dependencies())
        return answer
    if module is auth_api:  # access only: the pool accepts everything, limits are tested on their own
        limiter = RateLimiter(InMemoryWindowCounter())
        accepting = auth_api.Dependencies(AcceptingPool(), limiter, ManualClock(now))
        answered: dict[str, Any] = module.process(event, CONTEXT, accepting)
        return answered
    deps = dataclasses.replace(module.production_dependencies(), clock=ManualClock(now))
    if module is payouts_api:  # no event bus in these tests
        settings = PayoutsApiSettings.from_env(os.environ)
        service = payouts_api.payout_service(settings, InMemoryEventPublisher())
        deps = dataclasses.replace(deps, payouts=service)
    if hasattr(deps, "staff_mfa"):  # no user pool in these tests
        deps = dataclasses.replace(deps, staff_mfa=STAFF_MFA)
    if hasattr(deps, "staff_roles"):  # no user pool in these tests
        roles = StaffRoles(STAFF_DIRECTORY, AuditLog(), STAFF_ROLES, lambda: uuid.uuid4().hex)
        deps = dataclasses.replace(deps, staff_roles=roles)
    answer = module.process(event, CONTEXT, deps)
    return answer


def clear_wiring() -> None:
    for module in MODULES.values():
        module.production_dependencies.cache_clear()


@dataclass
class Firm:
    """One program, one trader with an account that traded and breached, and another trader."""

    trader: str
    other_trader: str
    account_id: str
    other_account_id: str
    program_version: int

    @classmethod
    def seed(cls, unique: str) -> Firm:
        publish_chain_after(PROGRAM_ID)
        program = next(p for p in demo_programs() if p.summary.program_id == PROGRAM_ID)
        version = CatalogueRepository().publish(program.summary, program.document, OPENED - timedelta(days=1))
        firm = cls(f"trader-{unique}", f"other-{unique}", f"acc-{unique}", f"acc-other-{unique}", version)
        accounts = AccountRepository()
        for trader, account_id in (
            (firm.trader, firm.account_id),
            (firm.other_trader, firm.other_account_id),
        ):
            TraderRepository().put(TraderProfile(trader, f"{trader}@example.com", f"Desk {trader}", OPENED))
            accounts.open(firm.account(account_id, trader))
        return firm

    def account(self, account_id: str, trader: str) -> Account:
        return account_record(
            account_id, trader_id=trader, program_id=PROGRAM_ID, program_version=self.program_version,
            opened_at=OPENED,
        )  # fmt: skip

    def trade(self, account_id: str, events: list[dict[str, Any]]) -> RiskService:
        """Store the events and run each through the risk service, as the stream would."""
        repository = TradingEventRepository()
        service = RiskService(
            RiskStores(AccountRepository(), CatalogueRepository(), repository, RiskStateRepository(),
                       BreachRepository()),
            InMemoryEventPublisher(),
            InMemoryAccountControl(),
            ManualClock(NOW),
        )  # fmt: skip
        for event in events:
            time = datetime.fromisoformat(event["time"])
            stored = StoredEvent(account_id, event["event_id"], time, event["type"], event, "")
            repository.record(stored, received_at=time)
            service.on_event_recorded(dataclasses.replace(stored, sk=_event_sk(time, event["event_id"])))
        return service


def _event_sk(time: datetime, event_id: str) -> str:
    from propdesk.data import keys

    return keys.event_sk(time, event_id)


def fills_then_breach() -> list[dict[str, Any]]:
    """Three trades, then a drop below the 95,000 daily floor (the account fails at 11:30)."""
    return [
        {"event_id": "o1", "time": "2026-03-02T09:00:00Z", "type": "position_opened", "position_id": "p1",
         "symbol": "EURUSD", "side": "buy", "volume": "1.5"},
        {"event_id": "t1", "time": "2026-03-02T09:10:00+00:00", "type": "equity", "equity": "100200"},
        {"event_id": "c1", "time": "2026-03-02T09:30:00Z", "type": "position_closed", "position_id": "p1",
         "profit": "250.50"},
        {"event_id": "o2", "time": "2026-03-02T10:00:00Z", "type": "position_opened", "position_id": "p2",
         "symbol": "XAUUSD", "side": "sell", "volume": "2"},
        {"event_id": "t2", "time": "2026-03-02T10:30:00+00:00", "type": "equity", "equity": "99000"},
        {"event_id": "o3", "time": "2026-03-02T11:00:00Z", "type": "position_opened", "position_id": "p3",
         "symbol": "US30", "side": "buy", "volume": "1"},
        {"event_id": "t3", "time": "2026-03-02T11:30:00+00:00", "type": "equity", "equity": "94000"},
    ]  # fmt: skip


def body_of(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def publish_chain_after(program_id: str) -> None:
    """Publish the demo programs that come after `program_id` in its chain (a challenge names the next phase,
    which must exist before it can be published)."""
    programs = {p.summary.program_id: p for p in demo_programs()}
    following = programs[program_id].document.get("next_program_id")
    chain = []
    while following:
        chain.append(programs[following])
        following = programs[following].document.get("next_program_id")
    catalogue = CatalogueRepository()
    for program in reversed(chain):
        if catalogue.get_program(program.summary.program_id) is None:
            catalogue.publish(program.summary, program.document, OPENED - timedelta(days=1))
