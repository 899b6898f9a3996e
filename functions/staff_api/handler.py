"""Staff REST routes (Cognito; the role each needs is in propdesk.access; the use cases in
propdesk.services.staff_actions, program_publishing and staff_roles):

- `POST /v1/staff/accounts/{id}/breach-overrides` (risk): record an override of one breach with its reason,
  optionally reinstating the account the breach failed; audited in the same transaction;
- `PUT /v1/staff/accounts/{id}/program-version` (admin): pin the account to another stored version of its
  program, with a reason; audited in the same transaction;
- `GET /v1/staff/audit?account_id=|order_id=|program_id=|user_id=|actor=` (risk, finance, admin): the audit
  log about one subject or by one actor, newest first;
- `POST /v1/staff/programs/{id}/versions` (admin): publish a program's next rule-pack version, checked by the
  engine, on sale to new accounts only; audited in the same transaction;
- `GET /v1/staff/members` and `PUT /v1/staff/members/{user_id}/roles` (admin): staff and their roles (the user
  pool's groups), changed with a reason and audited;
- `POST /v1/staff/traders/{trader_id}/erasure` (admin; `Idempotency-Key`): the trader's personal data erased
  (orders' e-mail and IP, the profile pseudonymized; propdesk.purchases.personal_data), audited; answers what
  was erased, what is kept and what the operator still does (the Cognito user).

Writes are rate limited per staff member (429 + Retry-After); the user pool unreachable is a 503.
"""

from __future__ import annotations

import functools
import os
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.access import STAFF_ROLES
from propdesk.config import StaffApiSettings
from propdesk.http.app import build_rest_app, resolve
from propdesk.http.errors import answer_unavailable
from propdesk.http.routing import Call, route
from propdesk.http.schemas import staff as schema
from propdesk.http.schemas import staff_admin
from propdesk.http.staff_views import audit_view, staff_member_view
from propdesk.observability import observe
from propdesk.ports import IdentityProviderUnavailableError
from propdesk.services.rate_limits import RateLimiter

if TYPE_CHECKING:
    from propdesk.ports import Clock, StaffMfa
    from propdesk.purchases.personal_data import TraderErasure
    from propdesk.services.program_publishing import ProgramPublishing
    from propdesk.services.staff_actions import StaffActionService
    from propdesk.services.staff_roles import StaffRoles

OUTAGE_RETRY_AFTER_SECONDS = 5
app = build_rest_app()
answer_unavailable(app, IdentityProviderUnavailableError, OUTAGE_RETRY_AFTER_SECONDS)


@dataclass(frozen=True)
class Dependencies:
    actions: StaffActionService
    programs: ProgramPublishing
    staff_roles: StaffRoles
    rate_limiter: RateLimiter
    clock: Clock
    erasure: TraderErasure
    staff_mfa: StaffMfa  # finance's and admin's actions need MFA (propdesk.http.routing)


@functools.cache
def production_dependencies() -> Dependencies:
    settings = StaffApiSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.cognito_staff import CognitoStaffDirectory, default_client
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.audit import AuditLog
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.catalogue import CatalogueRepository
    from propdesk.data.personal_data import PersonalDataRepository
    from propdesk.data.rate_limits import DynamoWindowCounter
    from propdesk.data.staff_actions import StaffActions
    from propdesk.purchases.personal_data import TraderErasure
    from propdesk.services.program_publishing import ProgramPublishing
    from propdesk.services.staff_actions import StaffActionService
    from propdesk.services.staff_roles import StaffRoles
    from propdesk.wiring.staff import staff_mfa

    bind_tables(
        TableBinding(
            settings.table_name,
            None,
            settings.aws_region,
            settings.aws_endpoint_url,
            audit_table_name=settings.audit_table_name,
        )
    )
    audit, catalogue = AuditLog(), CatalogueRepository()
    directory = CognitoStaffDirectory(
        settings.user_pool_id,
        lambda: default_client(settings.aws_region, settings.aws_endpoint_url),
        STAFF_ROLES,
    )
    return Dependencies(
        StaffActionService(AccountRepository(), StaffActions(audit), catalogue, audit, _new_id),
        ProgramPublishing(catalogue, _new_id),
        StaffRoles(directory, audit, STAFF_ROLES, _new_id),
        RateLimiter(DynamoWindowCounter()),
        SystemClock(),
        TraderErasure(PersonalDataRepository(), _new_id),
        staff_mfa(settings),
    )


def _new_id() -> str:
    return uuid.uuid4().hex


def _deps() -> Dependencies:
    deps: Dependencies = app.context["deps"]
    return deps


@route(app, "overrideBreach")
def override_breach(call: Call, account_id: str) -> schema.BreachOverrideOut:
    from propdesk.services.staff_actions import OverrideBreach

    request = call.body_as(schema.BreachOverrideRequest)
    command = OverrideBreach(
        account_id, request.breach_id, request.reason, request.reinstate, call.caller, call.now
    )
    done = _deps().actions.override_breach(command)
    override = done.override
    return schema.BreachOverrideOut(
        override_id=override.override_id,
        account_id=account_id,
        breach_id=override.breach_id,
        actor=override.actor,
        reason=override.reason,
        at=override.at,
        account_status=done.account_status,
    )


@route(app, "changeProgramVersion")
def change_program_version(call: Call, account_id: str) -> schema.ProgramVersionChanged:
    from propdesk.services.staff_actions import ChangeProgramVersion

    request = call.body_as(schema.ProgramVersionChange)
    command = ChangeProgramVersion(account_id, request.version, request.reason, call.caller, call.now)
    changed = _deps().actions.change_program_version(command)
    return schema.ProgramVersionChanged(
        account_id=account_id,
        program_id=changed.program_id,
        previous_version=changed.previous_version,
        version=changed.version,
        actor=call.caller.actor,
        at=call.now,
    )


@route(app, "listAuditEntries")
def list_audit_entries(call: Call) -> schema.AuditPage:
    query = call.query_as(schema.AuditQuery)
    page = _deps().actions.audit_entries(query.subject, query.actor, query.limit, query.cursor)
    return schema.AuditPage(entries=[audit_view(e) for e in page.items], next_cursor=page.next_cursor)


@route(app, "publishProgramVersion")
def publish_program_version(call: Call, program_id: str) -> Response[Any]:
    from propdesk.services.program_publishing import PublishProgramVersion

    body = call.body_as(staff_admin.ProgramDocument).model_dump(mode="json", exclude_unset=True)
    published = _deps().programs.publish(PublishProgramVersion(program_id, body, call.caller, call.now))
    answer = staff_admin.ProgramVersionPublished(
        program_id=program_id,
        version=published.version,
        previous_version=published.previous_version,
        published=published.published,
        actor=call.caller.actor,
        at=call.now,
    )
    return Response(
        status_code=call.operation.status if published.published else 200,  # an identical document: nothing
        content_type=content_types.APPLICATION_JSON,
        body=answer.model_dump(mode="json"),
    )


@route(app, "listStaffMembers")
def list_staff_members(call: Call) -> staff_admin.StaffMemberList:
    query = call.query_as(staff_admin.StaffMembersQuery)
    members = _deps().staff_roles.members(query.role)
    return staff_admin.StaffMemberList(members=[staff_member_view(user) for user in members])


@route(app, "setStaffRoles")
def set_staff_roles(call: Call, user_id: str) -> staff_admin.StaffRolesChanged:
    from propdesk.services.staff_roles import RolesCommand

    request = call.body_as(staff_admin.StaffRolesChange)
    command = RolesCommand(
        user_id=user_id,
        roles=frozenset(request.roles),
        actor=call.caller.actor,
        actor_roles=call.caller.staff_roles,
        reason=request.reason,
        at=call.now,
    )
    outcome = _deps().staff_roles.set_roles(command)
    return staff_admin.StaffRolesChanged.model_validate(
        {"user_id": user_id, "previous_roles": sorted(outcome.user.roles), "roles": sorted(outcome.roles),
         "actor": command.actor, "at": command.at}
    )  # fmt: skip


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    app.context["now"] = deps.clock.now()
    app.context["rate_limiter"] = deps.rate_limiter
    app.context["staff_mfa"] = deps.staff_mfa
    return resolve(app, event, context)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())


@route(app, "eraseTraderPersonalData")
def erase_trader_personal_data(call: Call, trader_id: str) -> staff_admin.ErasureDone:
    from propdesk.purchases.personal_data import KEPT, OPERATOR_STEPS, EraseTrader

    request = call.body_as(staff_admin.ErasureRequest)
    command = EraseTrader(
        trader_id,
        request.reason,
        call.caller.actor,
        tuple(sorted(call.caller.staff_roles)),
        call.now,
        call.idempotency_key,
    )
    erasure = _deps().erasure.erase(command)
    return staff_admin.ErasureDone(
        trader_id=trader_id,
        orders=list(erasure.orders),
        profile=erasure.profile,
        kept=list(KEPT),
        operator_steps=list(OPERATOR_STEPS),
        actor=erasure.actor,
        at=erasure.at,
    )
