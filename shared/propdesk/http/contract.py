"""Every REST route in one table: method, path, the function serving it, who may call it and the models it
reads and answers. The OpenAPI document is generated from this table (`propdesk.http.openapi`), the handlers
validate with the same models, and tests check that the handlers and the CDK app serve exactly these routes.

The table names its models (`accounts.Metrics` is a `SchemaRef` to `propdesk.http.schemas.accounts.Metrics`)
and a model's module is imported when a route first uses it: a function loads only its own routes' models,
not the whole API's (cold start).
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel

from propdesk.access import Permission
from propdesk.services.rate_limits import RateLimit


@dataclass(frozen=True, slots=True)
class SchemaRef:
    """A request or response model, by its module in `propdesk.http.schemas` and its class name."""

    module: str
    name: str

    def resolve(self) -> type[BaseModel]:
        return _load_model(self.module, self.name)


class _Schemas:
    """`accounts.Metrics` on this stand-in for a schemas module is a `SchemaRef`; nothing is imported."""

    def __init__(self, module: str) -> None:
        self._module = module

    def __getattr__(self, name: str) -> SchemaRef:
        return SchemaRef(self._module, name)


@functools.cache
def _load_model(module: str, name: str) -> type[BaseModel]:
    model = getattr(importlib.import_module(f"propdesk.http.schemas.{module}"), name)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"propdesk.http.schemas.{module}.{name} is not a pydantic model")
    return model


def _resolved(model: type[BaseModel] | SchemaRef | None) -> type[BaseModel] | None:
    return model.resolve() if isinstance(model, SchemaRef) else model


abuse, accounts, auth, catalogue, common, payouts, platform, purchases, staff, staff_admin, kyc = (
    _Schemas(name)
    for name in (
        "abuse",
        "accounts",
        "auth",
        "catalogue",
        "common",
        "payouts",
        "platform",
        "purchases",
        "staff",
        "staff_admin",
        "kyc",
    )
)
progression = _Schemas("progression")
staff_alerts = _Schemas("staff_alerts")
PageQuery, TimeRangeQuery = common.PageQuery, common.TimeRangeQuery
Model = type[BaseModel] | SchemaRef


class Access(StrEnum):
    PUBLIC = "public"  # anyone
    SIGNED_IN = "signed_in"  # a Cognito token: a trader (own data) or staff (by permission)
    SIGNED_PLATFORM = "signed_platform"  # a trading-platform connection, by its own signature (handler)
    SIGNED_WEBHOOK = "signed_webhook"  # a provider, verified by its signature in the handler


@dataclass(frozen=True, slots=True)
class Operation:
    method: str
    path: str
    function: str
    operation_id: str
    summary: str
    tag: str
    access: Access
    response: Model | None
    status: int = 200
    query: Model | None = None
    body: Model | None = None
    permission: Permission | None = None  # what the caller's role must grant (staff routes)
    rate_limit: RateLimit | None = None  # per caller, answered with 429 + Retry-After
    # The handler counts the rate limit itself (`routing.count_rate_limit`), e.g. after telling a free replay
    # of an earlier request from a new one; otherwise routing counts every call before the handler runs.
    handler_counts: bool = False
    # Honours an `Idempotency-Key` header (checked by routing, given to the route as `Call.idempotency_key`):
    # a repeat with the same key answers the first request's result instead of acting again.
    idempotent: bool = False
    finds: str | None = None  # the path parameter naming a thing that may not exist (404)
    other_errors: tuple[int, ...] = ()  # further refusals the handler makes (e.g. 403, 409)
    content_type: str = "application/json"

    @property
    def path_parameters(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]

    @property
    def response_model(self) -> type[BaseModel] | None:
        return _resolved(self.response)

    @property
    def query_model(self) -> type[BaseModel] | None:
        return _resolved(self.query)

    @property
    def body_model(self) -> type[BaseModel] | None:
        return _resolved(self.body)

    @property
    def resolver_path(self) -> str:
        """The path as Powertools' resolver spells it (`<account_id>` instead of `{account_id}`)."""
        return self.path.replace("{", "<").replace("}", ">")


IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_.:-]{1,255}$"
PROGRAMS = "/v1/programs"
ACCOUNT = "/v1/accounts/{account_id}"
STAFF_ACCOUNT = "/v1/staff/accounts/{account_id}"
STAFF_KYC = "/v1/staff/kyc"
# Enough for a reviewer working through a queue; a script gone wrong is stopped within a minute.
STAFF_WRITES = RateLimit(limit=20, window_seconds=60)
# A trader has at most one open payout: a few tries an hour cover mistakes, not hammering.
PAYOUT_REQUESTS = RateLimit(limit=3, window_seconds=3600)
# Changing where payouts go is rare; a stolen session probing destinations is stopped quickly.
DESTINATION_CHANGES = RateLimit(limit=5, window_seconds=3600)
# A trader buys a challenge or two at a time; ten new orders in ten minutes leaves room for retries with fresh
# payment methods, while a stolen session or a card-testing script is stopped long before it matters (each
# order opens a provider checkout session and runs the fraud checks). Replays of an Idempotency-Key are free.
ORDER_CREATION = RateLimit(limit=10, window_seconds=600)
# A public name changes rarely; a few an hour keeps the leaderboards from flickering through names.
PROFILE_CHANGES = RateLimit(limit=5, window_seconds=3600)

OPERATIONS: tuple[Operation, ...] = (
    # ---- public: the catalogue, leaderboards, this document
    Operation(
        "GET", PROGRAMS, "catalogue_api", "listPrograms", "The programs on sale", "Catalogue",
        Access.PUBLIC, catalogue.ProgramList, query=PageQuery,
    ),
    Operation(
        "GET", PROGRAMS + "/{program_id}", "catalogue_api", "getProgram",
        "A program with the rule pack of its current version", "Catalogue", Access.PUBLIC,
        catalogue.ProgramDetail, finds="program_id",
    ),
    Operation(
        "GET", "/v1/leaderboards/{program_id}", "catalogue_api", "getLeaderboard",
        "Top accounts of a program by return over a period (display names only)", "Catalogue",
        Access.PUBLIC, catalogue.Leaderboard, query=catalogue.LeaderboardQuery,
    ),
    Operation(
        "GET", "/v1/openapi.json", "api_docs", "getOpenApi", "This API's OpenAPI document", "Docs",
        Access.PUBLIC, None,
    ),
    Operation(
        "GET", "/v1/docs", "api_docs", "getDocs", "Swagger UI for this API", "Docs", Access.PUBLIC, None,
        content_type="text/html",
    ),
    Operation(
        "GET", "/v1/health", "api_docs", "getHealth", "Liveness: answers without touching any data", "Docs",
        Access.PUBLIC, platform.Health,
    ),
    # ---- sign-up and sign-in: Cognito behind our own limits per e-mail address and per source IP
    Operation(
        "POST", "/v1/auth/sign-in", "auth_api", "signIn",
        "Sign in with e-mail and password: Cognito ID, access and refresh tokens", "Auth", Access.PUBLIC,
        auth.SignedIn, body=auth.SignInRequest,
        other_errors=(401, 403, 503),  # wrong credentials, unconfirmed e-mail, Cognito unreachable
    ),
    Operation(
        "POST", "/v1/auth/refresh", "auth_api", "refreshTokens",
        "New ID and access tokens for a refresh token", "Auth", Access.PUBLIC, auth.TokensRefreshed,
        body=auth.RefreshRequest, other_errors=(401, 503),
    ),
    Operation(
        "POST", "/v1/auth/sign-up", "auth_api", "signUp",
        "Register with e-mail and password; a confirmation code is e-mailed", "Auth", Access.PUBLIC,
        auth.SignUpAccepted, status=202, body=auth.SignUpRequest, other_errors=(503,),
    ),
    Operation(
        "POST", "/v1/auth/confirm", "auth_api", "confirmSignUp",
        "Confirm the e-mail address with the code sent at sign-up", "Auth", Access.PUBLIC, auth.Confirmed,
        body=auth.ConfirmRequest, other_errors=(503,),
    ),
    # ---- a signed-in trader's own data (staff read any trader's with `read_accounts`)
    Operation(
        "GET", "/v1/me", "accounts_api", "getProfile", "The signed-in user's profile and roles", "Trader",
        Access.SIGNED_IN, accounts.Profile,
    ),
    Operation(
        "PUT", "/v1/me", "accounts_api", "updateProfile",
        "Set the display name leaderboards show (letters, digits, spaces, . _ -; no personal data)", "Trader",
        Access.SIGNED_IN, accounts.Profile, body=accounts.ProfileUpdate, rate_limit=PROFILE_CHANGES,
    ),
    Operation(
        "GET", "/v1/accounts", "accounts_api", "listAccounts", "The caller's trading accounts", "Trader",
        Access.SIGNED_IN, accounts.AccountList, query=accounts.AccountsQuery, other_errors=(403,),
    ),
    Operation(
        "GET", ACCOUNT, "accounts_api", "getAccount",
        "An account with its live metrics, stored risk verdict and latest breaches", "Trader",
        Access.SIGNED_IN, accounts.AccountDetail, query=accounts.MetricsQuery, finds="account_id",
    ),
    Operation(
        "GET", ACCOUNT + "/credentials", "accounts_api", "getAccountCredentials",
        "The account's platform login: server and login (never a password; 404 until it is open)",
        "Trader", Access.SIGNED_IN, accounts.AccountCredentials, finds="account_id",
    ),
    Operation(
        "GET", ACCOUNT + "/metrics", "accounts_api", "getAccountMetrics",
        "Live metrics: floors and allowances, next day boundary, target, days, consistency", "Trader",
        Access.SIGNED_IN, accounts.Metrics, query=accounts.MetricsQuery, finds="account_id",
    ),
    Operation(
        "GET", ACCOUNT + "/trades", "accounts_api", "listTrades",
        "Trade executions (positions opened and closed), by time range", "Trader", Access.SIGNED_IN,
        accounts.TradeList, query=accounts.TradesQuery, finds="account_id",
    ),
    Operation(
        "GET", ACCOUNT + "/positions", "accounts_api", "listOpenPositions", "Positions open now", "Trader",
        Access.SIGNED_IN, accounts.PositionList, finds="account_id",
    ),
    Operation(
        "GET", ACCOUNT + "/platform", "accounts_api", "getAccountPlatform",
        "The account at its trading platform: access confirmed (and when), access wanted, commands pending",
        "Trader", Access.SIGNED_IN, accounts.PlatformState, finds="account_id",
    ),
    Operation(
        "GET", ACCOUNT + "/breaches", "accounts_api", "listBreaches",
        "Breach reports with explanation, figures, the triggering event and any override", "Trader",
        Access.SIGNED_IN, accounts.BreachList, query=TimeRangeQuery, finds="account_id",
    ),
    Operation(
        "GET", ACCOUNT + "/chain", "progression_api", "getAccountChain",
        "The account's program chain: its phase, the programs ahead, the accounts before it", "Trader",
        Access.SIGNED_IN, progression.AccountChain, finds="account_id",
    ),
    # ---- staff
    Operation(
        "POST", STAFF_ACCOUNT + "/progression-review", "progression_api", "reviewProgression",
        "Approve or reject a passed account's next phase or funded account (risk), with a reason; audited",
        "Staff", Access.SIGNED_IN, progression.ProgressionReviewed, body=progression.ProgressionReviewRequest,
        permission=Permission.REVIEW_PROGRESSIONS, rate_limit=STAFF_WRITES, finds="account_id",
        other_errors=(409, 503),  # not waiting (none needed, decided otherwise); resume failed, send again
    ),
    Operation(
        "POST", STAFF_ACCOUNT + "/breach-overrides", "staff_api", "overrideBreach",
        "Override a breach (risk): recorded with its reason, audited, may reinstate the account", "Staff",
        Access.SIGNED_IN, staff.BreachOverrideOut, status=201, body=staff.BreachOverrideRequest,
        permission=Permission.OVERRIDE_BREACHES, rate_limit=STAFF_WRITES, finds="account_id",
        other_errors=(409,),
    ),
    Operation(
        "PUT", STAFF_ACCOUNT + "/program-version", "staff_api", "changeProgramVersion",
        "Pin the account to another version of its program (admin), audited", "Staff", Access.SIGNED_IN,
        staff.ProgramVersionChanged, body=staff.ProgramVersionChange,
        permission=Permission.CHANGE_PROGRAM_VERSION, rate_limit=STAFF_WRITES, finds="account_id",
        other_errors=(409,),
    ),
    Operation(
        "GET", "/v1/staff/audit", "staff_api", "listAuditEntries",
        "The audit log about one account or by one actor, newest first (read only)", "Staff",
        Access.SIGNED_IN, staff.AuditPage, query=staff.AuditQuery, permission=Permission.READ_AUDIT,
    ),
    Operation(
        "GET", "/v1/staff/alerts", "alerts_api", "listFirmAlerts",
        "The firm's alerts (disputes, provisioning stuck, reconciliation mismatches), newest first", "Staff",
        Access.SIGNED_IN, staff_alerts.AlertPage, query=PageQuery, permission=Permission.READ_ALERTS,
    ),
    Operation(
        "POST", "/v1/staff/programs/{program_id}/versions", "staff_api", "publishProgramVersion",
        "Publish a program's next rule-pack version (admin): on sale to new accounts only, audited", "Staff",
        Access.SIGNED_IN, staff_admin.ProgramVersionPublished, status=201, body=staff_admin.ProgramDocument,
        permission=Permission.MANAGE_PROGRAMS, rate_limit=STAFF_WRITES,
        other_errors=(409,),  # another version was published meanwhile
    ),
    Operation(
        "GET", "/v1/staff/members", "staff_api", "listStaffMembers",
        "Staff users and their roles (admin)", "Staff", Access.SIGNED_IN, staff_admin.StaffMemberList,
        query=staff_admin.StaffMembersQuery, permission=Permission.MANAGE_STAFF,
        other_errors=(503,),  # the user pool is unreachable
    ),
    Operation(
        "PUT", "/v1/staff/members/{user_id}/roles", "staff_api", "setStaffRoles",
        "Set a user's staff roles (admin), with a reason; audited", "Staff", Access.SIGNED_IN,
        staff_admin.StaffRolesChanged, body=staff_admin.StaffRolesChange,
        permission=Permission.MANAGE_STAFF, rate_limit=STAFF_WRITES, finds="user_id",
        other_errors=(409, 503),  # an admin changing their own roles; the user pool is unreachable
    ),
    Operation(
        "POST", "/v1/staff/traders/{trader_id}/erasure", "staff_api", "eraseTraderPersonalData",
        "Erase a trader's personal data (admin), with a reason; audited; answers what was erased and kept",
        "Staff", Access.SIGNED_IN, staff_admin.ErasureDone, body=staff_admin.ErasureRequest,
        permission=Permission.ERASE_PERSONAL_DATA, rate_limit=STAFF_WRITES, idempotent=True,
        finds="trader_id",
    ),
    # ---- abuse review (risk, admin): flags with their evidence; a decision is audited and carried out
    Operation(
        "GET", "/v1/staff/flags", "abuse_api", "listAbuseFlags",
        "Abuse flags newest first, by status (open by default), detector, account or trader", "Staff",
        Access.SIGNED_IN, abuse.FlagPage, query=abuse.FlagQueueQuery, permission=Permission.REVIEW_ABUSE,
    ),
    Operation(
        "GET", "/v1/staff/flags/{flag_id}", "abuse_api", "getAbuseFlag",
        "An abuse flag with its evidence (trades side by side, shared signals, score) and its detections",
        "Staff", Access.SIGNED_IN, abuse.FlagDetail, permission=Permission.REVIEW_ABUSE, finds="flag_id",
    ),
    Operation(
        "POST", "/v1/staff/flags/{flag_id}/decision", "abuse_api", "decideAbuseFlag",
        "Decide an open flag (dismiss, warn, deny_payout, fail_accounts) with a reason; audited", "Staff",
        Access.SIGNED_IN, abuse.FlagDecided, body=abuse.FlagDecisionRequest,
        permission=Permission.REVIEW_ABUSE, rate_limit=STAFF_WRITES, finds="flag_id",
        other_errors=(409,),  # the flag was absorbed by another (superseded): decide that one
    ),
    # ---- purchases (a signed-in trader buys a program; providers confirm payment by signed webhooks)
    Operation(
        "POST", "/v1/orders", "orders_api", "createOrder",
        "Buy a program: priced, fraud-checked, with a payment page (honours Idempotency-Key)", "Purchases",
        Access.SIGNED_IN, purchases.OrderPlaced, status=201, body=purchases.OrderRequest,
        rate_limit=ORDER_CREATION, handler_counts=True, idempotent=True,
        other_errors=(403, 404, 503),  # a fraud block, an unknown program, a provider outage (Retry-After)
    ),
    Operation(
        "GET", "/v1/orders", "orders_api", "listOrders", "The caller's orders, newest first", "Purchases",
        Access.SIGNED_IN, purchases.OrderList, query=PageQuery,
    ),
    Operation(
        "GET", "/v1/orders/{order_id}", "orders_api", "getOrder", "An order with its history", "Purchases",
        Access.SIGNED_IN, purchases.OrderDetail, finds="order_id",
    ),
    Operation(
        "POST", "/v1/staff/orders/{order_id}/refunds", "orders_api", "refundOrder",
        "Refund a card order, all or part (finance), with a reason; audited; the webhook confirms it",
        "Staff", Access.SIGNED_IN, staff_admin.RefundRequested, status=202, body=staff_admin.RefundRequest,
        permission=Permission.REFUND_ORDERS, rate_limit=STAFF_WRITES, finds="order_id",
        other_errors=(409, 503),  # refunded, pending, disputed, unpaid or crypto; the provider is unreachable
    ),
    Operation(
        "POST", "/v1/webhooks/stripe", "stripe_webhook", "postStripeWebhook",
        "Stripe's signed events (Stripe-Signature over the raw body, 300 s tolerance)", "Webhooks",
        Access.SIGNED_WEBHOOK, purchases.WebhookReceived,
    ),
    Operation(
        "POST", "/v1/webhooks/crypto/{provider}", "crypto_webhook", "postCryptoWebhook",
        "A crypto processor's signed callbacks (coinbase: X-CC-Webhook-Signature)", "Webhooks",
        Access.SIGNED_WEBHOOK, purchases.WebhookReceived, finds="provider",
    ),
    # ---- payouts (a trader asks for one on a funded account; finance decides; the workflow pays)
    Operation(
        "POST", ACCOUNT + "/payouts", "payouts_api", "requestPayout",
        "Request a payout of closed profit (all of it unless `amount`; honours Idempotency-Key)",
        "Payouts", Access.SIGNED_IN, payouts.PayoutOut, status=201, body=payouts.PayoutRequest,
        rate_limit=PAYOUT_REQUESTS, handler_counts=True, idempotent=True, finds="account_id",
        other_errors=(403, 409),
    ),
    Operation(
        "GET", ACCOUNT + "/payouts/eligibility", "payouts_api", "getPayoutEligibility",
        "Each payout rule's verdict now with its figures, as a request would meet it (`amount`: preview one)",
        "Payouts", Access.SIGNED_IN, payouts.Eligibility, query=payouts.EligibilityQuery, finds="account_id",
    ),
    Operation(
        "GET", ACCOUNT + "/payouts", "payouts_api", "listPayouts", "The account's payouts, newest first",
        "Payouts", Access.SIGNED_IN, payouts.PayoutList, query=PageQuery, finds="account_id",
    ),
    Operation(
        "GET", "/v1/staff/payouts", "payouts_api", "listPayoutQueue",
        "Payout requests in one status, oldest first (finance's queue)", "Staff", Access.SIGNED_IN,
        payouts.PayoutList, query=payouts.PayoutQueueQuery, permission=Permission.READ_PAYOUTS,
    ),
    Operation(
        "POST", "/v1/staff/payouts/{payout_id}/decision", "payouts_api", "decidePayout",
        "Approve or reject a payout request (finance), once, with a reason; audited", "Staff",
        Access.SIGNED_IN, payouts.PayoutOut, body=payouts.PayoutDecisionRequest,
        permission=Permission.DECIDE_PAYOUTS, rate_limit=STAFF_WRITES, finds="payout_id", other_errors=(409,),
    ),
    Operation(
        "GET", "/v1/payout-destination", "payouts_api", "getPayoutDestination",
        "The caller's payout destination, masked", "Payouts", Access.SIGNED_IN, payouts.PayoutDestinationOut,
        other_errors=(404,),  # no destination yet
    ),
    Operation(
        "PUT", "/v1/payout-destination", "payouts_api", "setPayoutDestination",
        "Set the caller's one payout destination (validated; needs a sign-in within the last minutes)",
        "Payouts", Access.SIGNED_IN, payouts.PayoutDestinationOut, body=payouts.PayoutDestinationRequest,
        rate_limit=DESTINATION_CHANGES,  # a sign-in older than the window: 401 reauthentication_required
    ),
    Operation(
        "POST", "/v1/webhooks/payouts/bridge", "payout_webhooks", "postBridgePayoutWebhook",
        "Bridge's signed transfer status (X-Webhook-Signature over the raw body)", "Webhooks",
        Access.SIGNED_WEBHOOK, platform.WebhookAcknowledged, other_errors=(409,),
    ),
    Operation(
        "POST", "/v1/webhooks/payouts/wise", "payout_webhooks", "postWisePayoutWebhook",
        "Wise's signed transfer state changes (X-Signature-SHA256 over the raw body)", "Webhooks",
        Access.SIGNED_WEBHOOK, platform.WebhookAcknowledged, other_errors=(409,),
    ),
    # ---- servers
    Operation(
        "POST", "/v1/platform/events", "platform_events", "postPlatformEvents",
        "A trading-platform connection pushes an account's normalized events, signed with its own secret",
        "Platforms", Access.SIGNED_PLATFORM, platform.PlatformEventsAccepted, status=202,
        body=platform.PlatformEventsRequest, finds="account_id", other_errors=(403,),
    ),
    # ---- KYC (the trader's verification link, staff's review; the providers' signed webhooks)
    Operation(
        "GET", "/v1/me/kyc", "kyc_api", "getMyKyc",
        "Your identity verification: its status, the provider's link while it waits for you, attempts",
        "Trader", Access.SIGNED_IN, kyc.MyKyc,
    ),
    Operation(
        "GET", STAFF_KYC, "kyc_api", "listKycReviews",
        "KYC cases waiting for a staff decision, longest waiting first (risk, admin)", "Staff",
        Access.SIGNED_IN, kyc.KycCaseList, query=kyc.KycQueueQuery, permission=Permission.DECIDE_KYC,
    ),
    Operation(
        "GET", STAFF_KYC + "/{trader_id}", "kyc_api", "getKycCase",
        "A trader's KYC case with the provider's verdict and codes (never the trader's link)", "Staff",
        Access.SIGNED_IN, kyc.KycCaseOut, permission=Permission.READ_ACCOUNTS, finds="trader_id",
    ),
    Operation(
        "POST", STAFF_KYC + "/{trader_id}/decision", "kyc_api", "decideKyc",
        "Approve or decline a KYC case in review, or overturn a conclusion (risk, admin), with a reason; "
        "audited", "Staff", Access.SIGNED_IN, kyc.KycCaseOut, body=kyc.KycDecisionRequest,
        permission=Permission.DECIDE_KYC, rate_limit=STAFF_WRITES, finds="trader_id",
        other_errors=(409,),  # the case does not wait for a staff decision
    ),
    Operation(
        "POST", STAFF_KYC + "/{trader_id}/reopen", "kyc_api", "reopenKyc",
        "Give a declined or expired KYC case a new attempt, window and attempt budget (risk, admin), with a "
        "reason; audited", "Staff", Access.SIGNED_IN, kyc.KycCaseOut, body=kyc.KycReopenRequest,
        permission=Permission.DECIDE_KYC, rate_limit=STAFF_WRITES, finds="trader_id",
        other_errors=(409,),  # the case is open or approved
    ),
    Operation(
        "POST", "/v1/webhooks/veriff", "kyc_webhook", "postVeriffWebhook",
        "Veriff's signed KYC decisions and events (X-HMAC-SIGNATURE over the raw body); 404 for a session "
        "no case holds", "Webhooks", Access.SIGNED_WEBHOOK, kyc.KycWebhookReceived,
        other_errors=(404, 503),  # an unknown session; the provider is down for a resubmission's session
    ),
    Operation(
        "POST", "/v1/webhooks/sumsub", "kyc_webhook", "postSumsubWebhook",
        "Sumsub's signed applicant webhooks (X-Payload-Digest over the raw body); 404 for an applicant no "
        "case holds", "Webhooks", Access.SIGNED_WEBHOOK, kyc.KycWebhookReceived, other_errors=(404, 503),
    ),
)  # fmt: skip


def operations_of(function: str) -> list[Operation]:
    return [operation for operation in OPERATIONS if operation.function == function]
