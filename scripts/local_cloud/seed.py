"""Seed a demo firm into a deployed stack: the catalogue's programs, a trader with one account, a staff user.

Idempotent: users that exist are kept, programs are republished only when their document changed, an account
that exists is left as it is. Writes go through the project's own data layer.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import boto3

from scripts.local_cloud.cloud import REGION
from scripts.local_cloud.endpoints import LocalEndpoints

DEMO_PASSWORD = "Demo-Passw0rd!"  # noqa: S105 - a local demo user's password, printed by `make dev`
DEMO_TRADER_EMAIL = "trader@demo.propdesk.local"
DEMO_STAFF_EMAIL = "staff@demo.propdesk.local"
DEMO_PROGRAM_ID = "two-step-100k-phase-1"
DEMO_ACCOUNT_ID = "demo-two-step-100k-phase-1"
DEMO_PLATFORM = "match-trader"  # where the demo account lives; pushes for it are signed with its secret


def seed_demo_firm(endpoints: LocalEndpoints) -> dict[str, str]:
    for name, value in (("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test")):
        os.environ.setdefault(name, value)
    outputs = endpoints.outputs
    cognito = _client("cognito-idp", endpoints)
    trader_id = ensure_user(cognito, outputs["UserPoolId"], DEMO_TRADER_EMAIL, "trader")
    ensure_user(cognito, outputs["UserPoolId"], DEMO_STAFF_EMAIL, "admin")
    _seed_tables(endpoints, trader_id)
    from fakes.platform_push import signing_secret

    secret = signing_secret(
        _client("secretsmanager", endpoints), outputs["PlatformSigningSecretArns"], DEMO_PLATFORM
    )
    return {
        "trader_email": DEMO_TRADER_EMAIL,
        "trader_id": trader_id,
        "staff_email": DEMO_STAFF_EMAIL,
        "password": DEMO_PASSWORD,
        "account_id": DEMO_ACCOUNT_ID,
        "program_id": DEMO_PROGRAM_ID,
        "platform": DEMO_PLATFORM,
        "platform_signing_secret": secret,
    }


def _seed_tables(endpoints: LocalEndpoints, trader_id: str) -> None:
    from propdesk.catalogue import demo_programs
    from propdesk.data.accounts import AccountRepository, TraderRepository
    from propdesk.data.binding import TableBinding, bind_tables
    from propdesk.data.catalogue import CatalogueRepository
    from propdesk.records import Account, PlatformReference, TraderProfile

    outputs = endpoints.outputs
    bind_tables(TableBinding(outputs["TableName"], outputs["ConnectionsTableName"], REGION, endpoints.cloud))
    now = datetime.now(UTC)
    catalogue = CatalogueRepository()
    versions = {
        program.summary.program_id: catalogue.publish(program.summary, program.document, now)
        for program in demo_programs()
    }
    TraderRepository().put(TraderProfile(trader_id, DEMO_TRADER_EMAIL, "Demo Trader", now))
    _seed_sales()
    program = next(p for p in demo_programs() if p.summary.program_id == DEMO_PROGRAM_ID)
    AccountRepository().open(
        Account(
            account_id=DEMO_ACCOUNT_ID,
            trader_id=trader_id,
            program_id=DEMO_PROGRAM_ID,
            program_version=versions[DEMO_PROGRAM_ID],
            status="active",
            currency=program.summary.currency,
            initial_balance=program.summary.initial_balance,
            timezone=str(program.document["timezone"]),
            day_starts_at=str(program.document["day_starts_at"]),
            opened_at=now,
            platform=PlatformReference(DEMO_PLATFORM, DEMO_ACCOUNT_ID, "700000", server="MatchTrader"),
        )
    )


def ensure_user(cognito: Any, pool_id: str, email: str, group: str) -> str:
    """Create a confirmed user with the demo password in `group` (if absent); return its `sub`."""
    try:
        user = cognito.admin_get_user(UserPoolId=pool_id, Username=email)
    except cognito.exceptions.UserNotFoundException:
        user = cognito.admin_create_user(
            UserPoolId=pool_id,
            Username=email,
            UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
            MessageAction="SUPPRESS",
        )["User"]
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=email, Password=DEMO_PASSWORD, Permanent=True
        )
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=email, GroupName=group)
    attributes = user.get("UserAttributes") or user.get("Attributes") or []
    return next(str(attribute["Value"]) for attribute in attributes if attribute["Name"] == "sub")


def _client(service: str, endpoints: LocalEndpoints) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoints.cloud,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",  # noqa: S106 - the emulator's dummy credentials
    )


def _seed_sales() -> None:
    """The demo add-ons and discount codes (a code's usage count is kept when it exists already)."""
    from propdesk.data.sales import SalesCatalogueRepository
    from propdesk.purchases.demo import demo_add_ons, demo_discount_codes

    sales = SalesCatalogueRepository()
    for add_on in demo_add_ons():
        sales.put_add_on(add_on)
    for code in demo_discount_codes():
        if sales.discount(code.code) is None:
            sales.put_discount(code)
