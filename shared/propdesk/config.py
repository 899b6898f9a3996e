"""Each function's settings, validated from its environment at entry (never read at import).

A handler calls e.g. `RiskRecalcSettings.from_env(os.environ)` when it builds its dependencies; a missing or
malformed variable raises `ConfigError` naming it, so a misconfigured deployment fails loudly on first call.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, Json, ValidationError

from propdesk.platforms.port import PlatformName


class ConfigError(Exception):
    """The function's environment is missing a variable or holds a malformed one."""


class FunctionSettings(BaseModel):
    """What every function gets: its stage, region and (in the local cloud) the emulator's endpoint."""

    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True, defer_build=True)

    stage: str = Field(default="dev", min_length=1)
    aws_region: str = Field(default="us-east-1", min_length=1)
    aws_endpoint_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Self:
        values = {name.lower(): value for name, value in environ.items() if value != ""}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in issue['loc']).upper()}: {issue['msg']}"
                for issue in error.errors()
            )
            raise ConfigError(f"{cls.__name__}: {problems}") from error


class TableSettings(FunctionSettings):
    table_name: str = Field(min_length=1)


class AuditLogSettings(FunctionSettings):
    """For the functions that append to or read the audit log (its own table)."""

    audit_table_name: str = Field(min_length=1)


class EventBusSettings(TableSettings):
    event_bus_name: str = Field(min_length=1)


class WebSocketSettings(FunctionSettings):
    connections_table_name: str = Field(min_length=1)
    websocket_api_id: str = Field(min_length=1)
    websocket_stage: str = Field(min_length=1)

    def management_endpoint(self) -> str:
        """Where `post_to_connection` goes: the emulator's path locally, the execute-api host on AWS."""
        if self.aws_endpoint_url:
            base = self.aws_endpoint_url.rstrip("/")
            return f"{base}/_aws/execute-api/{self.websocket_api_id}/{self.websocket_stage}"
        return f"https://{self.websocket_api_id}.execute-api.{self.aws_region}.amazonaws.com/{self.websocket_stage}"


class AbuseSignalSettings(FunctionSettings):
    """The Secrets Manager secret holding the firm's key for identity signals (JSON `{"key": ...}`: the keyed
    hash of `propdesk.abuse.signals`); empty: this function captures no signal."""

    abuse_signal_key_secret_id: str = ""


class CatalogueApiSettings(TableSettings):
    pass


class AccountsApiSettings(TableSettings):
    pass


class PlatformEventsSettings(TableSettings):
    """Trusted ingestion (docs/platforms.md, "Pushing events"): each platform's signing secret, by ARN (JSON
    `{"mt5": "arn:...", ...}`; a platform absent here cannot push), the replay window of a signature and how
    far ahead of our clock an event's time may be."""

    platform_signing_secret_arns: Json[dict[PlatformName, str]] = Field(default_factory=dict)
    replay_window_seconds: int = Field(default=300, ge=30, le=3600)
    max_clock_skew_seconds: int = Field(default=30, ge=0, le=600)


class KycPolicySettings(EventBusSettings):
    """The firm's KYC terms: attempts allowed per case window, and the window for a decision."""

    kyc_max_attempts: int = Field(default=3, ge=1, le=10)
    kyc_decision_window_days: int = Field(default=14, ge=1, le=90)


class KycProviderSettings(KycPolicySettings):
    """The firm's KYC provider (`veriff` or `sumsub`), its Secrets Manager secret (Veriff `{"api_key",
    "shared_secret"}`, Sumsub `{"app_token", "secret_key", "webhook_secret"}`) re-read after
    `secrets_ttl_seconds`, its API base (the local cloud's fake), Sumsub's level, and where the provider's
    page sends the trader when done."""

    kyc_provider: Literal["veriff", "sumsub"] = "veriff"
    kyc_secret_arn: str = Field(min_length=1)
    kyc_api_base: str | None = None  # None: the provider's production API
    sumsub_level_name: str = Field(default="basic-kyc-level", min_length=1)
    kyc_return_url: str | None = None
    secrets_ttl_seconds: float = Field(default=300.0, gt=0, le=3600)


class KycWebhookSettings(KycProviderSettings, AbuseSignalSettings):
    pass


class KycApiSettings(KycProviderSettings, AuditLogSettings):
    pass


class RiskRecalcSettings(EventBusSettings):
    warning_share: Decimal = Field(default=Decimal("0.8"), gt=0, lt=1)


class DailyResetSettings(EventBusSettings):
    pass


class RiskOutboxSweepSettings(EventBusSettings):
    pass


class NotificationsSettings(TableSettings, WebSocketSettings):
    pass


class KycRequestSettings(KycProviderSettings):
    pass


class KycDecisionSettings(KycPolicySettings):
    pass


class ConnectionsSettings(FunctionSettings):
    connections_table_name: str = Field(min_length=1)


class WsDefaultSettings(WebSocketSettings, TableSettings):
    realtime_table_name: str = Field(min_length=1)


class WsDisconnectSettings(ConnectionsSettings):
    realtime_table_name: str = Field(min_length=1)


class WsAuthorizerSettings(FunctionSettings):
    user_pool_id: str = Field(min_length=1)
    user_pool_client_ids: str = Field(min_length=1, description="Comma-separated app client ids.")

    def issuer(self) -> str:
        """What Cognito writes in `iss` (the AWS host, also in the local cloud)."""
        return f"https://cognito-idp.{self.aws_region}.amazonaws.com/{self.user_pool_id}"

    def jwks_url(self) -> str:
        """The pool's signing keys: at the emulator's endpoint locally, beside the issuer on AWS."""
        if self.aws_endpoint_url:
            return f"{self.aws_endpoint_url.rstrip('/')}/{self.user_pool_id}/.well-known/jwks.json"
        return f"{self.issuer()}/.well-known/jwks.json"

    def client_ids(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.user_pool_client_ids.split(",") if part.strip())


class PayoutPlatformSettings(FunctionSettings):
    """The platform payouts are withdrawn on (Match-Trader, as provisioning): the payout workflow books there,
    and whatever ends a payout whose withdrawal started looks its booking up there to put it back
    (`propdesk.payouts.put_back`)."""

    match_trader_secret_arn: str | None = None
    match_trader_base_url: str | None = None
    match_trader_server: str = "MatchTrader"
    platform_requests_per_minute: int = Field(default=50, ge=1)


class AbuseDetectSettings(EventBusSettings, AuditLogSettings, PayoutPlatformSettings):
    """The abuse detectors' state table and the firm's choices (`propdesk.abuse.firm_settings`):
    `ABUSE_THRESHOLDS="copy_trading.min_repeats=6,..."`, `ABUSE_ENFORCEMENT="hedging=fail_accounts:high"`."""

    abuse_state_table_name: str = Field(min_length=1)
    abuse_thresholds: str = ""
    abuse_enforcement: str = ""


class AbuseDeepPassSettings(EventBusSettings, AuditLogSettings, PayoutPlatformSettings):
    """The daily deep pass: the window in days, the same firm choices as the stream's, and the stream's
    state table (identity links and rings read, rings written back)."""

    abuse_state_table_name: str = Field(min_length=1)
    abuse_deep_pass_days: int = Field(default=7, ge=1, le=14)
    abuse_thresholds: str = ""
    abuse_enforcement: str = ""


class AbuseApiSettings(EventBusSettings, AuditLogSettings, PayoutPlatformSettings):
    """The review queue's function: failing accounts is requested on the bus."""


class AbuseOutboxSweepSettings(EventBusSettings, AuditLogSettings, PayoutPlatformSettings):
    """The abuse outbox sweep carries out decisions' effects as the review queue's function does."""


class StaffMfaSettings(FunctionSettings):
    """Finance's and admin's actions need staff who sign in with MFA (`propdesk.access.MFA_REQUIRED`), asked
    of the pool; without a pool they are refused. `STAFF_MFA_REQUIRED=false` only where no staff member can
    set up an authenticator (the local cloud's demo staff)."""

    user_pool_id: str | None = None
    staff_mfa_required: bool = True


class StaffApiSettings(TableSettings, AuditLogSettings, StaffMfaSettings):
    user_pool_id: str = Field(min_length=1, description="The pool whose groups are the staff roles.")


class AuthApiSettings(TableSettings, AbuseSignalSettings):
    """The pool and its server-side app client the sign-in routes use (AdminInitiateAuth needs the pool;
    the client's secret is read from the pool at run time), and the table of rate counters."""

    user_pool_id: str = Field(min_length=1)
    user_pool_client_id: str = Field(min_length=1)


class PreSignUpSettings(FunctionSettings):
    """The Cognito trigger needs no table; the firm may name throwaway-mailbox services beyond the built-in
    list (`propdesk.purchases.fraud.DISPOSABLE_DOMAINS`), comma-separated."""

    stage: str = Field(min_length=1)
    extra_disposable_domains: str = ""

    @property
    def disposable_domains(self) -> frozenset[str]:
        extra = (part.strip().lower() for part in self.extra_disposable_domains.split(","))
        return frozenset(domain for domain in extra if domain)


class AuditWatchSettings(FunctionSettings):
    """The audit table's watcher reads nothing but its stream; its stage names it in logs and alarms."""

    stage: str = Field(min_length=1)


class StreamProjectionsSettings(TableSettings, WebSocketSettings, AuditLogSettings):
    realtime_table_name: str = Field(min_length=1)


class ApiDocsSettings(FunctionSettings):
    stage: str = Field(min_length=1, description="The stage the served document describes.")


class ScalingSettings(EventBusSettings, AuditLogSettings):
    """The scaling plan's daily reviews: decisions in the table, audited, `account.scaled` on the bus."""


class PayoutsApiSettings(EventBusSettings, AuditLogSettings, AbuseSignalSettings, StaffMfaSettings):
    """The firm's payout terms where a program's document sets none (`propdesk.payouts.policy`)."""

    payout_profit_split_percent: Decimal = Field(default=Decimal(80), gt=0, le=100)
    payout_minimum_amount: Decimal = Field(default=Decimal(100), ge=0)
    payout_first_after_days: int = Field(default=14, ge=0)
    payout_days_between: int = Field(default=14, ge=0)
    payout_require_kyc: bool = True
    # Approval (`propdesk.payouts.approval`): a trader's share below the first amount is approved by the
    # workflow, above the second two different finance members approve.
    payout_auto_approve_below: Decimal = Field(default=Decimal(1000), ge=0)
    payout_two_person_above: Decimal = Field(default=Decimal(10000), ge=0)
    # How recent the sign-in must be to change the payout destination (the token's auth_time).
    payout_destination_reauth_minutes: int = Field(default=5, ge=1, le=60)


# ---- the purchase functions
# Provider credentials are never in the environment: only the ARNs of their Secrets Manager secrets (JSON:
# stripe `{"api_key", "webhook_secret"}`, coinbase-commerce `{"api_key", "webhook_secret"}`, match-trader
# `{"base_url", "api_token"}`). API bases are settings so that the local cloud points the adapters at fakes.


class PaymentProviderSettings(EventBusSettings):
    stripe_secret_arn: str | None = None
    stripe_api_base: str = "https://api.stripe.com"
    coinbase_secret_arn: str | None = None
    coinbase_api_base: str = "https://api.commerce.coinbase.com"


class OrdersApiSettings(PaymentProviderSettings, AuditLogSettings, StaffMfaSettings):
    checkout_success_url: str = Field(default="https://app.example.com/purchase/success", min_length=1)
    checkout_cancel_url: str = Field(default="https://app.example.com/purchase/cancel", min_length=1)
    # The firm's choice per fraud check, e.g. "disposable_email=block,country_mismatch=flag".
    fraud_actions: str = ""
    # IP geolocation (`propdesk.adapters.geolite2`): a directory with the GeoLite2 Country CSV files, or
    # `sample`; empty: checkout has no IP country.
    ip_countries_directory: str = ""


class StripeWebhookSettings(PaymentProviderSettings, AbuseSignalSettings):
    # The same setting as the orders API's: its `card_velocity` and `country_mismatch` entries apply when a
    # card payment succeeds.
    fraud_actions: str = ""
    # The firm's rules on the paying card's issuing country, e.g. "KP=block,IR=block,NG=flag".
    fraud_countries: str = ""


class CryptoWebhookSettings(PaymentProviderSettings):
    pass


class ProvisioningSettings(EventBusSettings):
    match_trader_secret_arn: str = Field(min_length=1)
    match_trader_base_url: str | None = None  # overrides the secret's base_url (the local cloud's fake)
    match_trader_server: str = "MatchTrader"
    # Match-Trader allows 500 a minute per token; each of the function's concurrent instances gets a share.
    platform_requests_per_minute: int = Field(default=250, ge=1)
    # Provisioning mails the platform login itself (propdesk.purchases.fulfilment), from the firm's address,
    # signed with its name; `platform_login_url` is where traders log in and reset their platform password.
    mail_from: str = Field(min_length=3)
    firm_name: str = Field(min_length=1)
    platform_login_url: str | None = None


class ProgressionSettings(EventBusSettings):
    """The progression workflow's steps that read and write the table and publish (start, review, finish)."""


class ProgressionOpenSettings(ProvisioningSettings):
    """Opening the next account: provisioning's platform connection (Match-Trader)."""


class ProgressionApiSettings(EventBusSettings, AuditLogSettings):
    """The bus carries the `firm.alert` of a review whose workflow can no longer be resumed."""


class PayoutWorkflowSettings(PayoutsApiSettings, PayoutPlatformSettings):
    """The payout workflow's steps: the platform the accounts live on (Match-Trader, as provisioning) and the
    rails (Bridge for stablecoin wallets, Wise for bank accounts). Secrets (JSON): bridge `{api_key,
    webhook_public_key}`, wise `{api_token, webhook_public_key}`; the firm's ids at the rails (not secret)
    and the API bases are settings, so that the local cloud points the adapters at the fakes."""

    bridge_secret_arn: str | None = None
    bridge_api_base: str = "https://api.bridge.xyz"
    bridge_customer_id: str = "unset"  # the firm's Bridge customer and the wallet payouts are sent from
    bridge_wallet_id: str = "unset"
    wise_secret_arn: str | None = None
    wise_api_base: str = "https://api.wise.com"
    wise_profile_id: int = 0  # the firm's Wise business profile
    wise_source_currency: str = "USD"
    # The steps append to the audit log; the rails' webhooks only resume the workflow and never write it.
    audit_table_name: str = ""


class ReconciliationSettings(PaymentProviderSettings):
    period_hours: int = Field(default=24, ge=1, le=24 * 7)
    grace_minutes: int = Field(default=15, ge=0)


class PersonalDataRetentionSettings(TableSettings):
    """How long an order keeps the buyer's e-mail and IP after it was placed (the order itself stays: it is
    an accounting record), and how many earlier days the daily job looks at again (docs/security.md)."""

    personal_data_retention_days: int = Field(default=365, ge=30, le=3650)
    retention_catch_up_days: int = Field(default=7, ge=0, le=31)


# ---- enforcement on the trading platforms (docs/rules.md, "Enforcement at the platform")


class PlatformConnection(BaseModel):
    """One trading platform the firm is connected to: the Secrets Manager secret holding its credentials
    (JSON; fields per platform in `propdesk.wiring.platforms`) and its settings."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    secret_arn: str = Field(min_length=1)
    server: str = Field(min_length=1, description="What traders pick in the platform's login screen.")
    base_url: str = ""  # overrides the secret's base URL (the local cloud points it at a fake)
    # This function's share of the platform's request budget, per concurrent instance.
    requests_per_minute: int = Field(default=100, ge=1)
    options: dict[str, str] = Field(default_factory=dict)  # platform specific, e.g. cTrader's broker_name


class PlatformConnectionsSettings(EventBusSettings):
    """`PLATFORM_CONNECTIONS`: JSON `{"match-trader": {"secret_arn": ..., "server": ...}, ...}`; a platform
    absent from it is off (an account living there cannot be acted on: its commands go to the DLQ)."""

    platform_connections: Json[dict[PlatformName, PlatformConnection]] = Field(default_factory=dict)


class PlatformReconciliationSettings(ProvisioningSettings):
    """The platforms' own balance and equity against ours (docs/platforms.md, "Reconciliation"): a balance
    differing by more than `balance_tolerance` (account currency) or an equity by more than
    `equity_tolerance_percent` of the platform's holds the account's payouts; an account with open positions
    whose last trading event is older than `stale_after_minutes` is marked stale."""

    balance_tolerance: Decimal = Field(default=Decimal("0.01"), ge=0)
    equity_tolerance_percent: Decimal = Field(default=Decimal("0.5"), ge=0, le=100)
    stale_after_minutes: int = Field(default=15, ge=1)
    # The firm's platform connections (as `PlatformConnectionsSettings`); Match-Trader falls back to the
    # provisioning settings' secret when absent.
    platform_connections: Json[dict[PlatformName, PlatformConnection]] = Field(default_factory=dict)


class ScalingGrowthSettings(PlatformConnectionsSettings, AuditLogSettings):
    """A scaled account grows (`propdesk.payouts.scaling_growth`): its size in the table (audited), its
    balance on whichever connected platform it lives on, the engine's `scale` event in its log."""


class PlatformCommandsSettings(PlatformConnectionsSettings, AuditLogSettings):
    # The queue the function reads, to delay a failed command's next delivery (backoff); none: the queue's
    # own visibility timeout.
    commands_queue_url: str | None = None
    # How long one worker holds an account while acting on it (longer than the function's timeout).
    account_lease_seconds: int = Field(default=120, ge=10)
    alert_after_attempts: int = Field(default=3, ge=1)


class PlatformDriftSettings(PlatformConnectionsSettings):
    pass


class PlatformPollingSettings(PlatformConnectionsSettings):
    """Polling the platforms that push nothing (docs/platforms.md, "Polling"): an account is polled every
    minute while a loss limit's used share is at least `near_limit_share` (or its feed is stale), otherwise
    once every `poll_every_minutes`."""

    near_limit_share: Decimal = Field(default=Decimal("0.5"), gt=0, le=1)
    poll_every_minutes: int = Field(default=5, ge=1, le=60)


# ---- e-mail and firm alerts


class MailerSettings(TableSettings):
    """The mailer: traders' addresses from the user pool, messages from the firm's SES identity."""

    user_pool_id: str = Field(min_length=1)
    mail_from: str = Field(min_length=3, description="e.g. `Acme Funding <no-reply@acme.example>`")
    firm_name: str = Field(min_length=1)
    dashboard_url: str | None = None
    mail_configuration_set: str | None = None


class FirmAlertsSettings(TableSettings):
    pass


class AlertsApiSettings(TableSettings):
    pass
