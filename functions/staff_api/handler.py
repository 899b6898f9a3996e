"""Staff REST routes (Cognito; the role each needs is in propdesk.access):

- `POST /v1/staff/accounts/{id}/breach-overrides` (risk): record an override of one breach with its reason,
  optionally reinstating the account the breach failed; audited in the same transaction;
- `PUT /v1/staff/accounts/{id}/program-version` (admin): pin the account to another stored version of its
  program, with a reason; audited in the same transaction;
- `GET /v1/staff/audit?account_id=|order_id=|program_id=|user_id=|actor=` (risk, finance, admin): the audit
  log about one subject or by one actor, newest first;
- `POST /v1/staff/programs/{id}/versions` (admin): publish a program's next rule-pack version, checked by the
  engine, on sale to new accounts only; audited in the same transaction;
- `GET /v1/staff/members` and `PUT /v1/staff/members/{user_id}/roles` (admin): staff and their roles (the user
  pool's groups), changed with a reason and audited (`propdesk.services.staff_roles`).

Writes are rate limited per staff member (429 + Retry-After); the user pool unreachable is a 503.
"""

from __future__ import annotations

import functools
import os
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.utilities.typing import LambdaContext
from propdesk.access import STAFF_ROLES
from propdesk.config import StaffApiSettings
from propdesk.errors import ConflictError, InvalidCursorError, InvalidInputError, NotFoundError
from propdesk.http.app import build_rest_app, resolve
from propdesk.http.audit_views import audit_view
from propdesk.http.error_format import error_body
from propdesk.http.routing import Call, route
from propdesk.http.schemas import staff as schema
from propdesk.http.schemas import staff_admin
from propdesk.http.views import breach_sk_of
from propdesk.observability import observe
from propdesk.ports import IdentityProviderUnavailableError
from propdesk.records import Account, AuditEntry, BreachOverride
from propdesk.services.rate_limits import RateLimiter

if TYPE_CHECKING:
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.audit import AuditLog
    from propdesk.data.catalogue import CatalogueRepository
    from propdesk.data.staff_actions import StaffActions
    from propdesk.ports import Clock
    from propdesk.services.staff_roles import StaffRoles

USER_ID = re.compile(r"^[A-Za-z0-9_.@-]{1,128}$")  # a Cognito `sub` (a UUID); anything else is no user
OUTAGE_RETRY_AFTER_SECONDS = 5
app = build_rest_app()


def _user_pool_unavailable(error: IdentityProviderUnavailableError) -> Response[Any]:
    return Response(
        status_code=503,
        content_type=content_types.APPLICATION_JSON,
        body=error_body(error.code, error.message),
        headers={"Retry-After": str(OUTAGE_RETRY_AFTER_SECONDS)},
    )


app.exception_handler(IdentityProviderUnavailableError)(_user_pool_unavailable)


@dataclass(frozen=True)
class Dependencies:
    accounts: AccountRepository
    catalogue: CatalogueRepository
    staff_actions: StaffActions
    audit: AuditLog
    rate_limiter: RateLimiter
    clock: Clock
    staff_roles: StaffRoles


@functools.cache
def production_dependencies() -> Dependencies:
    settings = StaffApiSettings.from_env(os.environ)
    from propdesk.adapters.clock import SystemClock
    from propdesk.adapters.cognito_staff import CognitoStaffDirectory, default_client
    from propdesk.data.accounts import AccountRepository
    from propdesk.data.audit import AuditLog
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.catalogue import CatalogueRepository
    from propdesk.data.rate_limits import DynamoWindowCounter
    from propdesk.data.staff_actions import StaffActions
    from propdesk.services.staff_roles import StaffRoles

    bind_tables(TableBinding(settings.table_name, None, settings.aws_region, settings.aws_endpoint_url))
    audit = AuditLog()
    directory = CognitoStaffDirectory(
        settings.user_pool_id,
        lambda: default_client(settings.aws_region, settings.aws_endpoint_url),
        STAFF_ROLES,
    )
    return Dependencies(
        AccountRepository(),
        CatalogueRepository(),
        StaffActions(audit),
        audit,
        RateLimiter(DynamoWindowCounter()),
        SystemClock(),
        StaffRoles(directory, audit, STAFF_ROLES, lambda: uuid.uuid4().hex),
    )


def _deps() -> Dependencies:
    deps: Dependencies = app.context["deps"]
    return deps


@route(app, "overrideBreach")
def override_breach(call: Call, account_id: str) -> schema.BreachOverrideOut:
    request = call.body_as(schema.BreachOverrideRequest)
    deps = _deps()
    account = _account(account_id)
    try:
        breach_sk = breach_sk_of(request.breach_id)
    except InvalidCursorError:
        raise InvalidInputError("the breach_id is not one this API handed out", "breach_id") from None
    if not deps.staff_actions.breach_exists(account_id, breach_sk):
        raise NotFoundError(f"account {account_id!r} has no such breach", "breach_id")
    if deps.staff_actions.override_of(account_id, breach_sk) is not None:
        raise ConflictError("this breach is overridden already", "breach_id")
    override = BreachOverride(
        override_id=uuid.uuid4().hex,
        account_id=account_id,
        breach_sk=breach_sk,
        actor=call.caller.actor,
        reason=request.reason,
        at=call.now,
    )
    reinstate = account if request.reinstate and account.status == "failed" else None
    status_after = "active" if reinstate else account.status
    entry = _entry(
        call,
        "breach.overridden",
        f"ACCOUNT#{account_id}",
        request.reason,
        before={"status": account.status, "breach_id": request.breach_id},
        after={"status": status_after, "override_id": override.override_id},
    )
    _committed(lambda: deps.staff_actions.override_breach(override, reinstate, entry))
    return schema.BreachOverrideOut(
        override_id=override.override_id,
        account_id=account_id,
        breach_id=request.breach_id,
        actor=override.actor,
        reason=override.reason,
        at=override.at,
        account_status=status_after,
    )


@route(app, "changeProgramVersion")
def change_program_version(call: Call, account_id: str) -> schema.ProgramVersionChanged:
    request = call.body_as(schema.ProgramVersionChange)
    deps = _deps()
    account = _account(account_id)
    version = deps.catalogue.get_version(account.program_id, request.version)
    if version is None:
        raise InvalidInputError(f"program {account.program_id} has no version {request.version}", "version")
    answer = schema.ProgramVersionChanged(
        account_id=account_id,
        program_id=account.program_id,
        previous_version=account.program_version,
        version=request.version,
        actor=call.caller.actor,
        at=call.now,
    )
    if request.version == account.program_version:
        return answer  # PUT is idempotent: nothing changes, nothing to audit
    timezone = str(version.document.get("timezone", "UTC"))
    day_starts_at = str(version.document.get("day_starts_at", "00:00"))
    entry = _entry(
        call,
        "account.program_version_changed",
        f"ACCOUNT#{account_id}",
        request.reason,
        before={"program_version": account.program_version, "timezone": account.timezone,
                "day_starts_at": account.day_starts_at},
        after={"program_version": request.version, "timezone": timezone, "day_starts_at": day_starts_at},
    )  # fmt: skip
    _committed(
        lambda: deps.staff_actions.change_program_version(
            account, request.version, timezone, day_starts_at, entry
        )
    )
    return answer


@route(app, "listAuditEntries")
def list_audit_entries(call: Call) -> schema.AuditPage:
    query = call.query_as(schema.AuditQuery)
    audit = _deps().audit
    if query.subject is not None:
        page = audit.for_subject(query.subject, limit=query.limit, cursor=query.cursor)
    else:
        page = audit.by_actor(str(query.actor), limit=query.limit, cursor=query.cursor)
    return schema.AuditPage(entries=[audit_view(e) for e in page.items], next_cursor=page.next_cursor)


@route(app, "publishProgramVersion")
def publish_program_version(call: Call, program_id: str) -> Response[Any]:
    from propdesk.errors import VersionConflictError
    from propdesk.services.program_publishing import checked_document

    body = call.body_as(staff_admin.ProgramDocument).model_dump(mode="json", exclude_unset=True)
    summary, document = checked_document(program_id, body)
    catalogue = _deps().catalogue
    current = catalogue.get_program(program_id)
    previous = current.current_version if current is not None else None

    def audited(version: int) -> AuditEntry:
        return _entry(
            call,
            "program.version_published",
            f"PROGRAM#{program_id}",
            f"published version {version} of {program_id}",
            before={"version": previous},
            after={"version": version, "name": summary.name,
                   "prices": {currency: str(price) for currency, price in sorted(summary.prices.items())}},
        )  # fmt: skip

    try:
        version = catalogue.publish(summary, document, call.now, audited)
    except VersionConflictError:
        raise ConflictError(
            "another version was published meanwhile; reload and try again", "program_id"
        ) from None
    published = version != previous
    answer = staff_admin.ProgramVersionPublished(
        program_id=program_id,
        version=version,
        previous_version=previous,
        published=published,
        actor=call.caller.actor,
        at=call.now,
    )
    return Response(
        status_code=call.operation.status if published else 200,  # an identical document publishes nothing
        content_type=content_types.APPLICATION_JSON,
        body=answer.model_dump(mode="json"),
    )


@route(app, "listStaffMembers")
def list_staff_members(call: Call) -> staff_admin.StaffMemberList:
    query = call.query_as(staff_admin.StaffMembersQuery)
    members = _deps().staff_roles.members(query.role)
    return staff_admin.StaffMemberList(
        members=[
            staff_admin.StaffMember.model_validate(
                {
                    "user_id": user.user_id,
                    "email": user.email,
                    "roles": sorted(user.roles),
                    "enabled": user.enabled,
                    "status": user.status,
                }
            )
            for user in members
        ]
    )


@route(app, "setStaffRoles")
def set_staff_roles(call: Call, user_id: str) -> staff_admin.StaffRolesChanged:
    from propdesk.services.staff_roles import RolesCommand

    request = call.body_as(staff_admin.StaffRolesChange)
    if not USER_ID.match(user_id):
        raise NotFoundError(f"no user {user_id!r}", "user_id")
    command = RolesCommand(
        user_id=user_id,
        roles=frozenset(request.roles),
        actor=call.caller.actor,
        actor_roles=tuple(sorted(call.caller.groups & STAFF_ROLES)),
        reason=request.reason,
        at=call.now,
    )
    try:
        outcome = _deps().staff_roles.set_roles(command)
    except LookupError:
        raise NotFoundError(f"no user {user_id!r}", "user_id") from None
    return staff_admin.StaffRolesChanged.model_validate(
        {"user_id": user_id, "previous_roles": sorted(outcome.user.roles), "roles": sorted(outcome.roles),
         "actor": command.actor, "at": command.at}
    )  # fmt: skip


# ---- helpers


def _account(account_id: str) -> Account:
    account = _deps().accounts.get(account_id, consistent=True)
    if account is None:
        raise NotFoundError(f"no account {account_id!r}", "account_id")
    return account


def _entry(
    call: Call,
    action: str,
    subject: str,
    reason: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> AuditEntry:
    return AuditEntry(
        entry_id=uuid.uuid4().hex,
        at=call.now,
        actor=call.caller.actor,
        actor_roles=tuple(sorted(call.caller.groups & STAFF_ROLES)),
        action=action,
        subject=subject,
        reason=reason,
        before=before,
        after=after,
    )


def _committed(write: Any) -> None:
    from propdesk.data.staff_actions import StaffActionConflictError

    try:
        write()
    except StaffActionConflictError:
        raise ConflictError("the account changed meanwhile; reload it and try again", "account_id") from None


def process(event: dict[str, Any], context: LambdaContext, deps: Dependencies) -> dict[str, Any]:
    app.context["deps"] = deps
    app.context["now"] = deps.clock.now()
    app.context["rate_limiter"] = deps.rate_limiter
    return resolve(app, event, context)


@observe
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process(event, context, production_dependencies())
